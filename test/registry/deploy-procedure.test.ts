import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ObjectName } from '../../lib/identifiers';
import {
  DEPLOY_PROCEDURE_PLACEHOLDERS,
  GRANT_PROCEDURE_PLACEHOLDERS,
  TEMPLATE_DIR,
  deployProcedureSourceOf,
  grantProcedureSourceOf,
  placeholdersOf,
  renderGrantProcedureSource,
} from '../../lib/registry/python/render';
import { InferenceServiceModel, grantStatementsByKey, serviceMarker, serviceNameFor } from '../../lib/sql/serving';

const FIXTURES = path.join(__dirname, 'fixtures');

const model = (extra: Partial<InferenceServiceModel> = {}): InferenceServiceModel => ({
  path: 'app/Demand/Aggregator/Online',
  name: ObjectName.of('DB', 'ML', 'DEMAND_ONLINE'),
  model: ObjectName.of('DB', 'ML', 'DEMAND_MODEL'),
  alias: 'PRODUCTION',
  procedure: ObjectName.of('DB', 'ML', 'DEMAND_ONLINE_DEPLOY'),
  computePool: ObjectName.of('SERVING'),
  ingress: 'PUBLIC',
  minInstances: 1,
  maxInstances: 2,
  endpointRole: 'DEMAND_ONLINE_CALLER',
  dependsOn: [],
  runGroup: 'app/Demand',
  timeoutSeconds: 3600,
  ...extra,
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-deploy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Out {
  results: Record<string, unknown>[];
  sql: string[];
  created: Record<string, Record<string, unknown>>;
  services: Record<string, { status: string; comment: string | null }>;
  gateway: { name?: string; target?: string };
  grants: string[][];
  sleeps: number[];
}

function run(
  m: InferenceServiceModel,
  job: { services?: { name: string; status: string; comment?: string }[]; calls: string[]; versions?: { model: string; version: string; methods: string[] }[] },
): Out {
  const file = path.join(dir, `deploy-${Math.random().toString(36).slice(2)}.py`);
  fs.writeFileSync(file, deployProcedureSourceOf(m));
  const grantFile = `${file.slice(0, -3)}-grant.py`;
  fs.writeFileSync(grantFile, grantProcedureSourceOf(m));
  const versions = [...['V_R1', 'V_R2'].map((version) => ({ model: 'DEMAND_MODEL', version })), ...(job.versions ?? [])];
  const r = spawnSync('python3', [path.join(FIXTURES, 'deploy_driver.py'), file, path.join(FIXTURES, 'fakes'), grantFile], {
    encoding: 'utf8',
    input: JSON.stringify({ ...job, versions }),
    timeout: 30000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const svc = (m: InferenceServiceModel, version: string) => serviceNameFor(m, version).name;

describe('the deploy procedure (run against fakes of snowflake-ml-python and a session)', () => {
  test('its templates have exactly their documented placeholders, and render to valid Python 3.9 with the statements inlined', () => {
    expect(placeholdersOf(fs.readFileSync(path.join(TEMPLATE_DIR, 'deploy_procedure.py.tmpl'), 'utf8')).sort()).toEqual(
      [...DEPLOY_PROCEDURE_PLACEHOLDERS].sort(),
    );
    expect(placeholdersOf(fs.readFileSync(path.join(TEMPLATE_DIR, 'grant_procedure.py.tmpl'), 'utf8')).sort()).toEqual(
      [...GRANT_PROCEDURE_PLACEHOLDERS].sort(),
    );
    const grant = renderGrantProcedureSource({ servicePrefix: 'DB.ML.DEMAND_ONLINE', statements: grantStatementsByKey(model()) });
    for (const [name, source] of [
      ['deploy', deployProcedureSourceOf(model())],
      ['grant', grant],
    ]) {
      const file = path.join(dir, `syntax-${name}.py`);
      fs.writeFileSync(file, source);
      const r = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 9))', file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
    }
    expect(deployProcedureSourceOf(model())).toContain(`"grant": "CALL \\"DB\\".\\"ML\\".\\"DEMAND_ONLINE_GRANT\\"('<SERVICE>')",`);
    expect(grant).toContain('"grant_endpoints": "GRANT SERVICE ROLE DB.ML.<SERVICE>!ALL_ENDPOINTS_USAGE TO ROLE \\"DEMAND_ONLINE_CALLER\\"",');
  });

  test("first promotion: creates the version's service with the settings (blocking), marks it, grants the endpoint role, points the gateway at it", () => {
    const m = model();
    const out = run(m, { calls: ['V_R1'] });
    const name = svc(m, 'V_R1');
    expect(out.results).toEqual([{ status: 'created', service: `DB.ML.${name}`, version: 'V_R1', gateway: 'DB.ML.DEMAND_ONLINE', retired: [] }]);
    expect(out.created).toEqual({
      [`DB.ML.${name}`]: {
        model: 'DEMAND_MODEL',
        version: 'V_R1',
        service_compute_pool: 'SERVING',
        ingress_enabled: true,
        min_instances: 1,
        max_instances: 2,
        block: true,
      },
    });
    expect(out.services).toEqual({ [name]: { status: 'RUNNING', comment: 'many-model inference service DB.ML.DEMAND_ONLINE' } });
    expect(out.gateway).toEqual({ name: 'DB.ML.DEMAND_ONLINE', target: `DB.ML.${name}!inference` });
    expect(out.grants).toEqual([
      ['SERVICE ROLE', name, 'DEMAND_ONLINE_CALLER'],
      ['GATEWAY', 'DB.ML.DEMAND_ONLINE', 'DEMAND_ONLINE_CALLER'],
    ]);
    expect(out.sleeps).toEqual([]);
  });

  test('a re-run for the same version creates nothing and drops nothing', () => {
    const m = model();
    const out = run(m, { calls: ['V_R1', 'V_R1'] });
    expect(out.results.map((r) => r.status)).toEqual(['created', 'exists']);
    expect(Object.keys(out.created)).toHaveLength(1);
    expect(Object.keys(out.services)).toEqual([svc(m, 'V_R1')]);
    expect(out.sql.filter((s) => s.startsWith('DROP'))).toEqual([]);
  });

  test("a promotion: the new version's service runs and the gateway points at it before the old one is dropped, a minute later", () => {
    const m = model();
    const out = run(m, { calls: ['V_R1', 'V_R2'] });
    const [old, now] = [svc(m, 'V_R1'), svc(m, 'V_R2')];
    expect(out.results[1]).toEqual({ status: 'created', service: `DB.ML.${now}`, version: 'V_R2', gateway: 'DB.ML.DEMAND_ONLINE', retired: [old] });
    expect(Object.keys(out.services)).toEqual([now]);
    expect(out.gateway.target).toBe(`DB.ML.${now}!inference`);
    const second = out.sql.slice(out.sql.lastIndexOf('SHOW SERVICES IN SCHEMA DB.ML'));
    const alter = second.findIndex((s) => s.startsWith('ALTER GATEWAY'));
    const drop = second.indexOf(`DROP SERVICE IF EXISTS DB.ML.${old}`);
    expect(alter).toBeGreaterThan(-1);
    expect(drop).toBeGreaterThan(alter);
    // Callers hold the new service's role before the gateway routes to it.
    const grant = second.indexOf(`CALL "DB"."ML"."DEMAND_ONLINE_GRANT"('${now}')`);
    expect(grant).toBeGreaterThan(-1);
    expect(grant).toBeLessThan(alter);
    expect(out.sleeps).toEqual([60]);
  });

  test('the grant procedure grants only on the services of its construct', () => {
    const file = path.join(dir, 'grant-only.py');
    fs.writeFileSync(file, renderGrantProcedureSource({ servicePrefix: 'DB.ML.DEMAND_ONLINE', statements: grantStatementsByKey(model()) }));
    const script = [
      'import importlib.util, sys',
      'spec = importlib.util.spec_from_file_location("g", sys.argv[1]); g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)',
      'class S:',
      '    def __init__(self): self.sql_seen = []',
      '    def sql(self, text):',
      '        self.sql_seen.append(text)',
      '        return type("R", (), {"collect": lambda _self: []})()',
      'for name in ["OTHER_SERVICE", "DEMAND_ONLINE_V_R1_ABCD1234"]:',
      '    s = S()',
      '    try: print(g.main(s, name), s.sql_seen)',
      '    except ValueError as e: print("ValueError:", e, s.sql_seen)',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe("ValueError: 'OTHER_SERVICE' is not a service of DB.ML.DEMAND_ONLINE []");
    expect(r.stdout.split('\n')[1]).toBe(
      `grant_endpoints,grant_gateway ['GRANT SERVICE ROLE DB.ML.DEMAND_ONLINE_V_R1_ABCD1234!ALL_ENDPOINTS_USAGE TO ROLE "DEMAND_ONLINE_CALLER"', 'GRANT USAGE ON GATEWAY DB.ML.DEMAND_ONLINE TO ROLE "DEMAND_ONLINE_CALLER"']`,
    );
  });

  test('a private service has no gateway and retires at once', () => {
    const m = model({ ingress: 'PRIVATE' });
    const out = run(m, { calls: ['V_R1', 'V_R2'] });
    expect(out.gateway).toEqual({});
    expect(out.created[`DB.ML.${svc(m, 'V_R2')}`]).toMatchObject({ ingress_enabled: false });
    expect(out.sql.some((s) => /GATEWAY/.test(s))).toBe(false);
    expect(Object.keys(out.services)).toEqual([svc(m, 'V_R2')]);
    expect(out.sleeps).toEqual([]);
  });

  test('services it did not mark are never dropped; a FAILED service of the version is dropped and created again', () => {
    const m = model({ ingress: 'PRIVATE' });
    const name = svc(m, 'V_R1');
    const out = run(m, {
      services: [
        { name: 'DEMAND_ONLINE_V_R0_FOREIGN', status: 'RUNNING', comment: 'someone else' },
        { name, status: 'FAILED', comment: serviceMarker(m) },
      ],
      calls: ['V_R1'],
    });
    expect(out.results[0]).toMatchObject({ status: 'created', retired: [] });
    expect(Object.keys(out.services).sort()).toEqual(['DEMAND_ONLINE_V_R0_FOREIGN', name]);
    expect(out.services[name].status).toBe('RUNNING');
  });

  test('a service an interrupted deploy left starting is waited for, not created twice; an unmarked one of the version is marked', () => {
    const m = model({ ingress: 'PRIVATE' });
    const name = svc(m, 'V_R1');
    const out = run(m, { services: [{ name, status: 'PENDING' }], calls: ['V_R1'] });
    expect(out.results[0]).toMatchObject({ status: 'exists' });
    expect(out.created).toEqual({});
    expect(out.sql.filter((s) => s === `DESCRIBE SERVICE DB.ML.${name}`)).toHaveLength(2);
    expect(out.sleeps).toEqual([10]);
    expect(out.services[name]).toEqual({ status: 'RUNNING', comment: serviceMarker(m) });
  });

  test('a settings change (a new tag) creates the new service beside the old and retires the old', () => {
    const before = model({ ingress: 'PRIVATE' });
    const after = model({ ingress: 'PRIVATE', maxInstances: 4 });
    const out = run(after, { services: [{ name: svc(before, 'V_R1'), status: 'RUNNING', comment: serviceMarker(before) }], calls: ['V_R1'] });
    expect(out.results[0]).toMatchObject({ status: 'created', retired: [svc(before, 'V_R1')] });
    expect(Object.keys(out.services)).toEqual([svc(after, 'V_R1')]);
  });

  test('a version registered before the service was added (no predict_rows) is refused with what to do, and nothing is created', () => {
    const out = run(model(), { calls: ['V_OLD'], versions: [{ model: 'DEMAND_MODEL', version: 'V_OLD', methods: ['predict'] }] });
    expect(out.results[0].error).toBe(
      'ValueError: version V_OLD of DB.ML.DEMAND_MODEL has no predict_rows method (it was registered before the inference service was added): a new training run registers one with it',
    );
    expect(out.created).toEqual({});
  });

  test('refuses a version name that is not an unquoted identifier before running any statement', () => {
    const out = run(model(), { calls: ["V1'; DROP SERVICE X; --"] });
    expect(out.results[0].error).toMatch(/^ValueError: version name .* is not an unquoted identifier/);
    expect(out.sql).toEqual([]);
  });
});
