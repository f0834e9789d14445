import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as snowflake from 'snowflake-sdk';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { ComputePool, Database, Hooks, ManyModelPipeline, SourceTable, Trainer, TrainingStrategy, enablePreviewFeatures } from '../../../index';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { planLocalApply } from '../../../local-server/local-apply';
import { HookManifest } from '../../../lib/hooks/manifest';
import { Ledger } from '../../../runner/hooks/ledger';
import { runHooks } from '../../../runner/hooks/runner';
import { ObjectName } from '../../../lib/identifiers';
import { artifactPath, renderChunkReadStatement } from '../../../lib/sql/training';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { WorkerConfig, configFromEnv, fitChunk, runWorker, writeArtifacts } from '../../../worker/main';
import { memoryLog, openSession } from './fixtures';

// The pipeline's queue pass, watched and verified by the runner: polls read chunk states and
// metrics only; once the pass has ended the stage's directory table is refreshed and the pass
// verified against it (issue #23). In the first group the test plays the workers (metrics rows
// and artifacts as workers leave them, through the stage directory and SQL); in the second the
// reference worker runs, through snowflake-sdk, with the stage directory as its mount.
const KEYS = ['A', 'B', 'C', 'D'];
let server: LocalSnowflakeServer;
let session: SnowflakeSession;
let manifest: HookManifest;
let stageDir: string;
const id = (name: string) => `pv/Forecast/${name}`;

