/**
 * Queue throughput and correctness under contention, against the local server through
 * snowflake-sdk: 1, 2, 4 and 8 concurrent workers drain one pass of queue items with fake fits (a
 * sleep), with and without injected worker kills. Each worker is a process of its own
 * (bench/queue-worker.ts) with its own driver connection (its own server session), looping the
 * claim protocol from lib/sql/queue.ts, `batch` items at a time: claimCandidate (up to `batch`
 * rows) -> claimBatch (compare-and-set on each row's ATTEMPTS; the rows not taken went to another
 * worker) -> a fake fit per item -> completeBatch. Three statements per batch. Workers
 * claim from their own stripe first and then from any chunk, as queue-mode workers do
 * (docs/worker-contract.md); `contended` makes them all race for the same lowest CHUNK_ID. A driver loop does what
 * the hooks runner's waitQueue step does: requeueExpired, failExhausted and progress.
 *
 * Correctness is accounted per item from what each worker was told ("1 row updated") and checked
 * against the table's STATUS and ATTEMPTS at the end:
 *  - claimedTwice: items won by a second claim while an earlier claim's lease was provably still
 *    live (no-kill variant, whose lease never expires: any second claim), or completed twice, or
 *    whose successful claims outnumber the table's ATTEMPTS (two winners of one compare-and-set);
 *  - lost: items not DONE when the run ends (no PENDING or CLAIMED row left, or no progress for
 *    a while).
 * A killed worker's item is re-claimed once its lease expires: expected, not a double claim.
 * Claims/s count from the moment every worker is connected (no worker claims before: each waits
 * for the driver's start) to the last completion; a killed
 * worker's replacement starts a process (about a second here), as a container restarts.
 */
import '../runner/snowflake/driver-env';
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compileForNode, nodeEnv } from './compile';
import { Spread, spread } from '../local-server/bench';
import { startLocalServer } from '../local-server';
import { LocalSnowflakeServer } from '../local-server/server';
import { ObjectName } from '../lib/identifiers';
import { resolveConnection } from '../runner/snowflake/connection';
import { SnowflakeSession } from '../runner/snowflake/session';
import { substitute } from '../runner/hooks/runner';
import type { QueueWorkerConfig, QueueWorkerMessage } from './queue-worker';
import { QueueModel, QueueStatus, renderEnqueue, renderQueueCreate, renderQueueDrop, renderQueueStatements } from '../lib/sql/queue';

export interface QueueBenchRow {
  workers: number;
  /** Items claimed per statement. */
  batch: number;
  kills: boolean;
  items: number;
  /** Successful claims (re-claims of killed workers' items included) per second of the drain. */
  claimsPerSec: Spread;
  /** Worst repetition. Must be 0. */
  claimedTwice: number;
  /** Worst repetition. Must be 0. */
  lost: number;
  /** Kills per repetition (the same in each). */
  killed: number;
  repetitions: number;
}

export interface QueueBenchOptions {
  /** Worker counts of the kill variant. @default the worker counts given */
  readonly killWorkerCounts?: number[];
  /** Repetitions of the kill variant. @default the repetitions given */
  readonly killRepetitions?: number;
  /** Workers killed mid-item per kill-variant run (each replaced by a fresh worker). @default 3 */
  readonly killsPerRun?: number;
  /** Lease of the kill variant, seconds. @default 2 */
  readonly leaseSeconds?: number;
  /** Items a worker claims with one statement (lib/sql/queue.ts, claimBatch). @default 1 */
  readonly batch?: number;
  /** Fake fit per item, ms (0: yield to the event loop only). @default 0 */
  readonly fitMs?: number;
  /** The driver loop's requeue/progress poll, ms. @default 250 */
  readonly pollMs?: number;
  /** A run gives up when the queue makes no progress for this long, ms. @default 30000 */
  readonly stallMs?: number;
  /**
   * Every worker races for the same lowest claimable row (SLOTS = 1, SLOT = 0) instead of the
   * worker protocol's own-stripe-then-any. For comparison and for the accounting test. @default false
   */
  readonly contended?: boolean;
  /**
   * Replaces the claim statement (same four binds as `claimBatch`). Only for testing that the
   * accounting catches a broken compare-and-set. @default renderQueueStatements(...).claimBatch.sql
   */
  readonly claimSql?: (model: QueueModel) => string;
  /** Called after each run, for progress output. */
  readonly onRun?: (r: QueueRunResult) => void;
}

