/**
 * The reference training worker (docs/worker-contract.md, contract version 2). It runs in a job
 * service: claims chunks of partitions from the queue with a leased compare-and-set, reads each
 * chunk's series with ONE bulk query, fits the model contest per partition, clears the chunk's
 * metrics, writes each model to the stage mount once under its final name, records metrics in one
 * batched insert, and marks the chunk done.
 */
import '../runner/snowflake/driver-env';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as snowflake from 'snowflake-sdk';
import { ObjectName } from '../lib/identifiers';
import { candidateStripes, renderQueueStatements } from '../lib/sql/queue';
import { WORKER_CONTRACT_VERSION } from '../lib/sql/job-spec';
import { artifactPath, passDirectory, renderWorkerStatements } from '../lib/sql/training';
import { SeriesError, prepareSeries, selectBest } from './forecast';

export interface WorkerConfig {
  readonly mode: 'tasks' | 'queue';
  readonly pass: string;
  readonly refine: boolean;
  readonly slot: number;
  readonly slots: number;
  readonly queue: ObjectName;
  readonly runs: ObjectName;
  readonly metrics: ObjectName;
  readonly modelDir: string;
  readonly ext: string;
  readonly sourceQuery: string;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  readonly budgetSeconds: number;
  readonly emptyPolls: number;
  /** The contest's holdout in steps; undefined: each series' frequency's (MM_GIVEN_SETTINGS). */
  readonly holdout: number | undefined;
  /** The season in steps; undefined: each series' frequency's. */
  readonly period: number | undefined;
  readonly workerId: string;
  /** The image this worker runs (MM_TRAINER_IMAGE), recorded with every metrics row. */
  readonly image: string | null;
  /** The trainer identity (MM_TRAINING_KEY): the worker joins only runs started for it. */
  readonly trainingKey: string;
  /** The run this worker works for (MM_RUN_ID), and no other. */
  readonly runId: string;
}

/** A run id as the pipeline mints them (runner: R..., closed loop: M<YYYYMMDD>): a TRAINING_RUNS.RUN_ID value. */
const RUN_ID_SHAPE = /^[A-Z][A-Z0-9_]{1,63}$/;

function need(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`worker contract: ${name} is not set`);
  return v;
}

/**
 * A setting the pipeline's props set, or undefined when it holds the pipeline's daily default
 * (the series' own frequency's applies then: docs/worker-contract.md). Set: named in
 * MM_GIVEN_SETTINGS, or a value other than the default (a pipeline synthesized before
 * MM_GIVEN_SETTINGS existed passes only values).
 */
function given(env: NodeJS.ProcessEnv, name: string, pipelineDefault: number): number | undefined {
  const v = Number(need(env, name));
  const listed = (env.MM_GIVEN_SETTINGS ?? '').split(',').includes(name);
  return listed || v !== pipelineDefault ? v : undefined;
}

export function configFromEnv(env: NodeJS.ProcessEnv): WorkerConfig {
  if (need(env, 'MM_CONTRACT_VERSION') !== WORKER_CONTRACT_VERSION)
    throw new Error(`worker contract: version ${env.MM_CONTRACT_VERSION} is not supported (this worker implements ${WORKER_CONTRACT_VERSION})`);
  const n = (k: string) => Number(need(env, k));
  return {
    mode: need(env, 'MM_MODE') as 'tasks' | 'queue',
    pass: need(env, 'MM_PASS'),
    refine: env.MM_MODEL_SET === 'refine',
    slot: n('MM_SLOT'),
    slots: n('MM_SLOTS'),
    queue: ObjectName.parse(need(env, 'MM_QUEUE_TABLE'), 3),
    runs: ObjectName.parse(need(env, 'MM_RUNS_TABLE'), 3),
    metrics: ObjectName.parse(need(env, 'MM_METRICS_TABLE'), 3),
    modelDir: need(env, 'MM_MODEL_DIR'),
    ext: need(env, 'MM_ARTIFACT_EXT'),
    sourceQuery: need(env, 'MM_SOURCE_QUERY'),
    leaseSeconds: n('MM_LEASE_SECONDS'),
    maxAttempts: n('MM_MAX_ATTEMPTS'),
    budgetSeconds: n('MM_TIME_BUDGET_SECONDS'),
    emptyPolls: n('MM_EMPTY_POLLS'),
    holdout: given(env, 'MM_HOLDOUT', 28),
    period: given(env, 'MM_SEASON_PERIOD', 7),
    workerId: `${env.SNOWFLAKE_SERVICE_NAME ?? 'worker'}#${os.hostname()}:${process.pid}`,
    image: env.MM_TRAINER_IMAGE || null,
    trainingKey: need(env, 'MM_TRAINING_KEY'),
    runId: runIdFrom(env),
  };
}

