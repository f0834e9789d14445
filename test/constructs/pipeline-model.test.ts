import { Construct } from 'constructs';
import {
  ComputePool,
  Database,
  Duration,
  Hooks,
  InstanceFamily,
  ManyModelPipeline,
  ManyModelPipelineProps,
  ModelSet,
  PromotionGate,
  GateMetric,
  SourceTable,
  Trainer,
  TrainingStrategy,
} from '../../index';
import { finalizeSteps } from '../../lib/hooks/manifest';
import { pipelineSteps } from '../../lib/pipeline/steps';
import { pipelineModel } from '../../constructs/pipeline-model';
import { JobPassModel, trainingKey } from '../../lib/pipeline/model';
import { workerEnv } from '../../lib/pipeline/workers';
import { errorOf, newStack } from './helpers';

/** The example pipeline's props, declared in `scope`, with `overrides`. */
function propsIn(scope: Construct, overrides: Partial<ManyModelPipelineProps> = {}): ManyModelPipelineProps {
  return {
    database: Database.fromName(scope, 'Db', 'ANALYTICS'),
    source: SourceTable.fromName(scope, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    computePool: new ComputePool(scope, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 }),
    trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
    ...overrides,
  };
}

/** The model of a pipeline `test/Forecast` with these props, without creating the pipeline. */
function modelOf(overrides: Partial<ManyModelPipelineProps> = {}) {
  const stack = newStack();
  return pipelineModel(new Construct(stack, 'Forecast'), propsIn(stack, overrides));
}

