/**
 * Where the local server must be as strict as Snowflake (or stricter) so that it neither hides a
 * caller's bug nor harms its host: statement counts, SQL access to host files, request bodies, and
 * job-service processes outliving a crashed server. Everything goes through snowflake-sdk or raw
 * HTTP against the real server; the crash test kills real processes.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { MAX_JSON_BYTES, MAX_REQUEST_BYTES } from '../../local-server/server';
import { Conn, close, connect, query } from './client';
import { tempDir } from '../tmp';

let server: LocalSnowflakeServer;
let dataDir: string;
let c: Conn;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-strict-'));
  server = await startLocalServer({ dataDir });
  c = await connect(server.connectionOptions());
  for (const sql of [
    'CREATE DATABASE STRICT',
    'CREATE SCHEMA STRICT.S',
    'CREATE STAGE STRICT.S.ST',
    'CREATE TABLE STRICT.S.T (X VARCHAR)',
    'USE SCHEMA STRICT.S',
  ])
    await query(c, sql);
});
afterAll(async () => {
  await close(c);
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'none', sqlState: '', message: 'succeeded' }),
    (e) => ({ code: String(e.code), sqlState: String(e.sqlState), message: String(e.message) }),
  );
const count = async (sql: string) => Number((await query(c, sql)).rows[0].N);

describe('local server: MULTI_STATEMENT_COUNT as Snowflake applies it', () => {
  beforeEach(async () => {
    await query(c, 'DELETE FROM STRICT.S.T');
  });

  test('two statements without MULTI_STATEMENT_COUNT are refused with 000008 and neither runs', async () => {
    const e = await failure(query(c, "INSERT INTO STRICT.S.T VALUES ('a'); DROP TABLE STRICT.S.T"));
    expect(e).toEqual({ code: '000008', sqlState: '0A000', message: 'Actual statement count 2 did not match the desired statement count 1.' });
    expect(await count('SELECT COUNT(*) AS N FROM STRICT.S.T')).toBe(0);
  });

  test('a count that does not match is refused; 0 runs any number; a trailing semicolon is no statement', async () => {
    const three = "INSERT INTO STRICT.S.T VALUES ('a'); INSERT INTO STRICT.S.T VALUES ('b'); INSERT INTO STRICT.S.T VALUES ('c');";
    expect((await failure(query(c, three, undefined, { parameters: { MULTI_STATEMENT_COUNT: 2 } }))).message).toBe(
      'Actual statement count 3 did not match the desired statement count 2.',
    );
    expect(await count('SELECT COUNT(*) AS N FROM STRICT.S.T')).toBe(0);
    await query(c, three, undefined, { parameters: { MULTI_STATEMENT_COUNT: 0 } });
    expect(await count('SELECT COUNT(*) AS N FROM STRICT.S.T')).toBe(3);
    await query(c, "INSERT INTO STRICT.S.T VALUES ('d');");
    expect(await count('SELECT COUNT(*) AS N FROM STRICT.S.T')).toBe(4);
  });

  test('a Snowflake Scripting block and a task whose body is a block are one statement each', async () => {
    await query(
      c,
      "BEGIN\n  INSERT INTO STRICT.S.T VALUES ('a');\n  INSERT INTO STRICT.S.T SELECT CASE WHEN COUNT(*) = 1 THEN 'b' ELSE 'x' END FROM STRICT.S.T;\nEND;",
    );
    expect((await query(c, 'SELECT X FROM STRICT.S.T ORDER BY X')).rows).toEqual([{ X: 'a' }, { X: 'b' }]);
    await query(c, "CREATE OR REPLACE TASK STRICT.S.TK AS BEGIN DELETE FROM STRICT.S.T; INSERT INTO STRICT.S.T VALUES ('t'); END");
    // An explicit transaction is three statements, not a block.
    expect((await failure(query(c, "BEGIN TRANSACTION; INSERT INTO STRICT.S.T VALUES ('z'); COMMIT"))).message).toBe(
      'Actual statement count 3 did not match the desired statement count 1.',
    );
  });

  test('ALTER SESSION SET MULTI_STATEMENT_COUNT applies to the session, and a statement parameter wins', async () => {
    const other = await connect(server.connectionOptions());
    try {
      await query(other, 'ALTER SESSION SET MULTI_STATEMENT_COUNT = 0');
      await query(other, "INSERT INTO STRICT.S.T VALUES ('a'); INSERT INTO STRICT.S.T VALUES ('b')");
      expect(await count('SELECT COUNT(*) AS N FROM STRICT.S.T')).toBe(2);
      expect((await failure(query(other, 'SELECT 1; SELECT 2', undefined, { parameters: { MULTI_STATEMENT_COUNT: 1 } }))).code).toBe('000008');
      // Other sessions keep the default.
      expect((await failure(query(c, 'SELECT 1; SELECT 2'))).code).toBe('000008');
      await query(other, 'ALTER SESSION UNSET MULTI_STATEMENT_COUNT');
      expect((await failure(query(other, 'SELECT 1; SELECT 2'))).code).toBe('000008');
    } finally {
      await close(other);
    }
  });
});

describe("local server: SQL cannot reach the host's files", () => {
  let secretDir: string;
  beforeAll(async () => {
    secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-host-'));
    fs.writeFileSync(path.join(secretDir, 'secret.csv'), 'token\nTOP-SECRET-VALUE\n');
    await query(c, 'DELETE FROM STRICT.S.T');
  });
  afterAll(() => fs.rmSync(secretDir, { recursive: true, force: true }));

  // {secret} is a file outside the server's directories, {dir} its directory.
  test.each([
    ['read_text', "SELECT * FROM read_text('{secret}')"],
    ['read_csv', "SELECT * FROM read_csv('{secret}')"],
    ['read_blob', "SELECT * FROM read_blob('{secret}')"],
    ['read_parquet', "SELECT * FROM read_parquet('{secret}')"],
    ['read_json_auto', "SELECT * FROM read_json_auto('{secret}')"],
    ['glob', "SELECT * FROM glob('{dir}/*')"],
    ['a path out of the databases directory', "SELECT * FROM read_text('{databases}/../../{dirname}/secret.csv')"],
    ['INSERT ... SELECT', "INSERT INTO STRICT.S.T SELECT content FROM read_text('{secret}')"],
    ['CREATE TABLE AS', "CREATE TABLE STRICT.S.STOLEN AS SELECT * FROM read_csv('{secret}')"],
    ['a block', "BEGIN INSERT INTO STRICT.S.T SELECT content FROM read_text('{secret}'); END"],
  ])('%s is refused with an access-control error and reads nothing', async (_name, template) => {
    const sql = template
      .replace('{secret}', path.join(secretDir, 'secret.csv'))
      .replace('{dir}', secretDir)
      .replace('{databases}', path.join(dataDir, 'databases'))
      .replace('{dirname}', path.basename(secretDir));
    const e = await failure(query(c, sql));
    expect(e).toMatchObject({ code: '003001', sqlState: '42501' });
    expect(e.message).toMatch(/^SQL access control error:/);
    expect(e.message).not.toContain('TOP-SECRET');
    expect(await count('SELECT COUNT(*) AS N FROM STRICT.S.T')).toBe(0);
  });

  test('COPY TO a file, ATTACH, INSTALL and LOAD write nothing and load nothing', async () => {
    const out = path.join(secretDir, 'out.csv');
    for (const sql of [
      `COPY (SELECT 1) TO '${out}'`,
      `ATTACH '${path.join(secretDir, 'x.duckdb')}' AS X`,
      'INSTALL httpfs',
      'LOAD httpfs',
      `EXPORT DATABASE '${secretDir}/exp'`,
    ]) {
      expect((await failure(query(c, sql))).code).not.toBe('none');
    }
    expect(fs.readdirSync(secretDir)).toEqual(['secret.csv']);
  });

  test('COPY INTO @stage and PUT refuse a stage path that leaves the stage', async () => {
    const out = path.relative(server.engine.stages.get('STRICT.S.ST')!, secretDir);
    const copy = await failure(
      query(c, `COPY INTO @STRICT.S.ST/${out}/evil.json FROM (SELECT OBJECT_CONSTRUCT('a', 1)) FILE_FORMAT = (TYPE = JSON) SINGLE = TRUE`),
    );
    expect(copy).toMatchObject({ code: '003001', sqlState: '42501' });
    const src = path.join(os.tmpdir(), `mm-put-${process.pid}.json`);
    fs.writeFileSync(src, '{}');
    try {
      expect(await failure(query(c, `PUT file://${src} @STRICT.S.ST/${out}/ AUTO_COMPRESS = FALSE`))).toMatchObject({ code: '003001', sqlState: '42501' });
    } finally {
      fs.rmSync(src);
    }
    expect(fs.readdirSync(secretDir)).toEqual(['secret.csv']);
  });

  test("the server's own file features still work: CREATE DATABASE, COPY INTO @stage, DIRECTORY, PUT and GET", async () => {
    await query(c, 'CREATE DATABASE STRICT2');
    await query(c, 'CREATE TABLE STRICT2.PUBLIC.Y (A NUMBER)');
    await query(c, "COPY INTO @STRICT.S.ST/out/a.json FROM (SELECT OBJECT_CONSTRUCT('a', 1)) FILE_FORMAT = (TYPE = JSON) SINGLE = TRUE");
    const src = path.join(secretDir, 'up.json');
    fs.writeFileSync(src, '{"b": 2}');
    await query(c, `PUT file://${src} @STRICT.S.ST/in/ AUTO_COMPRESS = FALSE`);
    fs.rmSync(src);
    await query(c, 'ALTER STAGE STRICT.S.ST REFRESH');
    expect((await query(c, 'SELECT RELATIVE_PATH FROM DIRECTORY(@STRICT.S.ST) ORDER BY 1')).rows).toEqual([
      { RELATIVE_PATH: 'in/up.json' },
      { RELATIVE_PATH: 'out/a.json' },
    ]);
    const down = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-get-'));
    await query(c, `GET @STRICT.S.ST/out/ file://${down}/`);
    expect(JSON.parse(fs.readFileSync(path.join(down, 'a.json'), 'utf8'))).toEqual({ a: 1 });
    fs.rmSync(down, { recursive: true, force: true });
  });
});

/** A raw HTTP request to the server; resolves with the response as soon as it arrives. */
function raw(opts: {
  path: string;
  headers?: Record<string, string | number>;
  body?: Buffer;
  holdOpen?: boolean;
}): Promise<{ status: number; body: any; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method: 'POST', path: opts.path, headers: { 'content-type': 'application/json', ...opts.headers } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, req }));
      },
    );
    // Writes may fail once the server hangs up on a refused upload; the response is what counts.
    req.on('error', (e) => (opts.holdOpen ? undefined : reject(e)));
    if (opts.body) req.write(opts.body);
    if (!opts.holdOpen) req.end();
  });
}

