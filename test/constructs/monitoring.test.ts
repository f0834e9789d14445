import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import { Schedule, TrainingStrategy } from '../../index';
import { ACCURACY_COLUMNS, DRIFT_COLUMNS } from '../../lib/sql/monitoring';
import { errorOf, forecastPipeline, newStack, resources, synthJson } from './helpers';

const scored = { scoring: { horizon: 28 } };

describe('ManyModelPipeline.addMonitoring', () => {
  test('creates the accuracy and drift tables and a started daily task on the pipeline warehouse that refreshes them', () => {
    const stack = newStack();
    const monitor = forecastPipeline(stack, scored).addMonitoring();
    const json = synthJson(stack);
    const tables = Object.values(resources(json, 'snowflake_table'));
    const acc = tables.find((t: any) => t.name === 'FORECAST_MONITORING_ACCURACY');
    const drift = tables.find((t: any) => t.name === 'FORECAST_MONITORING_DRIFT');
    expect(acc.column.map((c: any) => c.name)).toEqual(ACCURACY_COLUMNS.map(([n]) => n));
    expect(drift.column.map((c: any) => c.name)).toEqual(DRIFT_COLUMNS.map(([n]) => n));
    expect(acc.schema).toBe('FORECAST');
    const task = Object.values(resources(json, 'snowflake_task')).find((t: any) => t.name === 'FORECAST_MONITORING_TASK');
    expect(task).toMatchObject({
      database: 'ANALYTICS',
      schema: 'FORECAST',
      warehouse: 'FORECAST_WH',
      started: true,
      schedule: { using_cron: '0 7 * * * UTC' },
    });
    expect(task.sql_statement).toMatch(/^BEGIN\n/);
    expect(task.sql_statement).toContain('DELETE FROM "ANALYTICS"."FORECAST"."FORECAST_MONITORING_ACCURACY"');
    expect(task.sql_statement).toContain('FROM "ANALYTICS"."FORECAST"."FORECAST_RESULTS"');
    expect(task.sql_statement).toContain('FROM "ANALYTICS"."RAW"."SERIES_EVENTS"');
    // Defaults for daily forecasts: 28-day window, sMAPE above 25 %, coverage below 0.8, 7 points.
    expect(task.sql_statement).toContain('DATEADD(DAY, -27, X.AS_OF)');
    expect(task.sql_statement).toContain('Q.N_POINTS >= 7 AND (Q.SMAPE > 25 OR COALESCE(Q.COVERAGE < 0.8, FALSE))');
    expect(monitor.renderStatements().join(';\n')).toBe(task.sql_statement.replace(/^BEGIN\n|;\nEND$/g, '').replace(/^ {2}/gm, ''));
  });

  test("grants the consumer role SELECT on both tables and the runner role OPERATE and MONITOR on the task, through the stack's one grant path", () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring();
    const grants = Object.values(resources(synthJson(stack), 'snowflake_grant_privileges_to_account_role'));
    const on = (role: string, object: string) =>
      grants.find((g: any) => g.account_role_name === role && g.on_schema_object?.object_name === object)?.privileges;
    expect(on('FORECAST_CONSUMER', '"ANALYTICS"."FORECAST"."FORECAST_MONITORING_ACCURACY"')).toEqual(['SELECT']);
    expect(on('FORECAST_CONSUMER', '"ANALYTICS"."FORECAST"."FORECAST_MONITORING_DRIFT"')).toEqual(['SELECT']);
    expect(on('FORECAST_RUNNER', '"ANALYTICS"."FORECAST"."FORECAST_MONITORING_TASK"')).toEqual(['MONITOR', 'OPERATE']);
  });

  test('options set the schedule, window, thresholds and names', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({
      schedule: Schedule.every(60),
      windowDays: 14,
      accuracyTableName: 'acc',
      driftTableName: 'drift',
      degradedWhen: { smapeAbove: 40, minPoints: 3 },
      driftWhen: { levelShift: 3 },
    });
    const json = synthJson(stack);
    const task = Object.values(resources(json, 'snowflake_task')).find((t: any) => t.name === 'FORECAST_MONITORING_TASK');
    expect(task.schedule).toEqual({ minutes: 60 });
    expect(task.sql_statement).toContain('DATEADD(DAY, -13, X.AS_OF)');
    expect(task.sql_statement).toContain('Q.N_POINTS >= 3 AND (Q.SMAPE > 40');
    expect(task.sql_statement).toContain('ABS(S.LEVEL_SHIFT) > 3');
    expect(task.sql_statement).toContain('"ANALYTICS"."FORECAST"."ACC"');
    expect(Object.values(resources(json, 'snowflake_table')).map((t: any) => t.name)).toEqual(expect.arrayContaining(['ACC', 'DRIFT']));
  });

  test('alert: {} adds an enabled snowflake_alert on the degraded share, its events table, the preview feature, and consumer SELECT on the events', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({ alert: { degradedPercentAbove: 20 } });
    const json = synthJson(stack);
    const alert = Object.values(resources(json, 'snowflake_alert'))[0];
    expect(alert).toMatchObject({
      database: 'ANALYTICS',
      schema: 'FORECAST',
      name: 'FORECAST_MONITORING_ALERT',
      warehouse: 'FORECAST_WH',
      enabled: true,
      alert_schedule: { cron: { expression: '30 7 * * *', time_zone: 'UTC' } },
    });
    expect(alert.condition).toContain('100 * X.DEGRADED / X.PARTITIONS > 20');
    expect(alert.action).toMatch(/^INSERT INTO "ANALYTICS"."FORECAST"."FORECAST_MONITORING_ALERTS"/);
    expect(json.provider.snowflake[0].preview_features_enabled).toContain('snowflake_alert_resource');
    const grants = Object.values(resources(json, 'snowflake_grant_privileges_to_account_role'));
    expect(
      grants.find(
        (g: any) => g.account_role_name === 'FORECAST_CONSUMER' && g.on_schema_object?.object_name === '"ANALYTICS"."FORECAST"."FORECAST_MONITORING_ALERTS"',
      )?.privileges,
    ).toEqual(['SELECT']);
  });

  test('without alert there is no snowflake_alert and no alert preview feature', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring();
    const json = synthJson(stack);
    expect(resources(json, 'snowflake_alert')).toEqual({});
    expect(json.provider.snowflake[0].preview_features_enabled).not.toContain('snowflake_alert_resource');
  });

  test('a stack that does not call addMonitoring has no monitoring objects', () => {
    const stack = newStack();
    forecastPipeline(stack, scored);
    const out = Testing.synth(stack, true);
    expect(out).not.toContain('MONITORING');
  });

  test('rejects a pipeline without scoring, naming the pipeline, the prop and the fix', () => {
    expect(errorOf((s) => forecastPipeline(s).addMonitoring())).toBe(
      "test/Forecast: scoring is not set, and monitoring compares the scoring job's forecasts with the actuals. Set scoring: { horizon: 28 } on the pipeline before calling addMonitoring()",
    );
  });

  test('rejects a second monitor', () => {
    expect(
      errorOf((s) => {
        const p = forecastPipeline(s, scored);
        p.addMonitoring();
        p.addMonitoring();
      }),
    ).toMatch(/^test\/Forecast: addMonitoring was called twice/);
  });

  test.each([
    [{ windowDays: 0 }, 'test/Forecast/Monitoring: windowDays is 0; it must be a whole number from 2 to 366. Give e.g. 28 for four weeks of daily actuals'],
    [{ windowDays: 7.5 }, 'test/Forecast/Monitoring: windowDays is 7.5; it must be a whole number from 2 to 366'],
    [{ baselineDays: 1 }, 'test/Forecast/Monitoring: baselineDays is 1; it must be a whole number from 2 to 3660'],
    [{ degradedWhen: { smapeAbove: 0 } }, 'test/Forecast/Monitoring: degradedWhen.smapeAbove is 0; it must be a percentage above 0 and below 200'],
    [{ degradedWhen: { coverageBelow: 95 } }, 'test/Forecast/Monitoring: degradedWhen.coverageBelow is 95; it must be a share from 0 to 1'],
    [
      { windowDays: 14, degradedWhen: { minPoints: 20 } },
      'test/Forecast/Monitoring: degradedWhen.minPoints is 20; it must be a whole number from 1 to 14. Give at most windowDays (14)',
    ],
    [{ driftWhen: { scaleRatio: 0.5 } }, 'test/Forecast/Monitoring: driftWhen.scaleRatio is 0.5; it must be a ratio above 1'],
    [{ driftWhen: { levelShift: -1 } }, 'test/Forecast/Monitoring: driftWhen.levelShift is -1; it must be a number of standard deviations above 0'],
    [{ driftWhen: { minPoints: 1 } }, 'test/Forecast/Monitoring: driftWhen.minPoints is 1; it must be a whole number from 2 to 28'],
    [{ driftWhen: { lateDays: -1 } }, 'test/Forecast/Monitoring: driftWhen.lateDays is -1; it must be a whole number from 0 to 366'],
    [{ schedule: Schedule.every(0) }, 'test/Forecast/Monitoring: schedule interval 0 must be a whole number of minutes from 1 to 11520'],
    [{ accuracyTableName: 'X', driftTableName: 'x' }, "test/Forecast/Monitoring: driftTableName is X, the accuracy table's name too"],
    [{ alert: { degradedPercentAbove: 100 } }, 'test/Forecast/Monitoring: alert.degradedPercentAbove is 100; it must be a percentage from 0 to below 100'],
    [{ alert: { schedule: Schedule.cron('61 * * * *') } }, 'test/Forecast/Monitoring: alert.schedule '],
    [
      { alert: { eventsTableName: 'FORECAST_MONITORING_DRIFT' } },
      'test/Forecast/Monitoring: alert.eventsTableName is FORECAST_MONITORING_DRIFT, which names the drift table too',
    ],
    [{ accuracyTableName: 'bad name' }, 'test/Forecast/Monitoring: accuracyTableName "bad name" is not a valid Snowflake identifier'],
  ])('rejects %j at construction, naming the monitor, the prop and the fix', (options, message) => {
    expect(errorOf((s) => forecastPipeline(s, scored).addMonitoring(options as any))).toContain(message);
  });

  test("rejects a table name the pipeline already uses, naming the monitor's prop", () => {
    expect(errorOf((s) => forecastPipeline(s, scored).addMonitoring({ accuracyTableName: 'FORECAST_RESULTS' }))).toBe(
      "test/Forecast/Monitoring: accuracyTableName is FORECAST_RESULTS, the name of this pipeline's results table. Choose another name, e.g. 'FORECAST_ACCURACY'",
    );
  });

  test('rejects monitoring a model whose outputs have no DS', () => {
    const msg = errorOf((s) =>
      forecastPipeline(s, {
        ...scored,
        registry: {
          outputColumns: [
            { name: 'PARTITION_KEY', type: 'VARCHAR' },
            { name: 'STEP', type: 'NUMBER(10,0)' },
            { name: 'FORECAST', type: 'FLOAT' },
          ],
        },
      }).addMonitoring(),
    );
    expect(msg).toMatch(/^test\/Forecast\/Monitoring: scoringJob scores with ANALYTICS.FORECAST.FORECAST_MODEL, whose outputColumns have no DS/);
  });
});

