/**
 * Access control on the local server (issue #24): each rule of docs/local-server.md "Access
 * control", through real snowflake-sdk sessions of users holding narrower roles than the default
 * user (ACCOUNTADMIN).
 */
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { registrationStandIn } from '../../local-server/forecast-standins';
import { Conn, close, connect, query } from './client';

const worker = path.join(__dirname, 'fixtures', 'job-worker.js');
let server: LocalSnowflakeServer;
let admin: Conn;
const open: Conn[] = [];
const seen: { role: string; executeAs: string }[] = [];

const as = async (user: string, extra: Record<string, unknown> = {}) => {
  // Narrower roles need a warehouse for queries and DML (000606 otherwise): every role here may use WH.
  const c = await connect(server.connectionOptions({ username: user, password: 'pw', warehouse: 'WH', ...extra }));
  open.push(c);
  return c;
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'none', sqlState: '', message: 'succeeded' }),
    (e) => ({ code: String(e.code), sqlState: String(e.sqlState), message: String(e.message) }),
  );
const run = async (c: Conn, ...sql: string[]) => {
  for (const s of sql) await query(c, s);
};

beforeAll(async () => {
  server = await startLocalServer({
    users: [
      { name: 'test', password: 'test' },
      { name: 'deployer', password: 'pw', roles: ['DEPLOYER'] },
      { name: 'runner', password: 'pw', roles: ['RUNNER'] },
      { name: 'consumer', password: 'pw', roles: ['CONSUMER'] },
      { name: 'container' },
    ],
    imageCommands: { '/jobs/s/repo/worker': { command: [process.execPath, worker] } },
    procedures: {
      'APP.S.WHOAMI': async (_args, ctx) => {
        seen.push({ role: ctx.role, executeAs: ctx.executeAs });
        return ctx.role;
      },
      'APP.S.REGISTER_OWNER': registrationStandIn('APP.S.FORECASTER', 'APP.S.MODELS', 'APP.S.METRICS'),
      'APP.S.REGISTER_CALLER': registrationStandIn('APP.S.FORECASTER', 'APP.S.MODELS', 'APP.S.METRICS'),
    },
    predictor: async (_m, version, rows) => rows.map((r) => ({ PARTITION_KEY: r.PARTITION_KEY, VERSION: version.name })),
  });
  admin = await connect(server.connectionOptions());
  await run(
    admin,
    'CREATE DATABASE APP',
    'CREATE SCHEMA APP.S',
    'CREATE TABLE APP.S.T (X VARCHAR)',
    "INSERT INTO APP.S.T VALUES ('a')",
    'CREATE WAREHOUSE WH',
    'GRANT USAGE ON WAREHOUSE WH TO ROLE PUBLIC',
  );
});
afterAll(async () => {
  for (const c of [admin, ...open]) await close(c);
  await server.close();
});

describe('access control: users, roles and sessions', () => {
  test('a login naming a role the user was not granted is refused with 390189; the default user is ACCOUNTADMIN', async () => {
    const e = await connect(server.connectionOptions({ username: 'consumer', password: 'pw', role: 'RUNNER' })).then(
      (c) => {
        open.push(c);
        return 'connected';
      },
      (err) => `${err.code}: ${err.message}`,
    );
    expect(e).toMatch(/^390189: Role 'RUNNER' specified in the connect string is not granted to this user/);
    // The default user: ACCOUNTADMIN holds SYSADMIN below it, not a role nobody granted it.
    await query(admin, 'USE ROLE SYSADMIN');
    await query(admin, 'USE ROLE ACCOUNTADMIN');
    expect(await failure(query(admin, 'USE ROLE RUNNER'))).toMatchObject({
      code: '003013',
      message: expect.stringContaining("Requested role 'RUNNER' is not assigned to the executing user"),
    });
  });

  test("USE ROLE reaches a role granted below the user's role, and only then", async () => {
    const d = await as('deployer');
    expect((await failure(query(d, 'USE ROLE RUNNER'))).code).toBe('003013');
    await query(admin, 'GRANT ROLE RUNNER TO ROLE DEPLOYER');
    await query(d, 'USE ROLE RUNNER');
    await query(d, 'USE ROLE DEPLOYER');
    await query(admin, 'REVOKE ROLE RUNNER FROM ROLE DEPLOYER');
    expect((await failure(query(d, 'USE ROLE RUNNER'))).code).toBe('003013');
  });
});

