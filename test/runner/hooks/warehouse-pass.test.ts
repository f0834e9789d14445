import * as fs from 'fs';
import * as path from 'path';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { Database, Hooks, ManyModelPipeline, SourceTable, TrainingStrategy, enablePreviewFeatures } from '../../../index';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { planLocalApply } from '../../../local-server/local-apply';
import { HookManifest } from '../../../lib/hooks/manifest';
import { runHooks } from '../../../runner/hooks/runner';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { memoryLog, openSession } from './fixtures';

// A pass in the warehouse run by the hooks runner alone (TrainingStrategy.warehouse()): its
// statements are idempotent for the run, so an attempt that failed half-way is run again from the
// top, and the runner verifies the pass as it verifies any.
const KEYS = ['A', 'B', 'C', 'D'];
let server: LocalSnowflakeServer;
let session: SnowflakeSession;
let stageDir: string;

function manifestOf(allowedFailurePercent: number): HookManifest {
  const stack = new TerraformStack(Testing.app(), 'wh');
  new SnowflakeProvider(stack, 'snowflake', {});
  enablePreviewFeatures(stack);
  new ManyModelPipeline(stack, 'Forecast', {
    database: Database.fromName(stack, 'Db', 'ANALYTICS'),
    source: SourceTable.fromName(stack, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    training: TrainingStrategy.warehouse(),
    allowedFailurePercent,
  });
  if (allowedFailurePercent === 0) pendingApply = planLocalApply(JSON.parse(Testing.synth(stack, true))).statements;
  return Hooks.of(stack).manifest();
}
let pendingApply: string[] = [];
const strict = manifestOf(0);
const lenient = manifestOf(50);
const TRAIN = 'wh/Forecast/screen-train';

const files = (runId: string): string[] => {
  const root = path.join(stageDir, 'models', runId, 'screen');
  const walk = (d: string): string[] =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d, { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.relative(stageDir, path.join(d, e.name)).split(path.sep).join('/')]))
      : [];
  return walk(root).sort();
};

beforeAll(async () => {
  server = await startLocalServer();
  session = await openSession(server);
  for (const sql of [
    'CREATE DATABASE ANALYTICS',
    'CREATE SCHEMA ANALYTICS.RAW',
    'CREATE TABLE ANALYTICS.RAW.SERIES_EVENTS (UNIT_ID VARCHAR, DATE DATE, Y FLOAT)',
  ])
    await session.query(sql);
  const day = (i: number) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10);
  await session.query(
    'INSERT INTO ANALYTICS.RAW.SERIES_EVENTS VALUES (?, ?, ?)',
    KEYS.flatMap((k, j) => Array.from({ length: 90 }, (_, i) => [k, day(i), 10 + j + (i % 7) + i / 10])),
  );
  for (const sql of pendingApply) await session.query(sql);
  stageDir = server.engine.stages.get('ANALYTICS.FORECAST.FORECAST_MODELS')!;
});
afterAll(async () => {
  await session.close();
  await server.close();
});
beforeEach(async () => {
  server.faults.reset();
  for (const t of ['HOOK_RUNS', 'FORECAST_TRAINING_METRICS', 'FORECAST_TRAINING_RUNS', 'FORECAST_SCREEN_FITS'])
    await session.query(`DELETE FROM ANALYTICS.FORECAST.${t}`);
});

const okMetrics = async (runId: string) =>
  (
    await server.engineQuery(
      `SELECT STAGE_PATH FROM ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS WHERE RUN_ID = '${runId}' AND STATUS = 'OK' ORDER BY STAGE_PATH`,
    )
  ).map((r) => String(r.STAGE_PATH));

describe('a pass in the warehouse, run by the hooks runner', () => {
  test('an attempt that failed after the unload is run again from the top in the same run: one file per partition, every metrics row naming one', async () => {
    // The first attempt dies after COPY wrote its files, before the metrics rows.
    server.faults.failStatement({
      match: /^INSERT INTO "ANALYTICS"\."FORECAST"\."FORECAST_TRAINING_METRICS"/,
      code: '100132',
      message: 'JavaScript execution error: injected',
    });
    const first = await runHooks(strict, session, { log: memoryLog(), only: [TRAIN] });
    const failed = first.outcomes.find((o) => o.stepId === TRAIN)!;
    expect(failed.status).toBe('FAILED');
    const runId = failed.runId!;
    expect(files(runId)).toHaveLength(4);
    const log = memoryLog();
    const second = await runHooks(strict, session, { log, only: [TRAIN] });
    const done = second.outcomes.find((o) => o.stepId === TRAIN)!;
    expect([done.status, done.error, done.runId]).toEqual(['SUCCEEDED', undefined, runId]);
    // The earlier attempt's files were removed; the metrics name exactly the files on the stage.
    expect(files(runId)).toHaveLength(4);
    expect(await okMetrics(runId)).toEqual(files(runId));
    expect(Number((await server.engineQuery(`SELECT COUNT(*) AS N FROM ANALYTICS.FORECAST.FORECAST_SCREEN_FITS WHERE RUN_ID = '${runId}'`))[0].N)).toBe(4);
  });

  test('a partition that cannot be fitted is recorded FAILED with its reason, and fails the step beyond allowedFailurePercent', async () => {
    await session.query("INSERT INTO ANALYTICS.RAW.SERIES_EVENTS VALUES ('SHORT', '2026-01-01', 1), ('SHORT', '2026-01-02', 2)");
    try {
      const log = memoryLog();
      const r = await runHooks(strict, session, { log, only: [TRAIN] });
      const o = r.outcomes.find((x) => x.stepId === TRAIN)!;
      expect(o.status).toBe('FAILED');
      expect(o.error).toMatch(/1 of 5 partitions failed \(20\.0 %\), over allowedFailurePercent 0/);
      expect(log.lines.some((l) => /failed partition SHORT: .+/.test(l))).toBe(true);
      const short = await server.engineQuery(
        `SELECT STATUS, STAGE_PATH, ERROR_MSG FROM ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS WHERE PARTITION_KEY = 'SHORT'`,
      );
      expect(short).toEqual([{ STATUS: 'FAILED', STAGE_PATH: null, ERROR_MSG: expect.stringMatching(/.+/) }]);
      await session.query('DELETE FROM ANALYTICS.FORECAST.HOOK_RUNS');
      const ok = await runHooks(lenient, session, { log: memoryLog(), only: [TRAIN] });
      expect(ok.outcomes.find((x) => x.stepId === TRAIN)!.status).toBe('SUCCEEDED');
    } finally {
      await session.query("DELETE FROM ANALYTICS.RAW.SERIES_EVENTS WHERE UNIT_ID = 'SHORT'");
    }
  });
});