/** MM_RUN_ID, refused when it is not a run id (a `{{RUN_ID}}` nobody filled in, say). */
function runIdFrom(env: NodeJS.ProcessEnv): string {
  const v = need(env, 'MM_RUN_ID');
  if (!RUN_ID_SHAPE.test(v)) throw new Error(`worker contract: MM_RUN_ID ${JSON.stringify(v.slice(0, 80))} is not a run id (${RUN_ID_SHAPE.source})`);
  return v;
}

type Row = Record<string, unknown>;

function exec(conn: snowflake.Connection, sqlText: string, binds?: unknown[]): Promise<{ rows: Row[]; updated: number }> {
  return new Promise((resolve, reject) =>
    conn.execute({
      sqlText,
      binds: binds as snowflake.Binds,
      complete: (e, st, rows) => (e ? reject(e) : resolve({ rows: (rows ?? []) as Row[], updated: Number(st.getNumUpdatedRows() ?? 0) })),
    }),
  );
}

/** A fitted chunk: metrics rows (in METRICS_COLUMNS order) and the artifacts they name. */
export interface FittedChunk {
  readonly metricRows: unknown[][];
  /** Artifacts by path relative to the stage (STAGE_PATH), with their content. */
  readonly artifacts: readonly { readonly stagePath: string; readonly content: string }[];
}

/** Fits one chunk in memory: writes nothing (writeArtifacts does, once the lease is confirmed). */
export function fitChunk(cfg: WorkerConfig, runId: string, keys: string[], rows: Row[]): FittedChunk {
  const byKey = new Map<string, { date: string | Date; y: number | null }[]>();
  for (const k of keys) byKey.set(k, []);
  for (const r of rows) byKey.get(String(r.PARTITION_KEY))?.push({ date: r.DS as Date, y: r.Y === null ? null : Number(r.Y) });
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const metricRows: unknown[][] = [];
  const artifacts: { stagePath: string; content: string }[] = [];
  for (const key of keys) {
    try {
      const series = prepareSeries(byKey.get(key) ?? []);
      const { model, winner, metrics } = selectBest(series, { holdout: cfg.holdout, period: cfg.period, refine: cfg.refine });
      // Sharded: no directory of the stage mount holds more than a small share of the pass's files.
      const file = artifactPath(runId, cfg.pass, key, cfg.ext);
      artifacts.push({ stagePath: file, content: JSON.stringify(model) });
      metricRows.push([runId, cfg.pass, key, 'OK', winner, metrics.mape, metrics.rmse, metrics.smape, series.values.length, file, null, now, cfg.image]);
    } catch (e) {
      const reason = e instanceof SeriesError ? e.message : `fit failed: ${(e as Error).message}`;
      metricRows.push([runId, cfg.pass, key, 'FAILED', null, null, null, null, (byKey.get(key) ?? []).length, null, reason.slice(0, 4000), now, cfg.image]);
    }
  }
  return { metricRows, artifacts };
}

/**
 * Writes each artifact once, under its final name, in one sequential write. A stage mount streams
 * files to the stage and supports neither renames nor changing a file in place ("Using Snowflake
 * stage volumes with services", https://docs.snowflake.com/en/developer-guide/snowpark-container-services/snowflake-stage-volume),
 * so there is no temporary file: a worker that dies mid-write leaves at most a partial file that no
 * metrics row names (the chunk's rows were cleared before and are inserted after), and the chunk's
 * next holder writes it again.
 */
export function writeArtifacts(modelDir: string, artifacts: FittedChunk['artifacts']): void {
  for (const dir of new Set(artifacts.map((a) => path.dirname(a.stagePath)))) fs.mkdirSync(path.join(modelDir, dir), { recursive: true });
  for (const a of artifacts) fs.writeFileSync(path.join(modelDir, a.stagePath), a.content);
}

