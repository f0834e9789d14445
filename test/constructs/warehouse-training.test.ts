import 'cdktf/lib/testing/adapters/jest';
import { Construct } from 'constructs';
import { Database, Hooks, ManyModelPipeline, ManyModelPipelineProps, ModelSet, SourceTable, TrainingStrategy, Duration } from '../../index';
import { HookStep } from '../../lib/hooks/manifest';
import { errorOf, forecastPipeline, newStack, resources, synthJson } from './helpers';

/** A pipeline that trains only in the warehouse: no pool, no trainer. */
function warehousePipeline(scope: Construct, overrides: Partial<ManyModelPipelineProps> = {}): ManyModelPipeline {
  return new ManyModelPipeline(scope, 'Forecast', {
    database: Database.fromName(scope, 'Db', 'ANALYTICS'),
    source: SourceTable.fromName(scope, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    training: TrainingStrategy.warehouse(),
    scoring: { horizon: 28 },
    ...overrides,
  });
}

const steps = (scope: Construct): readonly HookStep[] => Hooks.of(scope).manifest().steps;

describe('TrainingStrategy.warehouse()', () => {
  test('synthesizes no compute pool, hybrid table, task graph or job service, and grants none of them', () => {
    const stack = newStack();
    const p = warehousePipeline(stack);
    const json = synthJson(stack);
    expect(Object.keys(json.resource)).not.toContain('snowflake_compute_pool');
    expect(Object.keys(json.resource)).not.toContain('snowflake_execute'); // the queue's CREATE HYBRID TABLE
    expect(Object.keys(json.resource)).not.toContain('snowflake_image_repository');
    expect(Object.values(resources(json, 'snowflake_task'))).toHaveLength(0); // no scoring schedule, no graph
    expect(p.queue).toBeUndefined();
    expect(p.computePool).toBeUndefined();
    const grants = Object.values(resources(json, 'snowflake_grant_privileges_to_account_role')) as any[];
    const privileges = grants.flatMap((g) => g.privileges ?? []);
    expect(privileges).not.toContain('CREATE SERVICE');
    expect(privileges).toContain('CREATE FUNCTION');
    expect(JSON.stringify(grants)).not.toMatch(/COMPUTE POOL|IMAGE REPOSITORY|FORECAST_QUEUE/);
    // The fits table, and the runner's rights on it.
    const fits = Object.values(resources(json, 'snowflake_table')).find((t: any) => t.name === 'FORECAST_SCREEN_FITS') as any;
    expect(fits.column.map((c: any) => c.name)).toEqual([
      'RUN_ID',
      'PASS',
      'PARTITION_KEY',
      'STATUS',
      'MODEL_FAMILY',
      'MAPE',
      'RMSE',
      'SMAPE',
      'N_OBS',
      'ERROR_MSG',
      'ARTIFACT_DIR',
      'ARTIFACT',
      'TRAINED_AT',
    ]);
    expect(
      grants.some(
        (g) => /FORECAST_SCREEN_FITS/.test(JSON.stringify(g.on_schema_object)) && ['DELETE', 'INSERT', 'SELECT'].every((x) => g.privileges.includes(x)),
      ),
    ).toBe(true);
  });

  test('one training step fits every partition with one statement, then index, registration, promotion and scoring as for job services', () => {
    const stack = newStack();
    warehousePipeline(stack);
    const all = steps(stack);
    expect(all.map((s) => `${s.id} ${s.kind}`)).toEqual([
      'test/Forecast/screen-train warehousePass',
      'test/Forecast/buildModelIndex buildModelIndex',
      'test/Forecast/registerAggregator registerAggregator',
      'test/Forecast/promote promote',
      'test/Forecast/Scoring/batchScore batchScore',
    ]);
    const train = all[0];
    expect(train.statements.map((s) => s.id)).toEqual([
      'start-pass',
      'create-function',
      'clear-fits',
      'fit',
      'remove-artifacts',
      'unload-artifacts',
      'refresh-stage',
      'clear-metrics',
      'insert-metrics',
      'finish-pass',
    ]);
    const sql = (id: string) => train.statements.find((s) => s.id === id)!.sql;
    expect(sql('create-function')).toMatch(
      /^CREATE OR REPLACE FUNCTION "ANALYTICS"\."FORECAST"\."FORECAST_SCREEN_FIT"\(PARTITION_KEY VARCHAR, DS VARCHAR, Y FLOAT, HOLDOUT FLOAT, PERIOD FLOAT, REFINE BOOLEAN\)\nRETURNS TABLE \(/,
    );
    expect(sql('create-function')).toContain('LANGUAGE JAVASCRIPT\nAS $$');
    expect(sql('fit')).toContain('OVER (PARTITION BY I.PARTITION_KEY ORDER BY I.DS)) F');
    // The props set neither holdoutSteps nor seasonPeriod: each series' frequency's (NULL), the screen set.
    expect(sql('fit')).toContain('I.Y, NULL, NULL, FALSE)');
    expect(sql('unload-artifacts')).toMatch(
      /^COPY INTO @"ANALYTICS"\."FORECAST"\."FORECAST_MODELS"\/models\/\{\{RUN_ID\}\}\/screen\/\nFROM \(SELECT DISTINCT ARTIFACT FROM/,
    );
    expect(train.wait).toMatchObject({ refreshSql: expect.stringContaining('REFRESH SUBPATH'), verifySql: expect.stringContaining('ARTIFACTS_MISSING') });
    expect(train.triggers.image).toMatch(/^warehouse:forecast-core@[0-9a-f]{16}$/);
  });

  test('holdoutSteps and seasonPeriod given in the props reach the fit as a worker gets them; ModelSet.REFINE runs the refine contest', () => {
    const stack = newStack();
    warehousePipeline(stack, {
      holdoutSteps: 14,
      seasonPeriod: 12,
      training: TrainingStrategy.warehouse({ modelSet: ModelSet.REFINE, timeout: Duration.minutes(20) }),
    });
    const train = steps(stack)[0];
    expect(train.statements.find((s) => s.id === 'fit')!.sql).toContain('I.Y, 14, 12, TRUE)');
    expect(train.timeoutSeconds).toBe(1200);
  });

  test('screenThenRefine({ screenInWarehouse }) screens in the warehouse and refines the worst partitions on the queue', () => {
    const stack = newStack();
    const p = forecastPipeline(stack, { training: TrainingStrategy.screenThenRefine({ refineTopPercent: 5, screenInWarehouse: {} }) });
    expect(steps(stack).map((s) => `${s.id.split('/').pop()} ${s.kind}`)).toEqual([
      'screen-train warehousePass',
      'refine-start startPass',
      'refine-workers runWorkers',
      'refine-wait waitQueue',
      'buildModelIndex buildModelIndex',
      'registerAggregator registerAggregator',
      'promote promote',
    ]);
    expect(p.queue).toBeDefined();
    expect(p.trainingRootTask).toBeUndefined(); // no task graph
  });

  test('rejects a pool or a trainer with a warehouse-only strategy, and a missing one with job services, naming the prop and the fix', () => {
    expect(errorOf((s) => forecastPipeline(s, { training: TrainingStrategy.warehouse() }))).toMatch(
      /test\/Forecast: trainer is set, but TrainingStrategy\.warehouse\(\) trains with the built-in forecasting core.*Remove trainer/,
    );
    expect(errorOf((s) => warehousePipeline(s, { training: TrainingStrategy.queue() }))).toMatch(
      /test\/Forecast: computePool is required: the training strategy runs job services.*TrainingStrategy\.warehouse\(\)/,
    );
    expect(errorOf((s) => forecastPipeline(s, { training: TrainingStrategy.screenThenRefine({ screen: { slots: 2 }, screenInWarehouse: {} }) }))).toMatch(
      /training\.screen is set together with training\.screenInWarehouse/,
    );
    expect(errorOf((s) => warehousePipeline(s, { training: TrainingStrategy.warehouse({ modelSet: 'best' as ModelSet }) }))).toMatch(
      /training\.modelSet "best" is not a model set/,
    );
  });

  test('the job-service strategies keep their steps and training key (no warehouse setting reaches them)', () => {
    const a = newStack();
    forecastPipeline(a);
    expect(steps(a).some((s) => s.kind === 'warehousePass')).toBe(false);
    expect(steps(a)[0].triggers.image).toBe('/analytics/ml/images/forecast-worker:1.4.0');
  });
});
