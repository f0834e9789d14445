/**
 * Which failures are worth retrying, and how long to wait. Transient: the driver's network and
 * HTTP failures (401001 could not connect, 401002 request failed, 401003 non-JSON response,
 * socket errors), HTTP 5xx/408/429 the driver gave up on, and Snowflake's retryable codes.
 * Everything else (syntax, missing object, privileges) is the user's to fix: no retry.
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
const RETRYABLE_SOCKET = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up|network/i;

export interface ErrorLike {
  code?: unknown;
  sqlState?: unknown;
  message?: unknown;
  response?: { statusCode?: number };
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

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
