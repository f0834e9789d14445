import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { Conn, close, connect, query } from './client';

let server: LocalSnowflakeServer;
let c: Conn;

const udtf = (name: string, body: string) =>
  `CREATE OR REPLACE FUNCTION ${name}(K VARCHAR, V FLOAT)\nRETURNS TABLE (K VARCHAR, N FLOAT, SEEN VARCHAR, NOTHING VARCHAR, DOC VARIANT)\nLANGUAGE JAVASCRIPT\nAS $$${body}$$`;

const call = (fn: string) =>
  `SELECT F.K, F.N, F.SEEN, F.NOTHING, F.DOC FROM (SELECT K, V, I FROM D.S.SRC) I, TABLE(${fn}(I.K, I.V) OVER (PARTITION BY I.K ORDER BY I.I)) F ORDER BY F.K`;

const message = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: Error) => e.message,
  );

beforeAll(async () => {
  server = await startLocalServer({ users: [{ name: 'test', password: 'test' }] });
  c = await connect(server.connectionOptions());
  for (const sql of [
    'CREATE DATABASE D',
    'CREATE SCHEMA D.S',
    'USE SCHEMA D.S',
    'CREATE WAREHOUSE WH',
    'USE WAREHOUSE WH',
    'CREATE STAGE D.S.ST',
    'CREATE TABLE D.S.SRC (K VARCHAR, V FLOAT, I NUMBER)',
  ])
    await query(c, sql);
  await query(c, 'INSERT INTO D.S.SRC (K, V, I) VALUES (?, ?, ?)', [
    ['a', 3, 2],
    ['a', 1, 1],
    ['a', null, 3],
    ['b', 10, 1],
  ]);
});
afterAll(async () => {
  await close(c);
  await server.close();
});

describe('local server: JavaScript table functions run their JavaScript as Snowflake calls it', () => {
  test('initialize, processRow in ORDER BY order with upper-case argument names, finalize once per partition; NULL is undefined, a column without a property NULL', async () => {
    await query(
      c,
      udtf(
        'D.S.COLLECT',
        `{
      initialize: function (argumentInfo, context) { this.seen = []; this.sum = 0; this.types = argumentInfo.V.type; },
      processRow: function (row, rowWriter, context) { this.key = row.K; this.seen.push(row.V === undefined ? 'undefined' : typeof row.V + ':' + row.V); if (row.V !== undefined) this.sum += row.V; },
      finalize: function (rowWriter, context) { rowWriter.writeRow({ K: this.key, N: this.sum, SEEN: this.seen.join(','), DOC: { rows: this.seen.length, type: this.types } }); }
    }`,
      ),
    );
    const rows = (await query(c, call('D.S.COLLECT'))).rows;
    expect(rows).toEqual([
      { K: 'a', N: 4, SEEN: 'number:1,number:3,undefined', NOTHING: null, DOC: { rows: 3, type: 'FLOAT' } },
      { K: 'b', N: 10, SEEN: 'number:10', NOTHING: null, DOC: { rows: 1, type: 'FLOAT' } },
    ]);
  });

  test("the handler has the language's built-ins and nothing of Node: require fails as a JavaScript execution error", async () => {
    await query(
      c,
      udtf(
        'D.S.NODE',
        `{ processRow: function (row, rowWriter) { rowWriter.writeRow({ K: typeof require + typeof process + typeof Buffer }); require('fs'); } }`,
      ),
    );
    expect(await message(query(c, call('D.S.NODE')))).toMatch(/JavaScript execution error: Uncaught ReferenceError: require is not defined/);
  });

  test('a body without processRow is created, and fails when called', async () => {
    await query(c, udtf('D.S.NOPROC', '{ finalize: function (rowWriter) {} }'));
    expect(await message(query(c, call('D.S.NOPROC')))).toMatch(/not an object literal with a processRow function/);
  });

  test('a body over the 100 KB Snowflake recommends is refused', async () => {
    const big = `{ processRow: function () {}, pad: "${'x'.repeat(101 * 1024)}" }`;
    expect(await message(query(c, udtf('D.S.BIG', big)))).toMatch(/over the 102400 bytes/);
  });

  test('calling a function needs USAGE on it: a role without it does not see it', async () => {
    await query(c, udtf('D.S.PRIVATE', '{ processRow: function (row, rowWriter) { rowWriter.writeRow({ K: row.K }); } }'));
    for (const sql of [
      'CREATE ROLE READER',
      'GRANT ROLE READER TO USER test',
      'GRANT USAGE ON DATABASE D TO ROLE READER',
      'GRANT USAGE ON SCHEMA D.S TO ROLE READER',
      'GRANT SELECT ON TABLE D.S.SRC TO ROLE READER',
      'GRANT USAGE ON WAREHOUSE WH TO ROLE READER',
    ])
      await query(c, sql);
    const r = await connect(server.connectionOptions({ role: 'READER', warehouse: 'WH' }));
    try {
      expect(await message(query(r, call('D.S.PRIVATE')))).toMatch(/does not exist or not authorized/);
      await query(c, 'GRANT USAGE ON FUNCTION D.S.PRIVATE(VARCHAR, FLOAT) TO ROLE READER');
      expect((await query(r, call('D.S.PRIVATE'))).rows.map((x) => x.K)).toEqual(['a', 'a', 'a', 'b']);
    } finally {
      await close(r);
    }
  });
});

