import * as fs from 'fs';
import { TerraformJson } from '../../runner/bootstrap/bootstrap';
import { readSynthOutput } from '../../runner/cli/synth-app';
import { provisionLocally } from '../../runner/demo/provision';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { resolveConnection } from '../../runner/snowflake/connection';
import { SnowflakeSession } from '../../runner/snowflake/session';
import { App } from '../../lib/engine';
import { ForecastStack } from '../../stacks/forecast-stack';
import { addVersionStatements, createModelStatements } from '../fixtures/model-files';
import { tempDir } from '../tmp';
import { createExampleSourceAsDataTeam } from '../fixtures/example-source';

/**
 * The model monitor of the promoted version (addMonitoring({ modelMonitor })) on the example stack,
 * set up on the strict local server as on an account: the follow task, run by the runner as the
 * post-deploy step does (EXECUTE TASK), puts the monitor on the version holding PRODUCTION as the
 * deploy role, does nothing while that version is unchanged, and moves it when the alias moves.
 */
let server: LocalSnowflakeServer;
let admin: SnowflakeSession;
let runner: SnowflakeSession;
let step: string;
const sessions: SnowflakeSession[] = [];
/** The aggregator's model: "ANALYTICS"."FORECAST"."FORECAST_MODEL". */
let MODEL: string;
const MONITOR = 'ANALYTICS.FORECAST.FORECAST_MONITORING_VERSION_MONITOR';
const LOG = 'ANALYTICS.FORECAST.FORECAST_MONITORING_VERSION_MONITOR_LOG';

const openAs = async (role?: string, warehouse?: string) => {
  const s = await SnowflakeSession.open(resolveConnection({ env: server.connectionEnv({ role, warehouse }) }));
  sessions.push(s);
  return s;
};
/** Runs the post-deploy step's statement as the runner and waits for the task run. */
const follow = async () => {
  await runner.query(step);
  await server.objects.settle();
};
const monitors = () => [...server.objects.modelMonitors.monitors.values()].map((m) => [m.name, m.version, m.segmentColumns.join(',')]);
const logged = async () =>
  (await admin.query<{ MODEL_VERSION: string }>(`SELECT MODEL_VERSION FROM ${LOG} ORDER BY CREATED_AT`)).rows.map((r) => r.MODEL_VERSION);

beforeAll(async () => {
  const out = tempDir('mm-model-monitor-');
  const app = new App({ outdir: out });
  const stack = new ForecastStack(app, 'forecast');
  stack.pipeline.addMonitoring({ modelMonitor: {} });
  app.synth();
  const synthesized = readSynthOutput(out)[0];
  const tf = JSON.parse(fs.readFileSync(synthesized.terraformFile, 'utf8')) as TerraformJson;
  step = synthesized.manifest!.steps.find((s) => s.id.endsWith('/follow-promotion'))!.statements[0].sql;
  server = await startLocalServer();
  admin = await openAs();
  await createExampleSourceAsDataTeam(admin);
  await provisionLocally(admin, tf, { user: 'test', openAs: (role) => openAs(role) });
  await admin.query('USE WAREHOUSE FORECAST_WH');
  await admin.query("INSERT INTO ANALYTICS.RAW.SERIES_EVENTS (UNIT_ID, DATE, Y) VALUES ('A', '2026-01-02', 21), ('B', '2026-01-02', 7)");
  // V_R1 scored 01-02 twice (the later row counts) and 01-03 (no actual yet); V_R2 scored 01-02.
  await admin.query(
    'INSERT INTO ANALYTICS.FORECAST.FORECAST_RESULTS (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER, RUN_ID, MODEL_VERSION, SCORED_AT) VALUES ' +
      "('A', 2, '2026-01-02', 18, 15, 25, 'R1', 'V_R1', '2026-01-01 06:00:00'), ('A', 1, '2026-01-02', 20, 15, 25, 'R1', 'V_R1', '2026-01-02 06:00:00'), " +
      "('A', 2, '2026-01-03', 22, 15, 25, 'R1', 'V_R1', '2026-01-02 06:00:00'), ('B', 1, '2026-01-02', 8, 5, 9, 'R1', 'V_R1', '2026-01-02 06:00:00'), " +
      "('A', 1, '2026-01-02', 30, 25, 35, 'R2', 'V_R2', '2026-01-02 07:00:00')",
  );
  // The model as the registration step leaves it: created and owned by the runner.
  runner = await openAs('FORECAST_RUNNER', 'FORECAST_WH');
  const stage = stack.pipeline.aggregator.stageName.quoted;
  MODEL = stack.pipeline.aggregator.modelName.quoted;
  for (const sql of [...createModelStatements(MODEL, 'V_R1', stage), ...addVersionStatements(MODEL, 'V_R2', stage)]) await runner.query(sql);
}, 120000);
afterAll(async () => {
  for (const s of sessions) await s.close();
  await server?.close();
});

