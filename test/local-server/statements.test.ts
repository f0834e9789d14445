import * as snowflake from 'snowflake-sdk';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { close, connect, query } from './client';

// The server keeps each session's DuckDB prepared statements and batches array-bound
// INSERT ... SELECT: both must be invisible to clients.

let server: LocalSnowflakeServer;
let c: snowflake.Connection;
beforeAll(async () => {
  server = await startLocalServer();
  c = await connect(server.connectionOptions());
  await query(c, 'CREATE DATABASE PDB');
  await query(c, 'CREATE SCHEMA PDB.S');
  await query(c, 'CREATE SCHEMA PDB.S2');
});
afterAll(async () => {
  await close(c);
  await server.close();
});

describe('local server: repeated statements see catalog changes', () => {
  test('CREATE OR REPLACE TABLE with other columns', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.T (A NUMBER, B VARCHAR)');
    await query(c, 'INSERT INTO PDB.S.T VALUES (?, ?)', [1, 'x']);
    await query(c, 'INSERT INTO PDB.S.T VALUES (?, ?)', [2, 'y']);
    expect((await query(c, 'SELECT * FROM PDB.S.T ORDER BY A')).rows).toEqual([
      { A: 1, B: 'x' },
      { A: 2, B: 'y' },
    ]);
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.T (C VARCHAR, A NUMBER, D BOOLEAN)');
    expect((await query(c, 'SELECT * FROM PDB.S.T ORDER BY A')).rows).toEqual([]);
    await expect(query(c, 'INSERT INTO PDB.S.T VALUES (?, ?)', [3, 'z'])).rejects.toBeDefined();
    await query(c, 'INSERT INTO PDB.S.T VALUES (?, ?, ?)', ['c', 3, true]);
    expect((await query(c, 'SELECT * FROM PDB.S.T ORDER BY A')).rows).toEqual([{ C: 'c', A: 3, D: true }]);
  });

  test('ALTER TABLE, also by another session', async () => {
    const other = await connect(server.connectionOptions());
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.AL (A NUMBER)');
    await query(c, 'INSERT INTO PDB.S.AL VALUES (1)');
    expect((await query(c, 'SELECT * FROM PDB.S.AL')).rows).toEqual([{ A: 1 }]);
    await query(c, 'ALTER TABLE PDB.S.AL ADD COLUMN B VARCHAR');
    expect((await query(c, 'SELECT * FROM PDB.S.AL')).rows).toEqual([{ A: 1, B: null }]);
    await query(other, 'ALTER TABLE PDB.S.AL DROP COLUMN B');
    await query(other, 'ALTER TABLE PDB.S.AL ADD COLUMN E NUMBER DEFAULT 5');
    expect((await query(c, 'SELECT * FROM PDB.S.AL')).rows).toEqual([{ A: 1, E: 5 }]);
    await close(other);
  });

  test('USE SCHEMA changes what an unqualified name means', async () => {
    await query(c, "CREATE OR REPLACE TABLE PDB.S.U AS SELECT 'in S' AS W");
    await query(c, "CREATE OR REPLACE TABLE PDB.S2.U AS SELECT 'in S2' AS W");
    await query(c, 'USE SCHEMA PDB.S');
    expect((await query(c, 'SELECT W FROM U')).rows).toEqual([{ W: 'in S' }]);
    await query(c, 'USE SCHEMA PDB.S2');
    expect((await query(c, 'SELECT W FROM U')).rows).toEqual([{ W: 'in S2' }]);
  });

  test('a DDL statement inside a block is seen by the next statement of the block', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.BL (A NUMBER)');
    await query(c, 'INSERT INTO PDB.S.BL VALUES (1)');
    await query(c, 'BEGIN CREATE OR REPLACE TABLE PDB.S.BL (A VARCHAR, B VARCHAR); INSERT INTO PDB.S.BL VALUES (1); END').catch(() => undefined);
    await query(c, "BEGIN CREATE OR REPLACE TABLE PDB.S.BL (A VARCHAR, B VARCHAR); INSERT INTO PDB.S.BL VALUES ('a', 'b'); END");
    expect((await query(c, 'SELECT * FROM PDB.S.BL')).rows).toEqual([{ A: 'a', B: 'b' }]);
  });

  test('binds are not carried over from the previous execution', async () => {
    expect((await query(c, 'SELECT ? AS V', ['first'])).rows).toEqual([{ V: 'first' }]);
    await expect(query(c, 'SELECT ? AS V')).rejects.toBeDefined();
    expect((await query(c, 'SELECT ? AS V', [2])).rows).toEqual([{ V: 2 }]);
  });

  test('CURRENT_TIMESTAMP() is read at each execution', async () => {
    const first = (await query(c, 'SELECT CURRENT_TIMESTAMP() AS T')).rows[0].T as Date;
    await new Promise((r) => setTimeout(r, 20));
    const second = (await query(c, 'SELECT CURRENT_TIMESTAMP() AS T')).rows[0].T as Date;
    expect(second.getTime()).toBeGreaterThan(first.getTime());
  });

  test('a rolled-back transaction undoes a repeated UPDATE', async () => {
    await query(c, "CREATE OR REPLACE TABLE PDB.S.TX AS SELECT 'a' AS ID, 0 AS N");
    const bump = () => query(c, 'UPDATE PDB.S.TX SET N = N + 1 WHERE ID = ?', ['a']);
    await bump();
    await query(c, 'BEGIN');
    await bump();
    await query(c, 'ROLLBACK');
    await bump();
    expect((await query(c, 'SELECT N FROM PDB.S.TX')).rows).toEqual([{ N: 2 }]);
  });
});