beforeAll(async () => {
  const stack = new TerraformStack(Testing.app(), 'pv');
  new SnowflakeProvider(stack, 'snowflake', {});
  enablePreviewFeatures(stack);
  new ManyModelPipeline(stack, 'Forecast', {
    database: Database.fromName(stack, 'Db', 'ANALYTICS'),
    source: SourceTable.fromName(stack, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    computePool: new ComputePool(stack, 'Pool'),
    trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
    training: TrainingStrategy.queue({ workers: 1, chunkSize: 2 }),
  });
  manifest = Hooks.of(stack).manifest();
  server = await startLocalServer();
  session = await openSession(server);
  // The image repository the trainer names exists (the runner is granted READ on it), as on an account.
  for (const sql of [
    'CREATE DATABASE ANALYTICS',
    'CREATE SCHEMA ANALYTICS.ML',
    'CREATE IMAGE REPOSITORY ANALYTICS.ML.IMAGES',
    'CREATE SCHEMA ANALYTICS.RAW',
    'CREATE TABLE ANALYTICS.RAW.SERIES_EVENTS (UNIT_ID VARCHAR, DATE DATE, Y FLOAT)',
  ])
    await session.query(sql);
  // 60 days per partition, enough for the reference worker's contest.
  const day = (i: number) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
  await session.query(
    'INSERT INTO ANALYTICS.RAW.SERIES_EVENTS VALUES (?, ?, ?)',
    KEYS.flatMap((k, j) => Array.from({ length: 60 }, (_, i) => [k, day(i), 10 + j + (i % 7) + i / 10])),
  );
  for (const sql of planLocalApply(JSON.parse(Testing.synth(stack, true))).statements) await session.query(sql);
  stageDir = server.engine.stages.get('ANALYTICS.FORECAST.FORECAST_MODELS')!;
});
afterAll(async () => {
  await session.close();
  await server.close();
});
beforeEach(async () => {
  server.faults.reset();
  for (const t of ['HOOK_RUNS', 'FORECAST_QUEUE', 'FORECAST_TRAINING_METRICS', 'FORECAST_TRAINING_RUNS'])
    await session.query(`DELETE FROM ANALYTICS.FORECAST.${t}`);
});

/**
 * Enqueues the pass (its startPass step) and returns the run id. The run's workers step is then
 * recorded as succeeded (as if it had started them), so the wait step run alone consumes this
 * run's work: the planner refuses a step whose producer has not succeeded in the run.
 */
async function startPass(): Promise<string> {
  const r = await runHooks(manifest, session, { log: memoryLog(), only: [id('screen-start')] });
  expect(r.failed).toBe(false);
  const runId = r.outcomes.find((o) => o.status === 'SUCCEEDED')!.runId!;
  // The run's workers step succeeded (it started them): the wait step consumes that run's work.
  const workers = manifest.steps.find((s) => s.id === id('screen-workers'))!;
  const ledger = new Ledger(session, manifest.ledger!, manifest.stack);
  const attempt = await ledger.start(workers.id, runId, workers.fingerprint, 'test-runner');
  await ledger.finish(workers.id, runId, attempt, 'SUCCEEDED', [], undefined, null);
  return runId;
}

/** What workers leave: every partition trained (artifact on the stage, then its metrics row), chunks DONE. */
async function train(runId: string): Promise<void> {
  // In the pass's shard directories (worker contract 2), as the reference worker writes them.
  for (const k of KEYS) {
    fs.mkdirSync(path.dirname(path.join(stageDir, artifactPath(runId, 'screen', k, 'json'))), { recursive: true });
    fs.writeFileSync(path.join(stageDir, artifactPath(runId, 'screen', k, 'json')), '{}');
  }
  await session.query(
    `INSERT INTO ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS (RUN_ID, PASS, PARTITION_KEY, STATUS, MODEL_FAMILY, MAPE, RMSE, SMAPE, N_OBS, STAGE_PATH, ERROR_MSG, TRAINED_AT) ` +
      `VALUES (?, 'screen', ?, 'OK', 'drift', 0.1, 1, 0.1, 10, ?, NULL, CURRENT_TIMESTAMP())`,
    KEYS.map((k) => [runId, k, artifactPath(runId, 'screen', k, 'json')]),
  );
  await session.query(`UPDATE ANALYTICS.FORECAST.FORECAST_QUEUE SET STATUS = 'DONE' WHERE RUN_ID = ?`, [runId]);
}

/** Runs the pass's waitQueue step alone; its outcome. */
async function waitStep(log = memoryLog()) {
  const r = await runHooks(manifest, session, { log, only: [id('screen-wait')], pollMs: 50 });
  return r.outcomes.find((o) => o.stepId === id('screen-wait'))!;
}
const stepDetails = async () =>
  JSON.parse(
    String(
      (await server.engineQuery(`SELECT DETAILS FROM ANALYTICS.FORECAST.HOOK_RUNS WHERE STEP_ID = '${id('screen-wait')}' ORDER BY STARTED_AT DESC LIMIT 1`))[0]
        .DETAILS,
    ),
  );

describe('a training pass is polled without the stage and verified after refreshing it', () => {
  test('the manifest polls chunk states and metrics only, and verifies after ALTER STAGE ... REFRESH of the pass', () => {
    const step = manifest.steps.find((s) => s.id === id('screen-wait'))!;
    if (step.kind !== 'waitQueue') throw new Error(`${step.id} is a ${step.kind} step`);
    const { wait } = step;
    expect(wait.progressSql).not.toMatch(/DIRECTORY/i);
    expect(wait.refreshSql).toBe(`ALTER STAGE "ANALYTICS"."FORECAST"."FORECAST_MODELS" REFRESH SUBPATH = 'models/{{RUN_ID}}/screen'`);
    expect(wait.verifySql).toMatch(/LEFT JOIN DIRECTORY\(@"ANALYTICS"\."FORECAST"\."FORECAST_MODELS"\) D ON D\.RELATIVE_PATH = M\.STAGE_PATH/);
  });

  test('artifacts written after the last refresh are found: the runner refreshes the stage before verifying', async () => {
    const runId = await startPass();
    await train(runId);
    // Nobody refreshed the stage since the artifacts were written: its directory table lacks them.
    expect(await server.engineQuery(`SELECT COUNT(*) AS N FROM DIRECTORY(@ANALYTICS.FORECAST.FORECAST_MODELS)`)).toEqual([{ N: '0' }]);
    const log = memoryLog();
    const r = await waitStep(log);
    expect([r.status, r.error]).toEqual(['SUCCEEDED', undefined]);
    expect(await stepDetails()).toMatchObject({ partitions: 4, partitionsOk: 4, artifactsMissing: 0 });
    expect(await server.engineQuery(`SELECT COUNT(*) AS N FROM DIRECTORY(@ANALYTICS.FORECAST.FORECAST_MODELS)`)).toEqual([{ N: '4' }]);
  });

  test('an OK metrics row whose artifact is not on the stage fails the verification', async () => {
    const runId = await startPass();
    await train(runId);
    fs.rmSync(path.join(stageDir, artifactPath(runId, 'screen', 'C', 'json')));
    const r = await waitStep();
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe(`step ${id('screen-wait')}, statement verify: 1 partitions are recorded as trained but their artifacts are not on the stage`);
  });

  test('when no worker of the pass runs and chunks wait, the wait fails after two polls, saying how to resume, rather than waiting out the budget', async () => {
    await startPass();
    const outcome = await waitStep();
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toMatch(/no worker of this pass is running and chunks are waiting to be claimed; run the hooks again/);
  });

  test('a progress poll, the refresh or the verification failing with an internal error (000603) is retried with a log line; the step succeeds', async () => {
    const runId = await startPass();
    await train(runId);
    const internal = { code: '000603', sqlState: 'XX000', message: 'SQL execution internal error: Processing aborted due to error 300010:1; incident 1.' };
    server.faults.failStatement({ match: /AS PARTITIONS_FAILED$/, times: 2, ...internal });
    server.faults.failStatement({ match: /^ALTER STAGE .* REFRESH SUBPATH/, ...internal });
    server.faults.failStatement({ match: /AS ARTIFACTS_MISSING$/, ...internal });
    const log = memoryLog();
    const r = await waitStep(log);
    expect(r.status).toBe('SUCCEEDED');
    const retries = log.lines
      .filter((l) => /transient error 000603/.test(l))
      .map((l) => /\] ([\w-]+): transient error 000603 .*; retry (\d) of 4 in \d+ ms$/.exec(l)?.slice(1));
    expect(retries).toEqual([
      ['progress', '1'],
      ['progress', '2'],
      ['refresh-stage', '1'],
      ['verify', '1'],
    ]);
  });

  test('a poll that keeps failing fails the step after the retry attempts, naming the statement and the code', async () => {
    await startPass();
    server.faults.failStatement({
      match: /AS PARTITIONS_FAILED$/,
      times: 10,
      code: '000603',
      sqlState: 'XX000',
      message: 'SQL execution internal error: injected',
    });
    const log = memoryLog();
    const r = await waitStep(log);
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe(`step ${id('screen-wait')}, statement progress (Snowflake 000603): SQL execution internal error: injected`);
    expect(log.lines.filter((l) => /transient error 000603/.test(l))).toHaveLength(4);
  });
});

