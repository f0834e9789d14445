import 'cdktf/lib/testing/adapters/jest';
import { Role, ModelRegistryAggregator, PromotionGate, Schema, TargetPlatform, GateMetric } from '../../index';
import { errorOf, newStack, resources, synthJson } from './helpers';

function aggregator(stack: any, props: Record<string, unknown> = {}) {
  return new ModelRegistryAggregator(stack, 'Agg', { schema: Schema.fromName(stack, 'S', 'ML.FC'), metricsTableName: 'ML.FC.METRICS', ...props });
}

describe('ModelRegistryAggregator', () => {
  test('creates an encrypted stage with a directory table for the artifacts', () => {
    const stack = newStack();
    aggregator(stack);
    const stage = Object.values(resources(synthJson(stack), 'snowflake_stage'))[0];
    expect(stage).toMatchObject({ database: 'ML', schema: 'FC', name: 'AGG_STAGE', directory: 'ENABLE = true', encryption: "TYPE = 'SNOWFLAKE_SSE'" });
  });

  test("creates the registration procedure with snowflake-ml-python, running with the caller's rights (the runner owns the model)", () => {
    const stack = newStack();
    aggregator(stack, { modelName: 'demand' });
    const proc = Object.values(resources(synthJson(stack), 'snowflake_procedure_python'))[0];
    expect(proc.packages).toEqual(['snowflake-ml-python==1.8.4']);
    expect(proc.snowpark_package).toBe('1.25.0');
    expect(proc.execute_as).toBe('CALLER');
    expect(proc.arguments.map((a: any) => a.arg_name)).toEqual(['RUN_ID', 'VERSION_NAME', 'INDEX_PATH']);
    expect(proc.procedure_definition).toContain('ML.FC.DEMAND');
    expect(proc.procedure_definition).toMatch(/def main\(session/);
  });

  test('grantPredict gives USAGE on database, schema and the schema models, nothing more', () => {
    const stack = newStack();
    aggregator(stack).grantPredict(Role.fromName(stack, 'A', 'ANALYSTS'));
    const grants = Object.values(resources(synthJson(stack), 'snowflake_grant_privileges_to_account_role'));
    expect(grants).toHaveLength(3);
    for (const g of grants) expect(g.privileges).toEqual(['USAGE']);
    expect(grants.map((g) => g.on_account_object?.object_name ?? g.on_schema?.schema_name ?? g.on_schema_object.future.object_type_plural).sort()).toEqual([
      '"ML"',
      '"ML"."FC"',
      'MODELS',
    ]);
  });

  test('enables the preview features its resources need through the Aspect', () => {
    const stack = newStack();
    aggregator(stack);
    const provider = synthJson(stack).provider.snowflake[0];
    expect(provider.preview_features_enabled).toEqual(['snowflake_procedure_python_resource', 'snowflake_stage_resource']);
  });

  test('without the Aspect a missing preview feature fails synth and names it', () => {
    const { Testing, TerraformStack } = require('cdktf');
    const { SnowflakeProvider } = require('@cdktf/provider-snowflake/lib/provider');
    const stack = new TerraformStack(Testing.app(), 'plain');
    new SnowflakeProvider(stack, 'snowflake', { previewFeaturesEnabled: ['snowflake_stage_resource'] });
    aggregator(stack);
    expect(() => Testing.synth(stack, true)).toThrow(/plain\/snowflake: previewFeaturesEnabled lacks snowflake_procedure_python_resource/);
  });

  test.each([
    [{ pipRequirements: ['prophet==1.1'] }, 'Agg: pipRequirements are set for a WAREHOUSE target'],
    [{ alias: 'default' }, 'Agg: alias DEFAULT is a system alias'],
    [{ inputColumns: [{ name: 'STEP', type: 'NUMBER' }] }, 'Agg: inputColumns has no PARTITION_KEY column'],
    [{ inputColumns: [{ name: 'PARTITION_KEY', type: 'VARCHAR' }] }, 'Agg: inputColumns have no STEP column'],
    [{ outputColumns: [{ name: 'PARTITION_KEY', type: 'BLOB' }] }, 'Agg: outputColumns[0].type "BLOB" is not a supported column type'],
    [{ condaDependencies: ['pandas; rm -rf'] }, 'Agg: condaDependencies[0] "pandas; rm -rf" is not a package specification'],
    [{ promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, -1) }, 'Agg: promotionGate threshold -1 must be a finite number >= 0'],
    [{ versionPrefix: 'v-' }, 'Agg: versionPrefix "v-" must be'],
    [{ metricsTableName: 'METRICS' }, 'Agg: metricsTableName "METRICS" must have the form DATABASE.SCHEMA.NAME'],
  ])('rejects %j', (props, message) => {
    expect(errorOf((s) => aggregator(s, props))).toContain(message);
  });

  test('a bring-your-own aggregator may take inputs without STEP', () => {
    const stack = newStack();
    const aggregatorSource = 'class ManyModelAggregator(custom_model.CustomModel):\n    pass\n';
    expect(() => aggregator(stack, { inputColumns: [{ name: 'PARTITION_KEY', type: 'VARCHAR' }], aggregatorSource })).not.toThrow();
  });

  test('allows pip requirements on the SPCS target', () => {
    const stack = newStack();
    expect(() => aggregator(stack, { targetPlatform: TargetPlatform.SNOWPARK_CONTAINER_SERVICES, pipRequirements: ['prophet==1.1'] })).not.toThrow();
  });

  test('fromName references an existing model for scoring', () => {
    const stack = newStack();
    const m = ModelRegistryAggregator.fromName(stack, 'M', 'ml.fc.demand', { alias: 'staging' });
    expect(m.modelName.quoted).toBe('"ML"."FC"."DEMAND"');
    expect(m.alias).toBe('STAGING');
  });
});
