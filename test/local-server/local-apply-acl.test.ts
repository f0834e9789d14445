/**
 * local-apply (local-server/local-apply.ts) with access control: a hand-written synthesis (the
 * constructs change in parallel) planned into roles, warehouses, pools, procedures, role grants and
 * privilege grants, applied on the local server as the provider's (deploy) role.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { planLocalApply, providerRole } from '../../local-server/local-apply';
import { Conn, close, connect, query } from './client';

const tf = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'acl-stack.tf.json'), 'utf8'));
let server: LocalSnowflakeServer;
const open: Conn[] = [];
const as = async (user: string, role?: string) => {
  const c = await connect(server.connectionOptions({ username: user, password: 'pw', ...(role ? { role } : {}) }));
  open.push(c);
  return c;
};

beforeAll(async () => {
  server = await startLocalServer({
    users: [
      { name: 'test', password: 'test' },
      { name: 'deployer', password: 'pw', roles: ['MM_DEPLOYER'] },
      { name: 'runner', password: 'pw', roles: ['PUBLIC'] },
    ],
  });
});
afterAll(async () => {
  for (const c of open) await close(c);
  await server.close();
});

describe('local apply with access control', () => {
  test('the plan creates objects before the grants on them, future grants before the schema objects, and resumes tasks last', () => {
    const plan = planLocalApply(tf);
    const at = (re: RegExp) => plan.statements.findIndex((s) => re.test(s));
    expect(providerRole(tf)).toBe('MM_DEPLOYER');
    expect(plan.skipped).toEqual({ snowflake_network_rule: 1 });
    expect(plan.statements).toEqual(
      expect.arrayContaining([
        'CREATE ROLE IF NOT EXISTS "MM_RUNNER"',
        'CREATE WAREHOUSE IF NOT EXISTS "MM_WH" WAREHOUSE_SIZE = \'XSMALL\'',
        'CREATE COMPUTE POOL IF NOT EXISTS "MM_POOL" MIN_NODES = 1 MAX_NODES = 2 INSTANCE_FAMILY = CPU_X64_XS',
        'CREATE SCHEMA IF NOT EXISTS "ANALYTICS"."MM" WITH MANAGED ACCESS',
        'GRANT ROLE "MM_RUNNER" TO ROLE "MM_DEPLOYER"',
        'GRANT INSERT, SELECT ON TABLE "ANALYTICS"."MM"."METRICS" TO ROLE "MM_RUNNER"',
        'GRANT USAGE ON FUTURE MODELS IN SCHEMA "ANALYTICS"."MM" TO ROLE "MM_CONSUMER"',
        'GRANT USAGE ON PROCEDURE "ANALYTICS"."MM"."REGISTER"(VARCHAR) TO ROLE "MM_RUNNER"',
      ]),
    );
    expect(plan.statements.find((s) => s.startsWith('CREATE OR REPLACE PROCEDURE'))).toMatch(
      /^CREATE OR REPLACE PROCEDURE "ANALYTICS"."MM"."REGISTER"\(RUN_ID VARCHAR\) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' HANDLER = 'main' EXECUTE AS CALLER AS \$\$def main/,
    );
    expect(at(/^CREATE ROLE IF NOT EXISTS "MM_RUNNER"/)).toBeLessThan(at(/^GRANT ROLE "MM_RUNNER"/));
    expect(at(/ON FUTURE MODELS/)).toBeLessThan(at(/^CREATE TABLE/));
    expect(at(/^CREATE OR REPLACE TASK/)).toBeLessThan(at(/ON TASK/));
    expect(at(/ON TABLE/)).toBeGreaterThan(at(/^CREATE TABLE/));
    expect(plan.statements[plan.statements.length - 1]).toBe('ALTER TASK "ANALYTICS"."MM"."ROOT" RESUME');
  });

  test('local apply of a synthesized stack creates roles and grants as the deploy role', async () => {
    const admin = await connect(server.connectionOptions());
    open.push(admin);
    // Bootstrap as ACCOUNTADMIN (docs/roles.md): the account privileges and the imported database.
    for (const sql of [
      'CREATE DATABASE ANALYTICS',
      'GRANT ROLE MM_DEPLOYER TO ROLE SYSADMIN',
      'GRANT CREATE ROLE, CREATE WAREHOUSE, CREATE COMPUTE POOL, EXECUTE TASK ON ACCOUNT TO ROLE MM_DEPLOYER',
      'GRANT USAGE, CREATE SCHEMA ON DATABASE ANALYTICS TO ROLE MM_DEPLOYER WITH GRANT OPTION',
    ])
      await query(admin, sql);
    const deployer = await as('deployer', providerRole(tf));
    const plan = planLocalApply(tf);
    // Without its account privileges the deploy role could not run the plan; with them it can.
    for (const sql of plan.statements) await query(deployer, sql);
    const grants = (await query(deployer, 'SHOW GRANTS TO ROLE MM_RUNNER')).rows.map((g) => `${g.privilege} ON ${g.granted_on} ${g.name}`);
    expect(grants).toEqual(
      expect.arrayContaining([
        'USAGE ON DATABASE ANALYTICS',
        'USAGE ON SCHEMA ANALYTICS.MM',
        'INSERT ON TABLE ANALYTICS.MM.METRICS',
        'SELECT ON TABLE ANALYTICS.MM.METRICS',
        'USAGE ON PROCEDURE ANALYTICS.MM.REGISTER',
        'OPERATE ON TASK ANALYTICS.MM.ROOT',
        'USAGE ON WAREHOUSE MM_WH',
        'USAGE ON COMPUTE POOL MM_POOL',
      ]),
    );
    const owned = (await query(deployer, 'SHOW GRANTS ON SCHEMA ANALYTICS.MM')).rows[0];
    expect(owned).toMatchObject({ privilege: 'OWNERSHIP', grantee_name: 'MM_DEPLOYER' });
    // The runner, given its role, works within exactly those grants; the task runs as the deploy role.
    await query(admin, 'GRANT ROLE MM_RUNNER TO USER RUNNER');
    const runner = await as('runner', 'MM_RUNNER');
    await query(runner, 'USE WAREHOUSE MM_WH');
    await query(runner, "INSERT INTO ANALYTICS.MM.METRICS VALUES ('runner')");
    await query(runner, 'EXECUTE TASK ANALYTICS.MM.ROOT');
    await server.objects.settle();
    expect((await query(runner, 'SELECT RUN_ID FROM ANALYTICS.MM.METRICS ORDER BY RUN_ID')).rows).toEqual([{ RUN_ID: 'runner' }, { RUN_ID: 'task' }]);
    await expect(query(runner, 'DELETE FROM ANALYTICS.MM.METRICS')).rejects.toMatchObject({ code: '003001' });
    await expect(query(runner, 'LIST @ANALYTICS.MM.MODELS')).rejects.toMatchObject({ code: '002003' });
  });
});
