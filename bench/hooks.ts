/**
 * Hook-run cost against the local server: Snowflake statements and wall time for enqueue, model
 * index and registration as the runner does them (one statement each, whatever the partition
 * count), side by side with the per-partition approach (one statement per partition and one
 * model version per partition).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { ComputePool, Database, ManyModelPipeline, SourceTable, Trainer, TrainingStrategy, enablePreviewFeatures, Hooks } from '../index';
import { startLocalServer } from '../local-server';
import { Spread, spread } from '../local-server/bench';
import { registrationStandIn } from '../local-server/forecast-standins';
import { planLocalApply } from '../local-server/local-apply';
import { HookManifest } from '../lib/hooks/manifest';
import { Ledger } from '../runner/hooks/ledger';
import { runHooks } from '../runner/hooks/runner';
import { ObjectName } from '../lib/identifiers';
import { resolveConnection } from '../runner/snowflake/connection';
import { SnowflakeSession } from '../runner/snowflake/session';

export interface HookBenchRow {
  partitions: number;
  /** Statements are the same in every repetition (the most seen is reported). */
  ours: { statements: number; ms: Spread };
  /** measured: false above the limit, where only the statement count (3 per partition) is stated. */
  perPartition: { statements: number; ms?: Spread; measured: boolean; repetitions: number };
}