/**
 * Where a worker's wall time went, in ms: `fit` the model contests, `read` the chunks' source
 * reads, `write` clearing metrics, writing artifacts and inserting metrics, `queue` finding the
 * run, claiming, the lease check and completing, `idle` the waits between empty polls.
 */
export interface WorkerTimings {
  fit: number;
  read: number;
  write: number;
  queue: number;
  idle: number;
}

export interface WorkerResult {
  readonly chunks: number;
  readonly partitions: number;
  /** Wall time of each part (ms). */
  readonly timings: WorkerTimings;
  /** The process's CPU time (user and system) in each part (ms): waits for the server and for a CPU left out. */
  readonly cpu: WorkerTimings;
}

export async function runWorker(
  cfg: WorkerConfig,
  conn: snowflake.Connection,
  log: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): Promise<WorkerResult> {
  const q = renderQueueStatements({ table: cfg.queue, leaseSeconds: cfg.leaseSeconds, maxAttempts: cfg.maxAttempts });
  const w = renderWorkerStatements({ metrics: cfg.metrics, runs: cfg.runs, stage: cfg.queue });
  const started = Date.now();
  const timings: WorkerTimings = { fit: 0, read: 0, write: 0, queue: 0, idle: 0 };
  const cpu: WorkerTimings = { fit: 0, read: 0, write: 0, queue: 0, idle: 0 };
  const timed = async <T>(part: keyof WorkerTimings, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    try {
      return await f();
    } finally {
      timings[part] += performance.now() - t0;
      const c = process.cpuUsage(c0);
      cpu[part] += (c.user + c.system) / 1000;
    }
  };
  let empty = 0;
  let chunks = 0;
  let partitions = 0;
  const run = cfg.runId;
  // The worker's own run, still RUNNING for its trainer, is checked before the first claim and
  // again after each poll that finds nothing: any other state (finished, abandoned, or no such run
  // of this pass and trainer) ends the worker cleanly, without claiming, so it never works for
  // another run. Between those checks a claimable chunk is proof enough: abandoning a run fails its
  // open chunks, and a finished pass has none.
  let checked = false;
  while (empty < cfg.emptyPolls && Date.now() - started < cfg.budgetSeconds * 1000) {
    if (!checked) {
      const status = (await timed('queue', () => exec(conn, w.runStatus.sql, [run, cfg.pass, cfg.trainingKey]))).rows[0]?.STATUS as string | undefined;
      if (status !== 'RUNNING') {
        log(`run ${run} (${cfg.pass}) is ${status ?? 'not a run of this pass and trainer'}: stopping without claiming`);
        break;
      }
      checked = true;
    }
    let cand: Row | undefined;
    for (const [slots, slot] of candidateStripes(cfg.mode, cfg.slots, cfg.slot)) {
      cand = (await timed('queue', () => exec(conn, q.claimCandidate.sql, [run, cfg.pass, slots, slot]))).rows[0];
      if (cand) break;
    }
    if (!cand) {
      empty++;
      checked = false;
      await timed('idle', () => new Promise((r) => setTimeout(r, 500)));
      continue;
    }
    empty = 0;
    const runId = run;
    const won = await timed('queue', () => exec(conn, q.claim.sql, [cfg.workerId, cand.QUEUE_ID, cand.STATUS, cand.ATTEMPTS]));
    if (won.updated !== 1) continue; // another worker took it
    // The compare-and-set took the chunk at the ATTEMPTS it read; 0 means no worker ever claimed
    // it before, so none can have written metrics rows for its keys in this run and pass (every
    // claim adds an attempt, nothing resets them, and a key is in one chunk of a pass).
    const firstAttempt = Number(cand.ATTEMPTS) === 0;
    const keys = (typeof cand.PARTITION_KEYS === 'string' ? JSON.parse(cand.PARTITION_KEYS) : cand.PARTITION_KEYS) as string[];
    try {
      const data = await timed('read', () => exec(conn, cfg.sourceQuery, [JSON.stringify(keys)]));
      const { metricRows, artifacts } = await timed('fit', () => fitChunk(cfg, runId, keys, data.rows));
      const alive = await timed('queue', () => exec(conn, q.heartbeat.sql, [cand.QUEUE_ID, cfg.workerId]));
      if (alive.updated !== 1) {
        // The fit outlived the lease: the chunk may belong to another worker now. Write nothing:
        // neither its artifacts nor its metrics.
        log(`lost the lease on ${String(cand.QUEUE_ID)} during the fit; leaving the chunk to its next holder`);
        continue;
      }
      // Metrics rows of an earlier attempt go before any artifact is rewritten, so no OK row ever
      // names a file this attempt might leave half-written; this attempt's rows follow its files.
      // A first attempt has none to clear.
      await timed('write', async () => {
        if (!firstAttempt) await exec(conn, w.clearMetrics.sql, [runId, cfg.pass, JSON.stringify(keys)]);
        writeArtifacts(cfg.modelDir, artifacts);
        if (metricRows.length > 0) await exec(conn, w.insertMetrics.sql, metricRows);
      });
      const done = await timed('queue', () => exec(conn, q.complete.sql, [`${passDirectory(runId, cfg.pass)}/`, null, cand.QUEUE_ID, cfg.workerId]));
      if (done.updated !== 1) log(`lost the lease on ${String(cand.QUEUE_ID)}; its results will be redone by the next holder`);
      chunks++;
      partitions += keys.length;
      log(`${String(cand.QUEUE_ID)}: ${metricRows.filter((r) => r[3] === 'OK').length}/${keys.length} partitions trained`);
    } catch (e) {
      await exec(conn, q.fail.sql, [String((e as Error).message).slice(0, 4000), cand.QUEUE_ID, cfg.workerId]).catch(() => undefined);
      log(`${String(cand.QUEUE_ID)} failed: ${(e as Error).message}`);
    }
  }
  return { chunks, partitions, timings, cpu };
}

