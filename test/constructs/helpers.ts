import { SnowflakeProvider, SnowflakeProviderConfig } from '@cdktf/provider-snowflake/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ComputePool, Database, InstanceFamily, ManyModelPipeline, ManyModelPipelineProps, SourceTable, Trainer, enablePreviewFeatures } from '../../index';

/** A stack with a Snowflake provider (configured by `provider`) whose preview features are enabled by our Aspect. */
export function newStack(id = 'test', provider: SnowflakeProviderConfig = {}): TerraformStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, id);
  new SnowflakeProvider(stack, 'snowflake', provider);
  enablePreviewFeatures(stack);
  return stack;
}

/** Synthesizes a stack (aspects and validations included) and parses the Terraform JSON. */
export function synthJson(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack, true));
}

/** Resources of one Terraform type in a parsed synth, by logical id. */
export function resources(json: any, type: string): Record<string, any> {
  return json.resource?.[type] ?? {};
}

/** Runs `fn` in a fresh app+stack and returns the thrown error's message. */
export function errorOf(fn: (scope: Construct) => void): string {
  const stack = newStack();
  try {
    fn(stack);
    Testing.synth(stack, true);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

export { App };

/** The example's pipeline ('Forecast' in ANALYTICS, reading ANALYTICS.RAW.SERIES_EVENTS, its own pool), with `overrides`. */
export function forecastPipeline(scope: Construct, overrides: Partial<ManyModelPipelineProps> = {}): ManyModelPipeline {
  return new ManyModelPipeline(scope, 'Forecast', {
    database: Database.fromName(scope, 'Db', 'ANALYTICS'),
    source: SourceTable.fromName(scope, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    computePool: new ComputePool(scope, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 }),
    trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
    ...overrides,
  });
}
