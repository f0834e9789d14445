/**
 * Local-server figures measured through snowflake-sdk: round trip of a trivial query, rows/s of a
 * 20,000-row array-bind insert and of a 20,000-row select. Used by `npm run bench`.
 */
import '../runner/snowflake/driver-env';
import * as snowflake from 'snowflake-sdk';
import { startLocalServer } from './index';

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const v = [...values].sort((a, b) => a - b);
  // An even count's median is the mean of the middle two (of two runs, not the larger).
  const mid = v.length / 2;
  return { min: v[0], median: v.length % 2 === 1 ? v[Math.floor(mid)] : (v[mid - 1] + v[mid]) / 2, max: v[v.length - 1] };
}

function exec(conn: snowflake.Connection, sqlText: string, binds?: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) =>
    conn.execute({ sqlText, binds: binds as snowflake.Binds, complete: (e, _s, rows) => (e ? reject(e) : resolve(rows ?? [])) }),
  );
}

export async function benchLocalServer(repetitions = 3): Promise<{ trivialQueryMs: Spread; insert20kRowsPerSec: Spread; select20kRowsPerSec: Spread }> {
  snowflake.configure({ logLevel: 'OFF' } as snowflake.ConfigureOptions);
  const server = await startLocalServer();
  const conn = snowflake.createConnection(server.connectionOptions() as unknown as snowflake.ConnectionOptions);
  await new Promise<void>((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve())));
  await exec(conn, 'CREATE DATABASE B');
  await exec(conn, 'CREATE SCHEMA B.S');
  const trivial: number[] = [];
  // The first ~150 statements of a process run cold (JIT, DuckDB caches): warm up past them.
  for (let i = 0; i < 300; i++) await exec(conn, 'SELECT 1');
  for (let r = 0; r < repetitions; r++) {
    const n = 50;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await exec(conn, 'SELECT 1');
    trivial.push(Number(process.hrtime.bigint() - t0) / 1e6 / n);
  }
  const rows = Array.from({ length: 20000 }, (_, i) => [`k${i}`, i, i / 7]);
  const inserts: number[] = [];
  const selects: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    await exec(conn, 'CREATE OR REPLACE TABLE B.S.T (K VARCHAR, N NUMBER(10,0), X FLOAT)');
    let t0 = process.hrtime.bigint();
    await exec(conn, 'INSERT INTO B.S.T (K, N, X) VALUES (?, ?, ?)', rows);
    inserts.push(20000 / (Number(process.hrtime.bigint() - t0) / 1e9));
    t0 = process.hrtime.bigint();
    const out = await exec(conn, 'SELECT K, N, X FROM B.S.T');
    if (out.length !== 20000) throw new Error(`select returned ${out.length} rows`);
    selects.push(20000 / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  await new Promise<void>((resolve) => conn.destroy(() => resolve()));
  await server.close();
  return { trivialQueryMs: spread(trivial), insert20kRowsPerSec: spread(inserts), select20kRowsPerSec: spread(selects) };
}
