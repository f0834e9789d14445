/**
 * The durations a cost estimate starts from when the plan has a connection: per hook step, its
 * last successful attempt in the stack's ledger (`HOOK_RUNS`: STARTED_AT, ENDED_AT, and the
 * partition count a training pass records in DETAILS), and the partition count of that attempt's
 * run (the largest any attempt of the run recorded: its first pass covers every partition). One
 * read-only query per stack; the estimate itself stays a pure function (cost.ts).
 */
import { LOCK_STEP_ID, RUN_MARK_STEP_ID } from '../hooks/ledger';
import { LedgerLocation } from '../../lib/hooks/manifest';
import { ObjectName } from '../../lib/identifiers';
import { SnowflakeSession } from '../snowflake/session';
import { Synthesis } from './plan';

export interface StepRecord {
  readonly stepId: string;
  readonly runId: string;
  /** ENDED_AT - STARTED_AT of the attempt. */
  readonly seconds: number;
  /** When it ended (epoch ms, server clock). */
  readonly endedAt: number;
  /** Partitions the attempt itself recorded (training passes record theirs). */
  readonly partitions?: number;
  /** Partitions of the attempt's run: the most any attempt of the run recorded. */
  readonly runPartitions?: number;
}

export interface StackHistory {
  /** The ledger the records come from, `DB.SCHEMA.TABLE`. */
  readonly ledger: string;
  /** Last successful attempt by step id. */
  readonly steps: ReadonlyMap<string, StepRecord>;
  /** Set when the ledger could not be read (not created yet, no privilege): the estimate uses defaults. */
  readonly error?: string;
}

/** Ledger history by stack name. */
export type CostHistory = ReadonlyMap<string, StackHistory>;

const optionalNumber = (v: unknown): number | undefined => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

/** The last successful attempt of each of `stack`'s steps in the ledger at `location`. */
export async function readStepHistory(session: SnowflakeSession, location: LedgerLocation, stack: string): Promise<Map<string, StepRecord>> {
  const table = ObjectName.of(location.database, location.schema, location.table).quoted;
  // The run's partitions are taken over every successful attempt of the run before the latest
  // attempt per step is kept: a scoring step's own attempt records none.
  const r = await session.query<{ STEP_ID: string; RUN_ID: string; STARTED: unknown; ENDED: unknown; PARTITIONS: unknown; RUN_PARTITIONS: unknown }>(
    `SELECT STEP_ID, RUN_ID, STARTED, ENDED, PARTITIONS, RUN_PARTITIONS FROM (` +
      `SELECT STEP_ID, RUN_ID, DATE_PART(EPOCH_MILLISECOND, STARTED_AT) AS STARTED, DATE_PART(EPOCH_MILLISECOND, ENDED_AT) AS ENDED, ` +
      `DETAILS:partitions::NUMBER AS PARTITIONS, ` +
      `MAX(DETAILS:partitions::NUMBER) OVER (PARTITION BY RUN_ID) AS RUN_PARTITIONS, ` +
      `ROW_NUMBER() OVER (PARTITION BY STEP_ID ORDER BY ENDED_AT DESC, ATTEMPT DESC) AS LATEST ` +
      `FROM ${table} WHERE STACK = ? AND STATUS = 'SUCCEEDED' AND ENDED_AT IS NOT NULL AND STEP_ID NOT IN (?, ?)` +
      `) WHERE LATEST = 1`,
    [stack, LOCK_STEP_ID, RUN_MARK_STEP_ID],
  );
  const out = new Map<string, StepRecord>();
  for (const x of r.rows) {
    out.set(x.STEP_ID, {
      stepId: x.STEP_ID,
      runId: x.RUN_ID,
      seconds: Math.max(0, (Number(x.ENDED) - Number(x.STARTED)) / 1000),
      endedAt: Number(x.ENDED),
      partitions: optionalNumber(x.PARTITIONS),
      runPartitions: optionalNumber(x.RUN_PARTITIONS),
    });
  }
  return out;
}

/**
 * The ledger history of every stack of `head` that has hook steps. A ledger that cannot be read
 * (a stack not deployed yet, a role without SELECT on it) is recorded as such, not thrown: the
 * estimate falls back to defaults for that stack and says why.
 */
export async function readCostHistory(session: SnowflakeSession, head: Synthesis): Promise<CostHistory> {
  const out = new Map<string, StackHistory>();
  for (const [name, s] of head.stacks) {
    const location = s.hooks?.ledger;
    if (!location || s.hooks!.steps.length === 0) continue;
    const ledger = `${location.database}.${location.schema}.${location.table}`;
    try {
      out.set(name, { ledger, steps: await readStepHistory(session, location, s.hooks!.stack) });
    } catch (e) {
      out.set(name, { ledger, steps: new Map(), error: (e as Error).message.replace(/\s+/g, ' ').trim() });
    }
  }
  return out;
}
