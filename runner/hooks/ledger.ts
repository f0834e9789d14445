/**
 * The runner's ledger (`HOOK_RUNS`): step attempts, runs abandoned on purpose, and the per-stack
 * lock row that keeps two runners from running the same stack at once. The lock row's STARTED_AT
 * is its holder's heartbeat: a runner renews it every HEARTBEAT_SECONDS, so a holder whose
 * heartbeat stopped for the stale window is dead and its lock is taken over.
 */
import { ObjectName } from '../../lib/identifiers';
import { TASK_RUNNER_PREFIX, renderLedgerStatements, renderTakeLock, renderTaskRuns } from '../../lib/sql/ledger';
import { BoundStatement, bindValues } from '../../lib/sql/statement';
import { SnowflakeSession } from '../snowflake/session';
import { LedgerLocation } from '../../lib/hooks/manifest';
import { AttemptStatus, LedgerRecord, LedgerState } from './planner';

export const LOCK_STEP_ID = '__lock__';
/** Rows that record something about a whole run (STATUS 'ABANDONED'), not a step attempt. */
export const RUN_MARK_STEP_ID = '__run__';
/** How often a runner renews its lock. */
export const HEARTBEAT_SECONDS = 10;
/** A lock whose heartbeat is older than this is a dead runner's. @see RunOptions.staleLockSeconds */
export const DEFAULT_STALE_LOCK_SECONDS = 60;

/** The heartbeat for a stale window: every HEARTBEAT_SECONDS, at least three beats per window. */
export function heartbeatSeconds(staleSeconds: number): number {
  return Math.min(HEARTBEAT_SECONDS, staleSeconds / 3);
}

export interface LockState {
  readonly acquired: boolean;
  /** The runner holding the lock when it was not acquired. */
  readonly holder?: string;
  /** Seconds since the holder's last heartbeat (server clock). */
  readonly heartbeatAgeSeconds?: number;
  /** Whether the lock was taken over from a runner whose heartbeat had stopped. */
  readonly tookOverFrom?: string;
}

/** A run a task graph recorded in the ledger (the closed loop's: lib/sql/ledger.ts renderTaskRunStart). */
export interface TaskRunRecord {
  readonly stepId: string;
  readonly runId: string;
  readonly status: string;
  readonly attempt: number;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly error?: string;
  readonly details: Record<string, unknown>;
}

export class Ledger {
  private readonly name: ObjectName;
  private readonly sql: ReturnType<typeof renderLedgerStatements>;

  constructor(
    private readonly session: SnowflakeSession,
    location: LedgerLocation,
    private readonly stack: string,
  ) {
    this.name = ObjectName.of(location.database, location.schema, location.table);
    this.sql = renderLedgerStatements(this.name);
  }

  /** Runs one ledger statement with its values by name; the stack and the marker step ids are always at hand. */
  private run<T = Record<string, unknown>>(st: BoundStatement, values: Record<string, unknown> = {}) {
    return this.session.query<T>(st.sql, bindValues(st, { STACK: this.stack, LOCK_STEP_ID, RUN_MARK_STEP_ID, TASK_RUNNER_PREFIX, ...values }));
  }

  /** Every attempt of this stack's steps, and the runs marked abandoned (one statement). */
  async state(): Promise<LedgerState> {
    const r = await this.run<{ STEP_ID: string; RUN_ID: string; FINGERPRINT: string; STATUS: string; T: number | string; ATTEMPT: number | string }>(
      this.sql.state,
    );
    const records: LedgerRecord[] = [];
    const abandoned = new Set<string>();
    for (const x of r.rows) {
      if (x.STEP_ID === RUN_MARK_STEP_ID) {
        if (x.STATUS === 'ABANDONED') abandoned.add(x.RUN_ID);
      } else {
        records.push({
          stepId: x.STEP_ID,
          runId: x.RUN_ID,
          fingerprint: x.FINGERPRINT,
          status: x.STATUS as AttemptStatus,
          startedAt: Number(x.T),
          attempt: Number(x.ATTEMPT),
        });
      }
    }
    return { records, abandoned };
  }

  /** Records the start of an attempt; returns its attempt number. */
  async start(stepId: string, runId: string, fingerprint: string, runnerId: string): Promise<number> {
    const prior = await this.run<{ N: number }>(this.sql.countAttempts, { STEP_ID: stepId, RUN_ID: runId });
    const attempt = Number(prior.rows[0]?.N ?? 0) + 1;
    await this.run(this.sql.start, { STEP_ID: stepId, RUN_ID: runId, FINGERPRINT: fingerprint, ATTEMPT: attempt, RUNNER_ID: runnerId });
    return attempt;
  }

