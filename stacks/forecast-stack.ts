import { Aspects, TerraformStack } from '../lib/engine';
import { SnowflakeProvider } from '../constructs/resources';
import { Construct } from 'constructs';
import {
  ComputePool,
  Database,
  Duration,
  GateMetric,
  InstanceFamily,
  ManyModelChecks,
  ManyModelPipeline,
  ManyModelPipelineProps,
  PromotionGate,
  Role,
  Schedule,
  SourceTable,
  Trainer,
  TrainingStrategy,
  enablePreviewFeatures,
} from '../index';

/** Names the example uses; the offline demo creates the source table under the same name. */
export const EXAMPLE = {
  database: 'ANALYTICS',
  sourceTable: 'ANALYTICS.RAW.SERIES_EVENTS',
  image: '/analytics/ml/images/forecast-worker:1.4.0',
  /** The deploy role (docs/roles.md): creates and owns everything the stack declares. */
  deployRole: 'MANY_MODEL_DEPLOYER',
  /**
   * An existing warehouse for the provider's session: creating the registration procedure needs
   * an active warehouse (provider v2.11.0 docs/resources/procedure_python.md), and the pipeline's
   * own warehouse does not exist yet when the first apply connects.
   */
  deployWarehouse: 'MANY_MODEL_DEPLOY_WH',
} as const;

/**
 * The seed's forecasting pipeline: SERIES_EVENTS(UNIT_ID, DATE, Y) -> screen-then-refine training
 * on a CPU pool -> one aggregator version -> alias PRODUCTION -> daily scoring into FORECAST_RESULTS.
 */
export class ForecastStack extends TerraformStack {
  readonly pipeline: ManyModelPipeline;

  /** `overrides` adjust the example's pipeline props (tests use it for short leases). */
  constructor(scope: Construct, id: string, overrides: Partial<ManyModelPipelineProps> = {}) {
    super(scope, id);
    // No credentials here: the provider reads SNOWFLAKE_* variables or connections.toml at apply.
    new SnowflakeProvider(this, 'snowflake', { role: EXAMPLE.deployRole, warehouse: EXAMPLE.deployWarehouse });
    enablePreviewFeatures(this);
    Aspects.of(this).add(new ManyModelChecks());

    // Training in the warehouse (the demo's --training warehouse) needs no pool and no image.
    const inWarehouse = overrides.training?.mode === 'warehouse';
    const containers = inWarehouse
      ? {}
      : { computePool: new ComputePool(this, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 }), trainer: Trainer.fromImage(EXAMPLE.image) };
    const analysts = Role.fromName(this, 'Analysts', 'ANALYSTS');
    this.pipeline = new ManyModelPipeline(this, 'Forecast', {
      database: Database.fromName(this, 'Db', EXAMPLE.database),
      source: SourceTable.fromName(this, 'Src', EXAMPLE.sourceTable, { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
      ...containers,
      training: TrainingStrategy.screenThenRefine({
        refineTopPercent: 10,
        timeBudget: Duration.minutes(30),
        screen: { slots: 8, chunkSize: 25 },
        refine: { workers: 4, chunkSize: 5 },
      }),
      registry: { promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.25) },
      scoring: { horizon: 28, schedule: Schedule.cron('0 6 * * *', 'UTC'), resultsTableName: 'FORECAST_RESULTS' },
      ...overrides,
    });
    this.pipeline.aggregator.grantPredict(analysts);
    // Predicting and reading the forecasts need a warehouse: the consumer role may use the pipeline's.
    this.pipeline.warehouse.grantUsage(this.pipeline.consumerRole);
  }
}
