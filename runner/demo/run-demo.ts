/**
 * The offline end-to-end demo: synthesize the example app, start the embedded local
 * Snowflake-protocol server, create the example's objects in it (a local-only apply), load a
 * generated data set, run the post-deploy hooks (screen, refine, index, register, promote,
 * score) through snowflake-sdk, and summarize. Everything Snowflake-side is the local test double.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from '../../lib/engine';
import { LocalServerOptions, LocalSnowflakeServer, startLocalServer } from '../../local-server';
import type { ImageCommand } from '../../local-server/objects';
import { pipelineServerOptions } from '../../local-server/forecast-standins';
import { readSynthOutput } from '../cli/synth-app';
import { RunLog, RunOptions, RunResult, runHooks } from '../hooks/runner';
import { HookManifest } from '../../lib/hooks/manifest';
import { SnowflakeSession } from '../snowflake/session';
import { resolveConnection } from '../snowflake/connection';
import { ManyModelPipeline } from '../../constructs/many-model-pipeline';
import { prng } from '../../lib/prng';
import { provisionLocally } from './provision';
import type { TerraformJson } from '../bootstrap/bootstrap';
import { ObjectName } from '../../lib/identifiers';
import { renderCreateDatabase, renderCreateSchema, renderCreateWarehouse } from '../../lib/sql/account';
import {
  DEMO_LOAD_WAREHOUSE,
  renderCompletedRuns,
  renderConsumerPredict,
  renderCompletedRunsInOrder,
  renderDemoReport,
  renderDemoSource,
  renderLoopReport,
  renderRetrainRunQuery,
  renderScheduledRowCount,
} from '../../lib/sql/demo';
import { renderExecuteTask } from '../../lib/sql/task-graph';
import type { MonitoringOptions } from '../../constructs/pipeline-monitor';
import { renderUseSystemRole, renderUseWarehouse } from '../../lib/sql/session';
import { BoundStatement, bindValues } from '../../lib/sql/statement';

export interface DemoOptions {
  readonly outdir: string;
  readonly buildApp: (outdir: string) => App;
  /** The source table the example reads, `DB.SCHEMA.TABLE`. */
  readonly sourceTable: string;
  /** The trainer image the example uses (mapped to the reference worker). */
  readonly image: string;
  readonly series?: number;
  readonly days?: number;
  readonly log: RunLog;
  /** Called with the server once the hooks are about to run (tests inject faults here). */
  readonly beforeHooks?: (server: LocalSnowflakeServer) => Promise<void> | void;
  /** Called with the server and the hooks' result once they have run, before the report (benchmarks read the server's counters here). */
  readonly afterHooks?: (server: LocalSnowflakeServer, result: RunResult) => Promise<void> | void;
  /** Passed to the hooks runner (benchmarks time each step). @default none */
  readonly onStep?: RunOptions['onStep'];
  /** Local commands for images (the bench runs the reference worker compiled). @default the reference worker through its default command */
  readonly imageCommands?: Readonly<Record<string, ImageCommand>>;
  /**
   * After the hooks: run the scheduled scoring task once and PREDICT as the consumer role. The
   * benchmark leaves them out: a second scoring of every partition is not part of the hooks.
   * @default true
   */
  readonly checks?: boolean;
  /**
   * After the checks, the closed loop (issue #17): future actuals appended, in which the series of
   * regimeChangedSeries change regime (none with `regimeChange: false`), the monitoring task run as
   * the runner would (EXECUTE TASK), and its retraining graph followed to the end.
   * @default the value of `checks`
   */
  readonly closedLoop?: boolean;
  /** Whether the future actuals change the regime of regimeChangedSeries. @default true */
  readonly regimeChange?: boolean;
  /** The monitoring the closed loop adds to the example's pipeline. @default DEMO_MONITORING */
  readonly monitoring?: MonitoringOptions;
  /** Called with the server, the runner's session and the manifest before the closed loop's monitoring task runs (tests inject faults here). */
  readonly beforeClosedLoop?: (server: LocalSnowflakeServer, runner: SnowflakeSession, manifest: HookManifest) => Promise<void> | void;
  /** Called after the closed loop with the server and the runner's session (tests run the graph again here). */
  readonly afterClosedLoop?: (server: LocalSnowflakeServer, runner: SnowflakeSession, loop: LoopOutcome, pipeline: ManyModelPipeline) => Promise<void> | void;
}

