/**
 * A platform team's composition, written against the installed package: two stacks, three
 * pipelines with different training strategies, objects imported from other teams, and a
 * standalone scoring job.
 *
 * - `retail`: on a database, a warehouse and an analysts' role that already exist (imported), one
 *   compute pool shared by two pipelines — daily store demand trained on a task graph, weekly SKU
 *   demand screened then refined — and a scoring job that forecasts new stores with the store model.
 * - `operations`: a team with its own database and compute pool, training hourly sensor-load models
 *   on the hybrid-table queue within a time budget.
 *
 * `npx tsx app.ts`, `many-model synth --app app.ts` (with tsx in the project) or `cdktf synth`
 * (`"app": "npx tsx app.ts"` in cdktf.json) writes cdktf.out/stacks/retail/ and
 * cdktf.out/stacks/operations/. test/package/packed-app.test.ts compiles this file against the
 * packed package and synthesizes it; in the repository, tsconfig.json maps the package's name to
 * its sources, so `npm run lint` type-checks it too.
 */
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { App, Aspects, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  BatchScoringJob,
  ComputePool,
  Database,
  Duration,
  GateMetric,
  InstanceFamily,
  ManyModelChecks,
  ManyModelPipeline,
  PromotionGate,
  Role,
  Schedule,
  SourceTable,
  Trainer,
  TrainingStrategy,
  Warehouse,
  enablePreviewFeatures,
} from 'cdktf-snowflake-many-model';

/** The reference worker's image, pushed to each team's SPCS image repository. */
const WORKER = 'images/forecast-worker:1.4.0';

/** Store and SKU demand for the retail team, on objects the platform team already runs. */
export class RetailForecasting extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    // No credentials here: the provider reads SNOWFLAKE_* variables or connections.toml at apply.
    new SnowflakeProvider(this, 'snowflake', { role: 'MANY_MODEL_DEPLOYER', warehouse: 'MANY_MODEL_DEPLOY_WH' });
    enablePreviewFeatures(this);
    Aspects.of(this).add(new ManyModelChecks());

    // Existing objects, referenced by name: this stack neither creates nor drops them.
    const retail = Database.fromName(this, 'Retail', 'RETAIL');
    const warehouse = Warehouse.fromName(this, 'MlWarehouse', 'RETAIL_ML_WH');
    const analysts = Role.fromName(this, 'Analysts', 'RETAIL_ANALYSTS');

    // One pool for both pipelines: they train at different times of day.
    const pool = new ComputePool(this, 'TrainingPool', { instanceFamily: InstanceFamily.CPU_X64_M, maxNodes: 6 });

    // Daily sales per store: every store every time, on a task graph of 4 job services.
    const stores = new ManyModelPipeline(this, 'StoreDemand', {
      database: retail,
      warehouse,
      computePool: pool,
      source: SourceTable.fromName(this, 'StoreSales', 'RETAIL.RAW.STORE_DAILY_SALES', {
        partitionColumn: 'STORE_ID',
        orderColumn: 'DAY',
        targetColumn: 'UNITS',
      }),
      trainer: Trainer.fromImage(`/retail/ml/${WORKER}`),
      training: TrainingStrategy.tasks({ slots: 4, chunkSize: 50 }),
      registry: { promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.2) },
      scoring: { horizon: 28, schedule: Schedule.cron('0 5 * * *', 'UTC') },
    });
    stores.aggregator.grantPredict(analysts);
    // A week-ahead planning forecast of the same stores: everything but the horizon and the
    // schedule is the pipeline's (its model, source, schema, warehouse and run).
    stores.addScoringJob('Planning', { horizon: 7, schedule: Schedule.cron('0 4 * * 1', 'UTC') });

    // Weekly sales per SKU: a cheap screen of all SKUs, then the worst 5 % refined on the queue.
    const skus = new ManyModelPipeline(this, 'SkuDemand', {
      database: retail,
      warehouse,
      computePool: pool,
      source: SourceTable.fromName(this, 'SkuSales', 'RETAIL.RAW.SKU_WEEKLY_SALES', { partitionColumn: 'SKU', orderColumn: 'WEEK', targetColumn: 'UNITS' }),
      trainer: Trainer.fromImage(`/retail/ml/${WORKER}`),
      training: TrainingStrategy.screenThenRefine({ refineTopPercent: 5, timeBudget: Duration.minutes(45), screen: { slots: 4 }, refine: { workers: 2 } }),
      seasonPeriod: 52,
      holdoutSteps: 8,
      registry: { promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.3) },
      scoring: { horizon: 13, schedule: Schedule.cron('0 6 * * 1', 'UTC') },
    });
    // The same analysts, the same database: USAGE on RETAIL is granted once for both pipelines.
    skus.aggregator.grantPredict(analysts);

    // Stores about to open have their own sales table; the store model forecasts them too, into a
    // results table of their own, after each deploy that trains and every morning.
    new BatchScoringJob(this, 'NewStoreForecast', {
      source: SourceTable.fromName(this, 'NewStoreSales', 'RETAIL.RAW.NEW_STORE_DAILY_SALES', {
        partitionColumn: 'STORE_ID',
        orderColumn: 'DAY',
        targetColumn: 'UNITS',
      }),
      aggregator: stores.aggregator,
      schema: stores.schema,
      warehouse,
      horizon: 56,
      resultsTableName: 'NEW_STORE_FORECAST',
      schedule: Schedule.cron('30 5 * * *', 'UTC'),
      runAfter: [stores],
    });
  }
}

/** Hourly load per sensor for the operations team: its own database and pool, an elastic queue pass. */
export class OperationsForecasting extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new SnowflakeProvider(this, 'snowflake', { role: 'MANY_MODEL_DEPLOYER', warehouse: 'MANY_MODEL_DEPLOY_WH' });
    enablePreviewFeatures(this);
    Aspects.of(this).add(new ManyModelChecks());

    const ops = new Database(this, 'Operations', { name: 'OPERATIONS' });
    const pool = new ComputePool(this, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 4 });
    const sensors = new ManyModelPipeline(this, 'SensorLoad', {
      database: ops,
      computePool: pool,
      source: SourceTable.fromName(this, 'Readings', 'OPERATIONS.RAW.SENSOR_HOURLY_LOAD', {
        partitionColumn: 'SENSOR_ID',
        orderColumn: 'HOUR',
        targetColumn: 'LOAD_KW',
      }),
      trainer: Trainer.fromImage(`/operations/ml/${WORKER}`),
      training: TrainingStrategy.queue({ workers: 4, chunkSize: 20, timeBudget: Duration.minutes(20) }),
      seasonPeriod: 24,
      holdoutSteps: 48,
      registry: { promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.15) },
      // Two days ahead, refreshed every hour after the readings land.
      scoring: { horizon: 48, schedule: Schedule.cron('10 * * * *', 'UTC') },
    });
    sensors.aggregator.grantPredict(Role.fromName(this, 'OnCall', 'OPS_ONCALL'));
  }
}

/** The app: `many-model synth --app app.ts` calls this; run directly, it synthesizes into cdktf.out/. */
export function buildApp(outdir = 'cdktf.out'): App {
  const app = new App({ outdir });
  new RetailForecasting(app, 'retail');
  new OperationsForecasting(app, 'operations');
  return app;
}

if (require.main === module) buildApp().synth();