describe('access control: ordinary SQL', () => {
  test('a role without USAGE on the schema cannot select from its table (002003); with USAGE but no SELECT it gets 003001', async () => {
    const r = await as('runner');
    expect(await failure(query(r, 'SELECT X FROM APP.S.T'))).toMatchObject({
      code: '002003',
      message: "SQL compilation error:\nObject 'APP.S.T' does not exist or not authorized.",
    });
    await run(
      admin,
      'GRANT USAGE ON DATABASE APP TO ROLE RUNNER',
      'GRANT USAGE ON SCHEMA APP.S TO ROLE RUNNER',
      'GRANT INSERT ON TABLE APP.S.T TO ROLE RUNNER',
    );
    expect(await failure(query(r, 'SELECT X FROM APP.S.T'))).toMatchObject({
      code: '003001',
      sqlState: '42501',
      message: expect.stringMatching(/^SQL access control error:\nInsufficient privileges to operate on table 'APP.S.T'\. \(role RUNNER needs SELECT\)/),
    });
    // INSERT ... VALUES needs INSERT only; INSERT ... SELECT also SELECT on its source.
    await query(r, "INSERT INTO APP.S.T VALUES ('r')");
    expect((await failure(query(r, 'INSERT INTO APP.S.T SELECT X FROM APP.S.T'))).code).toBe('003001');
    await query(admin, 'GRANT SELECT ON TABLE APP.S.T TO ROLE RUNNER');
    expect((await query(r, 'SELECT COUNT(*) AS N FROM APP.S.T')).rows).toEqual([{ N: 2 }]);
    // A CTE's name is not a table; DELETE, UPDATE and TRUNCATE need their own privileges.
    expect((await query(r, 'WITH T AS (SELECT 1 AS X) SELECT COUNT(*) AS N FROM T')).rows).toEqual([{ N: 1 }]);
    expect(await failure(query(r, "DELETE FROM APP.S.T WHERE X = 'r'"))).toMatchObject({ code: '003001', message: expect.stringContaining('needs DELETE') });
    expect(await failure(query(r, "UPDATE APP.S.T SET X = 'z'"))).toMatchObject({ code: '003001', message: expect.stringContaining('needs UPDATE') });
    expect(await failure(query(r, 'TRUNCATE TABLE APP.S.T'))).toMatchObject({ code: '003001', message: expect.stringContaining('needs TRUNCATE') });
  });

  test('creating needs the CREATE privilege on the parent, the creator owns the object, and only the owner drops it', async () => {
    const d = await as('deployer');
    expect(await failure(query(d, 'CREATE DATABASE DEP'))).toMatchObject({
      code: '003001',
      message: expect.stringContaining("Insufficient privileges to operate on account 'LOCAL'. (role DEPLOYER needs CREATE DATABASE)"),
    });
    await query(admin, 'GRANT CREATE DATABASE ON ACCOUNT TO ROLE DEPLOYER');
    await run(d, 'CREATE DATABASE DEP', 'CREATE SCHEMA DEP.S', 'CREATE TABLE DEP.S.OWNED (X INT)', 'INSERT INTO DEP.S.OWNED VALUES (1)');
    expect((await query(d, 'SELECT X FROM DEP.S.OWNED')).rows).toEqual([{ X: 1 }]);
    // Not in APP.S, where DEPLOYER has no CREATE TABLE.
    expect((await failure(query(d, 'CREATE TABLE APP.S.NOPE (X INT)'))).code).toBe('002003');
    await run(admin, 'GRANT USAGE ON DATABASE APP TO ROLE DEPLOYER', 'GRANT USAGE ON SCHEMA APP.S TO ROLE DEPLOYER');
    expect(await failure(query(d, 'CREATE TABLE APP.S.NOPE (X INT)'))).toMatchObject({
      code: '003001',
      message: expect.stringContaining("schema 'APP.S'. (role DEPLOYER needs CREATE TABLE)"),
    });
    // ACCOUNTADMIN does not own DEPLOYER's table and DEPLOYER is not below it: not visible to it.
    expect((await failure(query(admin, 'SELECT * FROM DEP.S.OWNED'))).code).toBe('002003');
    const r = await as('runner');
    await run(
      d,
      'GRANT USAGE ON DATABASE DEP TO ROLE RUNNER',
      'GRANT USAGE ON SCHEMA DEP.S TO ROLE RUNNER',
      'GRANT SELECT ON TABLE DEP.S.OWNED TO ROLE RUNNER',
    );
    expect(await failure(query(r, 'DROP TABLE DEP.S.OWNED'))).toMatchObject({ code: '003001', message: expect.stringContaining('needs OWNERSHIP') });
    await query(d, 'DROP TABLE DEP.S.OWNED');
  });

  test('a role may grant only what it owns or holds WITH GRANT OPTION; account privileges need MANAGE GRANTS', async () => {
    const r = await as('runner');
    const c = await as('consumer');
    await run(admin, 'CREATE TABLE APP.S.G (X INT)', 'GRANT SELECT ON TABLE APP.S.G TO ROLE RUNNER');
    expect(await failure(query(r, 'GRANT SELECT ON TABLE APP.S.G TO ROLE CONSUMER'))).toMatchObject({
      code: '003001',
      message: expect.stringContaining("Insufficient privileges to operate on table 'APP.S.G'"),
    });
    await query(admin, 'GRANT SELECT ON TABLE APP.S.G TO ROLE RUNNER WITH GRANT OPTION');
    await run(r, 'GRANT SELECT ON TABLE APP.S.G TO ROLE CONSUMER');
    await run(admin, 'GRANT USAGE ON DATABASE APP TO ROLE CONSUMER', 'GRANT USAGE ON SCHEMA APP.S TO ROLE CONSUMER');
    expect((await query(c, 'SELECT COUNT(*) AS N FROM APP.S.G')).rows).toEqual([{ N: 0 }]);
    expect((await failure(query(r, 'GRANT EXECUTE TASK ON ACCOUNT TO ROLE RUNNER'))).message).toContain(
      "account 'LOCAL'. (role RUNNER needs MANAGE GRANTS to grant EXECUTE TASK)",
    );
    expect((await failure(query(admin, 'GRANT SELECT ON TABLE APP.S.NO_SUCH TO ROLE RUNNER'))).code).toBe('002003');
    const shown = (await query(admin, 'SHOW GRANTS ON TABLE APP.S.G')).rows.map((g) => `${g.privilege} ${g.grantee_name} ${g.grant_option}`);
    expect(shown).toEqual(['OWNERSHIP ACCOUNTADMIN TRUE', 'SELECT RUNNER TRUE', 'SELECT CONSUMER FALSE']);
  });

  test('in a managed-access schema only the schema owner grants, even on objects another role owns', async () => {
    await run(
      admin,
      'CREATE SCHEMA APP.M WITH MANAGED ACCESS',
      'GRANT USAGE ON SCHEMA APP.M TO ROLE DEPLOYER',
      'GRANT CREATE TABLE ON SCHEMA APP.M TO ROLE DEPLOYER',
    );
    const d = await as('deployer');
    await query(d, 'CREATE TABLE APP.M.OWNED_BY_DEPLOYER (X INT)');
    expect((await failure(query(d, 'GRANT SELECT ON TABLE APP.M.OWNED_BY_DEPLOYER TO ROLE CONSUMER'))).code).toBe('003001');
    // The schema owner (ACCOUNTADMIN) may; a future grant in a managed schema too.
    await query(admin, 'GRANT SELECT ON TABLE APP.M.OWNED_BY_DEPLOYER TO ROLE CONSUMER');
    expect((await failure(query(d, 'GRANT SELECT ON FUTURE TABLES IN SCHEMA APP.M TO ROLE CONSUMER'))).code).toBe('003001');
  });

  test('stages: LIST and DIRECTORY need READ, REMOVE and REFRESH need WRITE', async () => {
    await run(
      admin,
      'CREATE STAGE APP.S.FILES',
      "COPY INTO @APP.S.FILES/a.json FROM (SELECT OBJECT_CONSTRUCT('x', 1)) FILE_FORMAT = (TYPE = JSON) SINGLE = TRUE",
    );
    const c = await as('consumer');
    expect((await failure(query(c, 'LIST @APP.S.FILES'))).code).toBe('002003');
    await query(admin, 'GRANT READ ON STAGE APP.S.FILES TO ROLE CONSUMER');
    expect((await query(c, 'LIST @APP.S.FILES')).rows).toHaveLength(1);
    expect((await query(c, 'SELECT COUNT(*) AS N FROM DIRECTORY(@APP.S.FILES)')).rows).toEqual([{ N: 0 }]);
    expect(await failure(query(c, 'ALTER STAGE APP.S.FILES REFRESH'))).toMatchObject({ code: '003001', message: expect.stringContaining('needs WRITE') });
    expect((await failure(query(c, 'REMOVE @APP.S.FILES'))).code).toBe('003001');
  });
});