/** What the closed loop did. */
export interface LoopOutcome {
  /** The retraining run (`M` + the evaluation date). */
  readonly runId: string;
  /** The series whose regime the future actuals changed. */
  readonly changed: string[];
  /** The partitions the retraining run trained (its refine pass's OK rows). */
  readonly retrained: string[];
  /** Metrics rows of the run by pass (refine: trained; carried: reused from the version it replaces). */
  readonly rowsByPass: Record<string, number>;
  /** Partitions in the run's model_index.json, and how many of them point at another run's artifact. */
  readonly indexedPartitions: number;
  readonly reusedArtifacts: number;
  /** Model versions added by the loop, and the version the alias points to afterwards. */
  readonly versionsAdded: string[];
  readonly aliasVersion: string | null;
  /** The graph run's state (SUCCEEDED) and the finish task's message. */
  readonly state: string;
  readonly seconds: number;
}

export interface DemoResult {
  readonly failed: boolean;
  readonly runId: string;
  /** Rows of the generated source. */
  readonly sourceRows: number;
  readonly partitions: number;
  readonly trained: number;
  readonly failedPartitions: number;
  readonly families: Record<string, number>;
  readonly medianMape: number | null;
  readonly registrationStatements: number;
  readonly versions: string[];
  readonly rowsScored: number;
  readonly wallSeconds: number;
  readonly refined: number;
  readonly refinedImproved: number;
  readonly indexedPartitions: number;
  /** The most claims any chunk needed (1 when no worker died). */
  readonly maxChunkAttempts: number;
  /** (pass, partition) pairs with more than one metrics row: must be 0. */
  readonly duplicateMetricRows: number;
  /** Rows of a PREDICT the consumer role ran through the promoted alias (one partition, a week ahead). */
  readonly consumerPredictRows: number;
  /** Rows the scheduled scoring task wrote when run once now: it runs as its owner, the deploy role, which inherits the runner's model. */
  readonly scheduledScoringRows: number;
  /** Who owns what the run made (the role that created it, on the local server). */
  readonly owners: { readonly model: string; readonly screenJobs: string[]; readonly queueJobs: string[] };
  /** The closed loop's outcome, when it ran. */
  readonly loop?: LoopOutcome;
}

/** Connection settings of the local server's default user (ACCOUNTADMIN), with a role and warehouse when given. */
export function localConnection(server: LocalSnowflakeServer, role?: string, warehouse?: string) {
  return resolveConnection({
    env: server.connectionEnv({ role, warehouse }),
  });
}

/** The roles owning the model and the example's job services: the screen pass's (task-started) and the refine pass's (queue workers). */
function ownersOf(server: LocalSnowflakeServer, model: string): DemoResult['owners'] {
  const services = [...server.objects.services.keys()];
  const owners = (pattern: RegExp) => [...new Set(services.filter((n) => pattern.test(n)).map((n) => server.engine.access.ownerOf('SERVICE', n)))];
  return { model: server.engine.access.ownerOf('MODEL', model), screenJobs: owners(/_SCREEN_W\d+$/), queueJobs: owners(/_REFINE_W\d+$/) };
}

/**
 * Runs the scheduled scoring task once now (as an administrator may; it runs with its owner's
 * privileges: the deploy role's, which reach the runner's model through the role hierarchy) and
 * returns the rows it wrote, or 0 when it failed or the pipeline has no scheduled scoring.
 */
