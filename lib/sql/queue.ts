/**
 * The work queue: a hybrid table with one row per chunk of partitions (DESIGN.md §3).
 *
 * Claims are a leased compare-and-set: a worker reads one candidate row, then updates it only if
 * STATUS and ATTEMPTS are still what it read. Hybrid tables lock rows, so of two concurrent claimers
 * exactly one sees "1 row updated". Expired leases make a row claimable again; ATTEMPTS caps retries.
 *
 * A worker may claim several rows at once (claimBatch, completeBatch): one candidate read of up to
 * `batch` rows, one UPDATE that takes those whose ATTEMPTS are still what it read and that are still
 * claimable, one UPDATE that completes them. Three statements per batch instead of three per row.
 * Hybrid tables run at READ COMMITTED with row locks: a writer to a row another transaction is
 * writing waits for it to commit or roll back ("FOR UPDATE", usage notes,
 * https://docs.snowflake.com/en/sql-reference/constructs/for-update), and the claim's conditions
 * are then those of the committed row, as for the one-row compare-and-set.
 */
import { ObjectName, sqlString } from '../identifiers';
import { BoundStatement, runVar } from './statement';

/** Column names of the queue table, shared by the DDL, the statements and the local server tests. */
export const QUEUE_COLUMNS = [
  ['QUEUE_ID', 'VARCHAR(128) NOT NULL'],
  ['RUN_ID', 'VARCHAR(64) NOT NULL'],
  ['PASS', 'VARCHAR(16) NOT NULL'],
  ['CHUNK_ID', 'NUMBER(10,0) NOT NULL'],
  ['PARTITION_KEYS', 'ARRAY NOT NULL'],
  ['STATUS', "VARCHAR(16) NOT NULL DEFAULT 'PENDING'"],
  ['WORKER_ID', 'VARCHAR(128)'],
  ['ATTEMPTS', 'NUMBER(5,0) NOT NULL DEFAULT 0'],
  ['LEASE_UNTIL', 'TIMESTAMP_NTZ'],
  ['CLAIMED_AT', 'TIMESTAMP_NTZ'],
  ['COMPLETED_AT', 'TIMESTAMP_NTZ'],
  ['ERROR_MSG', 'VARCHAR(4000)'],
  ['STAGE_PATH', 'VARCHAR(1024)'],
  ['CREATED_AT', 'TIMESTAMP_NTZ NOT NULL DEFAULT CURRENT_TIMESTAMP()'],
] as const;

/** Queue row states. */
export const QueueStatus = { PENDING: 'PENDING', CLAIMED: 'CLAIMED', DONE: 'DONE', FAILED: 'FAILED' } as const;

export interface QueueModel {
  /** Fully qualified queue table name. */
  readonly table: ObjectName;
  /** How long a claim lasts without a heartbeat, in seconds. */
  readonly leaseSeconds: number;
  /** Claims per chunk before it is marked FAILED. */
  readonly maxAttempts: number;
}

/** `CREATE HYBRID TABLE IF NOT EXISTS` with the primary key and a secondary index for claims. */
export function renderQueueCreate(q: QueueModel): string {
  const cols = QUEUE_COLUMNS.map(([name, type]) => `  ${name} ${type}`).join(',\n');
  return [
    `CREATE HYBRID TABLE IF NOT EXISTS ${q.table.quoted} (`,
    cols + ',',
    '  PRIMARY KEY (QUEUE_ID),',
    '  INDEX IDX_RUN_STATUS (RUN_ID, STATUS)',
    ')',
  ].join('\n');
}

/** The `revert` of the Execute resource: dropping the queue is safe, it only holds in-flight work. */
export function renderQueueDrop(q: QueueModel): string {
  return `DROP TABLE IF EXISTS ${q.table.quoted}`;
}

/**
 * The statements workers and the runner issue against the queue (documented in
 * docs/worker-contract.md). Every one is a single round trip, independent of the partition count.
 */
