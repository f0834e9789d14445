import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import { ComputePool, Duration, InferenceService, InstanceFamily, ModelRegistryAggregator, Role, Schema, ServiceIngress } from '../../index';
import { Hooks } from '../../lib/hooks/hooks';
import { DeployServiceStepSpec } from '../../lib/hooks/manifest';
import { errorOf, forecastPipeline, newStack, resources, synthJson } from './helpers';

/** The example's pipeline with a service on a pool of its own. */
function served(options: Partial<Parameters<ModelRegistryAggregator['addInferenceService']>[1]> = {}) {
  const stack = newStack('test', { role: 'DEPLOYER', warehouse: 'DEPLOY_WH' });
  const pipeline = forecastPipeline(stack);
  const pool = new ComputePool(stack, 'ServingPool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 3 });
  const service = pipeline.aggregator.addInferenceService('Online', { computePool: pool, ...options });
  return { stack, pipeline, pool, service };
}

const grants = (json: any) => Object.values(resources(json, 'snowflake_grant_privileges_to_account_role')) as any[];
const grantOf = (json: any, role: string, on: (g: any) => boolean) => grants(json).find((g) => g.account_role_name === role && on(g));

describe('InferenceService: props', () => {
  test("defaults: private ingress, 0 to 1 instances, the aggregator's alias, names derived from the path", () => {
    const { service } = served();
    expect(service.model).toMatchObject({
      name: expect.objectContaining({ parts: ['ANALYTICS', 'FORECAST', 'FORECAST_AGGREGATOR_ONLINE'] }),
      alias: 'PRODUCTION',
      ingress: 'PRIVATE',
      minInstances: 0,
      maxInstances: 1,
      endpointRole: 'FORECAST_AGGREGATOR_ONLINE_CALLER',
      dependsOn: ['test/Forecast/promote'],
      runGroup: 'test/Forecast',
      timeoutSeconds: 3600,
    });
    expect(service.model.procedure.toString()).toBe('ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE_DEPLOY');
    expect(service.gateway).toBeUndefined();
    expect(served({ minInstances: 3 }).service.model.maxInstances).toBe(3);
  });

  test.each([
    [{ minInstances: -1 }, 'test/Forecast/Aggregator/Online: minInstances is -1; it must be a whole number >= 0. Use 0 to let the service suspend when idle'],
    [{ minInstances: 1.5 }, 'test/Forecast/Aggregator/Online: minInstances is 1.5; it must be a whole number >= 0'],
    [{ maxInstances: 0 }, 'test/Forecast/Aggregator/Online: maxInstances is 0; it must be a whole number >= 1'],
    [
      { minInstances: 3, maxInstances: 2 },
      'test/Forecast/Aggregator/Online: maxInstances (2) is below minInstances (3). Raise maxInstances or lower minInstances',
    ],
    [
      { ingress: 'INTERNET' as ServiceIngress },
      'test/Forecast/Aggregator/Online: ingress "INTERNET" is unknown. Use ServiceIngress.PRIVATE or ServiceIngress.PUBLIC',
    ],
    [{ alias: 'prod alias' }, 'test/Forecast/Aggregator/Online: alias "prod alias" is not a valid Snowflake identifier'],
    [{ name: 'a.b' }, 'test/Forecast/Aggregator/Online: name "a.b" is not a valid Snowflake identifier'],
    [
      { name: 'S'.repeat(151) },
      'test/Forecast/Aggregator/Online: name ' +
        'S'.repeat(151) +
        ' is 151 characters; a service is named NAME_<VERSION>_<TAG>, which must stay under 255. Give a name of at most 150 characters',
    ],
    [{ timeout: Duration.seconds(30) }, "test/Forecast/Aggregator/Online: timeout is 30 s; building the model's image and starting the service take minutes"],
  ])('refuses %j, naming the construct path, the prop and the fix', (options, message) => {
    const error = errorOf((s) => {
      const pipeline = forecastPipeline(s);
      pipeline.aggregator.addInferenceService('Online', { computePool: ComputePool.fromName(s, 'P', 'SERVING'), ...options });
    });
    expect(error).toContain(message);
  });

  test('refuses an aggregator that no pipeline promotes: there is no alias move to follow', () => {
    const error = errorOf((s) => {
      const agg = new ModelRegistryAggregator(s, 'Agg', { schema: Schema.fromName(s, 'S', 'ML.FC'), metricsTableName: 'ML.FC.METRICS' });
      agg.addInferenceService('Online', { computePool: ComputePool.fromName(s, 'P', 'SERVING') });
    });
    expect(error).toBe(
      "test/Agg/Online: aggregator test/Agg is not the aggregator of a ManyModelPipeline, so no promotion moves its alias for the service to follow. Add the service to a pipeline's aggregator: pipeline.aggregator.addInferenceService(...)",
    );
  });

  test('two services with one name clash at synth, naming both paths', () => {
    const error = errorOf((s) => {
      const pipeline = forecastPipeline(s);
      const pool = ComputePool.fromName(s, 'P', 'SERVING');
      pipeline.aggregator.addInferenceService('A', { computePool: pool, name: 'ONLINE' });
      pipeline.aggregator.addInferenceService('B', { computePool: pool, name: 'ONLINE' });
    });
    expect(error).toMatch(
      /test\/Forecast\/Aggregator\/B.*ONLINE.*test\/Forecast\/Aggregator\/A|test\/Forecast\/Aggregator\/A.*ONLINE.*test\/Forecast\/Aggregator\/B/s,
    );
  });

  test('a bring-your-own aggregator without the row-wise online method cannot be served', () => {
    const error = errorOf((s) => {
      const pipeline = forecastPipeline(s, { registry: { aggregatorSource: 'class ManyModelAggregator(custom_model.CustomModel):\n    pass\n' } });
      pipeline.aggregator.addInferenceService('Online', { computePool: ComputePool.fromName(s, 'P', 'SERVING') });
    });
    expect(error).toContain(
      'test/Forecast/Aggregator: aggregatorSource could not be rendered into the registration procedure: a custom aggregator with an inference service must define the row-wise method predict_rows',
    );
  });

  test("warns when maxInstances exceeds the pool's known maxNodes", () => {
    const { service } = served({ maxInstances: 5 });
    const warnings = service.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining('maxInstances is 5 but compute pool SERVING_POOL has maxNodes 3')]);
    expect(served({ maxInstances: 3 }).service.node.metadata.filter((m) => m.type === '@cdktf/warn')).toEqual([]);
  });
});

