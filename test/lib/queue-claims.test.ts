import { startLocalServer, LocalSnowflakeServer } from '../../local-server';
import { ObjectName } from '../../lib/identifiers';
import { resolveConnection } from '../../runner/snowflake/connection';
import { SnowflakeSession } from '../../runner/snowflake/session';
import { QueueModel, claimBatchCandidates, renderQueueCreate, renderQueueStatements } from '../../lib/sql/queue';

let server: LocalSnowflakeServer;
let a: SnowflakeSession;
let b: SnowflakeSession;
beforeAll(async () => {
  server = await startLocalServer();
  const settings = resolveConnection({
    env: server.connectionEnv(),
  });
  a = await SnowflakeSession.open(settings);
  b = await SnowflakeSession.open(settings);
  await a.query('CREATE DATABASE D');
  await a.query('CREATE SCHEMA D.S');
});
afterAll(async () => {
  await a.close();
  await b.close();
  await server.close();
});

async function queueWithOneChunk(name: string, leaseSeconds: number): Promise<ReturnType<typeof renderQueueStatements>> {
  const m: QueueModel = { table: ObjectName.of('D', 'S', name), leaseSeconds, maxAttempts: 3 };
  await a.query(renderQueueCreate(m));
  await a.query(`INSERT INTO ${m.table.quoted} (QUEUE_ID, RUN_ID, PASS, CHUNK_ID, PARTITION_KEYS) SELECT 'X', 'R', 'p', 0, PARSE_JSON('["k"]')`);
  return renderQueueStatements(m);
}