function app(): { stack: TerraformStack; pipeline: ManyModelPipeline } {
  const stack = new TerraformStack(Testing.app(), 'bench');
  new SnowflakeProvider(stack, 'snowflake', {});
  enablePreviewFeatures(stack);
  const pipeline = new ManyModelPipeline(stack, 'Forecast', {
    database: Database.fromName(stack, 'Db', 'ANALYTICS'),
    source: SourceTable.fromName(stack, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    computePool: new ComputePool(stack, 'Pool'),
    trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
    training: TrainingStrategy.queue({ workers: 4, chunkSize: 500 }),
  });
  return { stack, pipeline };
}

/** One measurement: a fresh server, the data set, our way, then (when asked) the per-partition way. */
async function measureOnce(
  n: number,
  tf: Parameters<typeof planLocalApply>[0],
  manifest: HookManifest,
  pipeline: ManyModelPipeline,
  perPartition: boolean,
): Promise<{ ours: { statements: number; ms: number }; perPartition?: { statements: number; ms: number } }> {
  const agg = pipeline.aggregator;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-hooks-'));
  const server = await startLocalServer({
    dataDir,
    procedures: { [agg.procedureName.toString()]: registrationStandIn(agg.modelName.toString(), agg.stageName.toString(), agg.metricsTable.toString()) },
  });
  const session = await SnowflakeSession.open(
    resolveConnection({
      env: server.connectionEnv(),
    }),
  );
  try {
    await session.query('CREATE DATABASE ANALYTICS');
    await session.query('CREATE SCHEMA ANALYTICS.RAW');
    // The trainer's image repository exists before the apply grants READ on it, as on an account.
    await session.query('CREATE SCHEMA ANALYTICS.ML');
    await session.query('CREATE IMAGE REPOSITORY ANALYTICS.ML.IMAGES');
    await session.query('CREATE TABLE ANALYTICS.RAW.SERIES_EVENTS (UNIT_ID VARCHAR, DATE DATE, Y FLOAT)');
    const keys = Array.from({ length: n }, (_, i) => `U${String(i).padStart(6, '0')}`);
    await session.query(
      'INSERT INTO ANALYTICS.RAW.SERIES_EVENTS VALUES (?, ?, ?)',
      keys.map((k) => [k, '2026-01-01', 1]),
    );
    for (const sql of planLocalApply(tf).statements) await session.query(sql);

    // Our way: the runner's startPass (one enqueue), then index and registration, with training
    // results put in place as workers would leave them (metrics rows and artifacts on the stage).
    const log = { info: () => undefined, progress: () => undefined };
    let before = server.statementCount;
    let t0 = Date.now();
    const startStep = manifest.steps.find((s) => s.kind === 'startPass')!.id;
    const first = await runHooks(manifest, session, { log, only: [startStep] });
    let ourStatements = server.statementCount - before;
    let ourMs = Date.now() - t0;
    const runId = first.outcomes[0].runId!;
    const stageDir = server.engine.stages.get(agg.stageName.toString())!;
    fs.mkdirSync(path.join(stageDir, 'models', runId, 'screen'), { recursive: true });
    for (const k of keys) fs.writeFileSync(path.join(stageDir, 'models', runId, 'screen', `${k}.json`), '{}');
    await session.query(
      `INSERT INTO ${agg.metricsTable.quoted} (RUN_ID, PASS, PARTITION_KEY, STATUS, MODEL_FAMILY, MAPE, RMSE, SMAPE, N_OBS, STAGE_PATH, ERROR_MSG, TRAINED_AT) VALUES (?, 'screen', ?, 'OK', 'holt_winters', 0.05, 1, 0.05, 100, ?, NULL, CURRENT_TIMESTAMP())`,
      keys.map((k) => [runId, k, `models/${runId}/screen/${k}.json`]),
    );
    // The training steps are recorded as done in the run, as the workers' passes would leave them:
    // the planner runs index and registration only on a run whose producers succeeded.
    const rest = manifest.steps.filter((s) => s.kind === 'buildModelIndex' || s.kind === 'registerAggregator').map((s) => s.id);
    const ledger = new Ledger(session, manifest.ledger!, manifest.stack);
    for (const s of manifest.steps.filter(
      (x) =>
        x.id !== startStep &&
        x.kind !== 'buildModelIndex' &&
        manifest.steps.findIndex((y) => y.id === x.id) < manifest.steps.findIndex((y) => y.kind === 'buildModelIndex'),
    )) {
      const attempt = await ledger.start(s.id, runId, s.fingerprint, 'bench');
      await ledger.finish(s.id, runId, attempt, 'SUCCEEDED', [], undefined, null);
    }
    // Same run id: the planner resumes the unfinished run the startPass step began.
    before = server.statementCount;
    t0 = Date.now();
    const second = await runHooks(manifest, session, { log, only: rest });
    if (second.outcomes.find((o) => o.status !== 'SKIPPED')?.runId !== runId) throw new Error('bench: index and registration did not resume the enqueued run');
    if (second.failed) throw new Error(`bench hooks failed: ${JSON.stringify(second.outcomes)}`);
    ourStatements += server.statementCount - before;
    ourMs += Date.now() - t0;
    if (!perPartition) return { ours: { statements: ourStatements, ms: ourMs } };

    // Per-partition way: one queue row, one index row and one model version per partition.
    await session.query('CREATE TABLE ANALYTICS.FORECAST.PER_PARTITION_INDEX (PARTITION_KEY VARCHAR, PATH VARCHAR)');
    const ppModel = ObjectName.of(...agg.modelName.parts.slice(0, 2), `${agg.modelName.name}_PP`).quoted;
    // Each version from its partition's artifact on the stage (the FROM clause is required:
    // https://docs.snowflake.com/en/sql-reference/sql/alter-model-add-version).
    const artifact = (k: string) => `@${agg.stageName.quoted}/models/${runId}/screen/${k}.json`;
    await session.query(`CREATE MODEL ${ppModel} WITH VERSION V_BASE FROM ${artifact(keys[0])}`);
    before = server.statementCount;
    t0 = Date.now();
    for (const [i, k] of keys.entries()) {
      await session.query(
        `INSERT INTO ${pipeline.queue!.qualifiedName.quoted} (QUEUE_ID, RUN_ID, PASS, CHUNK_ID, PARTITION_KEYS, STATUS, ATTEMPTS, CREATED_AT) SELECT ?, 'RPP', 'screen', ?, PARSE_JSON(?), 'PENDING', 0, CURRENT_TIMESTAMP()`,
        [`RPP/${i}`, i, JSON.stringify([k])],
      );
    }
    for (const k of keys) await session.query('INSERT INTO ANALYTICS.FORECAST.PER_PARTITION_INDEX VALUES (?, ?)', [k, `models/${runId}/screen/${k}.json`]);
    for (const k of keys) await session.query(`ALTER MODEL ${ppModel} ADD VERSION V_${k} FROM ${artifact(k)}`);
    return { ours: { statements: ourStatements, ms: ourMs }, perPartition: { statements: server.statementCount - before, ms: Date.now() - t0 } };
  } finally {
    await session.close();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Our way at every size, `repetitions` times (a fresh server each); the per-partition way up to
 * `perPartitionLimit` partitions (above it only its statement count, 3 per partition by
 * construction, is stated), `perPartitionRepetitions` times.
 */
export async function benchHooks(sizes: number[], perPartitionLimit = 2000, repetitions = 3, perPartitionRepetitions = repetitions): Promise<HookBenchRow[]> {
  const { stack, pipeline } = app();
  const tf = JSON.parse(Testing.synth(stack, true));
  const manifest = Hooks.of(stack).manifest();
  const rows: HookBenchRow[] = [];
  for (const n of sizes) {
    const ours: { statements: number; ms: number }[] = [];
    const pp: { statements: number; ms: number }[] = [];
    for (let r = 0; r < repetitions; r++) {
      const m = await measureOnce(n, tf, manifest, pipeline, n <= perPartitionLimit && r < perPartitionRepetitions);
      ours.push(m.ours);
      if (m.perPartition) pp.push(m.perPartition);
    }
    rows.push({
      partitions: n,
      ours: { statements: Math.max(...ours.map((o) => o.statements)), ms: spread(ours.map((o) => o.ms)) },
      perPartition: pp.length
        ? { statements: Math.max(...pp.map((p) => p.statements)), ms: spread(pp.map((p) => p.ms)), measured: true, repetitions: pp.length }
        : { statements: 3 * n, measured: false, repetitions: 0 },
    });
  }
  return rows;
}