export function renderQueueStatements(
  q: QueueModel,
  /** Rows a candidate read returns, for claimBatch (1: the one-row claim). */
  batch = 1,
): Record<
  | 'claimCandidate'
  | 'claim'
  | 'claimBatch'
  | 'claimedBatch'
  | 'heartbeat'
  | 'complete'
  | 'completeBatch'
  | 'completedBatch'
  | 'fail'
  | 'requeueExpired'
  | 'failExhausted'
  | 'progress',
  BoundStatement
> {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`queue statements: batch must be a positive integer, got ${batch}`);
  const t = q.table.quoted;
  const claimable = `RUN_ID = ? AND PASS = ? AND ATTEMPTS < ${q.maxAttempts} AND (STATUS = 'PENDING' OR (STATUS = 'CLAIMED' AND LEASE_UNTIL < CURRENT_TIMESTAMP()))`;
  // The rows named by a JSON array bind of QUEUE_IDs.
  const named = `QUEUE_ID IN (SELECT VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))))`;
  return {
    claimCandidate: {
      sql: `SELECT QUEUE_ID, STATUS, ATTEMPTS, PARTITION_KEYS FROM ${t} WHERE ${claimable} AND MOD(CHUNK_ID, ?) = ? ORDER BY CHUNK_ID LIMIT ${batch}`,
      params: ['RUN_ID', 'PASS', 'SLOTS', 'SLOT'],
    },
    claim: {
      sql:
        `UPDATE ${t} SET STATUS = 'CLAIMED', WORKER_ID = ?, ATTEMPTS = ATTEMPTS + 1, CLAIMED_AT = CURRENT_TIMESTAMP(), ` +
        `LEASE_UNTIL = DATEADD(second, ${q.leaseSeconds}, CURRENT_TIMESTAMP()) ` +
        // The lease is checked again here, not only when the candidate was read: a holder may have
        // renewed it in between (its heartbeat changes neither STATUS nor ATTEMPTS).
        `WHERE QUEUE_ID = ? AND STATUS = ? AND ATTEMPTS = ? AND ATTEMPTS < ${q.maxAttempts} ` +
        `AND (STATUS = 'PENDING' OR LEASE_UNTIL < CURRENT_TIMESTAMP())`,
      params: ['WORKER_ID', 'QUEUE_ID', 'OBSERVED_STATUS', 'OBSERVED_ATTEMPTS'],
    },
    claimBatch: {
      // The candidates as read, bound as claimBatchCandidates renders them (ATTEMPTS:QUEUE_ID). A
      // row is taken only if its ATTEMPTS are unchanged (no claim came in between: every claim
      // adds one) and it is still claimable, so "n rows updated" for n candidates means all are
      // yours, each now at its observed ATTEMPTS + 1. Fewer: claimedBatch says which.
      sql:
        `UPDATE ${t} SET STATUS = 'CLAIMED', WORKER_ID = ?, ATTEMPTS = ATTEMPTS + 1, CLAIMED_AT = CURRENT_TIMESTAMP(), ` +
        `LEASE_UNTIL = DATEADD(second, ${q.leaseSeconds}, CURRENT_TIMESTAMP()) WHERE ${claimable} ` +
        `AND ATTEMPTS::VARCHAR || ':' || QUEUE_ID IN (SELECT VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))))`,
      params: ['WORKER_ID', 'RUN_ID', 'PASS', 'CANDIDATES_JSON'],
    },
    claimedBatch: {
      // After a partial claimBatch: of the candidates, those this worker holds. A row's ATTEMPTS
      // tells whether this claim took it (observed + 1) or an earlier one of the same worker did.
      sql: `SELECT QUEUE_ID, ATTEMPTS FROM ${t} WHERE ${named} AND WORKER_ID = ? AND STATUS = 'CLAIMED'`,
      params: ['QUEUE_IDS_JSON', 'WORKER_ID'],
    },
    heartbeat: {
      // A lapsed lease is not revived: another worker may already be entitled to the chunk.
      sql: `UPDATE ${t} SET LEASE_UNTIL = DATEADD(second, ${q.leaseSeconds}, CURRENT_TIMESTAMP()) WHERE QUEUE_ID = ? AND WORKER_ID = ? AND STATUS = 'CLAIMED' AND LEASE_UNTIL >= CURRENT_TIMESTAMP()`,
      params: ['QUEUE_ID', 'WORKER_ID'],
    },
    complete: {
      sql: `UPDATE ${t} SET STATUS = 'DONE', COMPLETED_AT = CURRENT_TIMESTAMP(), STAGE_PATH = ?, ERROR_MSG = ?, LEASE_UNTIL = NULL WHERE QUEUE_ID = ? AND WORKER_ID = ? AND STATUS = 'CLAIMED'`,
      params: ['STAGE_PATH', 'ERROR_MSG', 'QUEUE_ID', 'WORKER_ID'],
    },
    completeBatch: {
      sql: `UPDATE ${t} SET STATUS = 'DONE', COMPLETED_AT = CURRENT_TIMESTAMP(), STAGE_PATH = ?, ERROR_MSG = NULL, LEASE_UNTIL = NULL WHERE ${named} AND WORKER_ID = ? AND STATUS = 'CLAIMED'`,
      params: ['STAGE_PATH', 'QUEUE_IDS_JSON', 'WORKER_ID'],
    },
    completedBatch: {
      // After a partial completeBatch: which rows this worker completed (completing keeps WORKER_ID;
      // a later holder's claim replaces it).
      sql: `SELECT QUEUE_ID FROM ${t} WHERE ${named} AND WORKER_ID = ? AND STATUS = 'DONE'`,
      params: ['QUEUE_IDS_JSON', 'WORKER_ID'],
    },
    fail: {
      sql:
        `UPDATE ${t} SET STATUS = IFF(ATTEMPTS >= ${q.maxAttempts}, 'FAILED', 'PENDING'), ERROR_MSG = ?, WORKER_ID = NULL, LEASE_UNTIL = NULL ` +
        `WHERE QUEUE_ID = ? AND WORKER_ID = ? AND STATUS = 'CLAIMED'`,
      params: ['ERROR_MSG', 'QUEUE_ID', 'WORKER_ID'],
    },
    requeueExpired: {
      sql:
        `UPDATE ${t} SET STATUS = 'PENDING', WORKER_ID = NULL, LEASE_UNTIL = NULL, ERROR_MSG = 'lease expired' ` +
        `WHERE RUN_ID = ? AND STATUS = 'CLAIMED' AND LEASE_UNTIL < CURRENT_TIMESTAMP() AND ATTEMPTS < ${q.maxAttempts}`,
      params: ['RUN_ID'],
    },
    failExhausted: {
      sql:
        `UPDATE ${t} SET STATUS = 'FAILED', WORKER_ID = NULL, LEASE_UNTIL = NULL, ERROR_MSG = COALESCE(ERROR_MSG, 'lease expired') || ' (after ${q.maxAttempts} attempts)' ` +
        `WHERE RUN_ID = ? AND ((STATUS = 'CLAIMED' AND LEASE_UNTIL < CURRENT_TIMESTAMP()) OR STATUS = 'PENDING') AND ATTEMPTS >= ${q.maxAttempts}`,
      params: ['RUN_ID'],
    },
    progress: {
      sql:
        `SELECT STATUS, COUNT(*) AS CHUNKS, SUM(ARRAY_SIZE(PARTITION_KEYS)) AS PARTITIONS FROM ${t} ` +
        `WHERE RUN_ID = ? AND PASS = ? GROUP BY STATUS ORDER BY STATUS`,
      params: ['RUN_ID', 'PASS'],
    },
  };
}