describe('queue claims against the local server (hybrid-table compare-and-set)', () => {
  test('a claim from a stale reading does not take a chunk whose lease is live', async () => {
    const q = await queueWithOneChunk('Q1', 60);
    const cand = (await a.query<{ QUEUE_ID: string; STATUS: string; ATTEMPTS: number }>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows[0];
    expect((await a.query(q.claim.sql, ['A', cand.QUEUE_ID, cand.STATUS, cand.ATTEMPTS])).updatedRows).toBe(1);
    // B acts on what it would read once the lease had lapsed (CLAIMED, 1 attempt) while the lease is still live.
    expect((await b.query(q.claim.sql, ['B', 'X', 'CLAIMED', 1])).updatedRows).toBe(0);
    expect((await a.query(q.heartbeat.sql, ['X', 'A'])).updatedRows).toBe(1);
    expect((await a.query(q.complete.sql, ['p/', null, 'X', 'A'])).updatedRows).toBe(1);
  });

  test('a lapsed lease is not revived by a late heartbeat; the next claimer gets the chunk and the late holder cannot complete it', async () => {
    const q = await queueWithOneChunk('Q2', 1);
    const cand = (await a.query<{ QUEUE_ID: string; STATUS: string; ATTEMPTS: number }>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows[0];
    expect((await a.query(q.claim.sql, ['A', cand.QUEUE_ID, cand.STATUS, cand.ATTEMPTS])).updatedRows).toBe(1);
    await new Promise((r) => setTimeout(r, 1500));
    const seen = (await b.query<{ QUEUE_ID: string; STATUS: string; ATTEMPTS: number }>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows[0];
    expect(seen).toMatchObject({ QUEUE_ID: 'X', STATUS: 'CLAIMED', ATTEMPTS: 1 });
    expect((await a.query(q.heartbeat.sql, ['X', 'A'])).updatedRows).toBe(0);
    expect((await b.query(q.claim.sql, ['B', seen.QUEUE_ID, seen.STATUS, seen.ATTEMPTS])).updatedRows).toBe(1);
    expect((await a.query(q.complete.sql, ['p/', null, 'X', 'A'])).updatedRows).toBe(0);
    expect((await b.query(q.complete.sql, ['p/', null, 'X', 'B'])).updatedRows).toBe(1);
  });
});

type Candidate = { QUEUE_ID: string; STATUS: string; ATTEMPTS: number };

async function queueWithChunks(name: string, leaseSeconds: number, chunks: number, batch: number): Promise<ReturnType<typeof renderQueueStatements>> {
  const m: QueueModel = { table: ObjectName.of('D', 'S', name), leaseSeconds, maxAttempts: 2 };
  await a.query(renderQueueCreate(m));
  for (let i = 0; i < chunks; i++)
    await a.query(`INSERT INTO ${m.table.quoted} (QUEUE_ID, RUN_ID, PASS, CHUNK_ID, PARTITION_KEYS) SELECT 'X${i}', 'R', 'p', ${i}, PARSE_JSON('["k${i}"]')`);
  return renderQueueStatements(m, batch);
}

const asJson = (cands: Candidate[]) => claimBatchCandidates(cands);

describe('batched claims against the local server', () => {
  test('one statement claims every candidate of a batch, and a second claimer with the same reading gets none of them', async () => {
    const q = await queueWithChunks('QB1', 60, 4, 3);
    const cands = (await a.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    expect(cands.map((c) => c.QUEUE_ID)).toEqual(['X0', 'X1', 'X2']);
    const seenByB = (await b.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    expect((await a.query(q.claimBatch.sql, ['A', 'R', 'p', asJson(cands)])).updatedRows).toBe(3);
    expect((await b.query(q.claimBatch.sql, ['B', 'R', 'p', asJson(seenByB)])).updatedRows).toBe(0);
    // The one row no one claimed is the next candidate.
    expect((await b.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows.map((c) => c.QUEUE_ID)).toEqual(['X3']);
  });

  test('a batch claim that lost some rows to another worker takes the rest, and claimedBatch names exactly those', async () => {
    const q = await queueWithChunks('QB2', 60, 3, 3);
    const cands = (await a.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    // B takes X1 between A's reading and A's claim.
    expect((await b.query(q.claimBatch.sql, ['B', 'R', 'p', asJson(cands.filter((c) => c.QUEUE_ID === 'X1'))])).updatedRows).toBe(1);
    expect((await a.query(q.claimBatch.sql, ['A', 'R', 'p', asJson(cands)])).updatedRows).toBe(2);
    const mine = (await a.query<{ QUEUE_ID: string; ATTEMPTS: number }>(q.claimedBatch.sql, [JSON.stringify(cands.map((c) => c.QUEUE_ID)), 'A'])).rows;
    expect(mine.map((r) => [r.QUEUE_ID, r.ATTEMPTS]).sort()).toEqual([
      ['X0', 1],
      ['X2', 1],
    ]);
  });

  test('a batch claim from a reading older than a failed attempt does not take the row (ATTEMPTS moved on)', async () => {
    const q = await queueWithChunks('QB3', 60, 1, 1);
    const stale = (await a.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    const fresh = (await b.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    expect((await b.query(q.claimBatch.sql, ['B', 'R', 'p', asJson(fresh)])).updatedRows).toBe(1);
    // B's attempt fails: the row is PENDING again, with one attempt.
    expect((await b.query(q.fail.sql, ['boom', 'X0', 'B'])).updatedRows).toBe(1);
    expect((await a.query(q.claimBatch.sql, ['A', 'R', 'p', asJson(stale)])).updatedRows).toBe(0);
    const again = (await a.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    expect(again).toMatchObject([{ QUEUE_ID: 'X0', STATUS: 'PENDING', ATTEMPTS: 1 }]);
    expect((await a.query(q.claimBatch.sql, ['A', 'R', 'p', asJson(again)])).updatedRows).toBe(1);
    // The cap (2 attempts) is reached: after another failure nobody can claim it.
    expect((await a.query(q.fail.sql, ['boom', 'X0', 'A'])).updatedRows).toBe(1);
    expect((await a.query(q.claimBatch.sql, ['A', 'R', 'p', claimBatchCandidates([{ QUEUE_ID: 'X0', ATTEMPTS: 2 }])])).updatedRows).toBe(0);
  });

  test('after its lease lapsed and another worker re-claimed part of the batch, a holder completes only what it still holds', async () => {
    const q = await queueWithChunks('QB4', 1, 2, 2);
    const cands = (await a.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    expect((await a.query(q.claimBatch.sql, ['A', 'R', 'p', asJson(cands)])).updatedRows).toBe(2);
    await new Promise((r) => setTimeout(r, 1500));
    const expired = (await b.query<Candidate>(q.claimCandidate.sql, ['R', 'p', 1, 0])).rows;
    expect(expired).toMatchObject([
      { QUEUE_ID: 'X0', STATUS: 'CLAIMED', ATTEMPTS: 1 },
      { QUEUE_ID: 'X1', STATUS: 'CLAIMED', ATTEMPTS: 1 },
    ]);
    expect((await b.query(q.claimBatch.sql, ['B', 'R', 'p', asJson(expired.slice(0, 1))])).updatedRows).toBe(1);
    const ids = JSON.stringify(['X0', 'X1']);
    expect((await a.query(q.completeBatch.sql, ['p/', ids, 'A'])).updatedRows).toBe(1);
    expect((await a.query<{ QUEUE_ID: string }>(q.completedBatch.sql, [ids, 'A'])).rows.map((r) => r.QUEUE_ID)).toEqual(['X1']);
    expect((await b.query(q.completeBatch.sql, ['p/', JSON.stringify(['X0']), 'B'])).updatedRows).toBe(1);
  });
});
