import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  BatchScoringJob,
  ComputePool,
  Database,
  InstanceFamily,
  ManyModelNames,
  ManyModelPipeline,
  ManyModelPipelineProps,
  Schema,
  SourceTable,
  Trainer,
  ValidationError,
  Warehouse,
  enablePreviewFeatures,
} from '../../index';
import { errorOf, newStack } from './helpers';

function pipeline(scope: Construct, id: string, overrides: Partial<ManyModelPipelineProps> = {}): ManyModelPipeline {
  const node = scope.node;
  const db = (node.tryFindChild('Db') as Database | undefined) ?? Database.fromName(scope, 'Db', 'ANALYTICS');
  const src =
    (node.tryFindChild('Src') as SourceTable | undefined) ??
    SourceTable.fromName(scope, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' });
  const pool =
    (node.tryFindChild('Pool') as ComputePool | undefined) ?? new ComputePool(scope, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 });
  return new ManyModelPipeline(scope, id, {
    database: db,
    source: src,
    computePool: pool,
    trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
    scoring: { horizon: 7 },
    ...overrides,
  });
}

function stackIn(app: App, id: string, provider: ConstructorParameters<typeof SnowflakeProvider>[2] = {}, prefix?: string): TerraformStack {
  const stack = new TerraformStack(app, id);
  if (prefix) ManyModelNames.prefix(stack, prefix);
  new SnowflakeProvider(stack, 'snowflake', provider);
  enablePreviewFeatures(stack);
  return stack;
}