describe('local server: COPY INTO @stage ... PARTITION BY (a partitioned unload)', () => {
  const stageDir = () => server.engine.stageDir({ role: 'ACCOUNTADMIN' } as never, 'D.S.ST').dir;

  test("each partition value's rows go to one file of Snowflake's naming under <path>/<value>/, and nothing reaches the directory table before a refresh", async () => {
    const r = await query(
      c,
      `COPY INTO @D.S.ST/out/ FROM (SELECT OBJECT_CONSTRUCT('k', K, 'v', V) AS DOC FROM D.S.SRC WHERE V IS NOT NULL) PARTITION BY (IFF(TO_JSON(DOC) LIKE '%"a"%', 'a', 'b')) FILE_FORMAT = (TYPE = JSON COMPRESSION = NONE)`,
    );
    expect(r.rows[0].rows_unloaded).toBe('3');
    expect(fs.readdirSync(path.join(stageDir(), 'out')).sort()).toEqual(['a', 'b']);
    const files = ['a', 'b'].map((k) => fs.readdirSync(path.join(stageDir(), 'out', k)));
    for (const f of files) expect(f).toEqual([expect.stringMatching(/^data_[0-9a-f-]{36}_0_0_0\.json$/)]);
    const a = fs
      .readFileSync(path.join(stageDir(), 'out', 'a', files[0][0]), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a.sort((x, y) => x.v - y.v)).toEqual([
      { k: 'a', v: 1 },
      { k: 'a', v: 3 },
    ]);
    expect((await query(c, "SELECT COUNT(*) AS N FROM DIRECTORY(@D.S.ST) WHERE RELATIVE_PATH LIKE 'out/%'")).rows[0].N).toBe(0);
    await query(c, "ALTER STAGE D.S.ST REFRESH SUBPATH = 'out'");
    expect((await query(c, "SELECT COUNT(*) AS N FROM DIRECTORY(@D.S.ST) WHERE RELATIVE_PATH LIKE 'out/%'")).rows[0].N).toBe(2);
  });

  test('a JSON unload has one column, and PARTITION BY does not go with SINGLE = TRUE', async () => {
    expect(
      await message(query(c, `COPY INTO @D.S.ST/two/ FROM (SELECT K, V FROM D.S.SRC) PARTITION BY (K) FILE_FORMAT = (TYPE = JSON COMPRESSION = NONE)`)),
    ).toMatch(/JSON file format can produce one and only one column/);
    expect(
      await message(
        query(
          c,
          `COPY INTO @D.S.ST/one/ FROM (SELECT TO_VARIANT(K) AS K FROM D.S.SRC) PARTITION BY (K::VARCHAR) FILE_FORMAT = (TYPE = JSON COMPRESSION = NONE) SINGLE = TRUE`,
        ),
      ),
    ).toMatch(/SINGLE copy option cannot be used with PARTITION BY/);
  });
});