async function login(): Promise<string> {
  const r = await raw({ path: '/session/v1/login-request', body: Buffer.from(JSON.stringify({ data: { LOGIN_NAME: 'test', PASSWORD: 'test' } })) });
  return r.body.data.token;
}

describe('local server: request bodies are bounded and read only after authentication', () => {
  test('an unauthenticated query request is refused before its body is read', async () => {
    // Announces 512 MB and sends 1 MB: the answer can only come before the body has been read.
    const r = await raw({
      path: '/queries/v1/query-request',
      headers: { 'content-length': 512 * 1024 * 1024 },
      body: Buffer.alloc(1024 * 1024, 0x20),
      holdOpen: true,
    });
    r.req.destroy();
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ success: false, code: '390101' });
  });

  test('a body announced above the limit is refused before it is read', async () => {
    const token = await login();
    const r = await raw({
      path: '/queries/v1/query-request',
      headers: { authorization: `Snowflake Token="${token}"`, 'content-length': MAX_REQUEST_BYTES + 1 },
      body: Buffer.alloc(1024 * 1024, 0x20),
      holdOpen: true,
    });
    r.req.destroy();
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ success: false, code: '390413' });
  });

  test('a body sent without a length is refused once it passes the limit', async () => {
    const token = await login();
    const block = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const r = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: '/queries/v1/query-request',
          headers: { authorization: `Snowflake Token="${token}"`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', () => undefined);
      let sent = 0;
      const more = () => {
        while (sent <= MAX_REQUEST_BYTES) {
          sent += block.length;
          if (!req.write(block)) return void req.once('drain', more);
        }
      };
      more();
      setTimeout(() => reject(new Error('no answer')), 50000).unref();
    });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ success: false, code: '390413' });
  });

  test('a gzip bomb is refused once inflating passes the limit, with bounded memory, and the server stays usable', async () => {
    const token = await login();
    // 1 GiB of spaces compresses to about 1 MB.
    const gz = zlib.createGzip({ level: 1 });
    const parts: Buffer[] = [];
    gz.on('data', (d: Buffer) => parts.push(d));
    const done = new Promise((resolve) => gz.on('end', resolve));
    const block = Buffer.alloc(16 * 1024 * 1024, 0x20);
    for (let i = 0; i < 64; i++) if (!gz.write(block)) await new Promise((resolve) => gz.once('drain', resolve));
    gz.end();
    await done;
    const bomb = Buffer.concat(parts);
    expect(bomb.length).toBeLessThan(MAX_REQUEST_BYTES);
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const r = await raw({
      path: '/queries/v1/query-request',
      headers: { authorization: `Snowflake Token="${token}"`, 'content-encoding': 'gzip' },
      body: bomb,
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({
      success: false,
      code: '390413',
      message: `Decompressed request body exceeds the local server's limit of ${MAX_JSON_BYTES} bytes.`,
    });
    // Inflating all of it would take 1 GiB; the server stops at the limit.
    expect(peak - base).toBeLessThan(MAX_JSON_BYTES * 6);
    expect((await query(c, 'SELECT 42 AS N')).rows).toEqual([{ N: 42 }]);
  });

  test('the driver reports a statement above the limit as an HTTP 413 failure, and goes on', async () => {
    const e = await query(c, 'SELECT LENGTH(?) AS N', ['x'.repeat(MAX_JSON_BYTES)]).then(
      () => undefined,
      (err) => err,
    );
    expect(e).toMatchObject({ code: 401002, message: 'Request to Snowflake failed.' });
    expect(e.response.statusCode).toBe(413);
    expect((await query(c, 'SELECT 7 AS N')).rows).toEqual([{ N: 7 }]);
  });
});

