/**
 * The hooks ledger `HOOK_RUNS`: its columns (one row per step attempt; created by the constructs
 * through Terraform, written only by the hooks runner), its DDL, and every statement the runner
 * sends to it (runner/hooks/ledger.ts says what each is for). Values are bound, never spliced; the
 * statements of a task graph's rows (renderTaskRunStart, renderTaskRunFinish) run in task bodies,
 * where nothing binds, and take validated names and constants only.
 */
import { ObjectName, sqlNumber, sqlString } from '../identifiers';
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
        // A task graph's rows (TASK_RUNNER_PREFIX) are no runner's: a loop run stays RUNNING
        // across graph runs until its finish task ends it.
        `WHERE STACK = ? AND STATUS = 'RUNNING' AND STEP_ID NOT IN (?, ?) AND NOT STARTSWITH(COALESCE(RUNNER_ID, ''), ?)`,
      params: ['RUNNER_ID', 'STACK', 'LOCK_STEP_ID', 'RUN_MARK_STEP_ID', 'TASK_RUNNER_PREFIX'],
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

/**
 * RUNNER_ID of the rows a task graph writes (`task:<DB.SCHEMA.TASK>`): no runner wrote them, so no
 * runner marks them INTERRUPTED when it takes the lock over (markInterrupted leaves them alone).
 */
export const TASK_RUNNER_PREFIX = 'task:';

/**
 * Where a task graph inside the account (the closed loop) records its runs in the stack's ledger,
 * in the runner's shape: one row per attempt of a run, under a step id of its own.
 */
export interface TaskRunLedgerModel {
  readonly table: ObjectName;
  /** The stack's name, as hooks.json's `stack` (the runner's STACK). */
  readonly stack: string;
  /** The STEP_ID of the graph's rows: `<pipeline path>/retrain-loop`, beside the pipeline's steps. */
  readonly stepId: string;
  /** What the graph's definition is (a digest of its task bodies): the FINGERPRINT of its rows. */
  readonly fingerprint: string;
  /** The task that writes the rows: RUNNER_ID is `task:` and its name. */
  readonly task: ObjectName;
}

/** `STACK = ... AND STEP_ID = ... AND RUN_ID = <run>`: the rows of one run of the graph. */
function taskRunRows(l: TaskRunLedgerModel, run: string): string {
  return `STACK = ${sqlString(l.stack)} AND STEP_ID = ${sqlString(l.stepId)} AND RUN_ID = ${run}`;
}

/**
 * A run of the graph starts: a RUNNING row (attempt 1, or the next after a FAILED attempt of the
 * same run), unless the run already has a row that did not fail. Idempotent: a re-run of the graph
 * for the same run adds nothing while its row is RUNNING, SUCCEEDED or GATED. `run` and `details`
 * are SQL expressions (a Scripting variable, an OBJECT_CONSTRUCT).
 */
export function renderTaskRunStart(l: TaskRunLedgerModel, run: string, details: string): string {
  const t = l.table.quoted;
  return (
    `INSERT INTO ${t} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, RUNNER_ID, STARTED_AT, DETAILS) ` +
    `SELECT ${sqlString(l.stack)}, ${sqlString(l.stepId)}, ${run}, ${sqlString(l.fingerprint)}, ` +
    `COALESCE((SELECT MAX(ATTEMPT) FROM ${t} WHERE ${taskRunRows(l, run)}), 0) + 1, 'RUNNING', ` +
    `${sqlString(`${TASK_RUNNER_PREFIX}${l.task.toString()}`)}, CURRENT_TIMESTAMP(), ${details} ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE ${taskRunRows(l, run)} AND STATUS <> 'FAILED')`
  );
}

/**
 * A run of the graph ends: its RUNNING row gets `status`, ENDED_AT, the error and, when given, new
 * details (SQL expressions). Only while RUNNING, as the runner's finish: a re-run changes nothing.
 */
export function renderTaskRunFinish(
  l: TaskRunLedgerModel,
  run: string,
  status: 'SUCCEEDED' | 'FAILED' | 'GATED',
  error: string | null,
  details?: string,
): string {
  return (
    `UPDATE ${l.table.quoted} SET STATUS = ${sqlString(status)}, ENDED_AT = CURRENT_TIMESTAMP(), ERROR_MSG = ${error === null ? 'NULL' : sqlString(error)}` +
    `${details ? `, DETAILS = ${details}` : ''} WHERE ${taskRunRows(l, run)} AND STATUS = 'RUNNING'`
  );
}

/**
 * A run of the graph failed in a statement that did not record it (a task body's exception
 * handler, lib/sql/scripting.ts): its RUNNING row gets FAILED, ENDED_AT and the error, `error` a
 * SQL expression (the handler's copy of SQLERRM) cut to ERROR_MSG's 4000 characters. Only while
 * RUNNING: a row the body already ended (FAILED before its RAISE) keeps its own error, and a later
 * graph run of the same run adds the next attempt (renderTaskRunStart), as the runner resumes a
 * failed step with a new attempt.
 */
export function renderTaskRunFailed(l: TaskRunLedgerModel, run: string, error: string): string {
  return (
    `UPDATE ${l.table.quoted} SET STATUS = 'FAILED', ENDED_AT = CURRENT_TIMESTAMP(), ERROR_MSG = LEFT(${error}, 4000) ` +
    `WHERE ${taskRunRows(l, run)} AND STATUS = 'RUNNING'`
  );
}

/**
 * The graph's runs older than `run` still RUNNING are ABANDONED, with the reason: a newer run
 * superseded them, and nothing ends them later (the graph only ever works on its newest run).
 * `run` is a SQL expression; run ids of one graph sort by their date (M + YYYYMMDD).
 */
export function renderTaskRunsSuperseded(l: TaskRunLedgerModel, run: string): string {
  return (
    `UPDATE ${l.table.quoted} SET STATUS = 'ABANDONED', ENDED_AT = CURRENT_TIMESTAMP(), ` +
    `ERROR_MSG = 'superseded by run ' || ${run} || ' before it finished: abandoned, never promoted' ` +
    `WHERE STACK = ${sqlString(l.stack)} AND STEP_ID = ${sqlString(l.stepId)} AND RUN_ID < ${run} AND STATUS = 'RUNNING'`
  );
}

/** The latest runs task graphs recorded in a stack's ledger (newest first), for `hooks plan`. */
export function renderTaskRuns(table: ObjectName, limit: number): BoundStatement {
  return {
    sql:
      `SELECT STEP_ID, RUN_ID, STATUS, ATTEMPT, TO_VARCHAR(STARTED_AT) AS STARTED, TO_VARCHAR(ENDED_AT) AS ENDED, ERROR_MSG, TO_JSON(DETAILS) AS DETAILS FROM ${table.quoted} ` +
      `WHERE STACK = ? AND STARTSWITH(RUNNER_ID, ?) ORDER BY STARTED_AT DESC, RUN_ID DESC LIMIT ${sqlNumber(Math.floor(limit))}`,
    params: ['STACK', 'TASK_RUNNER_PREFIX'],
  };
}
