import { finalizeSteps } from '../../lib/hooks/manifest';
import { parseManifest } from '../../lib/hooks/validate';
import { ObjectName } from '../../lib/identifiers';
import { servingSteps } from '../../lib/pipeline/serving';
import {
  InferenceServiceModel,
  deployStatementsByKey,
  grantStatementsByKey,
  renderDeployStatements,
  renderGatewaySpec,
  restPath,
  serviceNameFor,
  settingsTag,
} from '../../lib/sql/serving';

// A service written out by hand: its step and its statements are functions of the model alone.
const model = (extra: Partial<InferenceServiceModel> = {}): InferenceServiceModel => ({
  path: 'app/Demand/Aggregator/Online',
  name: ObjectName.of('DB', 'ML', 'DEMAND_ONLINE'),
  model: ObjectName.of('DB', 'ML', 'DEMAND_MODEL'),
  alias: 'PRODUCTION',
  procedure: ObjectName.of('DB', 'ML', 'DEMAND_ONLINE_DEPLOY'),
  computePool: ObjectName.of('SERVING'),
  ingress: 'PRIVATE',
  minInstances: 1,
  maxInstances: 2,
  endpointRole: 'DEMAND_ONLINE_CALLER',
  dependsOn: ['app/Demand/promote'],
  runGroup: 'app/Demand',
  timeoutSeconds: 3600,
  ...extra,
});

describe('servingSteps', () => {
  test("one deployService step after the promotion, in the pipeline's run group: resolve the alias, then CALL the deploy procedure with that version", () => {
    const [step, ...rest] = servingSteps(model());
    expect(rest).toEqual([]);
    expect(step).toMatchObject({
      id: 'app/Demand/Aggregator/Online/deployService',
      kind: 'deployService',
      runGroup: 'app/Demand',
      dependsOn: ['app/Demand/promote'],
      timeoutSeconds: 3600,
    });
    expect(step.statements.map((s) => s.id)).toEqual(['resolve-version', 'deploy']);
    expect(step.statements[0]).toMatchObject({
      sql: 'SHOW VERSIONS IN MODEL "DB"."ML"."DEMAND_MODEL"',
      capture: { variable: 'MODEL_VERSION', column: 'name', match: { value: 'PRODUCTION', arrayColumn: 'aliases' } },
    });
    expect(step.statements[1].sql).toBe(`CALL "DB"."ML"."DEMAND_ONLINE_DEPLOY"('{{MODEL_VERSION}}')`);
    expect(step.service).toEqual({
      name: 'DB.ML.DEMAND_ONLINE',
      model: 'DB.ML.DEMAND_MODEL',
      alias: 'PRODUCTION',
      computePool: 'SERVING',
      ingress: 'PRIVATE',
      minInstances: 1,
      maxInstances: 2,
    });
  });

  test('a change of what the service runs with re-runs the step (its fingerprint covers the service block and the endpoint role); an unchanged model does not', () => {
    const fp = (m: InferenceServiceModel) => finalizeSteps(servingSteps({ ...m, dependsOn: [] }))[0].fingerprint;
    const base = fp(model());
    expect(fp(model())).toBe(base);
    for (const changed of [
      { minInstances: 2 },
      { maxInstances: 3 },
      { ingress: 'PUBLIC' as const },
      { computePool: ObjectName.of('OTHER') },
      { endpointRole: 'OTHER_ROLE' },
      { alias: 'STAGING' },
    ]) {
      expect(fp(model(changed))).not.toBe(base);
    }
  });

  test('the manifest validator accepts the step and refuses a service block it could not price', () => {
    const manifest = (service: unknown) =>
      JSON.stringify({
        schemaVersion: 1,
        stack: 's',
        ledger: { database: 'DB', schema: 'ML', table: 'HOOK_RUNS' },
        steps: finalizeSteps(servingSteps(model({ dependsOn: [] }))).map((s) => ({ ...s, service: service ?? (s as { service?: unknown }).service })),
      });
    expect(parseManifest(manifest(undefined)).steps[0].kind).toBe('deployService');
    expect(() =>
      parseManifest(manifest({ name: 'DB.ML.X', model: 'DB.ML.M', alias: 'P', computePool: 'SERVING', ingress: 'OPEN', minInstances: 1, maxInstances: 1 })),
    ).toThrow('hooks.json: steps[0] (app/Demand/Aggregator/Online/deployService).service.ingress must be PRIVATE or PUBLIC');
    expect(() =>
      parseManifest(manifest({ name: 'DB.ML.X', model: 'DB.ML.M', alias: 'P', computePool: 'SERVING', ingress: 'PUBLIC', minInstances: 3, maxInstances: 1 })),
    ).toThrow('.service.maxInstances (1) is below minInstances (3)');
  });
});

