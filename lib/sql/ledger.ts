/**
 * The hooks ledger `HOOK_RUNS`: its columns (one row per step attempt; created by the constructs
 * through Terraform, written only by the hooks runner), its DDL, and every statement the runner
 * sends to it (runner/hooks/ledger.ts says what each is for). Values are bound, never spliced.
 */
import { ObjectName, sqlNumber } from '../identifiers';
import { BoundStatement } from './statement';

export const LEDGER_TABLE_NAME = 'HOOK_RUNS';

/** Shared by the DDL, the constructs' snowflake_table and the statements, so they never drift. */
export const LEDGER_COLUMNS: readonly (readonly [name: string, type: string, nullable: boolean])[] = [
  ['STACK', 'VARCHAR(256)', false],
  ['STEP_ID', 'VARCHAR(1024)', false],
  ['RUN_ID', 'VARCHAR(64)', false],
  ['FINGERPRINT', 'VARCHAR(64)', false],
  ['ATTEMPT', 'NUMBER(5,0)', false],
  ['STATUS', 'VARCHAR(16)', false],
  ['RUNNER_ID', 'VARCHAR(128)', true],
  ['STARTED_AT', 'TIMESTAMP_NTZ', false],
  ['ENDED_AT', 'TIMESTAMP_NTZ', true],
  ['QUERY_IDS', 'ARRAY', true],
  ['ERROR_MSG', 'VARCHAR(4000)', true],
  ['DETAILS', 'VARIANT', true],
];

/** `CREATE TABLE IF NOT EXISTS` of the ledger (what the constructs' snowflake_table declares). */
export function renderLedgerDdl(table: ObjectName): string {
  const cols = LEDGER_COLUMNS.map(([n, t, nullable]) => `${n} ${t}${nullable ? '' : ' NOT NULL'}`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${table.quoted} (${cols})`;
}

/** The statements of the ledger in `table`. LOCK_STEP_ID and RUN_MARK_STEP_ID are bound as values. */
export function renderLedgerStatements(
  table: ObjectName,
): Record<
  'state' | 'countAttempts' | 'start' | 'finish' | 'markInterrupted' | 'markAbandoned' | 'createLockRow' | 'lockHolder' | 'renewLock' | 'releaseLock',
  BoundStatement
> {
  const t = table.quoted;
  return {
    state: {
      sql: `SELECT STEP_ID, RUN_ID, FINGERPRINT, STATUS, DATE_PART(EPOCH_MILLISECOND, STARTED_AT) AS T, ATTEMPT FROM ${t} WHERE STACK = ? AND STEP_ID <> ?`,
      params: ['STACK', 'LOCK_STEP_ID'],
    },
    countAttempts: { sql: `SELECT COUNT(*) AS N FROM ${t} WHERE STACK = ? AND STEP_ID = ? AND RUN_ID = ?`, params: ['STACK', 'STEP_ID', 'RUN_ID'] },
    start: {
      sql: `INSERT INTO ${t} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, RUNNER_ID, STARTED_AT) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, CURRENT_TIMESTAMP())`,
      params: ['STACK', 'STEP_ID', 'RUN_ID', 'FINGERPRINT', 'ATTEMPT', 'RUNNER_ID'],
    },
    finish: {
      // Only while the attempt is RUNNING: a runner whose lock was taken over must not overwrite
      // the INTERRUPTED its successor recorded.
      sql: `UPDATE ${t} SET STATUS = ?, ENDED_AT = CURRENT_TIMESTAMP(), QUERY_IDS = PARSE_JSON(?), ERROR_MSG = ?, DETAILS = PARSE_JSON(?) WHERE STACK = ? AND STEP_ID = ? AND RUN_ID = ? AND ATTEMPT = ? AND STATUS = 'RUNNING'`,
      params: ['STATUS', 'QUERY_IDS', 'ERROR_MSG', 'DETAILS', 'STACK', 'STEP_ID', 'RUN_ID', 'ATTEMPT'],
    },
    markInterrupted: {
      sql:
        `UPDATE ${t} SET STATUS = 'INTERRUPTED', ENDED_AT = CURRENT_TIMESTAMP(), ` +
        `ERROR_MSG = 'runner ' || COALESCE(RUNNER_ID, '?') || ' stopped before this attempt ended; runner ' || ? || ' took over' ` +
        `WHERE STACK = ? AND STATUS = 'RUNNING' AND STEP_ID NOT IN (?, ?)`,
      params: ['RUNNER_ID', 'STACK', 'LOCK_STEP_ID', 'RUN_MARK_STEP_ID'],
    },
    markAbandoned: {
      sql:
        `INSERT INTO ${t} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, RUNNER_ID, STARTED_AT, ENDED_AT, ERROR_MSG, DETAILS) ` +
        `SELECT ?, ?, ?, '-', 0, 'ABANDONED', ?, CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP(), ?, PARSE_JSON(?)`,
      params: ['STACK', 'RUN_MARK_STEP_ID', 'RUN_ID', 'RUNNER_ID', 'ERROR_MSG', 'DETAILS'],
    },
    createLockRow: {
      sql:
        `INSERT INTO ${t} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, STARTED_AT) ` +
        `SELECT ?, ?, '-', '-', 0, 'LOCK', CURRENT_TIMESTAMP() WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE STACK = ? AND STEP_ID = ?)`,
      params: ['STACK', 'LOCK_STEP_ID', 'STACK', 'LOCK_STEP_ID'],
    },
    lockHolder: {
      sql: `SELECT RUNNER_ID, DATEDIFF(second, STARTED_AT, CURRENT_TIMESTAMP()) AS AGE FROM ${t} WHERE STACK = ? AND STEP_ID = ?`,
      params: ['STACK', 'LOCK_STEP_ID'],
    },
    renewLock: {
      sql: `UPDATE ${t} SET STARTED_AT = CURRENT_TIMESTAMP() WHERE STACK = ? AND STEP_ID = ? AND RUNNER_ID = ?`,
      params: ['STACK', 'LOCK_STEP_ID', 'RUNNER_ID'],
    },
    releaseLock: { sql: `UPDATE ${t} SET RUNNER_ID = NULL WHERE STACK = ? AND STEP_ID = ? AND RUNNER_ID = ?`, params: ['STACK', 'LOCK_STEP_ID', 'RUNNER_ID'] },
  };
}

/**
 * Takes the lock row: its UPDATE's WHERE is re-evaluated under the table lock, so of two runners
 * only one updates it. A holder whose heartbeat is older than `staleSeconds` has its lock taken over.
 * The sign goes with the number, so a negative window cannot turn into `--` (a comment).
 */
export function renderTakeLock(table: ObjectName, staleSeconds: number): BoundStatement {
  return {
    sql:
      `UPDATE ${table.quoted} SET RUNNER_ID = ?, STARTED_AT = CURRENT_TIMESTAMP() WHERE STACK = ? AND STEP_ID = ? ` +
      `AND (RUNNER_ID IS NULL OR RUNNER_ID = ? OR STARTED_AT < DATEADD(second, ${sqlNumber(-Math.floor(staleSeconds))}, CURRENT_TIMESTAMP()))`,
    params: ['RUNNER_ID', 'STACK', 'LOCK_STEP_ID', 'RUNNER_ID'],
  };
}
