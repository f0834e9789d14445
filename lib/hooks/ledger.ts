/**
 * The runner's ledger (`HOOK_RUNS`): reading attempts, recording starts and ends, and the
 * per-stack lock row that keeps two runners from running the same stack at once.
 */
import { ObjectName } from '../identifiers';
import { SnowflakeSession } from '../snowflake/session';
import { LedgerLocation } from './manifest';
import { LedgerRecord } from './planner';

export const LOCK_STEP_ID = '__lock__';

export class Ledger {
  readonly table: string;

  constructor(
    private readonly session: SnowflakeSession,
    location: LedgerLocation,
    private readonly stack: string,
  ) {
    this.table = ObjectName.of(location.database, location.schema, location.table).quoted;
  }

  /** Every attempt of this stack's steps. */
  async records(): Promise<LedgerRecord[]> {
    const r = await this.session.query<{ STEP_ID: string; RUN_ID: string; FINGERPRINT: string; STATUS: LedgerRecord['status']; T: number | string }>(
      `SELECT STEP_ID, RUN_ID, FINGERPRINT, STATUS, DATE_PART(EPOCH_MILLISECOND, STARTED_AT) AS T FROM ${this.table} WHERE STACK = ? AND STEP_ID <> ?`,
      [this.stack, LOCK_STEP_ID],
    );
    return r.rows.map((x) => ({ stepId: x.STEP_ID, runId: x.RUN_ID, fingerprint: x.FINGERPRINT, status: x.STATUS, startedAt: Number(x.T) }));
  }

  /** Records the start of an attempt; returns its attempt number. */
  async start(stepId: string, runId: string, fingerprint: string, runnerId: string): Promise<number> {
    const prior = await this.session.query<{ N: number }>(`SELECT COUNT(*) AS N FROM ${this.table} WHERE STACK = ? AND STEP_ID = ? AND RUN_ID = ?`, [this.stack, stepId, runId]);
    const attempt = Number(prior.rows[0]?.N ?? 0) + 1;
    await this.session.query(
      `INSERT INTO ${this.table} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, RUNNER_ID, STARTED_AT) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, CURRENT_TIMESTAMP())`,
      [this.stack, stepId, runId, fingerprint, attempt, runnerId],
    );
    return attempt;
  }

  /** Records the end of an attempt. */
  async finish(stepId: string, runId: string, attempt: number, status: 'SUCCEEDED' | 'FAILED' | 'GATED', queryIds: string[], error: string | undefined, details: unknown): Promise<void> {
    await this.session.query(
      `UPDATE ${this.table} SET STATUS = ?, ENDED_AT = CURRENT_TIMESTAMP(), QUERY_IDS = PARSE_JSON(?), ERROR_MSG = ?, DETAILS = PARSE_JSON(?) WHERE STACK = ? AND STEP_ID = ? AND RUN_ID = ? AND ATTEMPT = ?`,
      [status, JSON.stringify(queryIds), error ? error.slice(0, 4000) : null, JSON.stringify(details ?? null), this.stack, stepId, runId, attempt],
    );
  }

  /**
   * Takes the stack's lock: one row per stack whose RUNNER_ID is set while a runner holds it. The
   * UPDATE's WHERE is re-evaluated under the table lock, so of two runners only one updates it. A
   * lock older than `staleSeconds` (a runner killed without releasing) is taken over.
   */
  async acquireLock(runnerId: string, staleSeconds: number): Promise<{ acquired: boolean; holder?: string }> {
    await this.session.query(
      `INSERT INTO ${this.table} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, STARTED_AT) ` +
        `SELECT ?, ?, '-', '-', 0, 'LOCK', CURRENT_TIMESTAMP() WHERE NOT EXISTS (SELECT 1 FROM ${this.table} WHERE STACK = ? AND STEP_ID = ?)`,
      [this.stack, LOCK_STEP_ID, this.stack, LOCK_STEP_ID],
    );
    const r = await this.session.query(
      `UPDATE ${this.table} SET RUNNER_ID = ?, STARTED_AT = CURRENT_TIMESTAMP() WHERE STACK = ? AND STEP_ID = ? ` +
        `AND (RUNNER_ID IS NULL OR RUNNER_ID = ? OR STARTED_AT < DATEADD(second, -${Math.floor(staleSeconds)}, CURRENT_TIMESTAMP()))`,
      [runnerId, this.stack, LOCK_STEP_ID, runnerId],
    );
    if (r.updatedRows >= 1) return { acquired: true };
    const h = await this.session.query<{ RUNNER_ID: string }>(`SELECT RUNNER_ID FROM ${this.table} WHERE STACK = ? AND STEP_ID = ?`, [this.stack, LOCK_STEP_ID]);
    return { acquired: false, holder: h.rows[0]?.RUNNER_ID };
  }

  /** Keeps the lock fresh during long waits. */
  async renewLock(runnerId: string): Promise<void> {
    await this.session.query(`UPDATE ${this.table} SET STARTED_AT = CURRENT_TIMESTAMP() WHERE STACK = ? AND STEP_ID = ? AND RUNNER_ID = ?`, [this.stack, LOCK_STEP_ID, runnerId]);
  }

  async releaseLock(runnerId: string): Promise<void> {
    await this.session.query(`UPDATE ${this.table} SET RUNNER_ID = NULL WHERE STACK = ? AND STEP_ID = ? AND RUNNER_ID = ?`, [this.stack, LOCK_STEP_ID, runnerId]);
  }
}