describe('the model monitor follows the promoted version', () => {
  test('while no version holds the alias the task creates nothing', async () => {
    await follow();
    expect(monitors()).toEqual([]);
    expect(await logged()).toEqual([]);
  });

  test('once V_R1 holds it, the deploy role puts a monitor on V_R1 segmented by partition, over a view of its latest forecasts and their actuals', async () => {
    await runner.query(`ALTER MODEL ${MODEL} VERSION V_R1 SET ALIAS = PRODUCTION`);
    await follow();
    expect(monitors()).toEqual([[MONITOR, 'V_R1', 'PARTITION_KEY']]);
    expect(server.engine.access.ownerOf('MODEL MONITOR', MONITOR)).toBe('MANY_MODEL_DEPLOYER');
    const view = await admin.query(`SELECT ROW_ID, PARTITION_KEY, FORECAST, ACTUAL, MODEL_VERSION FROM ${MONITOR}_SOURCE ORDER BY ROW_ID`);
    expect(view.rows).toEqual([
      { ROW_ID: 'A/2026-01-02', PARTITION_KEY: 'A', FORECAST: 20, ACTUAL: 21, MODEL_VERSION: 'V_R1' },
      { ROW_ID: 'A/2026-01-03', PARTITION_KEY: 'A', FORECAST: 22, ACTUAL: null, MODEL_VERSION: 'V_R1' },
      { ROW_ID: 'B/2026-01-02', PARTITION_KEY: 'B', FORECAST: 8, ACTUAL: 7, MODEL_VERSION: 'V_R1' },
    ]);
    expect(await logged()).toEqual(['V_R1']);
  });

  test('run again on the same version, it changes nothing', async () => {
    const before = server.objects.modelMonitors.monitors.get(MONITOR)!.createdOn;
    await follow();
    expect(server.objects.modelMonitors.monitors.get(MONITOR)!.createdOn).toBe(before);
    expect(await logged()).toEqual(['V_R1']);
  });

  test('when the alias moves to V_R2 the monitor and its view move with it, the one monitor a version may have', async () => {
    await runner.query(`ALTER MODEL ${MODEL} VERSION V_R1 UNSET ALIAS`);
    await runner.query(`ALTER MODEL ${MODEL} VERSION V_R2 SET ALIAS = PRODUCTION`);
    await follow();
    expect(monitors()).toEqual([[MONITOR, 'V_R2', 'PARTITION_KEY']]);
    expect((await admin.query(`SELECT ROW_ID, FORECAST, ACTUAL FROM ${MONITOR}_SOURCE`)).rows).toEqual([{ ROW_ID: 'A/2026-01-02', FORECAST: 30, ACTUAL: 21 }]);
    expect(await logged()).toEqual(['V_R1', 'V_R2']);
    const runs = await runner.query<{ STATE: string }>(
      "SELECT STATE FROM TABLE(ANALYTICS.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'FORECAST_MONITORING_VERSION_MONITOR_FOLLOW'))",
    );
    expect(runs.rows.map((r) => r.STATE)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  test('rows the scheduled scoring task records under the alias count from the time the monitor moved to the version on', async () => {
    // The scheduled task has no runner to resolve the alias: it records PRODUCTION as MODEL_VERSION.
    await admin.query(
      'INSERT INTO ANALYTICS.FORECAST.FORECAST_RESULTS (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER, RUN_ID, MODEL_VERSION, SCORED_AT) VALUES ' +
        "('B', 1, '2026-01-02', 99, 0, 0, 'S0', 'PRODUCTION', '2026-01-01 00:00:00'), ('B', 1, '2026-01-03', 11, 9, 13, 'S1', 'PRODUCTION', '2099-01-01 06:00:00')",
    );
    expect((await admin.query(`SELECT ROW_ID, FORECAST, ACTUAL FROM ${MONITOR}_SOURCE ORDER BY ROW_ID`)).rows).toEqual([
      { ROW_ID: 'A/2026-01-02', FORECAST: 30, ACTUAL: 21 },
      { ROW_ID: 'B/2026-01-03', FORECAST: 11, ACTUAL: null },
    ]);
  });

  test('a run that stopped after replacing the monitor but before logging it is finished by the next run', async () => {
    // As the task leaves things when it dies between CREATE OR REPLACE MODEL MONITOR and the INSERT.
    const deployer = await openAs('MANY_MODEL_DEPLOYER', 'FORECAST_WH');
    await deployer.query(`DELETE FROM ${LOG} WHERE MODEL_VERSION = 'V_R2'`);
    await follow();
    expect(monitors()).toEqual([[MONITOR, 'V_R2', 'PARTITION_KEY']]);
    expect(await logged()).toEqual(['V_R1', 'V_R2']);
  });
});