/** The bind of claimBatch: each candidate's ATTEMPTS and QUEUE_ID as read (a number, then the first ':'). */
export function claimBatchCandidates(candidates: readonly { readonly QUEUE_ID: string; readonly ATTEMPTS: number | string }[]): string {
  return JSON.stringify(candidates.map((c) => `${Number(c.ATTEMPTS)}:${c.QUEUE_ID}`));
}

/**
 * Re-queues a pass's chunks that are still CLAIMED although no worker of the pass runs (the
 * runner checks the job services first): their holders are gone, so waiting for the leases to
 * expire would only delay the resume. A chunk whose attempts are used up fails instead.
 */
export function renderRequeueOrphaned(q: QueueModel, pass: string): string {
  return (
    `UPDATE ${q.table.quoted} SET STATUS = IFF(ATTEMPTS >= ${q.maxAttempts}, 'FAILED', 'PENDING'), WORKER_ID = NULL, LEASE_UNTIL = NULL, ` +
    `ERROR_MSG = 'worker gone' WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND PASS = ${sqlString(pass)} AND STATUS = 'CLAIMED'`
  );
}

/**
 * Closes an abandoned run's open chunks: no worker may claim them, and a worker that still holds
 * one loses it at its next heartbeat (which requires STATUS = 'CLAIMED') and leaves its metrics
 * alone.
 */