describe('local server: job services die with their server', () => {
  const root = path.resolve(__dirname, '..', '..');
  let child: ChildProcess | undefined;
  afterEach(() => child?.kill('SIGKILL'));

  /** Alive and not a zombie (an unreaped dead process still answers kill(pid, 0)). */
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    return !/^\d+ \(.*\) Z/.test(stat);
  };

  test('SIGKILL of the server process kills the worker of a running job service', async () => {
    // A data directory of the test's: what a killed server leaves (its services' token files) is removed with it.
    child = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), path.join(__dirname, 'fixtures', 'server-process.ts'), tempDir('mm-strict-crash-')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    for (let i = 0; i < 300 && !/listening \d+/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const port = Number(/listening (\d+)/.exec(out)?.[1]);
    const sc = await connect({
      account: 'local',
      username: 'test',
      password: 'test',
      host: '127.0.0.1',
      port,
      protocol: 'http',
      accessUrl: `http://127.0.0.1:${port}`,
    });
    for (const sql of ['CREATE DATABASE CRASH', 'CREATE SCHEMA CRASH.S', 'CREATE STAGE CRASH.S.OUT']) await query(sc, sql);
    const spec =
      'spec:\n  containers:\n  - name: writer\n    image: /crash/s/repo/writer:1\n    env:\n      OUT_DIR: /out\n    volumeMounts:\n    - name: out\n      mountPath: /out\n  volumes:\n  - name: out\n    source: stage\n    stageConfig:\n      name: "@CRASH.S.OUT"\n';
    await query(sc, `EXECUTE JOB SERVICE IN COMPUTE POOL P NAME = CRASH.S.WRITER ASYNC = TRUE FROM SPECIFICATION $$${spec}$$`);
    let pid = 0;
    let pidFile = '';
    for (let i = 0; i < 300 && !pid; i++) {
      // A directory table shows files as of its last refresh.
      await query(sc, 'ALTER STAGE CRASH.S.OUT REFRESH');
      const listed = (await query(sc, "SELECT FILE_URL FROM DIRECTORY(@CRASH.S.OUT) WHERE RELATIVE_PATH = 'pid'")).rows;
      pidFile = listed.length > 0 ? String(listed[0].FILE_URL).replace(/^file:\/\//, '') : '';
      if (pidFile && fs.readFileSync(pidFile, 'utf8')) pid = Number(fs.readFileSync(pidFile, 'utf8'));
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(pid).toBeGreaterThan(1);
    expect(alive(pid)).toBe(true);
    sc.destroy(() => undefined);
    child.kill('SIGKILL');
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !alive(pid);
    }
    // The in-memory server's stage root (under the temporary directory) outlives its killed server.
    fs.rmSync(path.dirname(path.dirname(pidFile)), { recursive: true, force: true });
    if (!gone) process.kill(pid, 'SIGKILL'); // never leave a stray worker behind a failed test
    expect(gone).toBe(true);
  });
});
