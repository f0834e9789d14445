/**
 * The whole post-deploy loop at the pattern's scale: the demo's flow (runner/demo/run-demo.ts: the
 * example app, provisioned as on an account, the reference worker, the registration and PREDICT
 * stand-ins) on the local server, at N partitions of one year of daily data. Each measurement runs
 * in a fresh process (bench/e2e-child.ts), so its peak memory is its own.
 *
 * Per hook step: wall time, the runner's statements and polls, and what the server saw from the
 * runner's session (`users`) and from the job services' workers (`containers`): statements, rows
 * bound in and rows returned (local-server/server.ts, `counters`). Per training pass, where the
 * workers' time went, from the stats line each worker logs as it ends (worker/main.ts,
 * WORKER_STATS_PREFIX): model fits, source reads, metric and artifact writes, queue coordination,
 * idle polls, and process start. The workers run the reference worker compiled to one JavaScript
 * file (compiledWorker), as its image runs compiled JavaScript (worker/Dockerfile); through tsx
 * every worker start would also compile TypeScript, a second of CPU each on this machine.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ImageCommand } from '../local-server';
import type { LocalSnowflakeServer } from '../local-server/server';
import type { Traffic } from '../local-server/server';
import type { StepEvent } from '../runner/hooks/runner';
import { Spread, spread } from '../local-server/bench';
import { compileForNode, nodeEnv } from './compile';
import { WORKER_STATS_PREFIX, WorkerStats, WorkerTimings } from '../worker/main';
import { runDemo } from '../runner/demo/run-demo';
import { buildApp } from '../stacks/main';
import { EXAMPLE } from '../stacks/forecast-stack';

/** One year of daily data per partition. */
export const E2E_DAYS = 365;

export interface E2EStep {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly ms: number;
  /** The runner's own statements (ledger included) and its polls, during the step. */
  readonly runnerStatements: number;
  readonly runnerPolls: number;
  /** What the server saw from user sessions (the runner's) and from job service containers. */
  readonly users: Traffic;
  readonly containers: Traffic;
  /** The measuring process's (server and runner) resident set at its largest during the step, sampled every 100 ms. */
  readonly serverPeakRssMiB: number;
}

export interface E2EWorkers {
  readonly workers: number;
  readonly chunks: number;
  readonly partitions: number;
  /** Summed over the pass's workers, ms: process start to connected, and the claim loop. */
  readonly startMs: number;
  readonly runMs: number;
  /** The claim loop's parts, summed over the workers (ms): wall time, and the workers' CPU time. */
  readonly timings: WorkerTimings;
  readonly cpu: WorkerTimings;
  /** CPU time to connected, summed. */
  readonly startCpuMs: number;
  /** The largest peak resident set of any of the pass's workers. */
  readonly peakRssMiB: number;
}

export interface E2EMeasurement {
  readonly partitions: number;
  readonly days: number;
  readonly rowsLoaded: number;
  readonly failed: boolean;
  readonly trained: number;
  readonly failedPartitions: number;
  readonly refined: number;
  readonly rowsScored: number;
  /** Synth, server start, data load and provisioning (not part of the loop). */
  readonly setupMs: number;
  /** The hooks run: first step's start to last step's end. */
  readonly loopMs: number;
  readonly steps: E2EStep[];
  /** By pass (`screen`, `refine`). */
  readonly workers: Record<string, E2EWorkers>;
  /** The measuring process (the local server, and the runner in it) during the hooks: sampled RSS peak. */
  readonly serverPeakRssMiB: number;
  /** The same process's peak resident set over the whole measurement (data generation and load included). */
  readonly processMaxRssMiB: number;
}

const subtract = (a: Traffic, b: Traffic): Traffic => ({
  statements: a.statements - b.statements,
  rowsIn: a.rowsIn - b.rowsIn,
  rowsOut: a.rowsOut - b.rowsOut,
  ms: a.ms - b.ms,
});

/** The workers' stats lines in the server's job services' logs. */
export function workerStats(server: LocalSnowflakeServer): WorkerStats[] {
  const out: WorkerStats[] = [];
  for (const svc of server.objects.services.values()) {
    for (const line of svc.logs) if (line.startsWith(WORKER_STATS_PREFIX)) out.push(JSON.parse(line.slice(WORKER_STATS_PREFIX.length)) as WorkerStats);
  }
  return out;
}

