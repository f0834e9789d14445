import { InstanceFamily } from '../../../constructs/compute-pool';
import { AccountAnswers, GrantRow, checkComputePools, checkHybridTables, checkPackages, holds, renderResults } from '../../../runner/doctor/checks';
import { DOCUMENTED_INSTANCE_FAMILIES } from '../../../lib/snowflake-facts';
import { StackNeeds, imageRepositoriesIn, needOf } from '../../../runner/doctor/needs';

const needs = (over: Partial<StackNeeds>): StackNeeds => ({
  stack: 's',
  deployRole: 'DEPLOYER',
  beforeApply: [],
  createdRoles: [],
  afterApply: [],
  imageRepositories: [],
  packages: [],
  computePools: [],
  hybridTables: [],
  ...over,
});
const answers = (over: Partial<AccountAnswers>): AccountAnswers => ({ grantsTo: {}, imageRepositories: {}, packages: {}, ...over });
const row = (privilege: string, grantedOn: string, name: string, grantOption = false): GrantRow => ({ privilege, grantedOn, name, grantee: 'X', grantOption });

describe('doctor checks (pure)', () => {
  test("the documented instance families are the constructs' InstanceFamily values", () => {
    expect([...DOCUMENTED_INSTANCE_FAMILIES].sort()).toEqual(Object.values(InstanceFamily).sort());
  });

  test('a compute pool whose instance family the account does not list fails with the families it does', () => {
    const r = checkComputePools(
      needs({ computePools: [{ name: 'POOL', instanceFamily: 'CPU_X64_XXL' }] }),
      answers({ instanceFamilies: { ok: true, value: ['CPU_X64_XS', 'CPU_X64_S'] } }),
    );
    expect(r.status).toBe('FAIL');
    expect(r.findings[0].fix).toBe("set the pool's instanceFamily to one of CPU_X64_XS, CPU_X64_S");
  });

  test('an instance family is checked against the documented list when the account refuses to list them', () => {
    const r = checkComputePools(
      needs({ computePools: [{ name: 'POOL', instanceFamily: 'GPU_NV_S' }] }),
      answers({ instanceFamilies: { ok: false, error: 'unsupported', missing: false } }),
    );
    expect(r).toMatchObject({ status: 'ok', summary: 'POOL (GPU_NV_S) listed by the documentation' });
  });

  test('a pinned package the PACKAGES view does not list fails; one the view could not be read for is not verified', () => {
    const n = needs({ packages: [{ name: 'snowflake-ml-python', version: '9.9.9', procedure: 'D.S.P' }] });
    expect(checkPackages(n, answers({ packages: { 'snowflake-ml-python==9.9.9': { ok: true, value: false } } })).status).toBe('FAIL');
    expect(checkPackages(n, answers({ packages: { 'snowflake-ml-python==9.9.9': { ok: false, error: 'denied', missing: false } } })).status).toBe('skip');
  });

  test('hybrid tables fail in a SnowGov region and when SHOW HYBRID TABLES is refused', () => {
    const n = needs({ hybridTables: ['D.S.Q'] });
    expect(checkHybridTables(n, answers({ hybridTables: { ok: true, value: 0 }, region: { ok: true, value: 'AWS_US_GOV_WEST_1' } })).status).toBe('FAIL');
    expect(checkHybridTables(n, answers({ hybridTables: { ok: false, error: 'unsupported feature', missing: false } })).status).toBe('FAIL');
    expect(checkHybridTables(n, answers({ hybridTables: { ok: true, value: 0 }, region: { ok: true, value: 'AWS_US_WEST_2' } })).status).toBe('ok');
  });

  test("privileges of a role granted to the deploy role count, and so do SYSADMIN's defaults", () => {
    const a = answers({
      grantsTo: {
        DEPLOYER: { ok: true, value: [row('USAGE', 'ROLE', 'HELPER'), row('USAGE', 'ROLE', 'SYSADMIN')] },
        HELPER: { ok: true, value: [row('READ', 'IMAGE_REPOSITORY', 'A.B.C')] },
      },
    });
    expect(holds(a, 'DEPLOYER', 'READ', 'IMAGE REPOSITORY', 'A.B.C')).toBe(true);
    expect(holds(a, 'DEPLOYER', 'CREATE DATABASE', 'ACCOUNT', 'ACCOUNT')).toBe(true);
    expect(holds(a, 'DEPLOYER', 'CREATE COMPUTE POOL', 'ACCOUNT', 'ACCOUNT')).toBe(false);
  });

  test('a privilege needed WITH GRANT OPTION is missing when held without it', () => {
    const a = answers({ grantsTo: { DEPLOYER: { ok: true, value: [row('SELECT', 'TABLE', 'A.B.T')] } } });
    expect(holds(a, 'DEPLOYER', 'SELECT', 'TABLE', 'A.B.T', true)).toBe(false);
    expect(holds(a, 'DEPLOYER', 'SELECT', 'TABLE', 'A.B.T')).toBe(true);
  });

  test('bootstrap statements read back as needs', () => {
    expect(needOf({ sql: 'GRANT SELECT ON TABLE "A"."B"."T" TO ROLE "D" WITH GRANT OPTION', why: 'w' })).toMatchObject({
      kind: 'privileges',
      role: 'D',
      privileges: ['SELECT'],
      on: 'TABLE',
      name: 'A.B.T',
      grantOption: true,
    });
    expect(needOf({ sql: 'GRANT USAGE ON FUTURE MODELS IN SCHEMA "A"."B" TO ROLE "C"', why: 'w' })).toMatchObject({ kind: 'unchecked' });
  });

  test('image repositories are read from job specifications in task bodies and the hooks manifest', () => {
    expect(imageRepositoriesIn("spec:\\n  containers:\\n  - name: main\\n    image: '/analytics/ml/images/forecast-worker:1.4.0'")).toEqual([
      'ANALYTICS.ML.IMAGES',
    ]);
    expect(imageRepositoriesIn('"image": "/db/sc/repo/x:1"')).toEqual(['DB.SC.REPO']);
  });

  test('the report prints one line per check and, under a failure, each missing item with its statement', () => {
    const text = renderResults('s', [
      {
        id: 'deploy-role',
        status: 'FAIL',
        summary: '1 of 1 missing',
        findings: [{ status: 'missing', what: 'D lacks X', fix: 'GRANT X ON ACCOUNT TO ROLE "D"' }],
      },
      { id: 'packages', status: 'ok', summary: 'fine', findings: [] },
    ]);
    expect(text).toBe(
      'stack s\n  FAIL  deploy-role      1 of 1 missing\n          - D lacks X\n            fix: GRANT X ON ACCOUNT TO ROLE "D";\n  ok    packages         fine\n',
    );
  });
});
