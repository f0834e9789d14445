/**
 * A thin promise wrapper over snowflake-sdk: one logical session, statements with binds, the
 * query id and updated-row count of each, and the project's one retry layer. Errors carry the
 * Snowflake code and SQL state and pass through the connection's redactor, so secrets never reach
 * a message.
 *
 * Retries are decided here, visibly, and bounded (driver-retries.ts switches the driver's own
 * silent retries off):
 * - **Reaching the server** (the first login and every re-login) is tried `1 + retries` times with
 *   doubling waits (ConnectRetry), each failed attempt reported through `onProgress`
 *   ("cannot reach 127.0.0.1:8123 (ECONNREFUSED): retry 2 of 5 in 4 s"); then ConnectionFailedError.
 *   After that, later re-logins of the session try once, so the runner's closing statements
 *   (ledger, lock) do not wait through every retry again.
 * - **A statement that certainly did not run** (the request was never sent, or the server refused
 *   it because the session is gone: a restarted server, 390112, 407002; retry.ts isNotExecuted) is
 *   sent again once after logging in again, whatever it does: `query()` does this for every
 *   statement, the ledger's and the lock's included.
 * - **A failure after which the statement may have run** (a reset connection, a timeout, HTTP 5xx,
 *   Snowflake's retryable codes) is retried only through `queryWithRetry`, which callers use for
 *   statements designed to be idempotent: the hook runner's step statements (MERGE ... WHEN NOT
 *   MATCHED, inserts guarded by NOT EXISTS, compare-and-set updates keyed by run id; see
 *   docs/hooks-manifest.md). Every attempt of one statement carries the same request id, which
 *   Snowflake uses to answer a resubmitted request from its first execution.
 */
import './driver-env';
import { randomUUID } from 'crypto';
import * as snowflake from 'snowflake-sdk';
import { ConnectionSettings, endpointOf, redactor, toDriverOptions } from './connection';
import { disableDriverStatementRetries } from './driver-retries';
import { TransientOptions, backoffMs, isNotExecuted, isSessionGone, isTransient, isUnreachable, reconnectDelayMs, sleep, socketCode } from './retry';

let configured = false;
function configureDriverOnce(): void {
  if (configured) return;
  // The driver's own log can include statement text and connection details: keep it off.
  snowflake.configure({ logLevel: 'OFF' } as snowflake.ConfigureOptions);
  disableDriverStatementRetries();
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
    /** The statement certainly did not run (never sent, or refused for want of a session). */
    public readonly notExecuted = false,
    /** The socket error under a network failure (ECONNREFUSED, ECONNRESET, ...). */
    public readonly socketCode?: string,
  ) {
    super(message);
    this.name = 'SnowflakeError';
  }
}

/**
 * Logging in failed for good. `reason` 'unreachable': the server could not be reached or kept
 * failing (network, HTTP 5xx) through every attempt; 'rejected': it answered and refused the login
 * (credentials, account, role), which retrying does not change.
 */
