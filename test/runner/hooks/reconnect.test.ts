import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { runHooks } from '../../../runner/hooks/runner';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { env, manifestOf, memoryLog, prepareAccount } from './fixtures';
import { tempDir } from '../../tmp';

/**
 * The local server is stopped in the middle of a hook step and started again on the same port
 * with the same data directory (its sessions are gone, as after a Snowflake-side restart); the
 * runner carries on through snowflake-sdk: a reset statement is retried, the session is opened
 * again, and every effect happens once.
 */
describe('hooks runner across a server restart', () => {
  const servers: LocalSnowflakeServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => undefined);
  });

  test('a server stopped during a step and restarted is reconnected to; the run completes and nothing runs twice', async () => {
    const dataDir = tempDir('mm-reconnect-');
    const first = await startLocalServer({ dataDir });
    servers.push(first);
    await prepareAccount(first);
    const port = first.port;
    const manifest = manifestOf((h) => {
      const a = h.add({ id: 'a', statements: ["INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'a')"], runGroup: 'g' });
      const slow = h.add({
        id: 'slow',
        statements: [
          "INSERT INTO OPS.HOOKS.EVENTS SELECT '{{RUN_ID}}', 'slow' WHERE NOT EXISTS (SELECT 1 FROM OPS.HOOKS.EVENTS WHERE RUN_ID = '{{RUN_ID}}' AND WHAT = 'slow')",
        ],
        runAfter: [a],
        runGroup: 'g',
      });
      h.add({ id: 'c', statements: ["INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'c')"], runAfter: [slow], runGroup: 'g' });
    });
    // Held until the server closes (no timer left behind).
    first.faults.delayStatement({ match: /'slow' WHERE NOT EXISTS/ });
    const progress: string[] = [];
    const session = await SnowflakeSession.open(resolveConnection({ env: env(first) }), {
      connectRetry: { retries: 30, initialDelayMs: 100, maxDelayMs: 400 },
      onProgress: (l) => progress.push(l),
    });
    const log = memoryLog();
    let second: LocalSnowflakeServer | undefined;
    try {
      const run = runHooks(manifest, session, { log });
      // Once 'slow' is running (its ledger row is written; its statement is held by the
      // server), the server goes away, and comes back a moment later.
      const slowRunning = async () =>
        (await first.engineQuery("SELECT COUNT(*) AS N FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = 'slow' AND STATUS = 'RUNNING'"))[0].N === '1';
      for (let i = 0; i < 400 && !(await slowRunning()); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      await first.close();
      await new Promise((r) => setTimeout(r, 700));
      second = await startLocalServer({ dataDir, port });
      servers.push(second);
      const result = await run;
      expect(result.outcomes.map((o) => [o.stepId, o.status])).toEqual([
        ['a', 'SUCCEEDED'],
        ['slow', 'SUCCEEDED'],
        ['c', 'SUCCEEDED'],
      ]);
      const events = await second.engineQuery('SELECT WHAT, COUNT(*) AS N FROM OPS.HOOKS.EVENTS GROUP BY WHAT ORDER BY WHAT');
      expect(events).toEqual([
        { WHAT: 'a', N: '1' },
        { WHAT: 'c', N: '1' },
        { WHAT: 'slow', N: '1' },
      ]);
      expect(progress.some((l) => /^connection to 127\.0\.0\.1:\d+ lost/.test(l))).toBe(true);
      expect(progress).toContain(`logged in again to 127.0.0.1:${port} (new session)`);
      const ledger = await second.engineQuery("SELECT STEP_ID, STATUS FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID <> '__lock__' ORDER BY STARTED_AT");
      expect(ledger.map((r) => `${r.STEP_ID}:${r.STATUS}`)).toEqual(['a:SUCCEEDED', 'slow:SUCCEEDED', 'c:SUCCEEDED']);
    } finally {
      await session.close();
    }
  }, 60000);
});