describe('access control: tasks', () => {
  beforeAll(async () => {
    await run(
      admin,
      'CREATE SCHEMA APP.TK',
      'GRANT USAGE ON SCHEMA APP.TK TO ROLE DEPLOYER',
      'GRANT CREATE TASK, CREATE TABLE ON SCHEMA APP.TK TO ROLE DEPLOYER',
      'GRANT USAGE ON SCHEMA APP.TK TO ROLE RUNNER',
    );
    const d = await as('deployer');
    // Only the task owner (DEPLOYER) may write the table the task writes.
    await run(
      d,
      'CREATE TABLE APP.TK.OUT (V VARCHAR)',
      "CREATE TASK APP.TK.ROOT AS INSERT INTO APP.TK.OUT VALUES ('ran')",
      'GRANT OPERATE, MONITOR ON TASK APP.TK.ROOT TO ROLE RUNNER',
    );
  });

  test('a task whose owner lacks EXECUTE TASK fails, whoever executes it', async () => {
    const r = await as('runner');
    const e = await failure(query(r, 'EXECUTE TASK APP.TK.ROOT'));
    expect(e).toMatchObject({
      code: '003001',
      message: 'SQL access control error:\nCannot execute task APP.TK.ROOT, EXECUTE TASK privilege must be granted to owner role DEPLOYER.',
    });
    const d = await as('deployer');
    expect((await failure(query(d, 'ALTER TASK APP.TK.ROOT RESUME'))).message).toContain('EXECUTE TASK privilege must be granted to owner role DEPLOYER');
  });

  test('a runner role with OPERATE can EXECUTE TASK; the task runs as its owner', async () => {
    await query(admin, 'GRANT EXECUTE TASK ON ACCOUNT TO ROLE DEPLOYER');
    const r = await as('runner');
    expect(await failure(query(r, "INSERT INTO APP.TK.OUT VALUES ('runner')"))).toMatchObject({ code: '002003' });
    await query(r, 'EXECUTE TASK APP.TK.ROOT');
    await server.objects.settle();
    const d = await as('deployer');
    expect((await query(d, 'SELECT V FROM APP.TK.OUT')).rows).toEqual([{ V: 'ran' }]);
    // A role with no privilege on the task does not see it; MONITOR alone cannot execute it.
    const c = await as('consumer');
    expect((await failure(query(c, 'EXECUTE TASK APP.TK.ROOT'))).code).toBe('002003');
    await query(d, 'REVOKE OPERATE ON TASK APP.TK.ROOT FROM ROLE RUNNER');
    expect(await failure(query(r, 'EXECUTE TASK APP.TK.ROOT'))).toMatchObject({
      code: '003001',
      message: expect.stringContaining("task 'APP.TK.ROOT'. (role RUNNER needs OPERATE)"),
    });
    expect((await failure(query(r, 'ALTER TASK APP.TK.ROOT SUSPEND'))).code).toBe('003001');
  });
});

