import * as snowflake from 'snowflake-sdk';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { close, connect, query } from './client';

// Sessions keep their DuckDB prepared statements across statements (docs/local-server.md,
// Performance): a repeated query must still see every row another session changed since.
let server: LocalSnowflakeServer;
let c: snowflake.Connection;
let other: snowflake.Connection;
beforeAll(async () => {
  server = await startLocalServer();
  c = await connect(server.connectionOptions());
  other = await connect(server.connectionOptions());
  for (const sql of [
    'CREATE DATABASE PD',
    'CREATE SCHEMA PD.S',
    'CREATE HYBRID TABLE PD.S.Q (ID VARCHAR NOT NULL, RUN VARCHAR, STATUS VARCHAR, PRIMARY KEY (ID))',
  ])
    await query(c, sql);
});
afterAll(async () => {
  await close(other);
  await close(c);
  await server.close();
});

describe('local server: repeated statements see data changes', () => {
  test("a repeated poll counts rows whose value no row had when it first ran (the runner's progress query)", async () => {
    await query(c, "INSERT INTO PD.S.Q VALUES ('a', 'R1', 'PENDING'), ('b', 'R1', 'PENDING')");
    const poll = [
      'SELECT',
      "  (SELECT COUNT(*) FROM PD.S.Q WHERE RUN = 'R1') AS CHUNKS,",
      "  (SELECT COUNT(*) FROM PD.S.Q WHERE RUN = 'R1' AND STATUS = 'DONE') AS CHUNKS_DONE",
    ].join('\n');
    expect((await query(c, poll)).rows).toEqual([{ CHUNKS: 2, CHUNKS_DONE: 0 }]);
    await query(other, "UPDATE PD.S.Q SET STATUS = 'DONE' WHERE ID = 'a'");
    expect((await query(c, poll)).rows).toEqual([{ CHUNKS: 2, CHUNKS_DONE: 1 }]);
    await query(other, "UPDATE PD.S.Q SET STATUS = 'DONE' WHERE ID = 'b'");
    expect((await query(c, poll)).rows).toEqual([{ CHUNKS: 2, CHUNKS_DONE: 2 }]);
  });

  test('a repeated query with binds filters on values that appeared after it first ran', async () => {
    const sql = 'SELECT COUNT(*) AS N FROM PD.S.Q WHERE STATUS = ?';
    expect((await query(c, sql, ['FAILED'])).rows).toEqual([{ N: 0 }]);
    await query(other, "UPDATE PD.S.Q SET STATUS = 'FAILED' WHERE ID = 'a'");
    expect((await query(c, sql, ['FAILED'])).rows).toEqual([{ N: 1 }]);
    expect((await query(c, "SELECT COUNT(*) AS N FROM PD.S.Q WHERE STATUS = 'FAILED'")).rows).toEqual([{ N: 1 }]);
  });
});
