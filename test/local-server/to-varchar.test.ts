/**
 * TO_VARCHAR / TO_CHAR through snowflake-sdk: nested arguments and Snowflake's date and time format
 * elements (https://docs.snowflake.com/en/sql-reference/date-time-input-output), which the
 * transpiler alone left as a missing function or printed literally.
 */
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { strftimeFormat } from '../../local-server/to-varchar';
import { close, connect, query } from './client';

let server: LocalSnowflakeServer;
beforeAll(async () => {
  server = await startLocalServer({ users: [{ name: 'test', password: 'test' }] });
});
afterAll(async () => server.close());

describe('TO_VARCHAR and TO_CHAR on the local server', () => {
  test('a date inside a CAST or a scalar subquery converts, with and without a format', async () => {
    const c = await connect(server.connectionOptions());
    await query(c, 'CREATE DATABASE TV');
    await query(c, 'CREATE TABLE TV.PUBLIC.D (K VARCHAR, D DATE, TS TIMESTAMP_NTZ)');
    await query(c, "INSERT INTO TV.PUBLIC.D VALUES ('a', '2026-01-21', '2026-01-21 07:05:09.123'), ('b', '2025-12-31', '2025-12-31 23:59:59')");
    const r = await query(
      c,
      `SELECT TO_VARCHAR(CAST('2026-03-04' AS DATE)) AS PLAIN,
              TO_CHAR((SELECT MAX(D) FROM TV.PUBLIC.D), 'YYYYMMDD') AS COMPACT,
              TO_VARCHAR(D, 'yyyy-mm-dd') AS LOWER_CASE,
              TO_CHAR(TS, 'DD MON YYYY HH24:MI:SS.FF3 "at" DY') AS LONG_FORM,
              TO_VARCHAR(42) AS NUM
         FROM TV.PUBLIC.D WHERE K = 'a'`,
    );
    expect(r.rows).toEqual([{ PLAIN: '2026-03-04', COMPACT: '20260121', LOWER_CASE: '2026-01-21', LONG_FORM: '21 Jan 2026 07:05:09.123 at Wed', NUM: '42' }]);
    await close(c);
  });

  test('a number format model is refused by name, not printed as it stands', async () => {
    const c = await connect(server.connectionOptions());
    await expect(query(c, "SELECT TO_VARCHAR(12.5, '999.99') AS X")).rejects.toThrow(/TO_VARCHAR with the format '999.99'/);
    await close(c);
  });

  test('format models map element by element; quoted text is copied and % is escaped', () => {
    expect(strftimeFormat('YYYY-MM-DD"T"HH24:MI:SS')).toBe('%Y-%m-%dT%H:%M:%S');
    expect(strftimeFormat('MMMM DD, YY HH12 AM')).toBe('%B %d, %y %I %p');
    expect(strftimeFormat('"100%" YYYY')).toBe('100%% %Y');
    expect(strftimeFormat('999.99')).toBeUndefined();
    expect(strftimeFormat('YYYY-Q')).toBeUndefined();
  });
});
