/**
 * Which failures are worth retrying, and how long to wait. Transient: the driver's network and
 * HTTP failures (401001 could not connect, 401002 request failed, 401003 non-JSON response,
 * socket errors), HTTP 5xx/408/429 the driver gave up on, and Snowflake's retryable codes.
 * Everything else (syntax, missing object, privileges) is the user's to fix: no retry.
 *
 * Two finer questions decide what the session does about a failure (session.ts):
 * - was the statement certainly **not executed** (`notExecuted`)? True when the request never
 *   reached the server (the TCP connection was refused, the name did not resolve) or the server
 *   refused it before running it because the session is gone. Such a statement can be sent again
 *   whatever it does, after logging in again.
 * - is the **session gone** (`sessionGone`)? Then only a new login helps.
 * A reset connection, a timeout or an HTTP 5xx may come after the statement ran: only statements
 * designed to be idempotent are retried then (SnowflakeSession.queryWithRetry).
 */
export const RETRYABLE_SNOWFLAKE_CODES = new Set([
  '000625', // statement reached its statement or warehouse timeout while queued / transient
  '000630', // statement reached its timeout on a busy warehouse
  '000604', // SQL execution canceled (by a failover, not by us)
  '390114', // authentication token expired (a new session is opened)
  '390112', // session no longer exists (a new session is opened)
  '200001', // hybrid tables: row lock conflict, retry
]);

/**
 * The session is gone and a new login is needed: Snowflake's 390111 (session no longer exists),
 * 390112 (session expired), 390114 (authentication token expired), 390115 (master token invalid:
 * what a restarted server answers the driver's renewal); snowflake-sdk's 401004 (invalid token),
 * 407001/407002 (the connection object is not, or no longer, connected: after a failed renewal the
 * driver fails every queued request with 407002 without sending it).
 */
const SESSION_GONE_CODES = new Set(['390111', '390112', '390114', '390115', '401004', '407001', '407002']);

/**
 * Codes worth retrying only for a statement that is safe to run twice (a query, a poll, a refresh
 * of metadata). An internal error (000603, SQL state XX000, "SQL execution internal error") says
 * the server failed, not the statement, and may not recur; but it does not say whether the
 * statement's effects were committed first, so a non-idempotent statement (EXECUTE TASK, an
 * INSERT, a user's SQL) retried after one could run its effects twice.
 */
export const RETRYABLE_IF_IDEMPOTENT_CODES = new Set([
  '000603', // SQL execution internal error
]);

const RETRYABLE_DRIVER_CODES = new Set([401001, 401002, 401003, 402001, 402002]);
const RETRYABLE_SOCKET = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|socket hang up|network/i;
/** Failures to open a TCP connection: the request was never sent. */
const NOT_SENT_SOCKET = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/;

export interface ErrorLike {
  code?: unknown;
  sqlState?: unknown;
  message?: unknown;
  cause?: unknown;
  response?: { statusCode?: number };
}

/** The socket error code under a driver error (ECONNREFUSED, ECONNRESET, ...), if any. */
export function socketCode(err: unknown): string | undefined {
  const e = (err ?? {}) as ErrorLike;
  const cause = e.cause as { code?: unknown } | string | undefined;
  const fromCause = typeof cause === 'string' ? cause : typeof cause?.code === 'string' ? cause.code : undefined;
  if (fromCause && /^E[A-Z_]+$/.test(fromCause)) return fromCause;
  if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  const m =
    typeof e.message === 'string'
      ? /\b(E(?:CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|AI_AGAIN|NOTFOUND|HOSTUNREACH|NETUNREACH|CONNABORTED))\b/.exec(e.message)
      : null;
  return m?.[1];
}

function codeOf(err: unknown): string | undefined {
  const code = ((err ?? {}) as ErrorLike).code;
  if (typeof code === 'number') return String(code).padStart(6, '0');
  if (typeof code === 'string' && /^\d+$/.test(code)) return code.padStart(6, '0');
  return undefined;
}

export function isSessionGone(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && SESSION_GONE_CODES.has(code);
}

/** The statement certainly did not run: never sent, or refused for want of a session. */
export function isNotExecuted(err: unknown): boolean {
  if (isSessionGone(err)) return true;
  const sock = socketCode(err);
  return sock !== undefined && NOT_SENT_SOCKET.test(sock);
}

/** The server could not be reached or did not answer usefully (as opposed to refusing us). */
export function isUnreachable(err: unknown): boolean {
  const e = (err ?? {}) as ErrorLike;
  if (socketCode(err) !== undefined) return true;
  const code = e.code;
  if (typeof code === 'number' && RETRYABLE_DRIVER_CODES.has(code)) {
    const status = e.response?.statusCode;
    return status === undefined || status >= 500 || status === 408 || status === 429;
  }
  return false;
}

export interface TransientOptions {
  /** The statement may run twice without doing anything twice (queries, polls). @default false */
  readonly idempotent?: boolean;
}

/** Snowflake's six-digit form of an error code (the driver may give '603' or 603 for '000603'). */
function snowflakeCode(code: unknown): string | undefined {
  return typeof code === 'string' || typeof code === 'number' ? String(code).padStart(6, '0') : undefined;
}

export function isTransient(err: unknown, opts: TransientOptions = {}): boolean {
  const e = (err ?? {}) as ErrorLike;
  const code = e.code;
  if (isSessionGone(err)) return true;
  if (opts.idempotent && RETRYABLE_IF_IDEMPOTENT_CODES.has(snowflakeCode(code) ?? '')) return true;
  if (typeof code === 'number' && RETRYABLE_DRIVER_CODES.has(code)) return true;
  if (typeof code === 'string' && (RETRYABLE_SNOWFLAKE_CODES.has(code.padStart(6, '0')) || RETRYABLE_SOCKET.test(code))) return true;
  if (typeof code === 'number' && RETRYABLE_SNOWFLAKE_CODES.has(String(code).padStart(6, '0'))) return true;
  const status = e.response?.statusCode;
  if (typeof status === 'number' && (status >= 500 || status === 408 || status === 429)) return true;
  return typeof e.message === 'string' && RETRYABLE_SOCKET.test(e.message) && !/syntax|does not exist|not authorized/i.test(e.message);
}

/** Exponential backoff with full jitter: a random wait in [0, min(max, initial * 2^attempt)). */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, initialMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

/**
 * Waits between attempts to reach the server: initial, 2x, 4x ... up to max, without jitter, so
 * the progress line can say exactly when the next attempt comes ("retry 2 of 5 in 4 s"). One
 * runner per stack (the ledger lock) means there is no herd to spread out.
 */
export function reconnectDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** attempt);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
