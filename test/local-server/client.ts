import '../../runner/snowflake/driver-env';
import * as snowflake from 'snowflake-sdk';

snowflake.configure({ logLevel: 'OFF' } as snowflake.ConfigureOptions);

export type Conn = snowflake.Connection;

export async function connect(options: Record<string, unknown>): Promise<Conn> {
  const conn = snowflake.createConnection(options as unknown as snowflake.ConnectionOptions);
  await new Promise<void>((resolve, reject) => conn.connect((e) => (e ? reject(e) : resolve())));
  return conn;
}

export interface Result {
  rows: Record<string, any>[];
  updated: number;
  queryId: string;
}

export function query(conn: Conn, sqlText: string, binds?: unknown[], extra: Record<string, unknown> = {}): Promise<Result> {
  return new Promise((resolve, reject) =>
    conn.execute({
      sqlText,
      binds: binds as snowflake.Binds,
      ...extra,
      complete: (e, st, rows) =>
        e ? reject(e) : resolve({ rows: (rows ?? []) as Record<string, any>[], updated: Number(st.getNumUpdatedRows()), queryId: st.getQueryId() }),
    }),
  );
}

export async function close(conn: Conn): Promise<void> {
  await new Promise<void>((resolve) => conn.destroy(() => resolve()));
}
