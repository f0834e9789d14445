/**
 * Snowflake-shaped errors of the local server: the code, message and SQL state Snowflake uses,
 * so the driver surfaces them exactly as it would from a real account.
 */
export class SfError extends Error {
  constructor(
    /** Six-digit Snowflake error code, e.g. 002003. */
    readonly code: string,
    message: string,
    readonly sqlState = '42000',
    /** HTTP status of the response carrying it (200 for statement errors, as Snowflake does). */
    readonly httpStatus = 200,
  ) {
    super(message);
    this.name = 'SfError';
  }
}

export const Errors = {
  badCredentials: () => new SfError('390100', 'Incorrect username or password was specified.', '08004'),
  sessionGone: () => new SfError('390112', 'Your session has expired. Please login again.', '08001'),
  tokenExpired: () => new SfError('390114', 'Authentication token has expired.  The user must authenticate again.', '08001'),
  notSupported: (kind: string) => new SfError('000002', `Unsupported feature: not supported by the local server: ${kind}`, '0A000'),
  objectMissing: (what: string) => new SfError('002003', `SQL compilation error:\n${what} does not exist or not authorized.`, '02000'),
  syntax: (detail: string) => new SfError('001003', `SQL compilation error:\nsyntax error ${detail}`, '42000'),
  alreadyExists: (what: string) => new SfError('002002', `SQL compilation error:\nObject '${what}' already exists.`, '42710'),
  duplicateKey: (detail: string) => new SfError('200001', `Duplicate key value violates unique constraint: ${detail}`, '23505'),
  cancelled: () => new SfError('000604', 'SQL execution canceled', '57014'),
  /**
   * A failure of the server itself, not of the statement: Snowflake answers 000603 (SQL state
   * XX000) "SQL execution internal error: Processing aborted due to error <n>; incident <n>.", and
   * the same statement may well succeed when run again.
   */
  internal: (detail: string) =>
    new SfError('000603', `SQL execution internal error: Processing aborted due to error 300010 in the local server: ${detail}`, 'XX000'),
  /** A stand-in for Snowflake's Python runtime (procedure, model method) raised: 100357, as a handler's exception. */
  handlerFailed: (detail: string) => new SfError('100357', `Python Interpreter Error:\n${detail}`, 'P0000'),
  /**
   * The role may see the object but lacks the privilege the statement needs: Snowflake's 003001
   * "SQL access control error: Insufficient privileges to operate on <kind> '<name>'", followed here
   * by the role and the privilege it lacks.
   */
  insufficient: (kind: string, name: string, role: string, privilege: string) =>
    new SfError(
      '003001',
      `SQL access control error:\nInsufficient privileges to operate on ${kind.toLowerCase()} '${name}'. (role ${role} needs ${privilege})`,
      '42501',
    ),
  /** A role specified at login (or by USE ROLE) that the user has not been granted. */
  /** A query or DML statement in a session without a usable warehouse (https://docs.snowflake.com/en/sql-reference/sql/use-warehouse). */
  noWarehouse: () =>
    new SfError('000606', "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.\n", '57P03'),
  roleNotGranted: (role: string) =>
    new SfError(
      '390189',
      `Role '${role}' specified in the connect string is not granted to this user. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.`,
      '08004',
    ),
};

/**
 * DuckDB's errors start with their exception type ("Binder Error: ...", "INTERNAL Error: ..."),
 * sometimes after a generic "Error: " (a statement's error read back from its result).
 */
const DUCKDB_ERROR = /^(?:Error: )?([A-Za-z][A-Za-z -]*?) Error: /;

/**
 * Whether an error is the server's own failure rather than the statement's: a Node.js system error
 * (ENOENT, EMFILE, ...), a JavaScript exception, anything that is not a DuckDB error, or DuckDB's
 * own INTERNAL / FATAL errors.
 */
function isInternal(e: unknown, msg: string): boolean {
  if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) return true;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return true;
  const type = DUCKDB_ERROR.exec(msg)?.[1];
  return type === undefined || /^(INTERNAL|FATAL)$/i.test(type);
}

/**
 * Maps a DuckDB error to the Snowflake error a real account would have returned, and a failure of
 * the server itself to Snowflake's internal error (000603).
 */
export function fromEngineError(e: unknown): SfError {
  if (e instanceof SfError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  // Never a "SQL compilation error": the statement was fine, the server failed (issue #23: a stage
  // listing that raced a file rename surfaced as 002140).
  if (isInternal(e, msg)) return Errors.internal(msg);
  if (/Catalog Error: (Table|Schema|Catalog|View|Sequence|Macro).* does not exist|does not exist!/i.test(msg)) {
    const name = /with name "?([^"!\s]+)"?/i.exec(msg)?.[1] ?? /"([^"]+)"/.exec(msg)?.[1] ?? 'Object';
    return Errors.objectMissing(`Object '${name.toUpperCase()}'`);
  }
  if (/Binder Error: Referenced column "?([^"\s]+)"? not found/i.test(msg)) {
    const col = /column "?([^"\s]+)"?/i.exec(msg)?.[1] ?? '?';
    return new SfError('000904', `SQL compilation error: error line 0 at position 0\ninvalid identifier '${col.toUpperCase()}'`, '42000');
  }
  // DuckDB refused a file outside the server's own (Engine.closeFileAccess): the host's files are not SQL's.
  if (/\bPermission Error:/.test(msg))
    return new SfError(
      '003001',
      "SQL access control error:\nInsufficient privileges to operate on the host's files: the local server gives SQL no file system access.",
      '42501',
    );
  if (/Parser Error/i.test(msg)) return Errors.syntax(msg.replace(/^Parser Error:\s*/i, ''));
  if (/Constraint Error: Duplicate key/i.test(msg)) return Errors.duplicateKey(msg.replace(/^Constraint Error:\s*/i, ''));
  if (/Constraint Error: NOT NULL/i.test(msg)) return new SfError('100072', `NULL result in a non-nullable column: ${msg}`, '22000');
  if (/already exists/i.test(msg)) return new SfError('002002', `SQL compilation error:\n${msg}`, '42710');
  if (/Conversion Error|Could not convert/i.test(msg)) return new SfError('100038', `Numeric value or date is not recognized: ${msg}`, '22018');
  if (/Transaction conflict|Conflict on/i.test(msg)) return new SfError('000625', `Statement aborted by a concurrent transaction: ${msg}`, '40001');
  return new SfError('002140', `SQL compilation error:\n${msg}`, '42601');
}