function sumTimings(ts: WorkerTimings[]): WorkerTimings {
  const sum = (k: keyof WorkerTimings) => ts.reduce((a, t) => a + t[k], 0);
  return { fit: sum('fit'), read: sum('read'), write: sum('write'), queue: sum('queue'), idle: sum('idle') };
}

function byPass(stats: WorkerStats[]): Record<string, E2EWorkers> {
  const out: Record<string, E2EWorkers> = {};
  for (const pass of [...new Set(stats.map((s) => s.pass))]) {
    const of = stats.filter((s) => s.pass === pass);
    const sum = (f: (s: WorkerStats) => number) => of.reduce((a, s) => a + f(s), 0);
    out[pass] = {
      workers: of.length,
      chunks: sum((s) => s.chunks),
      partitions: sum((s) => s.partitions),
      startMs: sum((s) => s.startMs),
      runMs: sum((s) => s.runMs),
      timings: sumTimings(of.map((s) => s.timings)),
      cpu: sumTimings(of.map((s) => s.cpu)),
      startCpuMs: sum((s) => s.startCpuMs),
      peakRssMiB: Math.max(...of.map((s) => s.peakRssMiB)),
    };
  }
  return out;
}

/** The reference worker (worker/main.ts) compiled into `dir` (bench/compile.ts); undefined when it cannot be. */
export function compiledWorker(dir: string): ImageCommand | undefined {
  const file = compileForNode('worker/main.ts', dir, 'worker');
  return file ? workerCommand(file) : undefined;
}

/**
 * The command that runs a compiled worker file, its packages found in the checkout's node_modules,
 * at a lower CPU priority (nice 10) than the local server: in SPCS the workers run on the compute
 * pool's nodes and Snowflake on its own, while here eight workers and the server share two cores,
 * and a server starved by the workers it serves measures this machine, not the pattern.
 */
export function workerCommand(file: string): ImageCommand {
  const node = [process.execPath, file];
  return { command: fs.existsSync('/usr/bin/nice') ? ['/usr/bin/nice', '-n', '10', ...node] : node, env: nodeEnv() };
}

/**
 * One measurement in this process: the demo's flow at `partitions` partitions of E2E_DAYS days.
 * `worker` runs the example's image (@default the reference worker's default command).
 */
export async function measureEndToEnd(partitions: number, log: (line: string) => void = () => undefined, worker?: ImageCommand): Promise<E2EMeasurement> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-e2e-'));
  const t0 = performance.now();
  let setupMs = 0;
  let server: LocalSnowflakeServer | undefined;
  const steps: E2EStep[] = [];
  let open: { event: StepEvent; at: number; users: Traffic; containers: Traffic } | undefined;
  let loop: { start: number; end: number } | undefined;
  let peakRss = 0;
  let stepPeakRss = 0;
  let sampler: NodeJS.Timeout | undefined;
  let stats: WorkerStats[] = [];
  const sample = () => {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    stepPeakRss = Math.max(stepPeakRss, rss);
  };
  try {
    const r = await runDemo({
      outdir,
      buildApp,
      sourceTable: EXAMPLE.sourceTable,
      image: EXAMPLE.image,
      series: partitions,
      days: E2E_DAYS,
      checks: false,
      imageCommands: worker ? { [EXAMPLE.image]: worker } : undefined,
      log: { info: log, progress: () => undefined },
      beforeHooks: (s) => {
        server = s;
        setupMs = performance.now() - t0;
        sample();
        sampler = setInterval(sample, 100);
      },
      onStep: (event) => {
        const now = performance.now();
        const c = server!.counters;
        sample();
        if (event.phase === 'start') {
          stepPeakRss = 0;
          sample();
          loop ??= { start: now, end: now };
          open = { event, at: now, users: { ...c.users }, containers: { ...c.containers } };
          return;
        }
        loop!.end = now;
        steps.push({
          id: event.stepId.split('/').pop()!,
          kind: event.kind,
          status: event.status ?? '',
          ms: now - open!.at,
          runnerStatements: event.statements - open!.event.statements,
          runnerPolls: event.polls - open!.event.polls,
          users: subtract(c.users, open!.users),
          containers: subtract(c.containers, open!.containers),
          serverPeakRssMiB: stepPeakRss / 2 ** 20,
        });
      },
      afterHooks: async (s) => {
        clearInterval(sampler);
        sample();
        // Queue workers outlive their pass by their empty polls: their stats come as they end.
        await Promise.race([Promise.all([...s.objects.services.values()].map((svc) => svc.finished)), new Promise((r) => setTimeout(r, 30000))]);
        stats = workerStats(s);
      },
    });
    return {
      partitions,
      days: E2E_DAYS,
      rowsLoaded: r.sourceRows,
      failed: r.failed,
      trained: r.trained,
      failedPartitions: r.failedPartitions,
      refined: r.refined,
      rowsScored: r.rowsScored,
      setupMs,
      loopMs: loop ? loop.end - loop.start : 0,
      steps,
      workers: byPass(stats),
      serverPeakRssMiB: peakRss / 2 ** 20,
      processMaxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    clearInterval(sampler);
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** One measurement in a fresh process (bench/e2e-child.ts); `workerFile` is compiledWorker's output. */
export function measureInChild(partitions: number, workerFile?: string, onLine?: (line: string) => void): Promise<E2EMeasurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'e2e-child.ts'), String(partitions), ...(workerFile ? [workerFile] : [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      for (const l of d.toString().split('\n')) if (l && onLine) onLine(l);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench e2e (${partitions}) failed: ${err.split('\n').slice(-30).join('\n')}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as E2EMeasurement);
    });
  });
}

