import * as crypto from 'crypto';
import * as snowflake from 'snowflake-sdk';
import { parse as parseToml } from 'smol-toml';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { close, connect, query } from './client';

const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privateKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let server: LocalSnowflakeServer;
beforeAll(async () => {
  server = await startLocalServer({
    users: [
      { name: 'test', password: 'test' },
      { name: 'robot', publicKeyPem, pat: 'pat-token-123' },
    ],
  });
});
afterAll(async () => server.close());

describe('local server: login and sessions through snowflake-sdk', () => {
  test('a password login opens a session that runs queries', async () => {
    const c = await connect(server.connectionOptions());
    expect((await query(c, 'SELECT 1 + 1 AS TWO')).rows).toEqual([{ TWO: 2 }]);
    await close(c);
  });

  test('a wrong password gets Snowflake 390100', async () => {
    await expect(connect(server.connectionOptions({ password: 'nope' }))).rejects.toMatchObject({
      code: '390100',
      message: expect.stringContaining('Incorrect username or password'),
    });
  });

  test('key-pair (SNOWFLAKE_JWT) login verifies the signature against the registered key', async () => {
    const ok = await connect(server.connectionOptions({ username: 'robot', password: undefined, authenticator: 'SNOWFLAKE_JWT', privateKey: privateKeyPem }));
    expect((await query(ok, 'SELECT 7 AS N')).rows[0].N).toBe(7);
    await close(ok);
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(
      connect(server.connectionOptions({ username: 'robot', password: undefined, authenticator: 'SNOWFLAKE_JWT', privateKey: other })),
    ).rejects.toMatchObject({ code: '390144' });
  });

  test('programmatic access token login', async () => {
    const c = await connect(
      server.connectionOptions({ username: 'robot', password: undefined, authenticator: 'PROGRAMMATIC_ACCESS_TOKEN', token: 'pat-token-123' }),
    );
    expect((await query(c, "SELECT 'pat' AS A")).rows[0].A).toBe('pat');
    await close(c);
  });

  test('a connections.toml-style entry (host, port, protocol = http) reaches the server', async () => {
    const toml = parseToml(
      `[local]\naccount = "local"\nuser = "test"\npassword = "test"\nhost = "127.0.0.1"\nport = ${server.port}\nprotocol = "http"\n`,
    ) as any;
    const e = toml.local;
    const c = await connect({
      account: e.account,
      username: e.user,
      password: e.password,
      host: e.host,
      port: e.port,
      protocol: e.protocol,
      accessUrl: `${e.protocol}://${e.host}:${e.port}`,
    });
    expect((await query(c, 'SELECT 1 AS ONE')).rows[0].ONE).toBe(1);
    await close(c);
  });

  test('heartbeat keeps a session; closing the connection deletes it', async () => {
    const c = await connect(server.connectionOptions());
    await new Promise<void>((resolve, reject) => (c as any).heartbeat((e: unknown) => (e ? reject(e) : resolve())));
    await close(c);
    await expect(query(c, 'SELECT 1')).rejects.toBeDefined();
  });

  test('an expired session token is renewed by the driver with the master token', async () => {
    const c = await connect(server.connectionOptions());
    server.faults.expireSessionTokens();
    expect((await query(c, 'SELECT 3 AS N')).rows[0].N).toBe(3);
    server.faults.reset();
    await close(c);
  });
});