describe('the reference worker writes each artifact once, under its final name, between clearing and recording the metrics', () => {
  const files = (dir: string): string[] =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true, encoding: 'utf8' })
          .filter((f) => fs.statSync(path.join(dir, f)).isFile())
          .sort()
      : [];
  const metrics = async (runId: string) =>
    (
      await session.query<{ PARTITION_KEY: string; STATUS: string; MODEL_FAMILY: string }>(
        `SELECT PARTITION_KEY, STATUS, MODEL_FAMILY FROM ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS WHERE RUN_ID = ? ORDER BY PARTITION_KEY`,
        [runId],
      )
    ).rows;
  const queue = async (runId: string) =>
    (
      await session.query<{ CHUNK_ID: number; STATUS: string; ATTEMPTS: number }>(
        `SELECT CHUNK_ID, STATUS, ATTEMPTS FROM ANALYTICS.FORECAST.FORECAST_QUEUE WHERE RUN_ID = ? ORDER BY CHUNK_ID`,
        [runId],
      )
    ).rows.map((r) => `${r.CHUNK_ID}:${r.STATUS}:${r.ATTEMPTS}`);

  /** The trainer identity the pipeline starts its passes for (in the screen-start MERGE). */
  const trainingKey = () =>
    /'RUNNING', CURRENT_TIMESTAMP\(\), '([0-9a-f]{16})'\)/.exec(manifest.steps.find((s) => s.id === id('screen-start'))!.statements[0].sql)![1];

  async function runOneWorker(runId: string, key = trainingKey()): Promise<string[]> {
    const conn = snowflake.createConnection(server.connectionOptions() as unknown as snowflake.ConnectionOptions);
    await new Promise<void>((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve())));
    const lines: string[] = [];
    try {
      await runWorker(
        {
          mode: 'queue',
          pass: 'screen',
          refine: false,
          slot: 0,
          slots: 1,
          queue: ObjectName.of('ANALYTICS', 'FORECAST', 'FORECAST_QUEUE'),
          runs: ObjectName.of('ANALYTICS', 'FORECAST', 'FORECAST_TRAINING_RUNS'),
          metrics: ObjectName.of('ANALYTICS', 'FORECAST', 'FORECAST_TRAINING_METRICS'),
          modelDir: stageDir,
          ext: 'json',
          sourceQuery: renderChunkReadStatement({
            table: ObjectName.of('ANALYTICS', 'RAW', 'SERIES_EVENTS'),
            partitionColumn: 'UNIT_ID',
            orderColumn: 'DATE',
            targetColumn: 'Y',
            covariateColumns: [],
          }).sql,
          leaseSeconds: 60,
          maxAttempts: 3,
          budgetSeconds: 30,
          emptyPolls: 1,
          holdout: 7,
          period: 7,
          workerId: 'test-worker',
          image: '/test/images/worker:1',
          trainingKey: key,
          runId,
        },
        conn,
        (l) => lines.push(l),
      );
    } finally {
      await new Promise<void>((resolve) => conn.destroy(() => resolve()));
    }
    return lines;
  }

  test("a worker failing mid-write leaves no metrics row naming a file of the chunk (an earlier attempt's rows are gone); the next attempt writes it all", async () => {
    const runId = await startPass();
    const dir = path.join(stageDir, 'models', runId, 'screen');
    // An earlier attempt of chunk 0 (A, B) claimed it (ATTEMPTS 1), recorded both partitions, then lost its lease.
    await session.query(
      `INSERT INTO ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS (RUN_ID, PASS, PARTITION_KEY, STATUS, MODEL_FAMILY, MAPE, RMSE, SMAPE, N_OBS, STAGE_PATH, ERROR_MSG, TRAINED_AT) ` +
        `VALUES (?, 'screen', ?, 'OK', 'stale', 0.1, 1, 0.1, 10, ?, NULL, CURRENT_TIMESTAMP())`,
      ['A', 'B'].map((k) => [runId, k, artifactPath(runId, 'screen', k, 'json')]),
    );
    await session.query(`UPDATE ANALYTICS.FORECAST.FORECAST_QUEUE SET ATTEMPTS = 1 WHERE RUN_ID = ? AND CHUNK_ID = 0`, [runId]);
    // This attempt cannot write B's artifact (a directory is in the way): it fails between A and B.
    const bFile = path.join(stageDir, artifactPath(runId, 'screen', 'B', 'json'));
    fs.mkdirSync(bFile, { recursive: true });
    const first = await runOneWorker(runId);
    // The two attempts left (of 3) failed the same way: the chunk is FAILED, and no OK row names
    // A's or B's file, so the model index will not take a file a dying writer may have left half-written.
    expect(first.filter((l) => /failed: EISDIR/.test(l))).toHaveLength(2);
    expect(await queue(runId)).toEqual(['0:FAILED:3', '1:DONE:1']);
    expect(await metrics(runId)).toEqual([
      { PARTITION_KEY: 'C', STATUS: 'OK', MODEL_FAMILY: expect.any(String) },
      { PARTITION_KEY: 'D', STATUS: 'OK', MODEL_FAMILY: expect.any(String) },
    ]);

    // With the obstacle gone and the chunk claimable again, the next attempt writes and records it all.
    fs.rmSync(bFile, { recursive: true });
    await session.query(`UPDATE ANALYTICS.FORECAST.FORECAST_QUEUE SET STATUS = 'PENDING', ATTEMPTS = 2 WHERE RUN_ID = ? AND CHUNK_ID = 0`, [runId]);
    await runOneWorker(runId);
    expect((await metrics(runId)).map((m) => `${m.PARTITION_KEY}:${m.STATUS}`)).toEqual(['A:OK', 'B:OK', 'C:OK', 'D:OK']);
    expect((await metrics(runId)).some((m) => m.MODEL_FAMILY === 'stale')).toBe(false);
    expect(await queue(runId)).toEqual(['0:DONE:3', '1:DONE:1']);
    // Only final names were ever written: no temporary file in the stage, every artifact complete.
    expect(files(dir)).toEqual(['A', 'B', 'C', 'D'].map((k) => path.relative(dir, path.join(stageDir, artifactPath(runId, 'screen', k, 'json')))).sort());
    for (const f of files(dir)) expect(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))).toMatchObject({ format: 'many-model-forecast' });
    expect((await waitStep()).status).toBe('SUCCEEDED');
  });

  test('a chunk on its first attempt is trained without clearing metrics (no earlier holder can have written any); a retried chunk is cleared', async () => {
    const runId = await startPass();
    // Any DELETE of metrics rows fails: the first attempts of both chunks must not send one.
    server.faults.failStatement({ match: /^DELETE FROM .*FORECAST_TRAINING_METRICS/, times: 10, code: '000603', message: 'no clear expected' });
    const lines = await runOneWorker(runId);
    expect(lines.filter((l) => /failed/.test(l))).toEqual([]);
    expect(await queue(runId)).toEqual(['0:DONE:1', '1:DONE:1']);
    // Chunk 0 again, as if its holder had lost the lease after recording: the retry clears first.
    await session.query(`UPDATE ANALYTICS.FORECAST.FORECAST_QUEUE SET STATUS = 'PENDING' WHERE RUN_ID = ? AND CHUNK_ID = 0`, [runId]);
    const retried = await runOneWorker(runId);
    expect(retried.filter((l) => /failed: .*no clear expected/.test(l))).toHaveLength(2);
    expect(await queue(runId)).toEqual(['0:FAILED:3', '1:DONE:1']);
  });

  test("a worker of another trainer (an abandoned run's image still running) joins no run: it claims nothing", async () => {
    const runId = await startPass();
    const lines = await runOneWorker(runId, '0123456789abcdef');
    expect(lines).toEqual([`run ${runId} (screen) is not a run of this pass and trainer: stopping without claiming`]);
    expect(await queue(runId)).toEqual(['0:PENDING:0', '1:PENDING:0']);
    await runOneWorker(runId);
    expect(await queue(runId)).toEqual(['0:DONE:1', '1:DONE:1']);
  });

  test('a worker given its run claims nothing of a later run of its pass that is running too: it trains its own run only', async () => {
    const runId = await startPass();
    // A later run of the same pass and trainer, started after this one, with chunks of its own:
    // the newest RUNNING run, which a worker that looked its run up would have joined.
    const later = 'M20990101';
    await session.query(
      `INSERT INTO ANALYTICS.FORECAST.FORECAST_TRAINING_RUNS (RUN_ID, PASS, STATUS, STARTED_AT, TRAINING_KEY) VALUES (?, 'screen', 'RUNNING', DATEADD(minute, 1, CURRENT_TIMESTAMP()), ?)`,
      [later, trainingKey()],
    );
    await session.query(
      `INSERT INTO ANALYTICS.FORECAST.FORECAST_QUEUE (QUEUE_ID, RUN_ID, PASS, CHUNK_ID, PARTITION_KEYS, STATUS, ATTEMPTS, CREATED_AT) ` +
        `SELECT ? || '/screen/' || CHUNK_ID, ?, PASS, CHUNK_ID, PARTITION_KEYS, 'PENDING', 0, CURRENT_TIMESTAMP() FROM ANALYTICS.FORECAST.FORECAST_QUEUE WHERE RUN_ID = ?`,
      [later, later, runId],
    );
    await runOneWorker(runId);
    expect(await queue(runId)).toEqual(['0:DONE:1', '1:DONE:1']);
    expect(await queue(later)).toEqual(['0:PENDING:0', '1:PENDING:0']);
    expect(await metrics(later)).toEqual([]);
  });

  test.each(['FINISHED', 'ABANDONED'])('a worker whose run is %s stops at once without claiming anything', async (state) => {
    const runId = await startPass();
    await session.query(`UPDATE ANALYTICS.FORECAST.FORECAST_TRAINING_RUNS SET STATUS = ? WHERE RUN_ID = ?`, [state, runId]);
    const lines = await runOneWorker(runId);
    expect(lines).toEqual([`run ${runId} (screen) is ${state}: stopping without claiming`]);
    expect(await queue(runId)).toEqual(['0:PENDING:0', '1:PENDING:0']);
  });

  test('fitting a chunk writes nothing; writeArtifacts writes each file once under its final name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-artifacts-'));
    const fitted = fitChunk(
      { pass: 'screen', refine: false, holdout: 7, period: 7, ext: 'json', modelDir: dir } as WorkerConfig,
      'R1',
      ['A/1', 'Z'],
      Array.from({ length: 40 }, (_, i) => ({ PARTITION_KEY: 'A/1', DS: new Date(Date.UTC(2026, 0, 1 + i)), Y: 5 + (i % 7) })),
    );
    expect(files(dir)).toEqual([]);
    const shard = createHash('sha256').update('A/1').digest('hex').slice(0, 2);
    expect(fitted.metricRows.map((r) => [r[2], r[3], r[9]])).toEqual([
      ['A/1', 'OK', `models/R1/screen/${shard}/A%2F1.json`],
      ['Z', 'FAILED', null],
    ]);
    writeArtifacts(dir, fitted.artifacts);
    expect(files(dir)).toEqual([path.join('models', 'R1', 'screen', shard, 'A%2F1.json')]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a worker refuses an environment of worker contract 1 (flat pass directories): the job fails rather than writing the old layout', () => {
    expect(() => configFromEnv({ MM_CONTRACT_VERSION: '1' })).toThrow('worker contract: version 1 is not supported (this worker implements 3)');
  });

  test('a worker refuses an environment of worker contract 2 (no run of its own: it would join the newest running run of its pass)', () => {
    expect(() => configFromEnv({ MM_CONTRACT_VERSION: '2' })).toThrow('worker contract: version 2 is not supported (this worker implements 3)');
  });

  test('at 20,000 partitions no directory of a pass holds more than a few hundred artifacts (a stage volume directory should hold fewer than 100,000 files)', () => {
    const perDirectory = new Map<string, number>();
    for (let i = 0; i < 20000; i++) {
      const dir = path.posix.dirname(artifactPath('R1', 'screen', `store-${i}|sku-${(i * 7919) % 100003}`, 'json'));
      perDirectory.set(dir, (perDirectory.get(dir) ?? 0) + 1);
    }
    expect(perDirectory.size).toBe(256);
    expect(Math.max(...perDirectory.values())).toBeLessThan(200);
    expect([...perDirectory.keys()].every((d) => /^models\/R1\/screen\/[0-9a-f]{2}$/.test(d))).toBe(true);
  });
});