/** Where the workers of a pass spent their time, as shares of their claim loops (and of start + loop for `fitOfAll`). */
export interface E2EShares {
  readonly fit: number;
  readonly read: number;
  readonly write: number;
  readonly queue: number;
  readonly idle: number;
  /** Fits as a share of the workers' whole lives: process start (container start and login here) included. */
  readonly fitOfAll: number;
  /** Fits as a share of the workers' CPU time in their claim loops (waits for the server and for a CPU left out). */
  readonly fitOfCpu: number;
}

export interface E2ERow {
  readonly partitions: number;
  readonly repetitions: number;
  readonly loopMs: Spread;
  readonly setupMs: Spread;
  /** Per step: wall time; the runner's statements (the same in every repetition: the most seen) and its polls. */
  readonly steps: { readonly id: string; readonly kind: string; readonly ms: Spread; readonly runnerStatements: number; readonly runnerPolls: Spread }[];
  /** The runner's statements over the loop, polls excluded (most seen), and its polls. */
  readonly runnerStatements: number;
  readonly runnerPolls: Spread;
  /** Worker statements per chunk claimed, by pass (median over repetitions). */
  readonly workerStatementsPerChunk: Record<string, number>;
  /** Rows over the loop (median): bound into statements and returned, by the runner's sessions and the workers'. */
  readonly rows: { readonly usersIn: number; readonly usersOut: number; readonly containersIn: number; readonly containersOut: number };
  /** By pass, medians over repetitions. */
  readonly workerShares: Record<string, E2EShares>;
  readonly workers: Record<string, { readonly workers: number; readonly chunks: number; readonly peakRssMiB: number }>;
  /** Largest over repetitions. */
  readonly serverPeakRssMiB: number;
  readonly processMaxRssMiB: number;
}

const median = (xs: number[]) => spread(xs).median;

function sharesOf(w: E2EWorkers): E2EShares {
  const t = w.timings;
  const c = w.cpu;
  return {
    fit: t.fit / w.runMs,
    read: t.read / w.runMs,
    write: t.write / w.runMs,
    queue: t.queue / w.runMs,
    idle: t.idle / w.runMs,
    fitOfAll: t.fit / (w.runMs + w.startMs),
    fitOfCpu: c.fit / (c.fit + c.read + c.write + c.queue + c.idle),
  };
}