export interface QueueRunResult {
  workers: number;
  kills: boolean;
  items: number;
  seconds: number;
  claims: number;
  lostRaces: number;
  claimsPerSec: number;
  claimedTwice: number;
  lost: number;
  killed: number;
  statements: number;
}

/** Lease of the no-kill variant: the QueueTable default (10 minutes); it never expires in a run. */
const NO_KILL_LEASE_SECONDS = 600;
const MAX_ATTEMPTS = 3;
const RUN_ID = 'RBENCHQUEUE000000000001';
const PASS = 'screen';
const KEYS_TABLE = 'BENCH.QUEUE.KEYS';

interface Claim {
  worker: string;
  /** Client clock just before the claim was sent and just after its answer (ms). */
  sent: number;
  answered: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

function settingsFor(server: LocalSnowflakeServer) {
  return resolveConnection({ env: server.connectionEnv() });
}

/** The i-th partition key; keys sort as their numbers do. */
const keyOf = (i: number) => `K${String(i).padStart(8, '0')}`;

async function runOnce(
  server: LocalSnowflakeServer,
  admin: SnowflakeSession,
  launcher: Launcher,
  n: number,
  workers: number,
  kills: number,
  leaseSeconds: number,
  opts: QueueBenchOptions,
  label = '',
): Promise<QueueRunResult> {
  const fitMs = opts.fitMs ?? 0;
  const pollMs = opts.pollMs ?? 250;
  const stallMs = opts.stallMs ?? 30000;
  const model: QueueModel = {
    table: ObjectName.of('BENCH', 'QUEUE', `Q${label}_${workers}_${kills > 0 ? 'KILL' : 'CLEAN'}`),
    leaseSeconds,
    maxAttempts: MAX_ATTEMPTS,
  };
  const q = renderQueueStatements(model, opts.batch ?? 1);
  const claimSql = opts.claimSql?.(model) ?? q.claimBatch.sql;
  await admin.query(renderQueueDrop(model));
  await admin.query(renderQueueCreate(model));
  // The pass is enqueued as the hooks runner's startPass does it: renderEnqueue's ONE statement,
  // here with chunks of one key, so one queue row per item (the keys were array-bound once).
  const enqueue = substitute(renderEnqueue(model, PASS, 1, { keysQuery: `SELECT PARTITION_KEY FROM ${KEYS_TABLE} WHERE PARTITION_KEY < '${keyOf(n)}'` }), {
    RUN_ID,
  });
  const enq = await admin.query(enqueue);
  if (enq.updatedRows !== n) throw new Error(`queue bench: enqueue inserted ${enq.updatedRows} of ${n} rows`);

  const claims = new Map<string, Claim[]>();
  const completes = new Map<string, number>();
  let claimCount = 0;
  let lostRaces = 0;
  let killed = 0;
  let finished = false;
  // Set once every first worker is ready: until then no worker claims (the drain's clock starts then).
  let running = false;
  let generation = 0;
  const killAt = Array.from({ length: kills }, (_, k) => Math.max(1, Math.floor((n * (k + 1)) / (kills + 1))));
  const errors: Error[] = [];
  const t0 = { at: process.hrtime.bigint() };
  let lastCompletion = t0.at;

  // Each worker is a process of its own (bench/queue-worker.ts). The worker protocol
  // (worker/main.ts, candidateStripes): own stripe first, then any chunk; `contended` puts every
  // worker on one stripe. A worker is killed (SIGKILL) right after a won claim, before its fit:
  // no complete, its connection gone. It is replaced by a fresh process (new connection, new
  // WORKER_ID), as a restarted job service container would be: the worker count stays constant.
  const [slots, slotOf] = opts.contended ? [1, () => 0] : [workers, (i: number) => i];
  const sql = {
    claimCandidate: q.claimCandidate.sql,
    claimBatch: claimSql,
    claimedBatch: q.claimedBatch.sql,
    completeBatch: q.completeBatch.sql,
    completedBatch: q.completedBatch.sql,
    completePath: `models/${RUN_ID}/${PASS}/`,
  };
  const live = new Set<ChildProcess>();
  const exited: Promise<void>[] = [];
  const start = (index: number): Promise<void> => {
    const workerId = `bench-worker-${index}#${generation++}`;
    const cfg: QueueWorkerConfig = { env: server.connectionEnv(), workerId, runId: RUN_ID, pass: PASS, slots, slot: slotOf(index), fitMs, sql };
    const child = fork(launcher.file, [JSON.stringify(cfg)], {
      execArgv: launcher.execArgv,
      env: { ...process.env, ...launcher.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    live.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    let killedHere = false;
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    child.on('message', (m: QueueWorkerMessage) => {
      if (m.type === 'ready') {
        // A replacement for a killed worker starts at once; the first ones when all are ready.
        if (running) child.send({ type: 'start' }, () => undefined);
        return ready();
      }
      if (m.type === 'lostRace') {
        lostRaces++;
        return;
      }
      if (m.type === 'error') {
        errors.push(new Error(`${workerId}: ${m.message}`));
        return;
      }
      if (m.type === 'completed') {
        for (const id of m.queueIds) completes.set(id, (completes.get(id) ?? 0) + 1);
        if (m.queueIds.length > 0) lastCompletion = process.hrtime.bigint();
        return;
      }
      claimCount += m.queueIds.length;
      for (const id of m.queueIds) {
        const list = claims.get(id) ?? [];
        list.push({ worker: workerId, sent: m.sent, answered: m.answered });
        claims.set(id, list);
      }
      if (killed < killAt.length && claimCount >= killAt[killed]) {
        killed++;
        killedHere = true;
        child.kill('SIGKILL');
        return;
      }
      child.send({ type: 'continue' });
    });
    exited.push(
      new Promise<void>((resolve) =>
        child.on('exit', (code, signal) => {
          live.delete(child);
          ready();
          if (killedHere && !finished) void start(index).catch((e: Error) => errors.push(e));
          else if (!killedHere && !finished && code !== 0)
            errors.push(new Error(`${workerId} exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
          resolve();
        }),
      ),
    );
    return isReady;
  };

  await Promise.all(Array.from({ length: workers }, (_, i) => start(i)));
  const statementsBefore = server.statementCount;
  t0.at = process.hrtime.bigint();
  lastCompletion = t0.at;
  running = true;
  for (const c of live) c.send({ type: 'start' }, () => undefined);
  // The runner's waitQueue loop: re-queue expired leases, fail exhausted chunks, read progress.
  // The run ends when no item is PENDING or CLAIMED, or when nothing moved for stallMs.
  let drained = false;
  try {
    let lastOpen = n;
    let lastChange = Date.now();
    while (errors.length === 0) {
      await sleep(pollMs);
      await admin.query(q.requeueExpired.sql, [RUN_ID]);
      await admin.query(q.failExhausted.sql, [RUN_ID]);
      const progress = (await admin.query<{ STATUS: string; CHUNKS: number }>(q.progress.sql, [RUN_ID, PASS])).rows;
      const open = progress.filter((r) => r.STATUS === QueueStatus.PENDING || r.STATUS === QueueStatus.CLAIMED).reduce((a, r) => a + Number(r.CHUNKS), 0);
      if (open === 0) {
        drained = true;
        break;
      }
      if (open !== lastOpen) {
        lastOpen = open;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) break;
    }
  } finally {
    finished = true;
    for (const c of live) c.send({ type: 'stop' }, () => undefined);
    // Workers that were killed and are being replaced finish starting, then stop too.
    for (let i = 0; i < 100 && live.size > 0; i++) {
      for (const c of live) if (c.connected) c.send({ type: 'stop' }, () => undefined);
      await sleep(50);
    }
    await Promise.all(exited);
  }
  if (errors.length > 0) throw errors[0];
  // The drain's wall time: up to the last completion (not the poll that noticed it).
  const elapsed = Number((drained ? lastCompletion : process.hrtime.bigint()) - t0.at) / 1e9;
  const statements = server.statementCount - statementsBefore;

  // Check against the table.
  const table = (
    await admin.query<{ QUEUE_ID: string; STATUS: string; ATTEMPTS: number }>(
      `SELECT QUEUE_ID, STATUS, ATTEMPTS FROM ${model.table.quoted} WHERE RUN_ID = ? AND PASS = ?`,
      [RUN_ID, PASS],
    )
  ).rows;
  if (table.length !== n) throw new Error(`queue bench: the table holds ${table.length} rows, ${n} were enqueued`);
  let lost = 0;
  let claimedTwice = 0;
  let attemptsTotal = 0;
  for (const row of table) {
    const attempts = Number(row.ATTEMPTS);
    attemptsTotal += attempts;
    if (row.STATUS !== QueueStatus.DONE) lost++;
    const list = (claims.get(row.QUEUE_ID) ?? []).sort((a, b) => a.sent - b.sent);
    if (list.length < attempts) throw new Error(`queue bench: ${row.QUEUE_ID} has ATTEMPTS ${attempts} but only ${list.length} claims were reported as won`);
    // Without kills no lease can expire, so any second won claim is a double claim.
    let twice = list.length > attempts || (completes.get(row.QUEUE_ID) ?? 0) > 1 || (kills === 0 && list.length > 1);
    for (let i = 1; i < list.length; i++) {
      // Won while the previous claim's lease was certainly live: its LEASE_UNTIL is at least
      // `sent + lease`, and this claim was evaluated before `answered`.
      if (list[i].worker !== list[i - 1].worker && list[i].answered < list[i - 1].sent + leaseSeconds * 1000) twice = true;
    }
    if (twice) claimedTwice++;
  }
  if (attemptsTotal !== claimCount) throw new Error(`queue bench: the table counts ${attemptsTotal} claims, workers won ${claimCount}`);
  await admin.query(renderQueueDrop(model));
  return {
    workers,
    kills: kills > 0,
    items: n,
    seconds: elapsed,
    claims: claimCount,
    lostRaces,
    claimsPerSec: claimCount / elapsed,
    claimedTwice,
    lost,
    killed,
    statements,
  };
}

/** How a worker process starts: compiled once per bench (bench/compile.ts), else through tsx. */
interface Launcher {
  readonly file: string;
  readonly execArgv: string[];
  readonly env: Record<string, string>;
}

export async function benchQueue(workerCounts: number[], items: number, repetitions: number, options: QueueBenchOptions = {}): Promise<QueueBenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-queue-'));
  const compiled = compileForNode('bench/queue-worker.ts', dir, 'queue-worker');
  const launcher: Launcher = compiled
    ? { file: compiled, execArgv: [], env: nodeEnv() }
    : { file: path.join(__dirname, 'queue-worker.ts'), execArgv: ['--import', 'tsx'], env: {} };
  try {
    return await benchQueueWith(launcher, workerCounts, items, repetitions, options);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchQueueWith(
  launcher: Launcher,
  workerCounts: number[],
  items: number,
  repetitions: number,
  options: QueueBenchOptions,
): Promise<QueueBenchRow[]> {
  const server = await startLocalServer();
  const admin = await SnowflakeSession.open(settingsFor(server));
  const out: QueueBenchRow[] = [];
  try {
    await admin.query('CREATE DATABASE BENCH');
    await admin.query('CREATE SCHEMA BENCH.QUEUE');
    // The partitions to train: ONE array-bound insert.
    await admin.query(`CREATE TABLE ${KEYS_TABLE} (PARTITION_KEY VARCHAR)`);
    const keys = await admin.query(
      `INSERT INTO ${KEYS_TABLE} (PARTITION_KEY) VALUES (?)`,
      Array.from({ length: items }, (_, i) => [keyOf(i)]),
    );
    if (keys.updatedRows !== items) throw new Error(`queue bench: ${keys.updatedRows} of ${items} keys inserted`);
    // Warm-up, not reported: the first statements of each shape pay for JIT, WASM tier-up and
    // DuckDB's first plans (a cold first run of 50 items took 6x as long as the same run warm).
    await runOnce(server, admin, launcher, Math.min(items, 50), 2, 1, 1, options, '_WARMUP');
    const variants: { kills: boolean; counts: number[]; reps: number }[] = [
      { kills: false, counts: workerCounts, reps: repetitions },
      { kills: true, counts: options.killWorkerCounts ?? workerCounts, reps: options.killRepetitions ?? repetitions },
    ];
    for (const v of variants) {
      for (const workers of v.counts) {
        const runs: QueueRunResult[] = [];
        for (let r = 0; r < v.reps; r++) {
          const kills = v.kills ? (options.killsPerRun ?? 3) : 0;
          const lease = v.kills ? (options.leaseSeconds ?? 2) : NO_KILL_LEASE_SECONDS;
          const run = await runOnce(server, admin, launcher, items, workers, kills, lease, options);
          options.onRun?.(run);
          runs.push(run);
        }
        if (runs.length === 0) continue;
        out.push({
          workers,
          batch: options.batch ?? 1,
          kills: v.kills,
          items,
          claimsPerSec: spread(runs.map((r) => r.claimsPerSec)),
          claimedTwice: Math.max(...runs.map((r) => r.claimedTwice)),
          lost: Math.max(...runs.map((r) => r.lost)),
          killed: Math.max(...runs.map((r) => r.killed)),
          repetitions: runs.length,
        });
      }
    }
  } finally {
    await admin.close();
    await server.close();
  }
  return out;
}