describe('InferenceService: resources and grants', () => {
  test("a caller's-rights deploy procedure pinned to snowflake-ml-python 1.25.0 (create_service with min_instances)", () => {
    const { stack } = served({ minInstances: 1, maxInstances: 2 });
    expect(Testing.synth(stack)).toHaveResourceWithProperties({ tfResourceType: 'snowflake_procedure_python' } as never, {
      name: 'FORECAST_AGGREGATOR_ONLINE_DEPLOY',
      database: 'ANALYTICS',
      schema: 'FORECAST',
      execute_as: 'CALLER',
      packages: ['snowflake-ml-python==1.25.0'],
      snowpark_package: '1.25.0',
      arguments: [{ arg_name: 'VERSION_NAME', arg_data_type: 'VARCHAR' }],
    });
    const proc = Object.values(resources(synthJson(stack), 'snowflake_procedure_python')).find((p: any) => p.name.endsWith('_DEPLOY')) as any;
    expect(proc.procedure_definition).toContain('MIN_INSTANCES = 1\nMAX_INSTANCES = 2\n');
    expect(proc.procedure_definition).toContain('GATEWAY = None\n');
  });

  test("an owner's-rights grant procedure: in the managed-access schema only its owner (the deploy role) may grant on the runner's services", () => {
    const { stack } = served();
    expect(Testing.synth(stack)).toHaveResourceWithProperties({ tfResourceType: 'snowflake_procedure_python' } as never, {
      name: 'FORECAST_AGGREGATOR_ONLINE_GRANT',
      execute_as: 'OWNER',
      arguments: [{ arg_name: 'SERVICE_NAME', arg_data_type: 'VARCHAR' }],
    });
    const proc = Object.values(resources(synthJson(stack), 'snowflake_procedure_python')).find((p: any) => p.name.endsWith('_GRANT')) as any;
    expect(proc.procedure_definition).toContain(
      'GRANT SERVICE ROLE ANALYTICS.FORECAST.<SERVICE>!ALL_ENDPOINTS_USAGE TO ROLE \\"FORECAST_AGGREGATOR_ONLINE_CALLER\\"',
    );
    expect(proc.packages).toBeUndefined();
  });

  test('the registration procedure logs the online method, as a FUNCTION, for SNOWPARK_CONTAINER_SERVICES too; without a service it is unchanged', () => {
    const register = (json: any) =>
      (Object.values(resources(json, 'snowflake_procedure_python')).find((p: any) => p.name.endsWith('_REGISTER')) as any).procedure_definition as string;
    const withService = register(synthJson(served().stack));
    const plainStack = newStack('test', { role: 'DEPLOYER', warehouse: 'DEPLOY_WH' });
    forecastPipeline(plainStack);
    const without = register(synthJson(plainStack));
    expect(withService).toContain('def predict_rows(self, input: pd.DataFrame) -> pd.DataFrame:');
    expect(withService).toContain('options={"function_type": "TABLE_FUNCTION", "method_options": {ONLINE_METHOD: {"function_type": "FUNCTION"}}},');
    expect(withService).toContain('target_platforms=[TARGET_PLATFORM, "SNOWPARK_CONTAINER_SERVICES"],');
    expect(without).not.toContain('predict_rows');
    expect(without).toContain('            signatures={"predict": signature},\n            options={"function_type": "TABLE_FUNCTION"},\n');
    expect(without).toContain('target_platforms=[TARGET_PLATFORM],');
  });

  test('the runner may run the deploy step and nothing more: USAGE on the pool and the procedure, CREATE SERVICE on the schema', () => {
    const json = synthJson(served().stack);
    expect(grantOf(json, 'FORECAST_RUNNER', (g) => g.on_account_object?.object_name === '"SERVING_POOL"').privileges).toEqual(['USAGE']);
    expect(grantOf(json, 'FORECAST_RUNNER', (g) => /_DEPLOY"\(VARCHAR\)$/.test(g.on_schema_object?.object_name ?? '')).privileges).toEqual(['USAGE']);
    expect(grantOf(json, 'FORECAST_RUNNER', (g) => /_GRANT"\(VARCHAR\)$/.test(g.on_schema_object?.object_name ?? '')).privileges).toEqual(['USAGE']);
    const schema = grantOf(json, 'FORECAST_RUNNER', (g) => g.on_schema?.schema_name === '"ANALYTICS"."FORECAST"').privileges;
    expect(schema).toContain('CREATE SERVICE');
    expect(schema).not.toContain('CREATE GATEWAY');
    expect(grants(json).some((g) => g.on_account)).toBe(false);
  });

  test('PUBLIC ingress adds the gateway and CREATE GATEWAY for the runner', () => {
    const { stack, service } = served({ ingress: ServiceIngress.PUBLIC });
    expect(service.gateway?.toString()).toBe('ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE');
    const json = synthJson(stack);
    expect(grantOf(json, 'FORECAST_RUNNER', (g) => g.on_schema?.schema_name === '"ANALYTICS"."FORECAST"').privileges).toContain('CREATE GATEWAY');
    const proc = Object.values(resources(json, 'snowflake_procedure_python')).find((p: any) => p.name.endsWith('_DEPLOY')) as any;
    expect(proc.procedure_definition).toContain('GATEWAY = "ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE"');
    expect(proc.procedure_definition).toContain('INGRESS_ENABLED = True');
  });

  test('the endpoint role gets USAGE on the database and schema only, sits under the deploy role, and grantInvoke grants it to callers', () => {
    const { stack, service } = served();
    const app = Role.fromName(stack, 'App', 'STORE_APP');
    service.grantInvoke(app);
    const json = synthJson(stack);
    expect(Testing.synth(stack)).toHaveResourceWithProperties({ tfResourceType: 'snowflake_account_role' } as never, {
      name: 'FORECAST_AGGREGATOR_ONLINE_CALLER',
    });
    const mine = grants(json).filter((g) => g.account_role_name === 'FORECAST_AGGREGATOR_ONLINE_CALLER');
    expect(mine.map((g) => [g.privileges, g.on_account_object?.object_name ?? g.on_schema?.schema_name]).sort()).toEqual([
      [['USAGE'], '"ANALYTICS"'],
      [['USAGE'], '"ANALYTICS"."FORECAST"'],
    ]);
    const roleGrants = Object.values(resources(json, 'snowflake_grant_account_role')) as any[];
    expect(
      roleGrants
        .filter((g) => g.role_name === 'FORECAST_AGGREGATOR_ONLINE_CALLER')
        .map((g) => g.parent_role_name)
        .sort(),
    ).toEqual(['DEPLOYER', 'STORE_APP']);
  });

  test('an endpoint role of your own is used as given (not created, not put under the deploy role)', () => {
    const s2 = newStack('test2', { role: 'DEPLOYER', warehouse: 'DEPLOY_WH' });
    const pipeline = forecastPipeline(s2);
    const mine = Role.fromName(s2, 'Callers', 'APP_CALLERS');
    const svc = pipeline.aggregator.addInferenceService('Online', { computePool: ComputePool.fromName(s2, 'P', 'SERVING'), endpointRole: mine });
    expect(svc.model.endpointRole).toBe('APP_CALLERS');
    const json = synthJson(s2);
    expect(Object.values(resources(json, 'snowflake_account_role')).map((r: any) => r.name)).not.toContain('FORECAST_AGGREGATOR_ONLINE_CALLER');
    expect((Object.values(resources(json, 'snowflake_grant_account_role')) as any[]).filter((g) => g.role_name === 'APP_CALLERS')).toEqual([]);
    expect(
      grants(json)
        .filter((g) => g.account_role_name === 'APP_CALLERS')
        .map((g) => g.privileges),
    ).toEqual([['USAGE'], ['USAGE']]);
  });

  test("the deploy step runs after the promotion, in the pipeline's run group, and is among the pipeline's hookStepIds", () => {
    const { stack, pipeline, service } = served({ ingress: ServiceIngress.PUBLIC, minInstances: 1, maxInstances: 2 });
    const step = Hooks.of(stack)
      .manifest()
      .steps.find((s) => s.kind === 'deployService') as DeployServiceStepSpec | undefined;
    expect(step).toMatchObject({ id: 'test/Forecast/Aggregator/Online/deployService', dependsOn: ['test/Forecast/promote'], runGroup: 'test/Forecast' });
    expect(step?.service).toEqual({
      name: 'ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE',
      model: 'ANALYTICS.FORECAST.FORECAST_MODEL',
      alias: 'PRODUCTION',
      computePool: 'SERVING_POOL',
      ingress: 'PUBLIC',
      minInstances: 1,
      maxInstances: 2,
    });
    expect(pipeline.hookStepIds).toContain(service.hookStepIds[0]);
  });

  test('adding a service re-triggers registration (a promoted version lacks the online method): a new run registers one with it', () => {
    const register = (stack: ReturnType<typeof newStack>) =>
      Hooks.of(stack)
        .manifest()
        .steps.find((s) => s.kind === 'registerAggregator')!;
    const plain = newStack('test', { role: 'DEPLOYER', warehouse: 'DEPLOY_WH' });
    forecastPipeline(plain);
    const { stack } = served();
    expect(register(plain).triggers).toEqual({});
    expect(register(stack).triggers).toEqual({ servedMethod: 'predict_rows' });
    expect(register(stack).fingerprint).not.toBe(register(plain).fingerprint);
  });

  test('is an InferenceService construct under the aggregator', () => {
    const { service, pipeline } = served();
    expect(service).toBeInstanceOf(InferenceService);
    expect(service.node.scope).toBe(pipeline.aggregator);
  });
});