  /** Records the end of an attempt (only while it is RUNNING: lib/sql/ledger.ts). */
  async finish(
    stepId: string,
    runId: string,
    attempt: number,
    status: 'SUCCEEDED' | 'FAILED' | 'GATED',
    queryIds: string[],
    error: string | undefined,
    details: unknown,
  ): Promise<void> {
    await this.run(this.sql.finish, {
      STATUS: status,
      QUERY_IDS: JSON.stringify(queryIds),
      ERROR_MSG: error ? error.slice(0, 4000) : null,
      DETAILS: JSON.stringify(details ?? null),
      STEP_ID: stepId,
      RUN_ID: runId,
      ATTEMPT: attempt,
    });
  }

  /**
   * Marks attempts still RUNNING as INTERRUPTED: called by the lock holder, so no live runner
   * of this stack owns them; their runner was killed or lost its connection. Returns how many.
   */
  async markInterrupted(runnerId: string): Promise<number> {
    const r = await this.run(this.sql.markInterrupted, { RUNNER_ID: runnerId });
    return r.updatedRows;
  }

  /** Records that a run is abandoned: the planner never resumes it again. */
  async markAbandoned(runId: string, runGroup: string, reason: string, runnerId: string): Promise<void> {
    await this.run(this.sql.markAbandoned, { RUN_ID: runId, RUNNER_ID: runnerId, ERROR_MSG: reason.slice(0, 4000), DETAILS: JSON.stringify({ runGroup }) });
  }

  /**
   * Takes the stack's lock: one row per stack whose RUNNER_ID is set while a runner holds it. The
   * UPDATE's WHERE is re-evaluated under the table lock, so of two runners only one updates it. A
   * lock whose heartbeat is older than `staleSeconds` (a runner killed without releasing) is
   * taken over.
   */
  async acquireLock(runnerId: string, staleSeconds: number): Promise<LockState> {
    await this.run(this.sql.createLockRow);
    const before = await this.lockHolder();
    const r = await this.run(renderTakeLock(this.name, staleSeconds), { RUNNER_ID: runnerId });
    if (r.updatedRows >= 1) return { acquired: true, tookOverFrom: before.holder && before.holder !== runnerId ? before.holder : undefined };
    const now = await this.lockHolder();
    return { acquired: false, holder: now.holder, heartbeatAgeSeconds: now.ageSeconds };
  }

  private async lockHolder(): Promise<{ holder?: string; ageSeconds?: number }> {
    const h = await this.run<{ RUNNER_ID: string | null; AGE: number | string | null }>(this.sql.lockHolder);
    const row = h.rows[0];
    return { holder: row?.RUNNER_ID ?? undefined, ageSeconds: row?.AGE === null || row?.AGE === undefined ? undefined : Number(row.AGE) };
  }

  /** The holder's heartbeat. False when this runner no longer holds the lock (it was taken over). */
  async renewLock(runnerId: string): Promise<boolean> {
    const r = await this.run(this.sql.renewLock, { RUNNER_ID: runnerId });
    return r.updatedRows >= 1;
  }

  /** The latest runs task graphs of this stack recorded (the closed loop's), newest first. */
  async taskRuns(limit = 5): Promise<TaskRunRecord[]> {
    const r = await this.run<{
      STEP_ID: string;
      RUN_ID: string;
      STATUS: string;
      ATTEMPT: unknown;
      STARTED: string;
      ENDED: string | null;
      ERROR_MSG: string | null;
      DETAILS: string | null;
    }>(renderTaskRuns(this.name, limit));
    return r.rows.map((x) => ({
      stepId: x.STEP_ID,
      runId: x.RUN_ID,
      status: x.STATUS,
      attempt: Number(x.ATTEMPT),
      startedAt: x.STARTED,
      endedAt: x.ENDED ?? undefined,
      error: x.ERROR_MSG ?? undefined,
      details: x.DETAILS ? (JSON.parse(x.DETAILS) as Record<string, unknown>) : {},
    }));
  }

  async releaseLock(runnerId: string): Promise<void> {
    await this.run(this.sql.releaseLock, { RUNNER_ID: runnerId });
  }
}