/**
 * The worker's last log line: what it did and where its time went, as one JSON object after
 * `WORKER_STATS_PREFIX`, for whoever reads the service's logs (the bench sums it over workers).
 * `startMs` is process start to connected (container start and login), `runMs` the loop, `timings`
 * and `cpu` the loop's parts, `startCpuMs` the CPU time to connected, `peakRssMiB` the process's
 * peak resident set.
 */
export const WORKER_STATS_PREFIX = 'worker stats ';

export interface WorkerStats extends WorkerResult {
  readonly workerId: string;
  readonly pass: string;
  readonly startMs: number;
  readonly startCpuMs: number;
  readonly runMs: number;
  readonly peakRssMiB: number;
}

async function main(): Promise<void> {
  snowflake.configure({ logLevel: 'OFF' } as snowflake.ConfigureOptions);
  const cfg = configFromEnv(process.env);
  const tokenFile = process.env.SNOWFLAKE_TOKEN_FILE ?? '/snowflake/session/token';
  const token = fs.readFileSync(tokenFile, 'utf8').trim();
  const host = need(process.env, 'SNOWFLAKE_HOST');
  const protocol = process.env.SNOWFLAKE_PROTOCOL ?? 'https';
  const port = process.env.SNOWFLAKE_PORT ? Number(process.env.SNOWFLAKE_PORT) : undefined;
  const conn = snowflake.createConnection({
    account: need(process.env, 'SNOWFLAKE_ACCOUNT'),
    authenticator: 'OAUTH',
    token,
    host,
    ...(port ? { port } : {}),
    protocol,
    accessUrl: `${protocol}://${host}${port ? `:${port}` : ''}`,
    warehouse: process.env.MM_WAREHOUSE,
  } as unknown as snowflake.ConnectionOptions);
  await new Promise<void>((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve())));
  const startMs = performance.now();
  const started = process.cpuUsage();
  const r = await runWorker(cfg, conn);
  const stats: WorkerStats = {
    workerId: cfg.workerId,
    pass: cfg.pass,
    ...r,
    startMs,
    startCpuMs: (started.user + started.system) / 1000,
    runMs: performance.now() - startMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`worker ${cfg.workerId} finished: ${r.chunks} chunks\n`);
  process.stdout.write(`${WORKER_STATS_PREFIX}${JSON.stringify(stats)}\n`);
  await new Promise<void>((resolve) => conn.destroy(() => resolve()));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`worker failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