describe('two constructs that would create the same Snowflake object fail at synth, naming both and the prop to change', () => {
  test('two pipelines with the same namePrefix', () => {
    const msg = errorOf((s) => {
      pipeline(s, 'Sales', { namePrefix: 'FORECAST' });
      pipeline(s, 'Stores', { namePrefix: 'FORECAST' });
    });
    expect(msg).toContain('test/Stores: namePrefix names schema ANALYTICS.FORECAST, which test/Sales also creates (namePrefix)');
  });

  test("construct ids 'Sales-Forecast' and 'Sales_Forecast' derive the same names", () => {
    expect(
      errorOf((s) => {
        pipeline(s, 'Sales-Forecast');
        pipeline(s, 'Sales_Forecast');
      }),
    ).toContain('test/Sales_Forecast: namePrefix names schema ANALYTICS.SALES_FORECAST, which test/Sales-Forecast also creates (namePrefix)');
  });

  test('two compute pools with one name', () => {
    expect(
      errorOf((s) => {
        new ComputePool(s, 'A', { name: 'POOL', instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 1 });
        new ComputePool(s, 'B', { name: 'POOL', instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 1 });
      }),
    ).toContain('test/B: name names compute pool POOL, which test/A also creates (name); names are unique per kind in the account');
  });

  test("a results table named like the pipeline's metrics table, in the pipeline or in a standalone scoring job", () => {
    expect(errorOf((s) => pipeline(s, 'Forecast', { scoring: { horizon: 7, resultsTableName: 'FORECAST_TRAINING_METRICS' } }))).toContain(
      "test/Forecast: scoring.resultsTableName FORECAST_TRAINING_METRICS is the name of this pipeline's training metrics table",
    );
    expect(
      errorOf((s) => {
        const p = pipeline(s, 'Forecast', { scoring: undefined });
        new BatchScoringJob(s, 'Nightly', {
          schema: p.schema,
          source: p.source,
          aggregator: p.aggregator,
          warehouse: p.warehouse,
          horizon: 7,
          resultsTableName: 'FORECAST_TRAINING_METRICS',
        });
      }),
    ).toContain('test/Nightly: resultsTableName names table ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS, which test/Forecast also creates (namePrefix)');
  });

  test("a warehouse named like a pipeline's own one", () => {
    expect(
      errorOf((s) => {
        new Warehouse(s, 'Wh', { name: 'FORECAST_WH' });
        pipeline(s, 'Forecast');
      }),
    ).toContain('test/Forecast: namePrefix names warehouse FORECAST_WH, which test/Wh also creates (name)');
  });

  test("a child that names its own table like one its pipeline derives is blamed, with its own prop, not the pipeline's namePrefix", () => {
    const msg = errorOf((s) => {
      pipeline(s, 'Sales').addMonitoring({ alert: { eventsTableName: 'SALES_TRAINING_METRICS' } });
    });
    expect(msg).toContain(
      'test/Sales/Monitoring: alert.eventsTableName names table ANALYTICS.SALES.SALES_TRAINING_METRICS, which test/Sales also creates (namePrefix)',
    );
    expect(msg).toContain('test/Sales (namePrefix) or this one (alert.eventsTableName)');
  });

  test('the error is a ValidationError with the construct path and the prop', () => {
    const stack = newStack();
    new Schema(stack, 'A', { database: Database.fromName(stack, 'Db', 'ANALYTICS'), name: 'OPS' });
    let caught: unknown;
    try {
      new Schema(stack, 'B', { database: Database.fromName(stack, 'Db2', 'ANALYTICS'), name: 'OPS' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ path: 'test/B', prop: 'name' });
  });

  test('the same names in other schemas, or imported twice, are no clash', () => {
    const stack = newStack();
    pipeline(stack, 'Forecast');
    pipeline(stack, 'Other', { schema: Schema.fromName(stack, 'OtherSchema', 'ANALYTICS.OTHER'), namePrefix: 'OTHER' });
    Warehouse.fromName(stack, 'Shared', 'FORECAST_WH');
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });
});

describe('account objects across the stacks of one app', () => {
  const build = (app: App, dev: TerraformStack, prod: TerraformStack) => {
    for (const s of [dev, prod]) pipeline(s, 'Forecast');
    return app;
  };

  test('a dev and a prod stack with the same ids declare the same roles, warehouse and pool: refused, with the one-line fix', () => {
    const app = Testing.app();
    const dev = stackIn(app, 'dev');
    const prod = stackIn(app, 'prod');
    pipeline(dev, 'Forecast');
    expect(() => pipeline(prod, 'Forecast')).toThrow(
      /prod\/Pool: name names compute pool POOL, which dev\/Pool also creates \(name\).*ManyModelNames\.prefix\(scope, 'DEV'\)/,
    );
  });

  test("ManyModelNames.prefix namespaces a whole stack's derived names", () => {
    const app = Testing.app();
    const dev = stackIn(app, 'dev', {}, 'DEV');
    build(app, dev, stackIn(app, 'prod'));
    const names = JSON.stringify(JSON.parse(Testing.synth(dev)).resource);
    expect(names).toContain('"name":"DEV_FORECAST_RUNNER"');
    expect(names).toContain('"name":"DEV_POOL"');
    expect(names).not.toContain('"name":"FORECAST_RUNNER"');
  });

  test('stacks whose providers name different accounts may reuse names', () => {
    const app = Testing.app();
    expect(() =>
      build(
        app,
        stackIn(app, 'dev', { organizationName: 'ACME', accountName: 'DEV' }),
        stackIn(app, 'prod', { organizationName: 'ACME', accountName: 'PROD' }),
      ),
    ).not.toThrow();
  });

  test('ManyModelNames.prefix after the constructs it should cover is refused', () => {
    const stack = newStack();
    pipeline(stack, 'Forecast');
    expect(() => ManyModelNames.prefix(stack, 'DEV')).toThrow(
      'test: ManyModelNames.prefix comes after constructs of this scope already derived their names. Call ManyModelNames.prefix(scope, prefix) first',
    );
  });
});

test('derived names split camelCase into words: StoreDemand -> STORE_DEMAND', () => {
  const stack = newStack();
  const p = pipeline(stack, 'StoreDemand');
  expect(p.schema.qualifiedName.toString()).toBe('ANALYTICS.STORE_DEMAND');
  expect(p.runnerRole.roleName).toBe('STORE_DEMAND_RUNNER');
});
