/**
 * The queue bench section's correctness accounting on a small run: concurrent workers (and
 * killed-and-replaced workers) through snowflake-sdk against the local server never win the same
 * item twice and leave no item undone. No timing assertions: figures are `npm run bench`'s job.
 */
import { benchQueue } from '../../bench/queue';
import { QueueModel } from '../../lib/sql/queue';

// Small: every item is raced for by all four workers, and three workers are killed mid-item.
const ITEMS = 50;

test('queue bench: no double claims and nothing lost, with and without worker kills', async () => {
  const rows = await benchQueue([1, 4], ITEMS, 1, { leaseSeconds: 1 });
  expect(rows.map((r) => [r.workers, r.kills])).toEqual([
    [1, false],
    [4, false],
    [1, true],
    [4, true],
  ]);
  for (const r of rows) {
    expect(r).toMatchObject({ items: ITEMS, claimedTwice: 0, lost: 0, repetitions: 1 });
    expect(r.claimsPerSec.median).toBeGreaterThan(0);
    if (r.kills) expect(r.killed).toBeGreaterThan(0);
    else expect(r.killed).toBe(0);
  }
}, 120000);

test('queue bench: batched claims (4 items per statement) are never won twice and nothing is lost, with and without worker kills', async () => {
  // A killed worker held up to 4 items: all of them are re-claimed once the 1 s lease lapses.
  const rows = await benchQueue([4], ITEMS, 1, { leaseSeconds: 1, batch: 4 });
  expect(rows.map((r) => [r.workers, r.kills, r.batch])).toEqual([
    [4, false, 4],
    [4, true, 4],
  ]);
  for (const r of rows) expect(r).toMatchObject({ items: ITEMS, claimedTwice: 0, lost: 0 });
  expect(rows[1].killed).toBeGreaterThan(0);
}, 120000);

test('queue bench: the accounting catches a claim without compare-and-set', async () => {
  // Ignores the observed ATTEMPTS and whether the row is still claimable: racing workers all "win" the same rows.
  const broken = (m: QueueModel) =>
    `UPDATE ${m.table.quoted} SET STATUS = 'CLAIMED', WORKER_ID = ?, ATTEMPTS = ATTEMPTS + 1, CLAIMED_AT = CURRENT_TIMESTAMP(), LEASE_UNTIL = DATEADD(second, ${m.leaseSeconds}, CURRENT_TIMESTAMP()) ` +
    `WHERE RUN_ID = ? AND PASS = ? AND QUEUE_ID IN (SELECT SPLIT_PART(VALUE::VARCHAR, ':', 2) FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))))`;
  const [row] = await benchQueue([4], 20, 1, { killWorkerCounts: [], claimSql: broken, contended: true });
  expect(row.claimedTwice).toBeGreaterThan(0);
}, 120000);
