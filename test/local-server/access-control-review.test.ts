/**
 * Access control on the local server, second round (docs/local-server.md "Access control"): role
 * switching in sessions without a user, the warehouse queries need, views, privilege names, task
 * history visibility, stage mounts, and reads through every form of statement — through real
 * snowflake-sdk sessions of users holding narrower roles than the default user (ACCOUNTADMIN).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { Conn, close, connect, query } from './client';
import { createModelStatements } from '../fixtures/model-files';

const sqlWorker = path.join(__dirname, 'fixtures', 'sql-worker.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-acl-review-'));
let server: LocalSnowflakeServer;
let admin: Conn;
const open: Conn[] = [];

const as = async (user: string, extra: Record<string, unknown> = {}) => {
  const c = await connect(server.connectionOptions({ username: user, password: 'pw', ...extra }));
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
let jobs = 0;
/** Runs SQL statements in a job container executed by `c`; the outcome line of each. */
const inContainer = async (c: Conn, statements: string[], options = 'QUERY_WAREHOUSE = WH', volumes = ''): Promise<string[]> => {
  const file = path.join(tmp, `result-${++jobs}.txt`);
  const spec = `spec:\n  containers:\n  - name: sql\n    image: /d/s/repo/sql:1\n    env:\n      SQL: ${JSON.stringify(statements.join(';;'))}\n      RESULT_FILE: ${JSON.stringify(file)}\n${volumes}`;
  await query(c, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = D.S.JOB${jobs} ${options} FROM SPECIFICATION $$${spec}$$`);
  return fs.readFileSync(file, 'utf8').trim().split('\n');
};

beforeAll(async () => {
  server = await startLocalServer({
    users: [
      { name: 'test', password: 'test' },
      { name: 'owner', password: 'pw', roles: ['OWNER_R'] },
      { name: 'low', password: 'pw', roles: ['LOW'] },
      { name: 'container' },
    ],
    imageCommands: { '/d/s/repo/sql': { command: [process.execPath, sqlWorker] } },
    procedures: {
      'D.S.RUN_SQL': async ([sql], ctx) => JSON.stringify(await ctx.query(String(sql))),
    },
    predictor: async (_m, version, rows) => rows.map((r) => ({ PARTITION_KEY: r.PARTITION_KEY, VERSION: version.name })),
  });
  admin = await connect(server.connectionOptions());
  await run(
    admin,
    'CREATE DATABASE D',
    'CREATE SCHEMA D.S',
    'CREATE TABLE D.S.SECRET (X VARCHAR)',
    "INSERT INTO D.S.SECRET VALUES ('secret')",
    'CREATE TABLE D.S.PUB (X VARCHAR)',
    "INSERT INTO D.S.PUB VALUES ('pub')",
    'CREATE TABLE D.S.OUT (X VARCHAR)',
    'CREATE WAREHOUSE WH',
    'CREATE WAREHOUSE WH2',
    'CREATE COMPUTE POOL POOL1',
    'CREATE IMAGE REPOSITORY D.S.REPO',
    'CREATE STAGE D.S.FILES',
    'GRANT USAGE ON DATABASE D TO ROLE OWNER_R',
    'GRANT USAGE ON SCHEMA D.S TO ROLE OWNER_R',
    'GRANT CREATE TASK, CREATE SERVICE, CREATE PROCEDURE, CREATE TABLE, CREATE VIEW ON SCHEMA D.S TO ROLE OWNER_R',
    'GRANT SELECT, INSERT ON TABLE D.S.OUT TO ROLE OWNER_R',
    'GRANT SELECT ON TABLE D.S.PUB TO ROLE OWNER_R',
    'GRANT USAGE ON WAREHOUSE WH TO ROLE OWNER_R',
    'GRANT EXECUTE TASK ON ACCOUNT TO ROLE OWNER_R',
    'GRANT USAGE ON COMPUTE POOL POOL1 TO ROLE OWNER_R',
    'GRANT READ ON IMAGE REPOSITORY D.S.REPO TO ROLE OWNER_R',
    'GRANT USAGE ON DATABASE D TO ROLE LOW',
    'GRANT USAGE ON SCHEMA D.S TO ROLE LOW',
    'GRANT SELECT ON TABLE D.S.PUB TO ROLE LOW',
    'GRANT USAGE ON WAREHOUSE WH TO ROLE LOW',
  );
});
afterAll(async () => {
  for (const c of [admin, ...open]) await close(c);
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The last run of a task, as its owner sees it in TASK_HISTORY. */
const lastRun = async (c: Conn, task: string) =>
  (await query(c, `SELECT STATE, ERROR_CODE, ERROR_MESSAGE FROM TABLE(D.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => '${task}', RESULT_LIMIT => 1))`)).rows[0];

describe('USE ROLE in sessions without a user', () => {
  test('a task body cannot USE ROLE (not even ACCOUNTADMIN): the run fails with 003013 and writes nothing', async () => {
    const o = await as('owner', { warehouse: 'WH' });
    await run(
      o,
      'CREATE TASK D.S.ESCALATE WAREHOUSE = WH AS BEGIN USE ROLE ACCOUNTADMIN; INSERT INTO D.S.OUT SELECT X FROM D.S.SECRET; END',
      'EXECUTE TASK D.S.ESCALATE',
    );
    await server.objects.settle();
    expect(await lastRun(o, 'ESCALATE')).toMatchObject({
      STATE: 'FAILED',
      ERROR_CODE: '003013',
      ERROR_MESSAGE: expect.stringContaining('USE ROLE ACCOUNTADMIN is not allowed in a task'),
    });
    expect(await server.engineQuery('SELECT COUNT(*) AS N FROM D.S.OUT')).toEqual([{ N: '0' }]);
  });

  test("an owner's-rights procedure cannot USE ROLE, whoever calls it", async () => {
    const o = await as('owner', { warehouse: 'WH' });
    await run(
      o,
      "CREATE PROCEDURE D.S.RUN_SQL(SQL VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' HANDLER = 'main' EXECUTE AS OWNER AS $$def main(s, q): return q$$",
      'GRANT USAGE ON PROCEDURE D.S.RUN_SQL(VARCHAR) TO ROLE ACCOUNTADMIN',
    );
    // The default user holds ACCOUNTADMIN and SYSADMIN; inside OWNER_R's procedure neither may be used.
    expect(await failure(query(admin, "CALL D.S.RUN_SQL('USE ROLE SYSADMIN')"))).toMatchObject({
      code: '003013',
      message: expect.stringContaining("is not allowed in a owner's rights stored procedure"),
    });
    expect((await query(admin, "CALL D.S.RUN_SQL('SELECT CURRENT_ROLE() AS R')")).rows[0].RUN_SQL).toBe('[{"R":"OWNER_R"}]');
  });

  test('a job container may USE ROLE only roles its owner role inherits', async () => {
    await run(admin, 'CREATE ROLE BELOW', 'GRANT ROLE BELOW TO ROLE OWNER_R');
    const o = await as('owner', { warehouse: 'WH' });
    const out = await inContainer(o, ['USE ROLE ACCOUNTADMIN', 'SELECT CURRENT_ROLE() AS R', 'USE ROLE BELOW', 'SELECT CURRENT_ROLE() AS R']);
    expect(out[0]).toMatch(/^003013 .*Requested role 'ACCOUNTADMIN' is not assigned to the executing user/);
    expect(out[1]).toBe('ok [{"R":"OWNER_R"}]');
    expect(out[2]).toMatch(/^ok/);
    expect(out[3]).toBe('ok [{"R":"BELOW"}]');
  });
});

describe('a warehouse for queries and DML', () => {
  test('a narrower role without a warehouse gets 000606 for queries and DML, not for metadata or literal SELECTs', async () => {
    const l = await as('low');
    const e = await failure(query(l, 'SELECT X FROM D.S.PUB'));
    expect(e).toMatchObject({
      code: '000606',
      sqlState: '57P03',
      message: expect.stringContaining("No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command."),
    });
    expect((await failure(query(l, "INSERT INTO D.S.PUB VALUES ('x')"))).code).toBe('000606');
    // Metadata and literals need none.
    await run(l, 'USE SCHEMA D.S', 'SHOW MODELS', 'SELECT 1 AS ONE');
    expect((await query(l, 'SELECT CURRENT_ROLE() AS R, CURRENT_WAREHOUSE() AS W')).rows).toEqual([{ R: 'LOW', W: null }]);
    // A warehouse the role may not use is refused; one it may use makes the query run.
    expect((await failure(query(l, 'USE WAREHOUSE WH2'))).code).toBe('002003');
    await query(l, 'USE WAREHOUSE WH');
    expect((await query(l, 'SELECT X FROM D.S.PUB')).rows).toEqual([{ X: 'pub' }]);
    // The default user's ACCOUNTADMIN sessions keep running without one.
    expect((await query(admin, 'SELECT COUNT(*) AS N FROM D.S.PUB')).rows).toEqual([{ N: 1 }]);
  });

  test('losing USAGE on the current warehouse stops queries (000606)', async () => {
    const l = await as('low', { warehouse: 'WH' });
    await query(admin, 'REVOKE USAGE ON WAREHOUSE WH FROM ROLE LOW');
    expect((await failure(query(l, 'SELECT X FROM D.S.PUB'))).code).toBe('000606');
    await query(admin, 'GRANT USAGE ON WAREHOUSE WH TO ROLE LOW');
    expect((await query(l, 'SELECT X FROM D.S.PUB')).rows).toHaveLength(1);
  });

  test('a task runs on its WAREHOUSE, which its creator and owner must be able to use; a serverless task needs none', async () => {
    const o = await as('owner', { warehouse: 'WH' });
    expect((await failure(query(o, "CREATE TASK D.S.ON_WH2 WAREHOUSE = WH2 AS INSERT INTO D.S.OUT VALUES ('wh2')"))).code).toBe('002003');
    await run(
      o,
      'CREATE TASK D.S.ON_WH WAREHOUSE = WH AS INSERT INTO D.S.OUT SELECT CURRENT_WAREHOUSE()',
      "CREATE TASK D.S.SERVERLESS AS INSERT INTO D.S.OUT VALUES ('serverless')",
      'EXECUTE TASK D.S.ON_WH',
      'EXECUTE TASK D.S.SERVERLESS',
    );
    await server.objects.settle();
    expect(await lastRun(o, 'ON_WH')).toMatchObject({ STATE: 'SUCCEEDED' });
    expect(await lastRun(o, 'SERVERLESS')).toMatchObject({ STATE: 'SUCCEEDED' });
    expect((await server.engineQuery("SELECT X FROM D.S.OUT WHERE X IN ('WH', 'serverless') ORDER BY X")).map((r) => r.X)).toEqual(['WH', 'serverless']);
    // The owner lost USAGE on the task's warehouse: the task's statements fail with 000606.
    await query(admin, 'REVOKE USAGE ON WAREHOUSE WH FROM ROLE OWNER_R');
    await query(o, 'EXECUTE TASK D.S.ON_WH').catch(() => undefined);
    await server.objects.settle();
    await query(admin, 'GRANT USAGE ON WAREHOUSE WH TO ROLE OWNER_R');
    expect(await lastRun(o, 'ON_WH')).toMatchObject({ STATE: 'FAILED', ERROR_CODE: '000606' });
  });

  test("a job container's session warehouse is the job's QUERY_WAREHOUSE; without one its queries fail", async () => {
    const o = await as('owner', { warehouse: 'WH' });
    expect(await inContainer(o, ['SELECT CURRENT_WAREHOUSE() AS W', 'SELECT COUNT(*) AS N FROM D.S.PUB'])).toEqual(['ok [{"W":"WH"}]', 'ok [{"N":1}]']);
    const none = await inContainer(o, ['SELECT CURRENT_WAREHOUSE() AS W', 'SELECT COUNT(*) AS N FROM D.S.PUB'], '');
    expect(none[0]).toBe('ok [{"W":null}]');
    expect(none[1]).toMatch(/^000606 /);
  });

  test("a procedure stand-in's queries run on the caller's session warehouse", async () => {
    await run(admin, 'GRANT USAGE ON PROCEDURE D.S.RUN_SQL(VARCHAR) TO ROLE LOW');
    const l = await as('low');
    expect((await failure(query(l, "CALL D.S.RUN_SQL('SELECT COUNT(*) AS N FROM D.S.PUB')"))).code).toBe('000606');
    await query(l, 'USE WAREHOUSE WH');
    expect((await query(l, "CALL D.S.RUN_SQL('SELECT COUNT(*) AS N FROM D.S.PUB')")).rows[0].RUN_SQL).toBe('[{"N":"1"}]');
  });
});

describe('views, privilege names, task history, stage mounts, registration', () => {
  test('a view is checked as a VIEW: SELECT granted on the view is enough, without a grant on its table', async () => {
    await run(admin, 'CREATE VIEW D.S.V AS SELECT X FROM D.S.SECRET', 'GRANT SELECT ON VIEW D.S.V TO ROLE LOW');
    const l = await as('low', { warehouse: 'WH' });
    expect((await query(l, 'SELECT X FROM D.S.V')).rows).toEqual([{ X: 'secret' }]);
    expect((await failure(query(l, 'SELECT X FROM D.S.SECRET'))).code).toBe('002003');
  });

  test('a privilege the object kind does not have is refused with 003011; CREATE HYBRID TABLE is a schema privilege, and required', async () => {
    expect(await failure(query(admin, 'GRANT FOO BAR ON TABLE D.S.PUB TO ROLE LOW'))).toMatchObject({
      code: '003011',
      message: 'SQL compilation error:\nInvalid privilege FOO BAR.',
    });
    expect((await failure(query(admin, 'GRANT READ ON TABLE D.S.PUB TO ROLE LOW'))).code).toBe('003011');
    expect((await failure(query(admin, 'GRANT SELECT ON ACCOUNT TO ROLE LOW'))).code).toBe('003011');
    expect((await failure(query(admin, 'GRANT SELECT ON FUTURE STAGES IN SCHEMA D.S TO ROLE LOW'))).code).toBe('003011');
    const o = await as('owner', { warehouse: 'WH' });
    // OWNER_R holds CREATE TABLE on D.S, not CREATE HYBRID TABLE.
    expect(await failure(query(o, 'CREATE HYBRID TABLE D.S.H (K VARCHAR PRIMARY KEY)'))).toMatchObject({
      code: '003001',
      message: expect.stringContaining('needs CREATE HYBRID TABLE'),
    });
    await query(admin, 'GRANT CREATE HYBRID TABLE ON SCHEMA D.S TO ROLE OWNER_R');
    await query(o, 'CREATE HYBRID TABLE D.S.H (K VARCHAR PRIMARY KEY)');
  });

  test('REVOKE GRANT OPTION FOR revokes only the option', async () => {
    await run(admin, 'GRANT SELECT ON TABLE D.S.PUB TO ROLE OWNER_R WITH GRANT OPTION', 'REVOKE GRANT OPTION FOR SELECT ON TABLE D.S.PUB FROM ROLE OWNER_R');
    const shown = (await query(admin, 'SHOW GRANTS ON TABLE D.S.PUB')).rows.filter((g) => g.grantee_name === 'OWNER_R');
    expect(shown).toEqual([expect.objectContaining({ privilege: 'SELECT', grant_option: 'FALSE' })]);
    const o = await as('owner', { warehouse: 'WH' });
    expect((await query(o, 'SELECT X FROM D.S.PUB')).rows).toHaveLength(1);
    expect((await failure(query(o, 'GRANT SELECT ON TABLE D.S.PUB TO ROLE LOW'))).code).toBe('003001');
  });

  test('TASK_HISTORY and the graph functions show only tasks the role owns or holds MONITOR or OPERATE on', async () => {
    const l = await as('low', { warehouse: 'WH' });
    const names = async (fn: string) => (await query(l, `SELECT * FROM TABLE(D.INFORMATION_SCHEMA.${fn}())`)).rows.map((r) => r.NAME ?? r.ROOT_TASK_NAME);
    expect(await names('TASK_HISTORY')).toEqual([]);
    expect(await names('COMPLETE_TASK_GRAPHS')).toEqual([]);
    const o = await as('owner', { warehouse: 'WH' });
    await query(o, 'GRANT MONITOR ON TASK D.S.SERVERLESS TO ROLE LOW');
    expect(new Set(await names('TASK_HISTORY'))).toEqual(new Set(['SERVERLESS']));
    expect(new Set(await names('COMPLETE_TASK_GRAPHS'))).toEqual(new Set(['SERVERLESS']));
    expect((await query(o, "SELECT COUNT(*) AS N FROM TABLE(D.INFORMATION_SCHEMA.TASK_HISTORY()) WHERE NAME = 'ESCALATE'")).rows[0].N).toBeGreaterThan(0);
  });

  test('a stage mount needs WRITE as well as READ', async () => {
    const volumes =
      '    volumeMounts:\n    - name: files\n      mountPath: /files\n  volumes:\n  - name: files\n    source: stage\n    stageConfig:\n      name: "@D.S.FILES"\n';
    const o = await as('owner', { warehouse: 'WH' });
    await query(admin, 'GRANT READ ON STAGE D.S.FILES TO ROLE OWNER_R');
    expect(await failure(inContainer(o, ['SELECT 1'], 'QUERY_WAREHOUSE = WH', volumes))).toMatchObject({
      code: '003001',
      message: expect.stringContaining("stage 'D.S.FILES'. (role OWNER_R needs WRITE)"),
    });
    await query(admin, 'GRANT WRITE ON STAGE D.S.FILES TO ROLE OWNER_R');
    expect(await inContainer(o, ['SELECT 1 AS ONE'], 'QUERY_WAREHOUSE = WH', volumes)).toEqual(['ok [{"ONE":1}]']);
  });
});

describe('a table the role has no privilege on cannot be read through any form of statement', () => {
  test('subquery, CTE, JOIN, MERGE source, INSERT ... SELECT, UPDATE subquery, PREDICT input, CTAS, CREATE VIEW AS: 002003', async () => {
    await run(
      admin,
      'GRANT INSERT, UPDATE, DELETE ON TABLE D.S.PUB TO ROLE LOW',
      'GRANT CREATE TABLE, CREATE VIEW ON SCHEMA D.S TO ROLE LOW',
      ...createModelStatements('D.S.M', 'V1', 'D.S.FILES'),
      'GRANT USAGE ON MODEL D.S.M TO ROLE LOW',
    );
    const l = await as('low', { warehouse: 'WH' });
    const statements = [
      'SELECT X FROM D.S.PUB WHERE X IN (SELECT X FROM D.S.SECRET)',
      'WITH S AS (SELECT X FROM D.S.SECRET) SELECT X FROM S',
      'SELECT P.X FROM D.S.PUB P JOIN D.S.SECRET S ON P.X = S.X',
      'MERGE INTO D.S.PUB P USING D.S.SECRET S ON P.X = S.X WHEN NOT MATCHED THEN INSERT (X) VALUES (S.X)',
      'INSERT INTO D.S.PUB SELECT X FROM D.S.SECRET',
      'UPDATE D.S.PUB SET X = (SELECT MAX(X) FROM D.S.SECRET)',
      'SELECT P.VERSION FROM (SELECT X AS PARTITION_KEY FROM D.S.SECRET) I, TABLE(MODEL(D.S.M, V1)!PREDICT(I.PARTITION_KEY) OVER (PARTITION BY I.PARTITION_KEY)) P',
      'CREATE TABLE D.S.COPY AS SELECT X FROM D.S.SECRET',
      'CREATE VIEW D.S.PEEK AS SELECT X FROM D.S.SECRET',
    ];
    for (const sql of statements)
      expect({ sql, ...(await failure(query(l, sql))) }).toMatchObject({
        sql,
        code: '002003',
        message: expect.stringContaining("'D.S.SECRET' does not exist or not authorized"),
      });
    expect(await server.engineQuery('SELECT X FROM D.S.PUB')).toEqual([{ X: 'pub' }]);
  });

  test('a task body reads only what its owner may: the run fails with 002003', async () => {
    const o = await as('owner', { warehouse: 'WH' });
    await run(o, 'CREATE TASK D.S.READ_SECRET WAREHOUSE = WH AS INSERT INTO D.S.OUT SELECT X FROM D.S.SECRET', 'EXECUTE TASK D.S.READ_SECRET');
    await server.objects.settle();
    expect(await lastRun(o, 'READ_SECRET')).toMatchObject({ STATE: 'FAILED', ERROR_CODE: '002003' });
    expect(await server.engineQuery("SELECT COUNT(*) AS N FROM D.S.OUT WHERE X = 'secret'")).toEqual([{ N: '0' }]);
  });
});
