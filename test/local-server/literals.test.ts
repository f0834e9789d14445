import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { readLiteral, sfStringLiteral } from '../../local-server/literals';
import { Conn, close, connect, query } from './client';

// String constants as Snowflake reads them ("String & binary data types", "Escape sequences in
// single-quoted string constants": https://docs.snowflake.com/en/sql-reference/data-types-text),
// both where the server parses a statement itself and where its translator does.

describe('readLiteral: the documented escapes', () => {
  test.each([
    ["'it''s'", "it's"],
    ["'it\\'s'", "it's"],
    ['\'say \\"hi\\"\'', 'say "hi"'],
    ["'a\\\\b'", 'a\\b'],
    ["'\\b\\f\\n\\r\\t'", '\b\f\n\r\t'],
    ["'x\\0y'", 'x\0y'],
    ["'\\101\\x42\\u00e9'", 'ABé'],
    // Before any other character the backslash is dropped.
    ["'\\d\\q'", 'dq'],
    ["'line\nbreak'", 'line\nbreak'],
    ["$$a\\b'c$$", "a\\b'c"],
  ])('reads %s', (token, value) => {
    expect(readLiteral(token)).toBe(value);
  });

  test('refuses a constant that ends in a backslash or holds a lone quote', () => {
    expect(() => readLiteral("'a\\'")).toThrow(/backslash/);
    expect(() => readLiteral("'a'b'")).toThrow(/quote/);
  });

  test('what the server writes for its translator reads back as the value', () => {
    for (const v of ["it's", 'a\\b', "\\'", 'x\ny', '$$', 'é€😀']) expect(readLiteral(sfStringLiteral(v))).toBe(v);
  });
});

describe('local server: string constants through snowflake-sdk', () => {
  let server: LocalSnowflakeServer;
  let c: Conn;
  const echoed: unknown[][] = [];
  beforeAll(async () => {
    server = await startLocalServer({
      procedures: {
        'LIT.S.ECHO': async (args) => {
          echoed.push(args);
          return String(args[0]);
        },
      },
    });
    c = await connect(server.connectionOptions());
    for (const sql of ['CREATE DATABASE LIT', 'CREATE SCHEMA LIT.S', 'CREATE STAGE LIT.S.FILES DIRECTORY = (ENABLE = TRUE)']) await query(c, sql);
  });
  afterAll(async () => {
    await close(c);
    await server.close();
  });

  test('a SELECT reads backslash escapes as Snowflake does', async () => {
    const v = async (literal: string) => (await query(c, `SELECT ${literal} AS V`)).rows[0].V;
    expect(await v("'a\\\\b'")).toBe('a\\b');
    expect(await v("'it\\'s'")).toBe("it's");
    expect(await v("'x\\ny'")).toBe('x\ny');
    expect(await v("'\\d'")).toBe('d');
  });

  test('a PREDICT or a task function inside a string constant is text, not a call (dynamic SQL being built)', async () => {
    const text = 'SELECT P.* FROM (SELECT 1 AS K) I, TABLE(MODEL(LIT.S.NONE, V1)!PREDICT(I.K) OVER (PARTITION BY I.K)) P';
    expect((await query(c, `SELECT REPLACE('${text}', 'V1', 'V2') AS V`)).rows[0].V).toBe(text.replace('V1', 'V2'));
    const history = "TABLE(LIT.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'T'))";
    expect((await query(c, `SELECT ${sfStringLiteral(history)} AS V`)).rows[0].V).toBe(history);
  });

  test("CALL's arguments are read with the same escapes", async () => {
    echoed.length = 0;
    await query(c, "CALL LIT.S.ECHO('a\\\\b', 'it\\'s', 'x''y', $$c\\d$$, 2, NULL)");
    expect(echoed).toEqual([['a\\b', "it's", "x'y", 'c\\d', 2, null]]);
  });

  test("ALTER STAGE's SUBPATH is read with them, and a directory table's paths come back as the files are named", async () => {
    const dir = server.engine.stages.get('LIT.S.FILES')!;
    const sub = "it's \\ here";
    fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, sub, 'a.json'), '{}');
    fs.writeFileSync(path.join(dir, 'elsewhere.json'), '{}');
    await query(c, "ALTER STAGE LIT.S.FILES REFRESH SUBPATH = 'it\\'s \\\\ here'");
    expect((await query(c, 'SELECT RELATIVE_PATH FROM DIRECTORY(@LIT.S.FILES)')).rows).toEqual([{ RELATIVE_PATH: `${sub}/a.json` }]);
  });
});