describe('pipelineModel', () => {
  test('the default strategy is screen-then-refine with every default applied here: a 4-slot graph screen, then a 4-worker queue refine of the worst 10 %', () => {
    const [screen, refine] = modelOf().passes;
    expect(screen).toMatchObject({ mode: 'tasks', pass: 'screen', slots: 4, chunkSize: 50, modelSet: ModelSet.SCREEN, timeoutSeconds: 7200 });
    expect(refine).toMatchObject({
      mode: 'queue',
      pass: 'refine',
      workers: 4,
      chunkSize: 10,
      modelSet: ModelSet.REFINE,
      timeBudgetSeconds: 1800,
      refineTopPercent: 10,
    });
  });

  test("a one-pass strategy is the screen pass, on the queue or on a task graph, with that pass's defaults", () => {
    expect(modelOf({ training: TrainingStrategy.queue() }).passes).toEqual([
      expect.objectContaining({ mode: 'queue', pass: 'screen', workers: 4, modelSet: ModelSet.REFINE, timeBudgetSeconds: 1800 }),
    ]);
    expect(modelOf({ training: TrainingStrategy.queue() }).passes[0]).not.toHaveProperty('refineTopPercent');
    expect(modelOf({ training: TrainingStrategy.tasks({ slots: 3 }) }).passes).toEqual([
      expect.objectContaining({ mode: 'tasks', pass: 'screen', slots: 3, chunkSize: 50 }),
    ]);
  });

  test('the model keeps the names users write: refineTopPercent, holdoutSteps, seasonPeriod, timeBudget', () => {
    const m = modelOf({
      training: TrainingStrategy.screenThenRefine({ refineTopPercent: 5, timeBudget: Duration.minutes(45) }),
      holdoutSteps: 8,
      seasonPeriod: 52,
    });
    expect(m.passes[1]).toMatchObject({ refineTopPercent: 5, timeBudgetSeconds: 2700 });
    expect(m).toMatchObject({ holdoutSteps: 8, seasonPeriod: 52 });
  });

  test("a setting the props leave out is not given: the worker gets the daily defaults and may use each series' own frequency's instead", () => {
    const p = (m: ReturnType<typeof modelOf>) => m.passes[0] as JobPassModel;
    const neither = modelOf();
    expect(neither).toMatchObject({ holdoutSteps: 28, seasonPeriod: 7 });
    expect(neither).not.toHaveProperty('givenSettings');
    expect(workerEnv(neither, p(neither), 0)).not.toHaveProperty('MM_GIVEN_SETTINGS');
    const season = modelOf({ seasonPeriod: 7 });
    expect(season.givenSettings).toEqual(['seasonPeriod']);
    expect(workerEnv(season, p(season), 0)).toMatchObject({ MM_SEASON_PERIOD: '7', MM_HOLDOUT: '28', MM_GIVEN_SETTINGS: 'MM_SEASON_PERIOD' });
    const both = modelOf({ seasonPeriod: 12, holdoutSteps: 18 });
    expect(workerEnv(both, p(both), 0)).toMatchObject({ MM_GIVEN_SETTINGS: 'MM_HOLDOUT,MM_SEASON_PERIOD' });
    // An explicit 7 trains differently from the default on a monthly series: a new run.
    expect(trainingKey(season)).not.toBe(trainingKey(neither));
  });

  test("names derive from namePrefix in the pipeline's schema, job services and the root task included", () => {
    const m = modelOf({ training: TrainingStrategy.screenThenRefine({ screen: { slots: 2 }, refine: { workers: 1 } }) });
    expect(m.schema.toString()).toBe('ANALYTICS.FORECAST');
    expect(m.warehouse.toString()).toBe('FORECAST_WH');
    expect([m.tables.metrics, m.tables.runs, m.tables.stage, m.queue.table, m.registry.model].map(String)).toEqual([
      'ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS',
      'ANALYTICS.FORECAST.FORECAST_TRAINING_RUNS',
      'ANALYTICS.FORECAST.FORECAST_MODELS',
      'ANALYTICS.FORECAST.FORECAST_QUEUE',
      'ANALYTICS.FORECAST.FORECAST_MODEL',
    ]);
    expect(m.passes.flatMap((p) => p.jobServices.map(String))).toEqual([
      'ANALYTICS.FORECAST.FORECAST_SCREEN_W0',
      'ANALYTICS.FORECAST.FORECAST_SCREEN_W1',
      'ANALYTICS.FORECAST.FORECAST_REFINE_W0',
    ]);
    expect(m.passes[0].mode === 'tasks' && m.passes[0].rootTask.toString()).toBe('ANALYTICS.FORECAST.FORECAST_SCREEN_ROOT');
  });

  test("the model's names are the ones the pipeline's children create, and its steps are the ones the pipeline registers", () => {
    const overrides = { registry: { promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.25), versionPrefix: 'R_' } };
    const m = modelOf(overrides);
    const stack = newStack();
    const pipeline = new ManyModelPipeline(stack, 'Forecast', propsIn(stack, overrides));
    expect(pipeline.aggregator.procedureName).toEqual(m.registry.procedure);
    expect(pipeline.aggregator.stageName).toEqual(m.tables.stage);
    expect(pipeline.queue?.model).toEqual(m.queue);
    expect(m.registry).toMatchObject({ versionPrefix: 'R_', alias: 'PRODUCTION', gate: { metric: 'MEDIAN_MAPE', threshold: 0.25 } });
    expect(Hooks.of(stack).manifest().steps).toEqual(finalizeSteps(pipelineSteps(m)));
  });

  test.each<[string, Partial<ManyModelPipelineProps>, string]>([
    ["the queue's attempt cap", { maxAttempts: 0 }, 'test/Forecast/Queue: maxAttempts is 0; it must be a whole number from 1 to 100'],
    ['a short lease', { leaseDuration: Duration.seconds(5) }, 'test/Forecast/Queue: leaseDuration is 5s; it must be from 30 s to 24 h'],
    ['a system alias', { registry: { alias: 'default' } }, 'test/Forecast/Aggregator: alias DEFAULT is a system alias'],
    ['a lower-case version prefix', { registry: { versionPrefix: 'v_' } }, 'test/Forecast/Aggregator: versionPrefix "v_" must be 1-32 upper-case letters'],
  ])('reports %s at the path of the child that owns the prop, as the child itself does', (_what, overrides, message) => {
    expect(errorOf((s) => new ManyModelPipeline(s, 'Forecast', propsIn(s, overrides)))).toContain(message);
  });
});