/** Spreads and medians over the repetitions of one size. */
export function summarizeEndToEnd(runs: E2EMeasurement[]): E2ERow {
  const [first] = runs;
  const passes = [...new Set(runs.flatMap((r) => Object.keys(r.workers)))];
  const total = (m: E2EMeasurement, f: (s: E2EStep) => number) => m.steps.reduce((a, s) => a + f(s), 0);
  // Statements per chunk: the workers' statements in the steps they run in: the screen pass's
  // during the task graph's step (its jobs are synchronous), the refine pass's from their start
  // on (queue workers outlive their pass by a few empty polls).
  const workerSteps = (m: E2EMeasurement, pass: string) =>
    pass === 'screen'
      ? m.steps.filter((s) => s.kind === 'executeTaskGraph')
      : m.steps.slice(
          Math.max(
            0,
            m.steps.findIndex((s) => s.kind === 'runWorkers'),
          ),
        );
  const perChunk = Object.fromEntries(
    passes.map((p) => [p, median(runs.map((m) => workerSteps(m, p).reduce((a, s) => a + s.containers.statements, 0) / (m.workers[p]?.chunks || 1)))]),
  );
  return {
    partitions: first.partitions,
    repetitions: runs.length,
    loopMs: spread(runs.map((m) => m.loopMs)),
    setupMs: spread(runs.map((m) => m.setupMs)),
    steps: first.steps.map((s, i) => ({
      id: s.id,
      kind: s.kind,
      ms: spread(runs.map((m) => m.steps[i]?.ms ?? NaN)),
      runnerStatements: Math.max(...runs.map((m) => m.steps[i]?.runnerStatements ?? 0)),
      runnerPolls: spread(runs.map((m) => m.steps[i]?.runnerPolls ?? 0)),
    })),
    runnerStatements: Math.max(...runs.map((m) => total(m, (s) => s.runnerStatements))),
    runnerPolls: spread(runs.map((m) => total(m, (s) => s.runnerPolls))),
    workerStatementsPerChunk: perChunk,
    rows: {
      usersIn: median(runs.map((m) => total(m, (s) => s.users.rowsIn))),
      usersOut: median(runs.map((m) => total(m, (s) => s.users.rowsOut))),
      containersIn: median(runs.map((m) => total(m, (s) => s.containers.rowsIn))),
      containersOut: median(runs.map((m) => total(m, (s) => s.containers.rowsOut))),
    },
    workerShares: Object.fromEntries(
      passes.map((p) => {
        const of = runs.filter((m) => m.workers[p]).map((m) => sharesOf(m.workers[p]));
        const med = (k: keyof E2EShares) => median(of.map((x) => x[k]));
        return [
          p,
          {
            fit: med('fit'),
            read: med('read'),
            write: med('write'),
            queue: med('queue'),
            idle: med('idle'),
            fitOfAll: med('fitOfAll'),
            fitOfCpu: med('fitOfCpu'),
          },
        ];
      }),
    ),
    workers: Object.fromEntries(
      passes.map((p) => [
        p,
        {
          workers: Math.max(...runs.map((m) => m.workers[p]?.workers ?? 0)),
          chunks: Math.max(...runs.map((m) => m.workers[p]?.chunks ?? 0)),
          peakRssMiB: Math.max(...runs.map((m) => m.workers[p]?.peakRssMiB ?? 0)),
        },
      ]),
    ),
    serverPeakRssMiB: Math.max(...runs.map((m) => m.serverPeakRssMiB)),
    processMaxRssMiB: Math.max(...runs.map((m) => m.processMaxRssMiB)),
  };
}

/**
 * `repetitions[i]` runs at `sizes[i]` partitions, each in a fresh process, the sizes interleaved
 * (a slow spell of the shared machine then falls on every size alike). The worker is compiled once.
 */
export async function benchEndToEnd(
  sizes: number[],
  repetitions: number[],
  onRun?: (m: E2EMeasurement) => void,
): Promise<{ rows: E2ERow[]; runs: E2EMeasurement[]; compiledWorker: boolean }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-e2e-worker-'));
  try {
    const worker = compiledWorker(dir);
    const workerFile = worker ? path.join(dir, 'worker.js') : undefined;
    const runs: E2EMeasurement[] = [];
    for (let r = 0; r < Math.max(...repetitions); r++) {
      for (const [i, n] of sizes.entries()) {
        if (r >= repetitions[i]) continue;
        const m = await measureInChild(n, workerFile);
        if (m.failed) throw new Error(`bench e2e: the hooks failed at ${n} partitions`);
        onRun?.(m);
        runs.push(m);
      }
    }
    return { rows: sizes.map((n) => summarizeEndToEnd(runs.filter((m) => m.partitions === n))), runs, compiledWorker: worker !== undefined };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
