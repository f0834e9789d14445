import { startLocalServer, LocalSnowflakeServer } from '../../local-server';
import { ObjectName } from '../../lib/identifiers';
import { resolveConnection } from '../../runner/snowflake/connection';
import { SnowflakeSession } from '../../runner/snowflake/session';
import { QueueModel, renderQueueCreate, renderQueueStatements } from '../../lib/sql/queue';

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