export function renderAbandonChunks(q: QueueModel): string {
  return (
    `UPDATE ${q.table.quoted} SET STATUS = 'FAILED', WORKER_ID = NULL, LEASE_UNTIL = NULL, ERROR_MSG = 'run abandoned' ` +
    `WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND STATUS IN ('PENDING', 'CLAIMED')`
  );
}

/**
 * The `(SLOTS, SLOT)` pairs a worker tries for a candidate, in order: its own stripe, and in queue
 * mode (when there are several stripes) then any chunk, so workers rarely race and no chunk waits
 * for a dead or slow worker. Tasks-mode workers keep to their stripe.
 */
export function candidateStripes(mode: 'tasks' | 'queue', slots: number, slot: number): [number, number][] {
  return mode === 'queue' && slots > 1
    ? [
        [slots, slot],
        [1, 0],
      ]
    : [[slots, slot]];
}

/** Where the keys to enqueue come from. */
export interface EnqueueSource {
  /** A query returning one column PARTITION_KEY (VARCHAR), rendered by a pure renderer. */
  readonly keysQuery: string;
}

/**
 * ONE statement that enqueues every partition of a pass, chunked server-side: keys are numbered in
 * order and grouped `chunkSize` to a row. Idempotent: a run whose pass is already enqueued inserts
 * nothing, so a resumed runner never duplicates queue rows. `run` is the run id as SQL: the
 * runner's {{RUN_ID}} by default, or an expression where no runner substitutes it (a task).
 */
export function renderEnqueue(q: QueueModel, pass: string, chunkSize: number, source: EnqueueSource, run = sqlString(runVar('RUN_ID'))): string {
  const passLit = sqlString(pass);
  return [
    `INSERT INTO ${q.table.quoted} (QUEUE_ID, RUN_ID, PASS, CHUNK_ID, PARTITION_KEYS, STATUS, ATTEMPTS, CREATED_AT)`,
    `SELECT ${run} || '/' || ${passLit} || '/' || CHUNK_ID, ${run}, ${passLit}, CHUNK_ID, ARRAY_AGG(PARTITION_KEY) WITHIN GROUP (ORDER BY PARTITION_KEY), 'PENDING', 0, CURRENT_TIMESTAMP()`,
    `FROM (`,
    `  SELECT PARTITION_KEY, CAST(FLOOR((ROW_NUMBER() OVER (ORDER BY PARTITION_KEY) - 1) / ${chunkSize}) AS INTEGER) AS CHUNK_ID`,
    `  FROM (${source.keysQuery}) KEYS`,
    `)`,
    `WHERE NOT EXISTS (SELECT 1 FROM ${q.table.quoted} WHERE RUN_ID = ${run} AND PASS = ${passLit})`,
    `GROUP BY CHUNK_ID`,
  ].join('\n');
}