describe('access control: job services', () => {
  const spec = (volume = '    source: stage\n    stageConfig:\n      name: "@JOBS.S.MODELS"\n') =>
    `spec:\n  containers:\n  - name: worker\n    image: /jobs/s/repo/worker:1\n    env:\n      SLOT: "1"\n      MODEL_DIR: /models\n    volumeMounts:\n    - name: models\n      mountPath: /models\n  volumes:\n  - name: models\n${volume}`;
  beforeAll(async () => {
    await run(
      admin,
      'CREATE DATABASE JOBS',
      'CREATE SCHEMA JOBS.S',
      'CREATE STAGE JOBS.S.MODELS',
      'CREATE TABLE JOBS.S.SEEN (SLOT VARCHAR, SERVICE VARCHAR)',
      'CREATE IMAGE REPOSITORY JOBS.S.REPO',
      'CREATE COMPUTE POOL POOL1',
      'GRANT USAGE ON DATABASE JOBS TO ROLE DEPLOYER',
      'GRANT USAGE ON SCHEMA JOBS.S TO ROLE DEPLOYER',
    );
  });

  test('EXECUTE JOB SERVICE needs CREATE SERVICE, USAGE on the pool, READ on the image repository and on the mounted stage; the container connects as the owner role', async () => {
    const d = await as('deployer');
    const job = (name: string) =>
      query(d, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S.${name} QUERY_WAREHOUSE = WH FROM SPECIFICATION $$${spec()}$$`);
    expect((await failure(job('J1'))).message).toContain("schema 'JOBS.S'. (role DEPLOYER needs CREATE SERVICE)");
    await query(admin, 'GRANT CREATE SERVICE ON SCHEMA JOBS.S TO ROLE DEPLOYER');
    expect((await failure(job('J1'))).message).toContain("Compute pool 'POOL1' does not exist or not authorized");
    await query(admin, 'GRANT USAGE ON COMPUTE POOL POOL1 TO ROLE DEPLOYER');
    expect((await failure(job('J1'))).message).toContain("Image repository 'JOBS.S.REPO' does not exist or not authorized");
    await query(admin, 'GRANT READ ON IMAGE REPOSITORY JOBS.S.REPO TO ROLE DEPLOYER');
    expect((await failure(job('J1'))).message).toContain("Stage 'JOBS.S.MODELS' does not exist or not authorized");
    await query(admin, 'GRANT READ, WRITE ON STAGE JOBS.S.MODELS TO ROLE DEPLOYER');
    // The container logs in as DEPLOYER, which may not insert into SEEN yet: its statement fails (exit 4).
    expect((await failure(job('J1'))).message).toMatch(/Job JOBS.S.J1 failed: Container exited with code 4/);
    await query(admin, 'GRANT INSERT ON TABLE JOBS.S.SEEN TO ROLE DEPLOYER');
    await job('J2');
    expect(await server.engineQuery("SELECT SERVICE FROM JOBS.S.SEEN WHERE SERVICE = 'JOBS.S.J2'")).toEqual([{ SERVICE: 'JOBS.S.J2' }]);
  });

  test('SHOW SERVICE CONTAINERS IN SERVICE and DESCRIBE SERVICE need OWNERSHIP or MONITOR; DROP SERVICE needs OWNERSHIP', async () => {
    const d = await as('deployer');
    const rows = (await query(d, 'SHOW SERVICE CONTAINERS IN SERVICE JOBS.S.J2')).rows;
    expect(rows[0]).toMatchObject({
      database_name: 'JOBS',
      schema_name: 'S',
      service_name: 'J2',
      service_status: 'DONE',
      container_name: 'worker',
      image_name: '/jobs/s/repo/worker:1',
      last_exit_code: '0',
      restart_count: '0',
    });
    expect(Object.keys(rows[0])).toEqual([
      'database_name',
      'schema_name',
      'service_name',
      'service_status',
      'instance_id',
      'instance_status',
      'container_name',
      'status',
      'message',
      'image_name',
      'image_digest',
      'restart_count',
      'start_time',
      'last_exit_code',
      'last_restart_time',
    ]);
    const r = await as('runner');
    await run(admin, 'GRANT USAGE ON DATABASE JOBS TO ROLE RUNNER', 'GRANT USAGE ON SCHEMA JOBS.S TO ROLE RUNNER');
    expect((await failure(query(r, 'DESCRIBE SERVICE JOBS.S.J2'))).code).toBe('002003');
    await query(d, 'GRANT MONITOR ON SERVICE JOBS.S.J2 TO ROLE RUNNER');
    expect((await query(r, 'DESCRIBE SERVICE JOBS.S.J2')).rows[0]).toMatchObject({ status: 'DONE', owner: 'DEPLOYER' });
    expect((await failure(query(r, 'DROP SERVICE JOBS.S.J2'))).message).toContain('needs OWNERSHIP');
    await query(d, 'DROP SERVICE JOBS.S.J2');
  });

  test('v1 stage mounts are refused as the 2026_08 bundle refuses them; NAME does not take quoted names', async () => {
    const v1 = spec('    source: "@JOBS.S.MODELS"\n');
    expect((await failure(query(admin, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S.V1 FROM SPECIFICATION $$${v1}$$`))).message).toContain(
      'stage mount v1 not supported, please use v2 instead',
    );
    expect(
      (await failure(query(admin, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S."quoted" FROM SPECIFICATION $$${spec()}$$`))).message,
    ).toContain('NAME does not support quoted names');
  });
});

describe('access control: models and procedures', () => {
  beforeAll(async () => {
    await run(
      admin,
      'CREATE STAGE APP.S.MODELS',
      'CREATE TABLE APP.S.METRICS (RUN_ID VARCHAR, PARTITION_KEY VARCHAR, STATUS VARCHAR, MAPE FLOAT)',
      "INSERT INTO APP.S.METRICS VALUES ('R1', 'k1', 'OK', 0.1)",
      "COPY INTO @APP.S.MODELS/R1/model_index.json FROM (SELECT OBJECT_CONSTRUCT('partitions', OBJECT_CONSTRUCT('k1', 'R1/k1.json'))) FILE_FORMAT = (TYPE = JSON) SINGLE = TRUE",
      "COPY INTO @APP.S.MODELS/R1/k1.json FROM (SELECT OBJECT_CONSTRUCT('m', 1)) FILE_FORMAT = (TYPE = JSON) SINGLE = TRUE",
      // The deploy role owns both procedures; the runner may call them.
      'GRANT CREATE PROCEDURE ON SCHEMA APP.S TO ROLE DEPLOYER',
    );
    const d = await as('deployer');
    await run(
      d,
      "CREATE PROCEDURE APP.S.WHOAMI() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' HANDLER = 'main' AS $$def main(s): return 'x'$$",
      "CREATE PROCEDURE APP.S.REGISTER_OWNER(RUN_ID VARCHAR, VERSION_NAME VARCHAR, INDEX_PATH VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' HANDLER = 'main' EXECUTE AS OWNER AS $$def main(s, a, b, c): return 'x'$$",
      "CREATE OR REPLACE PROCEDURE APP.S.REGISTER_CALLER(RUN_ID VARCHAR, VERSION_NAME VARCHAR, INDEX_PATH VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' HANDLER = 'main' EXECUTE AS CALLER AS $$def main(s, a, b, c): return 'x'$$",
      'GRANT USAGE ON PROCEDURE APP.S.WHOAMI() TO ROLE RUNNER',
      'GRANT USAGE ON PROCEDURE APP.S.REGISTER_CALLER(VARCHAR, VARCHAR, VARCHAR) TO ROLE RUNNER',
    );
    await run(
      admin,
      'GRANT CREATE MODEL ON SCHEMA APP.S TO ROLE RUNNER',
      'GRANT READ, WRITE ON STAGE APP.S.MODELS TO ROLE RUNNER',
      'GRANT SELECT ON TABLE APP.S.METRICS TO ROLE RUNNER',
    );
  });

  test("CALL needs USAGE on the procedure; an owner's-rights stand-in runs as the owner", async () => {
    const r = await as('runner');
    expect((await query(r, 'CALL APP.S.WHOAMI()')).rows[0]).toEqual({ WHOAMI: 'DEPLOYER' });
    expect(seen).toEqual([{ role: 'DEPLOYER', executeAs: 'OWNER' }]);
    expect((await failure(query(r, "CALL APP.S.REGISTER_OWNER('R1', 'V1', 'R1/model_index.json')"))).code).toBe('002003');
  });

  test("registration in an owner's-rights procedure fails on its temporary stage; with the caller's rights the caller owns the model and moves its alias", async () => {
    await run(admin, 'GRANT USAGE ON PROCEDURE APP.S.REGISTER_OWNER(VARCHAR, VARCHAR, VARCHAR) TO ROLE RUNNER');
    const r = await as('runner');
    expect((await failure(query(r, "CALL APP.S.REGISTER_OWNER('R1', 'V1', 'R1/model_index.json')"))).message).toContain(
      "creating named temporary objects is not supported in an owner's rights stored procedure",
    );
    // Registry.log_model's temporary stage is created in the model's schema: CREATE STAGE there.
    expect((await failure(query(r, "CALL APP.S.REGISTER_CALLER('R1', 'V1', 'R1/model_index.json')"))).message).toContain(
      "schema 'APP.S'. (role RUNNER needs CREATE STAGE)",
    );
    await query(admin, 'GRANT CREATE STAGE ON SCHEMA APP.S TO ROLE RUNNER');
    const out = JSON.parse((await query(r, "CALL APP.S.REGISTER_CALLER('R1', 'V1', 'R1/model_index.json')")).rows[0].REGISTER_CALLER);
    expect(out).toMatchObject({ status: 'registered', model: 'APP.S.FORECASTER', version: 'V1' });
    await query(r, 'ALTER MODEL APP.S.FORECASTER VERSION V1 SET ALIAS = PRODUCTION');
    const shown = (await query(r, 'SHOW GRANTS ON MODEL APP.S.FORECASTER')).rows;
    expect(shown[0]).toMatchObject({ privilege: 'OWNERSHIP', grantee_name: 'RUNNER' });
    // ACCOUNTADMIN is not above RUNNER here: the model is out of its sight.
    expect((await failure(query(admin, 'SHOW VERSIONS IN MODEL APP.S.FORECASTER'))).code).toBe('002003');
  });

  test('ALTER MODEL needs ownership; PREDICT and SHOW VERSIONS need USAGE; future grants apply to a model created later', async () => {
    await run(
      admin,
      'GRANT USAGE ON FUTURE MODELS IN SCHEMA APP.S TO ROLE CONSUMER',
      'GRANT CREATE MODEL ON SCHEMA APP.S TO ROLE DEPLOYER',
      'GRANT READ ON STAGE APP.S.MODELS TO ROLE DEPLOYER',
    );
    const d = await as('deployer');
    await run(d, 'CREATE MODEL APP.S.LATER WITH VERSION V1 FROM @APP.S.MODELS/R1');
    const c = await as('consumer');
    expect((await query(c, 'SHOW VERSIONS IN MODEL APP.S.LATER')).rows.map((v) => v.name)).toEqual(['V1']);
    expect(await failure(query(c, 'ALTER MODEL APP.S.LATER VERSION V1 SET ALIAS = PROD'))).toMatchObject({
      code: '003001',
      message: expect.stringContaining("model 'APP.S.LATER'. (role CONSUMER needs OWNERSHIP)"),
    });
    // The model created before the future grant stays out of the consumer's reach until granted.
    expect((await failure(query(c, 'SHOW VERSIONS IN MODEL APP.S.FORECASTER'))).code).toBe('002003');
    const predict =
      "SELECT P.VERSION FROM (SELECT 'k1' AS PARTITION_KEY) I, TABLE(MODEL(APP.S.FORECASTER, V1)!PREDICT(I.PARTITION_KEY) OVER (PARTITION BY I.PARTITION_KEY)) P";
    expect((await failure(query(c, predict))).code).toBe('002003');
    const r = await as('runner');
    await query(r, 'GRANT USAGE ON MODEL APP.S.FORECASTER TO ROLE CONSUMER');
    expect((await query(c, predict)).rows).toEqual([{ VERSION: 'V1' }]);
  });
});
