import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BootstrapError, TerraformJson, bootstrapStatements, renderBootstrapScript } from '../../../runner/bootstrap/bootstrap';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { TrainingStrategy } from '../../../index';
import { buildApp } from '../../../stacks/main';

const sqlOf = (tf: TerraformJson, deployRole?: string) => bootstrapStatements(tf, deployRole ? { deployRole } : {}).map((s) => s.sql);

/** A stack with its provider role and the given resources. */
function stack(resource: Record<string, Record<string, Record<string, unknown>>>, role = 'DEPLOYER'): TerraformJson {
  return { provider: { snowflake: [{ role }] }, resource };
}

describe('bootstrap statements', () => {
  test('a custom deploy role is created, placed under SYSADMIN, and given the account privileges of what the stack creates', () => {
    const sql = sqlOf(
      stack({
        snowflake_account_role: { r: { name: 'RUNNER' } },
        snowflake_compute_pool: { p: { name: 'POOL' } },
        snowflake_warehouse: { w: { name: 'WH' } },
        snowflake_database: { d: { name: 'DB' } },
      }),
    );
    expect(sql).toEqual([
      'CREATE ROLE IF NOT EXISTS "DEPLOYER"',
      'GRANT ROLE "DEPLOYER" TO ROLE "SYSADMIN"',
      'GRANT CREATE ROLE ON ACCOUNT TO ROLE "DEPLOYER"',
      'GRANT CREATE DATABASE ON ACCOUNT TO ROLE "DEPLOYER"',
      'GRANT CREATE WAREHOUSE ON ACCOUNT TO ROLE "DEPLOYER"',
      'GRANT CREATE COMPUTE POOL ON ACCOUNT TO ROLE "DEPLOYER"',
    ]);
  });

  test('SYSADMIN as the deploy role is not created and gets only what it lacks by default (no CREATE DATABASE or CREATE WAREHOUSE)', () => {
    const sql = sqlOf(
      stack(
        { snowflake_account_role: { r: { name: 'RUNNER' } }, snowflake_warehouse: { w: { name: 'WH' } }, snowflake_database: { d: { name: 'DB' } } },
        'SYSADMIN',
      ),
    );
    expect(sql).toEqual(['GRANT CREATE ROLE ON ACCOUNT TO ROLE "SYSADMIN"']);
  });

  test('ACCOUNTADMIN needs nothing', () => {
    expect(sqlOf(stack({ snowflake_task: { t: { name: 'T', database: 'DB', schema: 'S', sql_statement: 'SELECT 1' } } }, 'ACCOUNTADMIN'))).toEqual([]);
  });

  test('the task owner gets EXECUTE TASK, and USAGE on a warehouse and pool it does not create, and READ on the image repository its jobs use', () => {
    const body =
      "BEGIN\n  EXECUTE JOB SERVICE\n    IN COMPUTE POOL \"SHARED_POOL\"\n    NAME = DB.S.W0\n    FROM SPECIFICATION $$spec:\n  containers:\n    - name: 'worker'\n      image: '/img_db/img_schema/repo/worker:1.0'\n$$;\nEND";
    const sql = sqlOf(
      stack({
        snowflake_database: { d: { name: 'DB' } },
        snowflake_schema: { s: { database: 'DB', name: 'S' } },
        snowflake_task: { t: { name: 'T', database: 'DB', schema: 'S', warehouse: 'SHARED_WH', sql_statement: body } },
      }),
    );
    expect(sql).toContain('GRANT EXECUTE TASK ON ACCOUNT TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT USAGE ON WAREHOUSE "SHARED_WH" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT USAGE ON COMPUTE POOL "SHARED_POOL" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT USAGE ON DATABASE "IMG_DB" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT USAGE ON SCHEMA "IMG_DB"."IMG_SCHEMA" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT READ ON IMAGE REPOSITORY "IMG_DB"."IMG_SCHEMA"."REPO" TO ROLE "DEPLOYER"');
    // The database and schema the stack creates need nothing.
    expect(sql.some((s) => / ON (DATABASE "DB"|SCHEMA "DB"\."S") /.test(s))).toBe(false);
  });

  test('a grant on an object the stack does not create needs the privilege WITH GRANT OPTION and USAGE on its parents', () => {
    const sql = sqlOf(
      stack({
        snowflake_grant_privileges_to_account_role: {
          a: { account_role_name: 'RUNNER', privileges: ['SELECT'], on_schema_object: { object_type: 'TABLE', object_name: '"SRC"."RAW"."EVENTS"' } },
          b: { account_role_name: 'RUNNER', privileges: ['USAGE'], on_schema: { schema_name: '"SRC"."RAW"' } },
          c: { account_role_name: 'RUNNER', privileges: ['USAGE'], on_account_object: { object_type: 'DATABASE', object_name: '"SRC"' } },
        },
      }),
    );
    expect(sql).toEqual([
      'CREATE ROLE IF NOT EXISTS "DEPLOYER"',
      'GRANT ROLE "DEPLOYER" TO ROLE "SYSADMIN"',
      // Needed both as a parent and to re-grant: granted once, with the option.
      'GRANT USAGE ON DATABASE "SRC" TO ROLE "DEPLOYER" WITH GRANT OPTION',
      'GRANT USAGE ON SCHEMA "SRC"."RAW" TO ROLE "DEPLOYER" WITH GRANT OPTION',
      'GRANT SELECT ON TABLE "SRC"."RAW"."EVENTS" TO ROLE "DEPLOYER" WITH GRANT OPTION',
    ]);
  });

  test('grants on objects the stack creates need nothing: the deploy role owns them', () => {
    const sql = sqlOf(
      stack({
        snowflake_database: { d: { name: 'DB' } },
        snowflake_schema: { s: { database: 'DB', name: 'S' } },
        snowflake_table: { t: { database: 'DB', schema: 'S', name: 'T' } },
        snowflake_procedure_python: { p: { database: 'DB', schema: 'S', name: 'P' } },
        snowflake_grant_privileges_to_account_role: {
          a: { account_role_name: 'RUNNER', privileges: ['SELECT', 'INSERT'], on_schema_object: { object_type: 'TABLE', object_name: '"DB"."S"."T"' } },
          b: {
            account_role_name: 'RUNNER',
            privileges: ['USAGE'],
            on_schema_object: { object_type: 'PROCEDURE', object_name: '"DB"."S"."P"(VARCHAR, VARCHAR)' },
          },
          c: { account_role_name: 'CONSUMER', privileges: ['USAGE'], on_schema_object: { future: { object_type_plural: 'MODELS', in_schema: '"DB"."S"' } } },
        },
      }),
    );
    expect(sql.filter((s) => s.startsWith('GRANT') && !s.includes('TO ROLE "SYSADMIN"'))).toEqual(['GRANT CREATE DATABASE ON ACCOUNT TO ROLE "DEPLOYER"']);
  });

  test('an account privilege the stack grants is granted by the administrator to its grantee, not delegated (a grant option does not let a role grant account privileges)', () => {
    const sql = sqlOf(
      stack({ snowflake_grant_privileges_to_account_role: { a: { account_role_name: 'AUDITOR', privileges: ['MONITOR USAGE'], on_account: true } } }),
    );
    expect(sql).toContain('GRANT MONITOR USAGE ON ACCOUNT TO ROLE "AUDITOR"');
    expect(sql.some((s) => / ON ACCOUNT TO ROLE "DEPLOYER" WITH GRANT OPTION/.test(s))).toBe(false);
    const why = bootstrapStatements(
      stack({ snowflake_grant_privileges_to_account_role: { a: { account_role_name: 'AUDITOR', privileges: ['MONITOR USAGE'], on_account: true } } }),
    ).find((s) => s.sql.includes('AUDITOR'))!.why;
    expect(why).toContain('remove that grant from the stack');
  });

  test('a grant of all privileges on an imported object needs ALL with the grant option', () => {
    const sql = sqlOf(
      stack({
        snowflake_grant_privileges_to_account_role: {
          a: { account_role_name: 'R', all_privileges: true, on_schema_object: { object_type: 'TABLE', object_name: '"SRC"."RAW"."T"' } },
        },
      }),
    );
    expect(sql).toContain('GRANT ALL ON TABLE "SRC"."RAW"."T" TO ROLE "DEPLOYER" WITH GRANT OPTION');
  });

  test("the task owner gets USAGE on its jobs' query warehouse and READ, WRITE on a stage they mount, when the stack creates neither", () => {
    const body =
      "BEGIN\n  EXECUTE JOB SERVICE\n    IN COMPUTE POOL \"POOL\"\n    NAME = DB.S.W0\n    QUERY_WAREHOUSE = \"JOBS_WH\"\n    FROM SPECIFICATION $$spec:\n  containers:\n    - name: 'worker'\n      image: '/db/s/repo/w:1'\n  volumes:\n    - name: 'models'\n      source: 'stage'\n      stageConfig:\n        name: '@OTHER.SHARED.MODELS'\n$$;\nEND";
    const sql = sqlOf(
      stack({ snowflake_compute_pool: { p: { name: 'POOL' } }, snowflake_task: { t: { name: 'T', database: 'DB', schema: 'S', sql_statement: body } } }),
    );
    expect(sql).toContain('GRANT USAGE ON WAREHOUSE "JOBS_WH" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT USAGE ON SCHEMA "OTHER"."SHARED" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT READ, WRITE ON STAGE "OTHER"."SHARED"."MODELS" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT READ ON IMAGE REPOSITORY "DB"."S"."REPO" TO ROLE "DEPLOYER"');
  });

  test('a schema created in an imported database needs USAGE and CREATE SCHEMA on it', () => {
    const sql = sqlOf(stack({ snowflake_schema: { s: { database: 'ANALYTICS', name: 'FORECAST' } } }));
    expect(sql).toContain('GRANT USAGE ON DATABASE "ANALYTICS" TO ROLE "DEPLOYER"');
    expect(sql).toContain('GRANT CREATE SCHEMA ON DATABASE "ANALYTICS" TO ROLE "DEPLOYER"');
  });

  test("the provider block's warehouse, when the stack does not create it, is created if missing and usable by the deploy role", () => {
    const tf: TerraformJson = { provider: { snowflake: [{ role: 'DEPLOYER', warehouse: 'deploy_wh' }] }, resource: {} };
    expect(sqlOf(tf)).toEqual([
      'CREATE ROLE IF NOT EXISTS "DEPLOYER"',
      'GRANT ROLE "DEPLOYER" TO ROLE "SYSADMIN"',
      'CREATE WAREHOUSE IF NOT EXISTS "DEPLOY_WH" WITH WAREHOUSE_SIZE = XSMALL AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE',
      'GRANT USAGE ON WAREHOUSE "DEPLOY_WH" TO ROLE "DEPLOYER"',
    ]);
  });

  test('a stack whose provider names no role is refused with the fix', () => {
    expect(() => bootstrapStatements({ provider: { snowflake: [{}] }, resource: {} })).toThrow(BootstrapError);
    expect(() => bootstrapStatements({ resource: {} })).toThrow(/sets no role.*SnowflakeProvider's role/);
  });

  test('the script says why before each statement and is idempotent to re-run', () => {
    const script = renderBootstrapScript(bootstrapStatements(stack({ snowflake_compute_pool: { p: { name: 'POOL' } } })), 'stack s');
    expect(script).toContain('USE ROLE ACCOUNTADMIN;');
    expect(script).toMatch(/-- the stack creates a compute pool\nGRANT CREATE COMPUTE POOL ON ACCOUNT TO ROLE "DEPLOYER";/);
    expect(script).toContain('CREATE ROLE IF NOT EXISTS "DEPLOYER";');
  });

  describe('of the example stack', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bootstrap-'));
    beforeAll(() => buildApp(outdir).synth());
    afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

    test('include what a real account refuses the deploy role without: CREATE ROLE, CREATE COMPUTE POOL, EXECUTE TASK, READ on the image repository', () => {
      const tf = JSON.parse(fs.readFileSync(readSynthOutput(outdir)[0].terraformFile, 'utf8'));
      const role = tf.provider.snowflake[0].role as string;
      const sql = sqlOf(tf);
      for (const privilege of ['CREATE ROLE', 'CREATE COMPUTE POOL', 'EXECUTE TASK']) expect(sql).toContain(`GRANT ${privilege} ON ACCOUNT TO ROLE "${role}"`);
      expect(sql.some((s) => s.startsWith('GRANT READ ON IMAGE REPOSITORY "ANALYTICS"."ML"."IMAGES" TO ROLE'))).toBe(true);
      expect(sql.some((s) => s.startsWith('GRANT SELECT ON TABLE "ANALYTICS"."RAW"."SERIES_EVENTS" TO ROLE') && s.endsWith('WITH GRANT OPTION'))).toBe(true);
    });
  });

  describe('of the example stack training in the warehouse', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bootstrap-wh-'));
    beforeAll(() => buildApp(outdir, { training: TrainingStrategy.warehouse() }).synth());
    afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

    test('ask no CREATE COMPUTE POOL and no READ on an image repository: nothing of Snowpark Container Services is used', () => {
      const tf = JSON.parse(fs.readFileSync(readSynthOutput(outdir)[0].terraformFile, 'utf8'));
      const sql = sqlOf(tf);
      expect(sql.filter((s) => /COMPUTE POOL|IMAGE REPOSITORY/.test(s))).toEqual([]);
      expect(sql).toContain(`GRANT CREATE ROLE ON ACCOUNT TO ROLE "${tf.provider.snowflake[0].role}"`);
    });
  });
});