describe('local server: array-bound INSERT ... SELECT', () => {
  const rows = Array.from({ length: 40 }, (_, i) => [`k${i}`, i % 7 === 3 ? null : JSON.stringify({ i, tags: ['a', i] }), i * 1.5]);

  async function contents(table: string) {
    return (await query(c, `SELECT K, D, X FROM PDB.S.${table}`)).rows;
  }

  test('gives the same rows, in the same order, as executing each row alone', async () => {
    const sql = (t: string) => `INSERT INTO PDB.S.${t} (K, D, X) SELECT ?, PARSE_JSON(?), ? * 2`;
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.ONE (K VARCHAR, D VARIANT, X FLOAT)');
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.ARR (K VARCHAR, D VARIANT, X FLOAT)');
    for (const row of rows) await query(c, sql('ONE'), row);
    const ins = await query(c, sql('ARR'), rows);
    expect(ins.updated).toBe(rows.length);
    expect(await contents('ARR')).toEqual(await contents('ONE'));
    expect((await contents('ARR')).map((r) => r.K)).toEqual(rows.map((r) => r[0]));
  });

  test('a bad row fails the whole insert with the error executing that row alone gives', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.BAD (K VARCHAR, D VARIANT, N NUMBER(10,0))');
    const sql = 'INSERT INTO PDB.S.BAD (K, D, N) SELECT ?, PARSE_JSON(?), ?';
    const badJson = rows.map((r, i) => [r[0], i === 25 ? '{not json' : r[1], String(i)]);
    const alone = await query(c, sql, badJson[25]).catch((e) => e);
    await expect(query(c, sql, badJson)).rejects.toMatchObject({ code: alone.code, message: alone.message });
    const badNumber = rows.map((r, i) => [r[0], r[1], i === 30 ? 'abc' : String(i)]);
    const aloneNumber = await query(c, sql, badNumber[30]).catch((e) => e);
    expect(aloneNumber.code).toBe('100038');
    await expect(query(c, sql, badNumber)).rejects.toMatchObject({ code: aloneNumber.code, message: aloneNumber.message });
    expect((await query(c, 'SELECT COUNT(*) AS N FROM PDB.S.BAD')).rows).toEqual([{ N: 0 }]);
  });

  test('aggregates, numbered binds and mixed bind types keep their per-row meaning', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.AGG (K VARCHAR, N NUMBER(10,2))');
    await query(c, 'INSERT INTO PDB.S.AGG (K, N) SELECT ?, COUNT(?)', [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect((await query(c, 'SELECT K, N FROM PDB.S.AGG ORDER BY K')).rows).toEqual([
      { K: 'a', N: 1 },
      { K: 'b', N: 1 },
      { K: 'c', N: 1 },
    ]);
    await query(c, 'INSERT INTO PDB.S.AGG (K, N) SELECT :2, :1 + 1', [
      [1, 'd'],
      [2.5, 'e'],
    ]);
    expect((await query(c, "SELECT K, N FROM PDB.S.AGG WHERE K IN ('d', 'e') ORDER BY K")).rows).toEqual([
      { K: 'd', N: 2 },
      { K: 'e', N: 3.5 },
    ]);
  });

  test('10,000 rows', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.BIG (K VARCHAR, D VARIANT)');
    const big = Array.from({ length: 10000 }, (_, i) => [`k${i}`, JSON.stringify({ i })]);
    expect((await query(c, 'INSERT INTO PDB.S.BIG (K, D) SELECT ?, PARSE_JSON(?)', big)).updated).toBe(10000);
    expect((await query(c, 'SELECT COUNT(*) AS N, SUM(D:i::NUMBER) AS S, MIN(K) AS K FROM PDB.S.BIG')).rows).toEqual([
      { N: 10000, S: (9999 * 10000) / 2, K: 'k0' },
    ]);
  });
});