describe("the deploy procedure's statements (lib/sql/serving.ts)", () => {
  test('private ingress: list, describe, mark, grant through the grant procedure, drop; no gateway', () => {
    expect(renderDeployStatements(model())).toEqual({
      show: 'SHOW SERVICES IN SCHEMA DB.ML',
      describe: 'DESCRIBE SERVICE DB.ML.<SERVICE>',
      mark: "ALTER SERVICE DB.ML.<SERVICE> SET COMMENT = 'many-model inference service DB.ML.DEMAND_ONLINE'",
      grant: `CALL "DB"."ML"."DEMAND_ONLINE_GRANT"('<SERVICE>')`,
      drop: 'DROP SERVICE IF EXISTS DB.ML.<SERVICE>',
    });
    expect(grantStatementsByKey(model())).toEqual({ grant_endpoints: 'GRANT SERVICE ROLE DB.ML.<SERVICE>!ALL_ENDPOINTS_USAGE TO ROLE "DEMAND_ONLINE_CALLER"' });
  });

  test("public ingress adds the gateway (all traffic to the current service's inference endpoint) and USAGE on it for the endpoint role", () => {
    const st = deployStatementsByKey(model({ ingress: 'PUBLIC' }));
    const spec = 'spec:\n  type: traffic_split\n  split_type: custom\n  targets:\n  - type: endpoint\n    value: DB.ML.<SERVICE>!inference\n    weight: 100';
    expect(renderGatewaySpec(model())).toBe(spec);
    expect(st.create_gateway).toBe(`CREATE GATEWAY IF NOT EXISTS DB.ML.DEMAND_ONLINE FROM SPECIFICATION '${spec}'`);
    expect(st.alter_gateway).toBe(`ALTER GATEWAY DB.ML.DEMAND_ONLINE FROM SPECIFICATION '${spec}'`);
    expect(grantStatementsByKey(model({ ingress: 'PUBLIC' })).grant_gateway).toBe('GRANT USAGE ON GATEWAY DB.ML.DEMAND_ONLINE TO ROLE "DEMAND_ONLINE_CALLER"');
    expect(Object.keys(deployStatementsByKey(model())).sort()).toEqual(['describe', 'drop', 'grant', 'mark', 'show']);
  });

  test("a version's service is NAME_<VERSION>_<TAG>; the tag changes with the settings a service is created with", () => {
    const tag = settingsTag(model());
    expect(tag).toMatch(/^[0-9A-F]{8}$/);
    expect(serviceNameFor(model(), 'V_R20261201ABCDEF').toString()).toBe(`DB.ML.DEMAND_ONLINE_V_R20261201ABCDEF_${tag}`);
    expect(settingsTag(model({ endpointRole: 'OTHER' }))).toBe(tag); // re-granted, not re-created
    expect(settingsTag(model({ maxInstances: 3 }))).not.toBe(tag);
    expect(() => serviceNameFor(model(), 'v1; DROP')).toThrow('is not an unquoted identifier');
  });

  test("a method's REST path is its name with - for _", () => {
    expect(restPath('predict_rows')).toBe('/predict-rows');
  });
});