export class ConnectionFailedError extends SnowflakeError {
  constructor(
    message: string,
    code: string | undefined,
    public readonly reason: 'unreachable' | 'rejected',
  ) {
    super(message, code, undefined, undefined, false);
    this.name = 'ConnectionFailedError';
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

/** How often and how patiently to try to reach the server (login and re-login). */
export interface ConnectRetry {
  /** Attempts after the first. */
  readonly retries: number;
  /** Wait before the first retry; doubled for each further one, up to maxDelayMs. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** 1 + 5 attempts, waits 1, 2, 4, 8, 8 s: about 25 s before giving up on an unreachable server. */
export const DEFAULT_CONNECT_RETRY: ConnectRetry = { retries: 5, initialDelayMs: 1000, maxDelayMs: 8000 };

export interface SessionOptions {
  /** @default settings.connectRetry, else DEFAULT_CONNECT_RETRY */
  readonly connectRetry?: ConnectRetry;
  /** Receives one line per retry, lost session and reconnection. @default a line on stderr */
  readonly onProgress?: (line: string) => void;
}

function fmtWait(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

export class SnowflakeSession {
  /** Logs in (bounded retries, reported through onProgress) and returns the session. */
  static async open(settings: ConnectionSettings, options: SessionOptions = {}): Promise<SnowflakeSession> {
    configureDriverOnce();
    const session = new SnowflakeSession(settings, options);
    session.conn = await session.login();
    return session;
  }

  /**
   * A second session with the same settings: statements on it are never part of a transaction
   * this one has open (the hooks runner keeps its ledger and lock heartbeat there).
   */
  async sibling(): Promise<SnowflakeSession> {
    const other = new SnowflakeSession(this.settings, { connectRetry: this.retry, onProgress: this.progress });
    other.conn = await other.login();
    return other;
  }

  /** Removes secrets from text. */
  readonly redact: (text: string) => string;
  /** host:port, for messages. */
  readonly endpoint: string;
  private conn!: snowflake.Connection;
  /** Incremented by every re-login: a failure on an older connection needs no new one. */
  private generation = 0;
  private relogin: Promise<void> | undefined;
  private closed = false;
  /**
   * Set when a re-login used up its retries: later re-logins (the ledger's last records, the
   * lock's release) try once instead of waiting through every retry again.
   */
  private unreachable = false;
  private readonly retry: ConnectRetry;
  private readonly progress: (line: string) => void;

  private constructor(
    private readonly settings: ConnectionSettings,
    options: SessionOptions,
  ) {
    this.redact = redactor(settings);
    this.endpoint = endpointOf(settings);
    this.retry = options.connectRetry ?? settings.connectRetry ?? DEFAULT_CONNECT_RETRY;
    const sink = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
    this.progress = (line) => sink(this.redact(line));
  }

  /** A new driver connection, logged in; up to 1 + retries attempts. */
  private async login(retries = this.retry.retries): Promise<snowflake.Connection> {
    const { initialDelayMs, maxDelayMs } = this.retry;
    for (let attempt = 0; ; attempt++) {
      // sfRetryMaxLoginRetries 0: the driver tries once and reports; this loop decides.
      const conn = snowflake.createConnection({ ...toDriverOptions(this.settings), sfRetryMaxLoginRetries: 0 } as unknown as snowflake.ConnectionOptions);
      try {
        await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
        return conn;
      } catch (e) {
        const err = wrap(e as Error, this.redact, undefined);
        if (!isUnreachable(e)) throw new ConnectionFailedError(`login to ${this.endpoint} refused: ${err.message}`, err.code, 'rejected');
        const cause = err.socketCode ?? (err.code ? `Snowflake ${err.code}` : 'no answer');
        if (attempt >= retries) {
          throw new ConnectionFailedError(
            `cannot reach ${this.endpoint} (${cause}) after ${attempt + 1} attempt${attempt === 0 ? '' : 's'}: ${err.message}`,
            err.code,
            'unreachable',
          );
        }
        const wait = reconnectDelayMs(attempt, initialDelayMs, maxDelayMs);
        this.progress(`cannot reach ${this.endpoint} (${cause}): retry ${attempt + 1} of ${retries} in ${fmtWait(wait)}`);
        await sleep(wait);
      }
    }
  }

  /**
   * Replaces the connection after `failed` (the generation a statement failed on) lost its
   * session. Concurrent callers (the runner's lock renewal beside a step) share one re-login.
   */
  private async reopen(failed: number, why: SnowflakeError): Promise<void> {
    if (this.generation !== failed) return;
    if (!this.relogin) {
      const what = why.socketCode ?? (why.code ? `Snowflake ${why.code}` : 'error');
      this.progress(`connection to ${this.endpoint} lost (${what}: ${why.message.split('\n')[0]}): logging in again`);
      this.relogin = (async () => {
        const old = this.conn;
        try {
          this.conn = await this.login(this.unreachable ? 0 : this.retry.retries);
          this.generation++;
          this.unreachable = false;
          this.progress(`logged in again to ${this.endpoint} (new session)`);
        } catch (e) {
          if (e instanceof ConnectionFailedError && e.reason === 'unreachable') this.unreachable = true;
          throw e;
        } finally {
          this.relogin = undefined;
        }
        void destroy(old);
      })();
    }
    await this.relogin;
  }

  /** One attempt on the current connection. */
  private attempt<T>(sql: string, binds: unknown[] | undefined, requestId: string): Promise<QueryResult<T>> {
    return new Promise((resolve, reject) => {
      this.conn.execute({
        sqlText: sql,
        binds: binds as snowflake.Binds,
        requestId,
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
   * Runs one statement. A statement that certainly did not run because the server was unreachable
   * or the session is gone is sent again once after logging in again (safe for any statement);
   * any other failure is thrown.
   */
  async query<T = Record<string, unknown>>(sql: string, binds?: unknown[], requestId: string = randomUUID()): Promise<QueryResult<T>> {
    for (let reopened = false; ; reopened = true) {
      if (this.closed) throw new SnowflakeError('the session is closed', undefined, undefined, undefined, false);
      const generation = this.generation;
      try {
        return await this.attempt<T>(sql, binds, requestId);
      } catch (e) {
        const err = e as SnowflakeError;
        if (reopened || !err.notExecuted || this.closed) throw err;
        await this.reopen(generation, err);
      }
    }
  }

  /**
   * Runs one statement that is safe to run more than once (see the file comment), retrying
   * transient failures with backoff and jitter, after a re-login when the session was lost; with
   * `idempotent`, also the failures worth retrying only for a statement that may safely run twice
   * (an internal error, retry.ts).
   */
  async queryWithRetry<T = Record<string, unknown>>(
    sql: string,
    binds: unknown[] | undefined,
    retry: RetryOptions,
    onRetry?: (attempt: number, err: SnowflakeError, waitMs: number) => void,
    opts: TransientOptions = {},
  ): Promise<QueryResult<T>> {
    let requestId = randomUUID();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.query<T>(sql, binds, requestId);
      } catch (e) {
        const err = e as SnowflakeError;
        const transient = err.transient || (opts.idempotent === true && isTransient(err, opts));
        if (!transient || attempt + 1 >= retry.maxAttempts || this.closed) throw err;
        // Without an answer the outcome is unknown: the same request id lets Snowflake answer a
        // resubmission from a first execution. An answered failure is retried as a new request.
        if (err.socketCode === undefined && !/^40100[123]$/.test(err.code ?? '')) requestId = randomUUID();
        const wait = backoffMs(attempt, retry.initialDelayMs, retry.maxDelayMs);
        onRetry?.(attempt + 1, err, wait);
        await sleep(wait);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.relogin?.catch(() => undefined);
    await destroy(this.conn);
  }
}

/** Ends a driver connection; never waits more than a few seconds (a dead server does not answer). */
async function destroy(conn: snowflake.Connection): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    timer.unref();
    try {
      conn.destroy(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

function wrap(err: snowflake.SnowflakeError | Error, redact: (t: string) => string, queryId: string | undefined): SnowflakeError {
  const e = err as snowflake.SnowflakeError & { code?: unknown; sqlState?: string };
  const code = e.code !== undefined && e.code !== null ? String(e.code) : undefined;
  // A session that is gone is not a statement problem: the session logs in again (query()).
  const transient = isTransient(err) || isSessionGone(err);
  return new SnowflakeError(redact(e.message ?? String(err)), code, e.sqlState, queryId, transient, isNotExecuted(err), socketCode(err));
}