describe('local server: a VARIANT value cast to VARCHAR', () => {
  // TO_CHAR / TO_VARCHAR usage notes: a string in a VARIANT is kept as it is, not made a JSON
  // string; other values are their JSON text, JSON null the word null
  // (https://docs.snowflake.com/en/sql-reference/functions/to_char).
  test('a string is the string without quotes; a number, an object and JSON null are their JSON text; a missing key is NULL', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.VAR (ID NUMBER, V VARIANT)');
    await query(c, `INSERT INTO PDB.S.VAR SELECT 1, PARSE_JSON('{"k": "a \\\\"b\\\\"", "n": 1.5, "o": {"z": [1, "q"]}, "x": null}')`);
    const row = (await query(c, 'SELECT V:k::VARCHAR AS K, TO_VARCHAR(V:n) AS N, V:o::STRING AS O, V:x::VARCHAR AS X, V:nope::VARCHAR AS M FROM PDB.S.VAR'))
      .rows[0];
    expect(row).toEqual({ K: 'a "b"', N: '1.5', O: '{"z":[1,"q"]}', X: 'null', M: null });
    expect((await query(c, 'SELECT COUNT(*) AS N FROM PDB.S.VAR WHERE V:k::VARCHAR = \'a "b"\'')).rows).toEqual([{ N: 1 }]);
  });
});

describe('local server: LATERAL FLATTEN over an array column', () => {
  // FLATTEN: https://docs.snowflake.com/en/sql-reference/functions/flatten
  test('one row per element with its INDEX, PATH and VALUE (a string element cast to VARCHAR is the string); NULL and empty arrays give no row', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.ARRS (K VARCHAR, ARR ARRAY)');
    await query(c, `INSERT INTO PDB.S.ARRS SELECT 'a', PARSE_JSON('["x", "y z", 3]')`);
    await query(c, `INSERT INTO PDB.S.ARRS SELECT 'b', PARSE_JSON('[]')`);
    await query(c, `INSERT INTO PDB.S.ARRS SELECT 'c', NULL`);
    const rows = (
      await query(c, 'SELECT T.K, F.INDEX AS I, F.PATH AS P, F.VALUE::VARCHAR AS V FROM PDB.S.ARRS T, LATERAL FLATTEN(INPUT => T.ARR) F ORDER BY T.K, F.INDEX')
    ).rows;
    expect(rows).toEqual([
      { K: 'a', I: 0, P: '[0]', V: 'x' },
      { K: 'a', I: 1, P: '[1]', V: 'y z' },
      { K: 'a', I: 2, P: '[2]', V: '3' },
    ]);
  });

  test('an OBJECT input is refused rather than flattened wrongly', async () => {
    await query(c, 'CREATE OR REPLACE TABLE PDB.S.OBJS (O VARIANT)');
    await query(c, `INSERT INTO PDB.S.OBJS SELECT PARSE_JSON('{"a": 1}')`);
    await expect(query(c, 'SELECT F.VALUE FROM PDB.S.OBJS T, LATERAL FLATTEN(INPUT => T.O) F')).rejects.toMatchObject({
      message: expect.stringContaining('FLATTEN of a value that is not an ARRAY'),
    });
  });
});

describe('local server: string constants are data', () => {
  // Snowflake never looks inside a string constant; the server's rewriting of statements must not either.
  test('a constant that reads like SQL the server rewrites comes back as written', async () => {
    const texts = [
      'CURRENT_TIMESTAMP() STARTSWITH(x, y)',
      "OBJECT_CONSTRUCT('a', 1) ARRAY_CONSTRUCT(1)",
      'VARCHAR(10) TIMESTAMP_NTZ VARIANT,',
      'INTERVAL -1 day SHA2(x, 256)',
    ];
    await query(c, "CREATE OR REPLACE TABLE PDB.S.TEXTS (ID NUMBER, T VARCHAR DEFAULT 'TIMESTAMP_LTZ VARCHAR(5)')");
    for (const [i, t] of texts.entries()) await query(c, `INSERT INTO PDB.S.TEXTS (ID, T) SELECT ${i}, '${t.replace(/'/g, "''")}'`);
    await query(c, 'INSERT INTO PDB.S.TEXTS (ID) SELECT 9');
    const rows = (await query(c, 'SELECT T FROM PDB.S.TEXTS ORDER BY ID')).rows.map((r) => r.T);
    expect(rows).toEqual([...texts, 'TIMESTAMP_LTZ VARCHAR(5)']);
    expect((await query(c, `SELECT $$OBJECT_CONSTRUCT('k', 1)$$ AS D`)).rows).toEqual([{ D: "OBJECT_CONSTRUCT('k', 1)" }]);
  });
});
