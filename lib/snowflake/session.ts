/**
 * A thin promise wrapper over snowflake-sdk: one connection, statements with binds, the query id
 * and updated-row count of each, and transient-error retries. Errors carry the Snowflake code and
 * SQL state and pass through the connection's redactor, so secrets never reach a message.
 */
import './driver-env';
import * as snowflake from 'snowflake-sdk';
import { ConnectionSettings, redactor, toDriverOptions } from './connection';
import { TransientOptions, backoffMs, isTransient, sleep } from './retry';

let configured = false;
function configureDriverOnce(): void {
  if (configured) return;
  // The driver's own log can include statement text and connection details: keep it off.
  snowflake.configure({ logLevel: 'OFF' } as snowflake.ConfigureOptions);
  configured = true;
}

export class SnowflakeError extends Error {
  constructor(
    message: string,
    /** Snowflake's error code (e.g. 002003), when there is one. */
    public readonly code: string | undefined,
    public readonly sqlState: string | undefined,
    public readonly queryId: string | undefined,
    public readonly transient: boolean,
  ) {
    super(message);
    this.name = 'SnowflakeError';
  }
}

export interface QueryResult<T = Record<string, unknown>> {
  readonly rows: T[];
  readonly queryId: string;
  readonly updatedRows: number;
}

export interface RetryOptions {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export class SnowflakeSession {
  static async open(settings: ConnectionSettings): Promise<SnowflakeSession> {
    configureDriverOnce();
    const redact = redactor(settings);
    const conn = snowflake.createConnection(toDriverOptions(settings) as unknown as snowflake.ConnectionOptions);
    await new Promise<void>((resolve, reject) => {
      conn.connect((err) => (err ? reject(wrap(err, redact, undefined)) : resolve()));
    });
    return new SnowflakeSession(conn, redact);
  }

  private constructor(
    private readonly conn: snowflake.Connection,
    /** Removes secrets from text. */
    readonly redact: (text: string) => string,
  ) {}

  /** Runs one statement once. */
  query<T = Record<string, unknown>>(sql: string, binds?: unknown[]): Promise<QueryResult<T>> {
    return new Promise((resolve, reject) => {
      this.conn.execute({
        sqlText: sql,
        binds: binds as snowflake.Binds,
        complete: (err, stmt, rows) => {
          const queryId = stmt?.getQueryId?.() ?? undefined;
          if (err) return reject(wrap(err, this.redact, queryId));
          let updated = 0;
          try {
            updated = Number(stmt.getNumUpdatedRows?.() ?? 0) || 0;
          } catch {
            updated = 0;
          }
          resolve({ rows: (rows ?? []) as T[], queryId: queryId ?? '', updatedRows: updated });
        },
      });
    });
  }

  /**
   * Runs one statement, retrying transient failures with backoff and jitter; with `idempotent`,
   * also the failures worth retrying only for a statement that may safely run twice (retry.ts).
   */
  async queryWithRetry<T = Record<string, unknown>>(sql: string, binds: unknown[] | undefined, retry: RetryOptions, onRetry?: (attempt: number, err: SnowflakeError, waitMs: number) => void, opts: TransientOptions = {}): Promise<QueryResult<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.query<T>(sql, binds);
      } catch (e) {
        const err = e as SnowflakeError;
        const transient = err.transient || (opts.idempotent === true && isTransient(err, opts));
        if (!transient || attempt + 1 >= retry.maxAttempts) throw err;
        const wait = backoffMs(attempt, retry.initialDelayMs, retry.maxDelayMs);
        onRetry?.(attempt + 1, err, wait);
        await sleep(wait);
      }
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.conn.destroy(() => resolve()));
  }
}

function wrap(err: snowflake.SnowflakeError | Error, redact: (t: string) => string, queryId: string | undefined): SnowflakeError {
  const e = err as snowflake.SnowflakeError & { code?: unknown; sqlState?: string };
  const code = e.code !== undefined && e.code !== null ? String(e.code) : undefined;
  return new SnowflakeError(redact(e.message ?? String(err)), code, e.sqlState, queryId, isTransient(err));
}