describe('addMonitoring({ retrain }): the closed loop', () => {
  const tasksOf = (json: any) => Object.values(resources(json, 'snowflake_task')) as any[];

  test('adds a start task after the monitoring task, one worker task per worker after it and a finish task after all of them, all started on the pipeline warehouse', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({ retrain: { workers: 3 } });
    const tasks = tasksOf(synthJson(stack));
    const byName = (n: string) => tasks.find((t) => t.name === n);
    const start = byName('FORECAST_MONITORING_RETRAIN_START');
    expect(start).toMatchObject({
      database: 'ANALYTICS',
      schema: 'FORECAST',
      warehouse: 'FORECAST_WH',
      started: true,
      after: ['"ANALYTICS"."FORECAST"."FORECAST_MONITORING_TASK"'],
    });
    expect(start.schedule).toBeUndefined();
    for (const k of [0, 1, 2])
      expect(byName(`FORECAST_MONITORING_RETRAIN_W${k}`).after).toEqual(['"ANALYTICS"."FORECAST"."FORECAST_MONITORING_RETRAIN_START"']);
    expect(byName('FORECAST_MONITORING_RETRAIN_FINISH').after).toEqual([0, 1, 2].map((k) => `"ANALYTICS"."FORECAST"."FORECAST_MONITORING_RETRAIN_W${k}"`));
  });

  test("the bodies reuse the runner's statements: the enqueue and carry-over, a synchronous job service of the trainer, and the index, registration and gated alias move with the run id bound or replaced", () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({ retrain: {} });
    const tasks = tasksOf(synthJson(stack));
    const body = (n: string) => tasks.find((t) => t.name === n).sql_statement as string;
    expect(body('FORECAST_MONITORING_RETRAIN_START')).toMatch(/^EXECUTE IMMEDIATE \$\$\nDECLARE\n/);
    expect(body('FORECAST_MONITORING_RETRAIN_START')).toContain('INSERT INTO "ANALYTICS"."FORECAST"."FORECAST_QUEUE"');
    expect(body('FORECAST_MONITORING_RETRAIN_START')).toContain('INFORMATION_SCHEMA.MODEL_VERSIONS');
    const w0 = body('FORECAST_MONITORING_RETRAIN_W0');
    // The worker task starts its job for this evaluation's run only: MM_RUN_ID is the run id REPLACEd in.
    expect(w0).toMatch(/^BEGIN\n {2}LET RETRAIN_RUN VARCHAR := '';\n {2}SELECT \(SELECT 'M' \|\| TO_VARCHAR\(MAX\("AS_OF"\)/);
    expect(w0).toContain("WHERE RUN_ID = :RETRAIN_RUN AND PASS = 'refine' AND STATUS = 'RUNNING'");
    expect(w0).toContain("MM_RUN_ID: ''{{RUN_ID}}''");
    expect(w0).toContain("$$', '{{RUN_ID}}', RETRAIN_RUN);\n  EXECUTE IMMEDIATE :JOB_STMT;");
    expect(w0).toContain('DROP SERVICE IF EXISTS ANALYTICS.FORECAST.FORECAST_RETRAIN_W0');
    expect(w0).toContain('NAME = ANALYTICS.FORECAST.FORECAST_RETRAIN_W0');
    expect(w0).not.toContain('ASYNC = TRUE');
    expect(w0).toContain("MM_PASS: ''refine''");
    const finish = body('FORECAST_MONITORING_RETRAIN_FINISH');
    expect(finish).toContain('REPLACE(\'COPY INTO @"ANALYTICS"."FORECAST"."FORECAST_MODELS"/models/{{RUN_ID}}/model_index.json');
    expect(finish).toContain('REPLACE(\'CALL "ANALYTICS"."FORECAST"."FORECAST_AGGREGATOR_REGISTER"(\'\'{{RUN_ID}}\'\'');
    expect(finish).toContain('WHERE RUN_ID = :RETRAIN_RUN');
    expect(finish).not.toContain("= '{{RUN_ID}}'");
  });

  test('a monitor without retrain has no retraining tasks', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring();
    expect(Testing.synth(stack, true)).not.toContain('RETRAIN');
  });

  test('refuses retrain on a pipeline that trains every pass in the warehouse: the loop retrains on a pool', () => {
    const inWarehouse = { ...scored, computePool: undefined, trainer: undefined, training: TrainingStrategy.warehouse() };
    expect(errorOf((s) => forecastPipeline(s, inWarehouse).addMonitoring({ retrain: {} }))).toBe(
      'test/Forecast/Monitoring: retrain retrains on the compute pool, and this pipeline trains every pass in the warehouse (TrainingStrategy.warehouse()). Leave retrain out, or refine on a pool: TrainingStrategy.screenThenRefine({ screenInWarehouse: {} })',
    );
  });

  test("rejects a worker count over a task's 100 children, naming the monitor, the prop and the fix", () => {
    expect(errorOf((s) => forecastPipeline(s, scored).addMonitoring({ retrain: { workers: 101 } }))).toBe(
      "test/Forecast/Monitoring: retrain.workers is 101; it must be a whole number from 1 to 100 (the start task's children). Give e.g. 2",
    );
  });
});