async function runScheduledScoring(admin: SnowflakeSession, pipeline: ManyModelPipeline): Promise<number> {
  const job = pipeline.scoring;
  if (!job?.taskName) return 0;
  await admin.query(renderUseSystemRole('ACCOUNTADMIN'));
  await admin.query(renderExecuteTask(job.taskName));
  const runs = renderCompletedRuns(job.taskName);
  for (let i = 0; i < 300; i++) {
    const done = (await admin.query<{ STATE: string; FIRST_ERROR_MESSAGE: string | null }>(runs)).rows[0];
    if (done) {
      if (done.STATE !== 'SUCCEEDED') throw new Error(`the scheduled scoring task ${job.taskName} failed: ${done.FIRST_ERROR_MESSAGE}`);
      return Number((await admin.query<{ N: number }>(renderScheduledRowCount(job.qualifiedName))).rows[0].N);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the scheduled scoring task ${job.taskName} did not finish within 30 s`);
}

/** What an analyst does: PREDICT with the promoted alias, as the consumer role (USAGE on the model, nothing else). */
async function predictAsConsumer(
  consumer: SnowflakeSession,
  pipeline: ManyModelPipeline,
  partition: string | undefined,
  sessions: SnowflakeSession[],
): Promise<number> {
  sessions.push(consumer);
  if (!partition) return 0;
  const agg = pipeline.aggregator;
  const rows = await consumer.query(renderConsumerPredict(agg.modelName, agg.alias, partition));
  return rows.rows.length;
}

/** `series` daily series of `days` days: level, trend, weekly season and noise; a few gaps and NULLs. */
export function generateSeries(series: number, days: number, seed = 42): [string, string, number | null][] {
  return [...seriesBatches(series, days, Infinity, seed)].flat();
}

/**
 * generateSeries's rows in batches of whole series, at most `maxRows` rows each (at least one
 * series), so a large data set is never held at once: the rows are the same, in the same order.
 */
export function* seriesBatches(series: number, days: number, maxRows: number, seed = 42): Generator<[string, string, number | null][]> {
  let rows: [string, string, number | null][] = [];
  for (const one of generatedSeries(series, days, seed)) {
    if (rows.length > 0 && rows.length + one.rows.length > maxRows) {
      yield rows;
      rows = [];
    }
    rows.push(...one.rows);
  }
  if (rows.length > 0) yield rows;
}

/** What makes one generated series: its level, trend, weekly amplitude and noise. */
interface SeriesShape {
  readonly id: string;
  readonly index: number;
  readonly level: number;
  readonly trend: number;
  readonly amp: number;
  readonly noise: number;
}

const DEMO_START = Date.UTC(2023, 0, 1);
const dayOf = (d: number) => new Date(DEMO_START + d * 86400000).toISOString().slice(0, 10);

/** The generated series one by one, each with its shape (one random stream, in the order of seriesBatches). */
function* generatedSeries(series: number, days: number, seed: number): Generator<{ shape: SeriesShape; rows: [string, string, number | null][] }> {
  const rand = prng(seed);
  const dates = Array.from({ length: days }, (_, d) => dayOf(d));
  for (let s = 0; s < series; s++) {
    const shape: SeriesShape = {
      id: `U${String(s).padStart(4, '0')}`,
      index: s,
      level: 50 + rand() * 150,
      trend: (rand() - 0.3) * 0.05,
      amp: 5 + rand() * 25,
      noise: 1 + rand() * (s % 10 === 0 ? 20 : 6),
    };
    const rows: [string, string, number | null][] = [];
    for (let d = 0; d < days; d++) {
      if (s % 17 === 3 && d % 97 === 5) continue; // a missing day
      const y = shapeValue(shape, d) + shape.noise * (rand() - 0.5) * 2;
      rows.push([shape.id, dates[d], s % 23 === 7 && d % 131 === 9 ? null : Math.round(y * 100) / 100]);
    }
    yield { shape, rows };
  }
}

function shapeValue(shape: SeriesShape, d: number): number {
  return shape.level + shape.trend * d + shape.amp * Math.sin((2 * Math.PI * d) / 7 + shape.index);
}

/**
 * The demo's "future": `horizon` more days of every series after the generated history, from the
 * same shapes (and a noise stream of their own), except the series in `changed`, whose regime
 * changes on the first future day: level doubled and 50 added. Every row has a value.
 */
export function futureActuals(series: number, days: number, horizon: number, changed: ReadonlySet<string>, seed = 42): [string, string, number][] {
  const rand = prng(seed + 1);
  const out: [string, string, number][] = [];
  for (const { shape } of generatedSeries(series, days, seed)) {
    for (let d = days; d < days + horizon; d++) {
      const base = shapeValue(shape, d) + shape.noise * (rand() - 0.5) * 2;
      const y = changed.has(shape.id) ? 2 * base + 50 : base;
      out.push([shape.id, dayOf(d), Math.round(y * 100) / 100]);
    }
  }
  return out;
}

/** The series whose regime the demo changes: every twentieth (U0005, U0025, ...), 5 % of them. */
export function regimeChangedSeries(series: number): Set<string> {
  return new Set(
    Array.from({ length: series }, (_, s) => s)
      .filter((s) => s % 20 === 5)
      .map((s) => `U${String(s).padStart(4, '0')}`),
  );
}

/**
 * The demo's monitoring: accuracy over the 28 forecast days, degraded above 40 % sMAPE (the
 * changed series' forecasts are off by more than half; the generated noise stays far below), the
 * coverage rule off (the reference worker's intervals are not what the demo shows), and the
 * closed loop with two workers.
 */
export const DEMO_MONITORING: MonitoringOptions = { windowDays: 28, degradedWhen: { smapeAbove: 40, coverageBelow: 0 }, retrain: { workers: 2 } };

interface LoopInputs {
  readonly admin: SnowflakeSession;
  readonly runner: SnowflakeSession;
  readonly server: LocalSnowflakeServer;
  readonly pipeline: ManyModelPipeline;
  readonly sourceTable: string;
  readonly series: number;
  readonly days: number;
  readonly regimeChange: boolean;
  readonly before?: DemoOptions['beforeClosedLoop'];
  readonly manifest: HookManifest;
}

/** Waits for the `n`th completed run of the graph rooted at `task`, as `session` sees it. */
export async function waitForGraphRun(
  session: SnowflakeSession,
  task: ObjectName,
  n: number,
  timeoutSeconds = 300,
): Promise<{ STATE: string; FIRST_ERROR_MESSAGE: string | null }> {
  const runs = renderCompletedRunsInOrder(task);
  for (let i = 0; i < timeoutSeconds * 5; i++) {
    const done = (await session.query<{ STATE: string; FIRST_ERROR_MESSAGE: string | null }>(runs)).rows;
    if (done.length >= n) return done[done.length - 1];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the task graph of ${task} did not complete within ${timeoutSeconds} s`);
}

/**
 * The closed loop as it runs on an account: the data team appends the actuals of the forecast
 * days (a known subset of series changed regime), the monitoring task runs (EXECUTE TASK as the
 * runner, which holds OPERATE on it; on an account its schedule starts it), and its graph
 * retrains, registers and promotes inside the account. Then the outcome is read back.
 */
async function runClosedLoop(x: LoopInputs): Promise<LoopOutcome> {
  // The post-deploy pass's queue workers may still be polling: each works for its own run only
  // (MM_RUN_ID, docs/worker-contract.md) and stops once that run is finished, so the loop starts at once.
  const t0 = Date.now();
  const monitor = x.pipeline.monitor!;
  const horizon = x.pipeline.scoring!.horizon;
  const changed = x.regimeChange ? regimeChangedSeries(x.series) : new Set<string>();
  const source = renderDemoSource(ObjectName.parse(x.sourceTable, 3));
  await x.admin.query(renderUseSystemRole('SYSADMIN'));
  await x.admin.query(renderUseWarehouse(DEMO_LOAD_WAREHOUSE));
  await x.admin.query(source.insert.sql, futureActuals(x.series, x.days, horizon, changed));
  await x.admin.query(renderUseSystemRole('ACCOUNTADMIN'));
  const model = x.pipeline.aggregator.modelName.toString();
  const before = new Set(x.server.objects.models.models.get(model)?.versions.map((v) => v.name) ?? []);
  await x.before?.(x.server, x.runner, x.manifest);
  await x.runner.query(renderExecuteTask(monitor.taskName));
  const done = await waitForGraphRun(x.runner, monitor.taskName, 1);
  // A failed graph run is reported, not thrown: the next scheduled run resumes it (the tests run it again).
  const state = done.STATE === 'SUCCEEDED' ? done.STATE : `${done.STATE}: ${done.FIRST_ERROR_MESSAGE}`;
  return readLoopOutcome(x.admin, x.server, x.pipeline, [...changed].sort(), before, state, (Date.now() - t0) / 1000);
}

/** The closed loop's outcome as the tables, the stage and the model catalog show it. */
export async function readLoopOutcome(
  admin: SnowflakeSession,
  server: LocalSnowflakeServer,
  pipeline: ManyModelPipeline,
  changed: string[],
  before: ReadonlySet<string>,
  state: string,
  seconds: number,
): Promise<LoopOutcome> {
  const monitor = pipeline.monitor!;
  const runId = String((await admin.query<{ RUN_ID: string | null }>(renderRetrainRunQuery(monitor.sqlModel))).rows[0]?.RUN_ID ?? '');
  const report = renderLoopReport(pipeline.aggregator.metricsTable);
  const ask = <T>(st: BoundStatement) => admin.query<T>(st.sql, bindValues(st, { RUN_ID: runId }));
  const rowsByPass = Object.fromEntries((await ask<{ PASS: string; N: number }>(report.passes)).rows.map((r) => [r.PASS, Number(r.N)]));
  const retrained = (await ask<{ PARTITION_KEY: string }>(report.retrained)).rows.map((r) => r.PARTITION_KEY);
  const stageDir = server.engine.stages.get(pipeline.aggregator.stageName.toString());
  const indexFile = stageDir ? path.join(stageDir, 'models', runId, 'model_index.json') : '';
  const index = indexFile && fs.existsSync(indexFile) ? (JSON.parse(fs.readFileSync(indexFile, 'utf8')).partitions as Record<string, string>) : {};
  const versions = server.objects.models.models.get(pipeline.aggregator.modelName.toString())?.versions ?? [];
  return {
    runId,
    changed,
    retrained,
    rowsByPass,
    indexedPartitions: Object.keys(index).length,
    reusedArtifacts: Object.values(index).filter((p) => !p.startsWith(`models/${runId}/`)).length,
    versionsAdded: versions.filter((v) => !before.has(v.name)).map((v) => v.name),
    aliasVersion: versions.find((v) => v.alias === pipeline.aggregator.alias)?.name ?? null,
    state,
    seconds,
  };
}

export function findPipeline(app: App): ManyModelPipeline {
  const p = app.node.findAll().find((c): c is ManyModelPipeline => c instanceof ManyModelPipeline);
  if (!p) throw new Error('the example app has no ManyModelPipeline');
  return p;
}

/**
 * The local server as the demo runs it: the example's image runs the reference worker, the
 * registration procedure and PREDICT are the TypeScript stand-ins (docs/local-server.md), as
 * `many-model local-server` and `deploy --local` run them.
 */
export function demoServerOptions(dataDir: string, imageCommands?: Readonly<Record<string, ImageCommand>>): LocalServerOptions {
  return { dataDir, ...pipelineServerOptions(imageCommands) };
}

/** Rows per insert of the generated source (about 35 bytes each in the request). */
const LOAD_BATCH_ROWS = 250_000;

/** Creates the source table (it exists before the pipeline: referenced, not created) and loads generated series. */
export async function loadSource(
  session: SnowflakeSession,
  sourceTable: string,
  series: number,
  days: number,
): Promise<{ rows: number; series: number; days: number }> {
  const table = ObjectName.parse(sourceTable, 3);
  const source = renderDemoSource(table);
  // The data team loads on a warehouse of its own (a query needs one, docs/local-server.md).
  await session.query(renderCreateWarehouse(DEMO_LOAD_WAREHOUSE));
  await session.query(renderUseWarehouse(DEMO_LOAD_WAREHOUSE));
  await session.query(renderCreateDatabase(table.parts[0]));
  await session.query(renderCreateSchema(`${table.parts[0]}.${table.parts[1]}`));
  await session.query(source.create);
  // Array binds of at most LOAD_BATCH_ROWS rows: a request stays well under the server's body
  // limit (local-server/server.ts, MAX_REQUEST_BYTES) at any number of series.
  let rows = 0;
  for (const batch of seriesBatches(series, days, LOAD_BATCH_ROWS)) {
    await session.query(source.insert.sql, batch);
    rows += batch.length;
  }
  return { rows, series, days };
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const t0 = Date.now();
  const { pipeline, manifest, terraform, closedLoop } = synthesize(opts);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'many-model-demo-'));
  const server = await startLocalServer(demoServerOptions(dataDir, opts.imageCommands));
  // The demo's user plays every person: the administrator (its default role is ACCOUNTADMIN), the
  // deployer, the hooks runner and the analyst, each as the role docs/roles.md gives them.
  const openAs = (role?: string, warehouse?: string) => SnowflakeSession.open(localConnection(server, role, warehouse));
  const session = await openAs();
  const sessions: SnowflakeSession[] = [];
  try {
    const loaded = await loadAsDataTeam(session, opts);
    await provision(session, terraform, openAs, opts.log);
    await opts.beforeHooks?.(server);
    const runner = await openAs(pipeline.runnerRole.roleName, pipeline.warehouse.warehouseName);
    sessions.push(runner);
    opts.log.info(`hooks run as ${pipeline.runnerRole.roleName}`);
    const result = await runHooks(manifest, runner, { log: opts.log, pollMs: 500, onStep: opts.onStep });
    await opts.afterHooks?.(server, result);
    const { firstPartition, ...outcome } = await readOutcome(session, server, pipeline, manifest, result);
    const checks = !result.failed && opts.checks !== false;
    let loop: LoopOutcome | undefined;
    if (checks && closedLoop) {
      loop = await runClosedLoop({
        admin: session,
        runner,
        server,
        pipeline,
        sourceTable: opts.sourceTable,
        series: loaded.series,
        days: loaded.days,
        regimeChange: opts.regimeChange !== false,
        before: opts.beforeClosedLoop,
        manifest,
      });
      opts.log.info(
        `closed loop: run ${loop.runId} retrained ${loop.retrained.length} partitions (${loop.retrained.join(', ') || 'none'}), carried ${loop.rowsByPass.carried ?? 0}; versions added: ${loop.versionsAdded.join(', ') || 'none'}; alias on ${loop.aliasVersion}`,
      );
      await opts.afterClosedLoop?.(server, runner, loop, pipeline);
    }
    return {
      ...outcome,
      sourceRows: loaded.rows,
      wallSeconds: (Date.now() - t0) / 1000,
      scheduledScoringRows: checks ? await runScheduledScoring(session, pipeline) : 0,
      consumerPredictRows: checks
        ? await predictAsConsumer(await openAs(pipeline.consumerRole.roleName, pipeline.warehouse.warehouseName), pipeline, firstPartition, sessions)
        : 0,
      loop,
    };
  } finally {
    for (const x of sessions) await x.close().catch(() => undefined);
    await session.close();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The example app synthesized: its pipeline, hook manifest and Terraform. */
function synthesize(opts: DemoOptions): { pipeline: ManyModelPipeline; manifest: HookManifest; terraform: TerraformJson; closedLoop: boolean } {
  const app = opts.buildApp(opts.outdir);
  const pipeline = findPipeline(app);
  // The demo's stack gains monitoring with the closed loop, which retrains on the compute pool; the
  // example app itself has none, and a pipeline that trains in the warehouse has no pool to retrain on.
  const closedLoop = opts.closedLoop ?? (opts.checks !== false && pipeline.computePool !== undefined);
  if (closedLoop) pipeline.addMonitoring(opts.monitoring ?? DEMO_MONITORING);
  app.synth();
  const [stack] = readSynthOutput(opts.outdir);
  return { pipeline, manifest: stack.manifest as HookManifest, terraform: JSON.parse(fs.readFileSync(stack.terraformFile, 'utf8')), closedLoop };
}

/** The source exists before the pipeline and belongs to the data team, not to the pipeline: it is loaded as SYSADMIN. */
async function loadAsDataTeam(session: SnowflakeSession, opts: DemoOptions): Promise<{ rows: number; series: number; days: number }> {
  await session.query(renderUseSystemRole('SYSADMIN'));
  const loaded = await loadSource(session, opts.sourceTable, opts.series ?? 200, opts.days ?? 1095);
  opts.log.info(`loaded ${loaded.rows} rows: ${loaded.series} series of ~${loaded.days} days into ${opts.sourceTable} (as SYSADMIN)`);
  await session.query(renderUseSystemRole('ACCOUNTADMIN'));
  return loaded;
}

/** The stack set up as on an account: the bootstrap as ACCOUNTADMIN, then the apply as the deploy role. */
async function provision(
  session: SnowflakeSession,
  terraform: TerraformJson,
  openAs: (role?: string) => Promise<SnowflakeSession>,
  log: RunLog,
): Promise<void> {
  const provisioned = await provisionLocally(session, terraform, { user: 'test', openAs: (role) => openAs(role) });
  const plan = provisioned.plan;
  const skipped = Object.entries(plan.skipped);
  log.info(
    `bootstrap: ${provisioned.bootstrapStatements} statements as ACCOUNTADMIN; local apply: ${plan.statements.length} statements as ${provisioned.deployRole}${skipped.length ? `; not emulated: ${skipped.map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}`,
  );
}

/** What the hooks left behind, read back: the winners per partition, the index, the versions, the scoring, the owners. */
async function readOutcome(
  session: SnowflakeSession,
  server: LocalSnowflakeServer,
  pipeline: ManyModelPipeline,
  manifest: HookManifest,
  result: RunResult,
): Promise<Omit<DemoResult, 'sourceRows' | 'wallSeconds' | 'scheduledScoringRows' | 'consumerPredictRows'> & { firstPartition: string | undefined }> {
  const agg = pipeline.aggregator;
  const runId = result.outcomes.find((o) => o.runId)?.runId ?? '';
  const report = renderDemoReport({ metrics: agg.metricsTable, queue: pipeline.queue?.qualifiedName, results: pipeline.scoring?.qualifiedName });
  const ask = <T>(st: BoundStatement) => session.query<T>(st.sql, bindValues(st, { RUN_ID: runId }));
  const winners = (await ask<{ PARTITION_KEY: string; MODEL_FAMILY: string | null; STATUS: string; MAPE: number | null; PASS: string }>(report.winners)).rows;
  const refinedRows = (await ask<{ N: number; IMPROVED: number }>(report.refined)).rows[0];
  const families: Record<string, number> = {};
  for (const w of winners) if (w.STATUS === 'OK') families[w.MODEL_FAMILY!] = (families[w.MODEL_FAMILY!] ?? 0) + 1;
  const mapes = winners
    .filter((w) => w.STATUS === 'OK' && w.MAPE !== null)
    .map((w) => Number(w.MAPE))
    .sort((a, b) => a - b);
  const attempts = report.attempts ? (await ask<{ A: number }>(report.attempts)).rows[0] : undefined;
  const dup = (await ask<{ N: number }>(report.duplicates)).rows[0];
  return {
    failed: result.failed,
    runId,
    partitions: winners.length,
    firstPartition: winners[0]?.PARTITION_KEY,
    trained: winners.filter((w) => w.STATUS === 'OK').length,
    failedPartitions: winners.filter((w) => w.STATUS !== 'OK').length,
    families,
    medianMape: mapes.length ? mapes[Math.floor(mapes.length / 2)] : null,
    registrationStatements: manifest.steps.find((s) => s.kind === 'registerAggregator')?.statements.length ?? 0,
    versions: server.objects.models.models.get(agg.modelName.toString())?.versions.map((v) => `${v.name}${v.alias ? ` (@${v.alias})` : ''}`) ?? [],
    rowsScored: report.scored ? Number((await ask<{ N: number }>(report.scored)).rows[0].N) : 0,
    refined: Number(refinedRows?.N ?? 0),
    refinedImproved: Number(refinedRows?.IMPROVED ?? 0),
    indexedPartitions: indexedPartitions(server, agg.stageName.toString(), runId),
    maxChunkAttempts: Number(attempts?.A ?? 0),
    duplicateMetricRows: Number(dup?.N ?? 0),
    owners: ownersOf(server, agg.modelName.toString()),
  };
}

/** Partitions in the run's model_index.json on the stage (0 when the run wrote none). */
function indexedPartitions(server: LocalSnowflakeServer, stage: string, runId: string): number {
  const stageDir = server.engine.stages.get(stage);
  const indexFile = stageDir ? path.join(stageDir, 'models', runId, 'model_index.json') : '';
  return indexFile && fs.existsSync(indexFile) ? Object.keys(JSON.parse(fs.readFileSync(indexFile, 'utf8')).partitions ?? {}).length : 0;
}
