/**
 * One queue-bench worker in a process of its own (started by bench/queue.ts with an IPC channel),
 * as a job service's container is: its own driver connection and its own CPU, so adding workers
 * measures the claim protocol against the server, not one process running every driver.
 *
 * The loop is the reference worker's (worker/main.ts runWorker) without the data read, the metrics
 * writes and the heartbeat, claiming up to `batch` items at a time (lib/sql/queue.ts, claimBatch);
 * the fit is a sleep per item. After each won claim it reports the items and waits for the
 * driver's go-ahead: the driver kills it there (SIGKILL) when the run injects a kill.
 */
import '../runner/snowflake/driver-env';
import { SnowflakeSession } from '../runner/snowflake/session';
import { resolveConnection } from '../runner/snowflake/connection';
import { candidateStripes, claimBatchCandidates } from '../lib/sql/queue';

/** What the driver sends the worker at start (JSON in argv[2]). */
export interface QueueWorkerConfig {
  readonly env: Record<string, string>;
  readonly workerId: string;
  readonly runId: string;
  readonly pass: string;
  readonly slots: number;
  readonly slot: number;
  readonly fitMs: number;
  readonly sql: {
    readonly claimCandidate: string;
    readonly claimBatch: string;
    readonly claimedBatch: string;
    readonly completeBatch: string;
    readonly completedBatch: string;
    readonly completePath: string;
  };
}

/** Messages to the driver. */
export type QueueWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'claimed'; readonly queueIds: string[]; readonly sent: number; readonly answered: number }
  | { readonly type: 'lostRace' }
  | { readonly type: 'completed'; readonly queueIds: string[] }
  | { readonly type: 'error'; readonly message: string };

/** Statements of each kind a worker runs before it reports ready (matching no row). */
const WARM_UP_STATEMENTS = 30;

const sleep = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
const send = (m: QueueWorkerMessage) => new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve()));

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as QueueWorkerConfig;
  // Same CPU priority as the server (bench/e2e.ts lowers its workers'): a queue worker's fit is a
  // sleep, its CPU is its driver's. On a machine shared with other jobs a lowered priority starved
  // one worker far more than eight (whose summed share is larger), so the run with one worker, the
  // base of the ratios, measured the other jobs more than the protocol.
  const session = await SnowflakeSession.open(resolveConnection({ env: cfg.env }));
  let stopped = false;
  let proceed: (() => void) | undefined;
  let go!: () => void;
  const started = new Promise<void>((resolve) => (go = resolve));
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') {
      stopped = true;
      go();
    }
    if (m.type === 'continue') proceed?.();
    if (m.type === 'start') go();
  });
  process.on('disconnect', () => {
    stopped = true;
    go();
  });
  // Warm up before reporting ready: a fresh process runs its first statements several times slower
  // (JIT), which would count against the runs with more workers, whose workers claim fewer items.
  for (let i = 0; i < WARM_UP_STATEMENTS; i++) {
    await session.query(cfg.sql.claimCandidate, ['warm-up', cfg.pass, 1, 0]);
    await session.query(cfg.sql.claimBatch, [cfg.workerId, 'warm-up', cfg.pass, '["0:warm-up"]']);
    await session.query(cfg.sql.completeBatch, [cfg.sql.completePath, '["warm-up"]', cfg.workerId]);
  }
  await send({ type: 'ready' });
  // Nothing is claimed before the driver's start: the clock starts when every worker is ready.
  await started;
  try {
    while (!stopped) {
      type Candidate = { QUEUE_ID: string; STATUS: string; ATTEMPTS: number };
      let cands: Candidate[] = [];
      for (const [n, k] of candidateStripes('queue', cfg.slots, cfg.slot)) {
        cands = (await session.query<Candidate>(cfg.sql.claimCandidate, [cfg.runId, cfg.pass, n, k])).rows;
        if (cands.length > 0) break;
      }
      if (cands.length === 0) {
        await sleep(20);
        continue;
      }
      const sent = Date.now();
      const won = await session.query(cfg.sql.claimBatch, [cfg.workerId, cfg.runId, cfg.pass, claimBatchCandidates(cands)]);
      const answered = Date.now();
      let mine = cands.map((c) => c.QUEUE_ID);
      if ((won.updatedRows ?? 0) < cands.length) {
        // Some went to another worker: ours are those at our reading's ATTEMPTS + 1.
        const held = won.updatedRows
          ? (await session.query<{ QUEUE_ID: string; ATTEMPTS: number }>(cfg.sql.claimedBatch, [JSON.stringify(mine), cfg.workerId])).rows
          : [];
        const observed = new Map(cands.map((c) => [c.QUEUE_ID, Number(c.ATTEMPTS)]));
        mine = held.filter((r) => Number(r.ATTEMPTS) === observed.get(r.QUEUE_ID)! + 1).map((r) => r.QUEUE_ID);
      }
      if (mine.length === 0) {
        await send({ type: 'lostRace' });
        continue;
      }
      const goAhead = new Promise<void>((resolve) => (proceed = resolve));
      await send({ type: 'claimed', queueIds: mine, sent, answered });
      await goAhead;
      // One fit per item, one after the other.
      for (let i = 0; i < mine.length; i++) await sleep(cfg.fitMs);
      const ids = JSON.stringify(mine);
      const done = await session.query(cfg.sql.completeBatch, [cfg.sql.completePath, ids, cfg.workerId]);
      const completed =
        (done.updatedRows ?? 0) === mine.length
          ? mine
          : (await session.query<{ QUEUE_ID: string }>(cfg.sql.completedBatch, [ids, cfg.workerId])).rows.map((r) => r.QUEUE_ID);
      await send({ type: 'completed', queueIds: completed });
    }
  } catch (e) {
    await send({ type: 'error', message: (e as Error).message });
  } finally {
    await session.close().catch(() => undefined);
    process.disconnect?.();
  }
}

if (require.main === module) void main();