describe('local server: queries, types, binds and errors', () => {
  let c: snowflake.Connection;
  beforeAll(async () => {
    c = await connect(server.connectionOptions());
    await query(c, 'CREATE DATABASE IF NOT EXISTS QDB');
    await query(c, 'CREATE SCHEMA IF NOT EXISTS QDB.S');
  });
  afterAll(async () => close(c));

  test('rowtypes convert to the right JavaScript types', async () => {
    await query(
      c,
      'CREATE OR REPLACE TABLE QDB.S.TYPES (T VARCHAR(20), N NUMBER(10,2), I NUMBER(10,0), R FLOAT, B BOOLEAN, D DATE, TS TIMESTAMP_NTZ, V VARIANT, A ARRAY)',
    );
    await query(
      c,
      "INSERT INTO QDB.S.TYPES SELECT 'x', 12.5, 42, 0.25, TRUE, '2026-03-01', '2026-03-01 10:20:30', PARSE_JSON('{\"k\": [1, 2]}'), PARSE_JSON('[1, 2]')",
    );
    const [row] = (await query(c, 'SELECT * FROM QDB.S.TYPES')).rows;
    expect(row.T).toBe('x');
    expect(row.N).toBe(12.5);
    expect(row.I).toBe(42);
    expect(row.R).toBe(0.25);
    expect(row.B).toBe(true);
    expect(row.D).toBeInstanceOf(Date);
    expect((row.D as Date).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect((row.TS as Date).toISOString()).toBe('2026-03-01T10:20:30.000Z');
    expect(row.V).toEqual({ k: [1, 2] });
    expect(row.A).toEqual([1, 2]);
  });

  test('positional binds and a 20,000-row array bind in one call', async () => {
    await query(c, 'CREATE OR REPLACE TABLE QDB.S.BIG (K VARCHAR, V NUMBER(10,0))');
    const rows = Array.from({ length: 20000 }, (_, i) => [`k${i}`, i]);
    const ins = await query(c, 'INSERT INTO QDB.S.BIG (K, V) VALUES (?, ?)', rows);
    expect(ins.updated).toBe(20000);
    const sum = await query(c, 'SELECT COUNT(*) AS N, SUM(V) AS S FROM QDB.S.BIG WHERE K <> ?', ['nothing']);
    expect(sum.rows[0]).toEqual({ N: 20000, S: (19999 * 20000) / 2 });
  });

  test('an array-bound insert keeps every value: quotes, backslashes, non-ASCII text, dates, integers among fractions, booleans and NULLs', async () => {
    await query(c, 'CREATE OR REPLACE TABLE QDB.S.KINDS (K VARCHAR, D DATE, Y FLOAT, N NUMBER(10,0), B BOOLEAN)');
    const rows = [
      [`a'b"c\\d`, '2023-01-01', 57, 3, true],
      ['é ✓', null, 57.125, null, false],
      [null, '2023-01-03', null, 12345, null],
    ];
    expect((await query(c, 'INSERT INTO QDB.S.KINDS (K, D, Y, N, B) VALUES (?, ?, ?, ?, ?)', rows)).updated).toBe(3);
    const back = (await query(c, 'SELECT K, TO_VARCHAR(D) AS D, Y, N, B FROM QDB.S.KINDS ORDER BY Y NULLS LAST')).rows;
    expect(back).toEqual([
      { K: `a'b"c\\d`, D: '2023-01-01', Y: 57, N: 3, B: true },
      { K: 'é ✓', D: null, Y: 57.125, N: null, B: false },
      { K: null, D: '2023-01-03', Y: null, N: 12345, B: null },
    ]);
  });

  test('an array-bound insert with one bad row inserts nothing and names the value', async () => {
    await query(c, 'CREATE OR REPLACE TABLE QDB.S.BAD (K VARCHAR, D DATE)');
    await expect(
      query(c, 'INSERT INTO QDB.S.BAD (K, D) VALUES (?, ?)', [
        ['x', '2023-01-01'],
        ['y', 'not a date'],
      ]),
    ).rejects.toThrow(/Numeric value or date is not recognized: .*"not a date"/);
    expect((await query(c, 'SELECT COUNT(*) AS N FROM QDB.S.BAD')).rows).toEqual([{ N: 0 }]);
  });

  test('numbered binds (:1, :2) can repeat and reorder values', async () => {
    const r = await query(c, "SELECT :2 AS B, :1 AS A, :1 || ':1' AS AA", ['x', 'y']);
    expect(r.rows).toEqual([{ B: 'y', A: 'x', AA: 'x:1' }]);
  });

  test('updated-row counts drive compare-and-set', async () => {
    await query(c, 'CREATE OR REPLACE TABLE QDB.S.CAS (ID VARCHAR, STATUS VARCHAR)');
    await query(c, "INSERT INTO QDB.S.CAS VALUES ('a', 'PENDING')");
    expect((await query(c, "UPDATE QDB.S.CAS SET STATUS = 'CLAIMED' WHERE ID = ? AND STATUS = 'PENDING'", ['a'])).updated).toBe(1);
    expect((await query(c, "UPDATE QDB.S.CAS SET STATUS = 'CLAIMED' WHERE ID = ? AND STATUS = 'PENDING'", ['a'])).updated).toBe(0);
  });

  test('multi-statement requests run every statement', async () => {
    const r = await query(c, 'CREATE OR REPLACE TABLE QDB.S.M (X NUMBER); INSERT INTO QDB.S.M VALUES (1); INSERT INTO QDB.S.M VALUES (2)', undefined, {
      parameters: { MULTI_STATEMENT_COUNT: 3 },
    });
    expect(r.rows.length).toBeGreaterThanOrEqual(1);
    expect((await query(c, 'SELECT SUM(X) AS S FROM QDB.S.M')).rows[0].S).toBe(3);
  });

  test('asynchronous submission, status polling and result fetch', async () => {
    server.faults.delayStatement({ match: /ASYNC_MARK/, ms: 300 });
    const queryId: string = await new Promise((resolve, reject) =>
      c.execute({
        sqlText: "SELECT 'ASYNC_MARK' AS M, 5 AS N",
        asyncExec: true,
        complete: (e: any, st: any) => (e ? reject(e) : resolve(st.getQueryId())),
      } as any),
    );
    expect(await c.getQueryStatus(queryId)).toBe('RUNNING');
    let status = '';
    for (let i = 0; i < 50 && status !== 'SUCCESS'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await c.getQueryStatus(queryId);
    }
    expect(status).toBe('SUCCESS');
    const rows: any[] = await new Promise((resolve, reject) => {
      const out: any[] = [];
      Promise.resolve(c.getResultsFromQueryId({ queryId } as any)).then(
        (st: any) =>
          st
            .streamRows()
            .on('data', (r: any) => out.push(r))
            .on('end', () => resolve(out))
            .on('error', reject),
        reject,
      );
    });
    expect(rows).toEqual([{ M: 'ASYNC_MARK', N: 5 }]);
  });

  test('errors carry Snowflake code, SQL state and message', async () => {
    await expect(query(c, 'SELECT * FROM QDB.S.NOPE')).rejects.toMatchObject({ code: '002003', sqlState: '02000' });
    await expect(query(c, 'SELEC 1')).rejects.toMatchObject({ code: '001003' });
    await expect(query(c, 'CREATE STREAM QDB.S.X ON TABLE QDB.S.TYPES')).rejects.toMatchObject({
      code: '000002',
      message: expect.stringContaining('not supported by the local server: CREATE STREAM'),
    });
  });

  test('a hanging statement is aborted by cancel', async () => {
    server.faults.delayStatement({ match: /HANG_MARK/ });
    const done = new Promise((resolve) => {
      const st = c.execute({ sqlText: "SELECT 'HANG_MARK' AS M", complete: (e) => resolve(e) });
      setTimeout(() => st.cancel(() => undefined), 200);
    });
    const err = (await done) as { code?: string } | undefined;
    expect(err).toBeTruthy();
  });
});

describe('local server: hybrid tables', () => {
  test('primary keys are enforced and concurrent claimers never win the same row', async () => {
    const a = await connect(server.connectionOptions());
    const b = await connect(server.connectionOptions());
    await query(a, 'CREATE DATABASE IF NOT EXISTS HDB');
    await query(a, 'CREATE SCHEMA IF NOT EXISTS HDB.S');
    await query(
      a,
      "CREATE OR REPLACE HYBRID TABLE HDB.S.Q (QUEUE_ID VARCHAR NOT NULL, STATUS VARCHAR NOT NULL DEFAULT 'PENDING', WORKER_ID VARCHAR, ATTEMPTS NUMBER(5,0) NOT NULL DEFAULT 0, PRIMARY KEY (QUEUE_ID), INDEX IDX_S (STATUS))",
    );
    const ids = Array.from({ length: 20 }, (_, i) => [`q${i}`]);
    await query(a, 'INSERT INTO HDB.S.Q (QUEUE_ID) VALUES (?)', ids);
    await expect(query(a, "INSERT INTO HDB.S.Q (QUEUE_ID) VALUES ('q1')")).rejects.toMatchObject({ code: '200001' });
    const claim = (conn: snowflake.Connection, worker: string, id: string) =>
      query(conn, "UPDATE HDB.S.Q SET STATUS = 'CLAIMED', WORKER_ID = ?, ATTEMPTS = ATTEMPTS + 1 WHERE QUEUE_ID = ? AND STATUS = 'PENDING' AND ATTEMPTS = 0", [
        worker,
        id,
      ]).then((r) => r.updated);
    const results = await Promise.all(ids.flatMap(([id]) => [claim(a, 'A', id), claim(b, 'B', id), claim(a, 'A2', id), claim(b, 'B2', id)]));
    expect(results.reduce((x, y) => x + y, 0)).toBe(20);
    const rows = (await query(a, "SELECT COUNT(*) AS N, SUM(ATTEMPTS) AS ATT FROM HDB.S.Q WHERE STATUS = 'CLAIMED'")).rows[0];
    expect(rows).toEqual({ N: 20, ATT: 20 });
    await close(a);
    await close(b);
  });
});

describe('local server: fault injection and bad input', () => {
  test('the Nth matching statement fails with the injected code', async () => {
    const c = await connect(server.connectionOptions());
    server.faults.failStatement({ match: /FAULT_MARK/, nth: 2, code: '000625', message: 'injected transient' });
    await expect(query(c, "SELECT 'FAULT_MARK' AS M")).resolves.toBeDefined();
    await expect(query(c, "SELECT 'FAULT_MARK' AS M")).rejects.toMatchObject({ code: '000625', message: 'injected transient' });
    await expect(query(c, "SELECT 'FAULT_MARK' AS M")).resolves.toBeDefined();
    server.faults.reset();
    await close(c);
  });

  test('HTTP 503 and 429 answers are retried by the driver', async () => {
    const c = await connect(server.connectionOptions());
    server.faults.httpError({ path: /query-request/, status: 503, times: 1 });
    server.faults.httpError({ path: /query-request/, status: 429, times: 1 });
    expect((await query(c, 'SELECT 9 AS N')).rows[0].N).toBe(9);
    server.faults.reset();
    await close(c);
  });

  test('malformed bodies, missing tokens and unknown endpoints get Snowflake-shaped errors', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    const bad = await post('/session/v1/login-request', '{not json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ success: false, code: '390400' });
    const noToken = await post('/queries/v1/query-request', JSON.stringify({ sqlText: 'SELECT 1' }));
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ success: false, code: '390101' });
    const unknown = await fetch(`${server.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ success: false, code: '390404' });
    const c = await connect(server.connectionOptions());
    expect((await query(c, 'SELECT 1 AS STILL_UP')).rows[0].STILL_UP).toBe(1);
    await close(c);
  });
});
