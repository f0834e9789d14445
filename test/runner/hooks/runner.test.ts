import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { DEFAULT_RETRY } from '../../../lib/hooks/manifest';
import { runHooks } from '../../../runner/hooks/runner';
import { RETRYABLE_SNOWFLAKE_CODES, backoffMs, isTransient } from '../../../runner/snowflake/retry';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { manifestOf, memoryLog, openSession, prepareAccount } from './fixtures';

let server: LocalSnowflakeServer;
let session: SnowflakeSession;
beforeAll(async () => {
  server = await startLocalServer();
  await prepareAccount(server);
  session = await openSession(server);
});
afterAll(async () => {
  await session.close();
  await server.close();
});
beforeEach(async () => {
  server.faults.reset();
  await server.engineQuery('DELETE FROM OPS.HOOKS.HOOK_RUNS');
  await server.engineQuery('DELETE FROM OPS.HOOKS.EVENTS');
});

const twoSteps = (sqlB = "INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'b')") =>
  manifestOf((h) => {
    const a = h.add({ id: 'a', statements: ["INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'a')"], runGroup: 'g' });
    h.add({ id: 'b', statements: [sqlB], runAfter: [a], runGroup: 'g' });
  });

const events = async () => (await server.engineQuery('SELECT RUN_ID, WHAT FROM OPS.HOOKS.EVENTS ORDER BY WHAT')) as { RUN_ID: string; WHAT: string }[];
const ledger = async () =>
  server.engineQuery("SELECT STEP_ID, RUN_ID, STATUS, ATTEMPT, ERROR_MSG FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID <> '__lock__' ORDER BY STARTED_AT, STEP_ID");

describe('hooks runner against the local server', () => {
  test('runs steps in order under one run id and records them; a second run skips them', async () => {
    const m = twoSteps();
    const first = await runHooks(m, session, { log: memoryLog() });
    expect(first.failed).toBe(false);
    expect(first.outcomes.map((o) => `${o.stepId}:${o.status}`)).toEqual(['a:SUCCEEDED', 'b:SUCCEEDED']);
    const ev = await events();
    expect(ev.map((e) => e.WHAT)).toEqual(['a', 'b']);
    expect(new Set(ev.map((e) => e.RUN_ID)).size).toBe(1);
    expect(ev[0].RUN_ID).toMatch(/^R\d{14}_[0-9A-Z]{6}$/);
    expect((await ledger()).map((r) => `${r.STEP_ID}:${r.STATUS}`)).toEqual(['a:SUCCEEDED', 'b:SUCCEEDED']);
    const second = await runHooks(m, session, { log: memoryLog() });
    expect(second.outcomes.map((o) => `${o.stepId}:${o.status}:${o.reason}`)).toEqual(['a:SKIPPED:up to date', 'b:SKIPPED:up to date']);
    expect(await events()).toHaveLength(2);
  });

  test('a changed SQL step re-runs alone, inside the run whose outputs it consumes', async () => {
    await runHooks(twoSteps(), session, { log: memoryLog() });
    const r = await runHooks(twoSteps("INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'b2')"), session, { log: memoryLog() });
    expect(r.outcomes.map((o) => `${o.stepId}:${o.status}:${o.reason}`)).toEqual(['a:SKIPPED:up to date', 'b:SUCCEEDED:fingerprint changed']);
    const ev = await events();
    expect(ev.map((e) => e.WHAT)).toEqual(['a', 'b', 'b2']);
    expect(ev[2].RUN_ID).toBe(ev[0].RUN_ID);
  });

  test('a transient error is retried; the step succeeds once', async () => {
    server.faults.failStatement({ match: /'a'\)$/, code: '000625', message: 'injected transient', times: 2 });
    const log = memoryLog();
    const r = await runHooks(twoSteps(), session, { log });
    expect(r.failed).toBe(false);
    expect(log.lines.filter((l) => l.includes('transient error 000625'))).toHaveLength(2);
    expect((await events()).filter((e) => e.WHAT === 'a')).toHaveLength(1);
  });

  test.each([...RETRYABLE_SNOWFLAKE_CODES])('retryable Snowflake code %s is retried and the statement takes effect once', async (code) => {
    server.faults.failStatement({ match: /'a'\)$/, code, message: `injected ${code}` });
    const log = memoryLog();
    const r = await runHooks(twoSteps(), session, { log });
    expect(r.failed).toBe(false);
    // snowflake-sdk renews an expired session (390112) itself and re-sends; an expired token
    // (390114) makes the session log in again and re-send: the runner sees neither.
    expect(log.lines.filter((l) => l.includes(`transient error ${code}`))).toHaveLength(code === '390112' || code === '390114' ? 0 : 1);
    expect((await events()).filter((e) => e.WHAT === 'a')).toHaveLength(1);
  });

  test.each([
    ['001003', "SQL compilation error: syntax error line 1 at position 0 unexpected 'INSERTT'."],
    ['002003', "SQL compilation error: Object 'OPS.HOOKS.EVENTS' does not exist or not authorized."],
    ['003001', "Insufficient privileges to operate on table 'EVENTS'"],
    ['100038', "Numeric value 'abc' is not recognized"],
    ['090105', 'Cannot perform operation. This session does not have a current database.'],
  ])('user error %s is not retried: one attempt, the step fails', async (code, message) => {
    server.faults.failStatement({ match: /'a'\)$/, code, message, times: 5 });
    const log = memoryLog();
    const r = await runHooks(twoSteps(), session, { log });
    expect(r.failed).toBe(true);
    expect(log.lines.some((l) => l.includes('transient error'))).toBe(false);
    expect(r.outcomes.find((o) => o.stepId === 'a')?.status).toBe('FAILED');
    expect(await events()).toHaveLength(0);
  });

  test('an internal error (000603) of a statement with effects is not retried: its effects may have happened', async () => {
    server.faults.failStatement({
      match: /'a'\)$/,
      code: '000603',
      sqlState: 'XX000',
      message: 'SQL execution internal error: Processing aborted due to error 300010:1; incident 1.',
      times: 5,
    });
    const log = memoryLog();
    const r = await runHooks(twoSteps(), session, { log });
    expect(r.failed).toBe(true);
    expect(log.lines.some((l) => l.includes('transient error'))).toBe(false);
    expect(r.outcomes.find((o) => o.stepId === 'a')?.error).toBe(
      'step a, statement s1 (Snowflake 000603): SQL execution internal error: Processing aborted due to error 300010:1; incident 1.',
    );
  });

  test('an internal error (000603) is transient only for a statement that may run twice', () => {
    const internal = {
      code: '000603',
      sqlState: 'XX000',
      message: 'SQL execution internal error: Processing aborted due to error 300010:391167117; incident 8611483.',
    };
    expect(isTransient(internal)).toBe(false);
    expect(isTransient(internal, { idempotent: true })).toBe(true);
    expect(isTransient({ ...internal, code: 603 }, { idempotent: true })).toBe(true);
    expect(isTransient({ code: '002140', message: 'SQL compilation error: Unknown function' }, { idempotent: true })).toBe(false);
    expect(isTransient({ code: '002003', message: 'Object does not exist or not authorized.' }, { idempotent: true })).toBe(false);
  });

  test('the transient classification covers the driver, HTTP and socket failures and nothing else', () => {
    expect(isTransient({ code: 401001, message: 'Network error. Could not reach Snowflake.' })).toBe(true);
    expect(isTransient({ code: 'ECONNRESET', message: 'read ECONNRESET' })).toBe(true);
    expect(isTransient({ message: 'Request failed', response: { statusCode: 503 } })).toBe(true);
    expect(isTransient({ message: 'Too many requests', response: { statusCode: 429 } })).toBe(true);
    expect(isTransient({ message: 'Forbidden', response: { statusCode: 403 } })).toBe(false);
    expect(isTransient({ code: '002003', message: 'Object does not exist or not authorized.' })).toBe(false);
    expect(isTransient({ code: '001003', message: 'SQL compilation error: syntax error' })).toBe(false);
  });

  test('backoff is exponential, capped and jittered', () => {
    expect(backoffMs(0, 1000, 30000, () => 0.999)).toBe(999);
    expect(backoffMs(3, 1000, 30000, () => 0.5)).toBe(4000);
    expect(backoffMs(10, 1000, 30000, () => 0.5)).toBe(15000);
    expect(backoffMs(2, 1000, 30000, () => 0)).toBe(0);
  });

  test('a user error fails the step with step, statement and code, and stops its dependents', async () => {
    const m = twoSteps();
    server.faults.failStatement({ match: /'a'\)$/, code: '002003', message: "Object 'X' does not exist or not authorized." });
    const r = await runHooks(m, session, { log: memoryLog() });
    expect(r.failed).toBe(true);
    expect(r.outcomes[0]).toMatchObject({
      stepId: 'a',
      status: 'FAILED',
      error: "step a, statement s1 (Snowflake 002003): Object 'X' does not exist or not authorized.",
    });
    expect(r.outcomes[1]).toMatchObject({ stepId: 'b', status: 'SKIPPED', reason: 'an earlier step failed' });
    const rows = await ledger();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ STEP_ID: 'a', STATUS: 'FAILED' });
    // The next run resumes the unfinished run: same run id, a second attempt.
    const again = await runHooks(m, session, { log: memoryLog() });
    expect(again.outcomes.map((o) => `${o.stepId}:${o.status}:${o.reason}`)).toEqual([
      'a:SUCCEEDED:resume unfinished run',
      'b:SUCCEEDED:resume unfinished run',
    ]);
    const after = await ledger();
    expect(after.map((x) => `${x.STEP_ID}:${x.ATTEMPT}:${x.STATUS}`)).toEqual(['a:1:FAILED', 'a:2:SUCCEEDED', 'b:1:SUCCEEDED']);
    expect(new Set(after.map((x) => x.RUN_ID)).size).toBe(1);
  });

  test('dry run prints the exact statements and changes nothing', async () => {
    const log = memoryLog();
    const r = await runHooks(twoSteps(), session, { dryRun: true, log });
    expect(r.outcomes.map((o) => o.status)).toEqual(['DRY_RUN', 'DRY_RUN']);
    const runId = r.outcomes[0].runId!;
    expect(log.lines).toContain(`-- s1\nINSERT INTO OPS.HOOKS.EVENTS VALUES ('${runId}', 'a');`);
    expect(await events()).toHaveLength(0);
    expect(await ledger()).toHaveLength(0);
  });

  test('a second runner refuses while the first holds the stack lock', async () => {
    const other = await openSession(server);
    server.faults.delayStatement({ match: /'a'\)$/, ms: 1500 });
    const first = runHooks(twoSteps(), session, { log: memoryLog(), runnerId: 'runner-one' });
    await new Promise((r) => setTimeout(r, 400));
    const second = await runHooks(twoSteps(), other, { log: memoryLog(), runnerId: 'runner-two' });
    expect(second).toMatchObject({ failed: true, lockedBy: 'runner-one' });
    expect((await first).failed).toBe(false);
    expect(await events()).toHaveLength(2);
    await other.close();
  });

  test('a gate that does not pass ends the step as GATED without running what follows it', async () => {
    const m = manifestOf((h) => h.add({ id: 'noop', statements: ['SELECT 1'] }));
    const gated = {
      ...m,
      steps: m.steps.map((s) => ({
        ...s,
        kind: 'promote' as const,
        wait: undefined,
        statements: [
          { id: 'gate', sql: 'SELECT 0.4 AS VALUE, FALSE AS PASSED', gateColumn: 'PASSED' },
          { id: 'move', sql: "INSERT INTO OPS.HOOKS.EVENTS VALUES ('x', 'moved')" },
        ],
        retry: DEFAULT_RETRY,
      })),
    };
    const r = await runHooks(gated, session, { log: memoryLog() });
    expect(r.outcomes[0].status).toBe('GATED');
    expect(await events()).toHaveLength(0);
  });

  test("a captured variable (the version an alias points to) is used by the step's later statements and recorded", async () => {
    const m = manifestOf((h) => h.add({ id: 'score', statements: ['SELECT 1'] }));
    const versions = 'SELECT \'V_ONE\' AS "name", \'["STAGING"]\' AS "aliases" UNION ALL SELECT \'V_TWO\', \'["PRODUCTION"]\'';
    const step = (alias: string) => ({
      ...m,
      steps: m.steps.map((x) => ({
        ...x,
        kind: 'batchScore' as const,
        wait: undefined,
        statements: [
          {
            id: 'resolve-version',
            sql: versions,
            capture: {
              variable: 'MODEL_VERSION' as const,
              column: 'name',
              match: { value: alias, arrayColumn: 'aliases' },
              missing: `no version holds ${alias}`,
            },
          },
          { id: 'insert', sql: "INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', '{{MODEL_VERSION}}')" },
        ],
      })),
    });
    const log = memoryLog();
    const r = await runHooks(step('production'), session, { log });
    if (r.failed) throw new Error(log.lines.join('\n'));
    expect((await events()).map((e) => e.WHAT)).toEqual(['V_TWO']);
    expect(log.lines).toContain('  [score] resolve-version: production is V_TWO');
    const dry = memoryLog();
    await runHooks(step('PRODUCTION'), session, { log: dry, dryRun: true, force: ['score'] });
    expect(dry.lines.some((l) => l.includes("VALUES ('R") && l.includes("', '{{MODEL_VERSION}}');"))).toBe(true);
    await server.engineQuery('DELETE FROM OPS.HOOKS.HOOK_RUNS');
    const missing = await runHooks(step('CANARY'), session, { log: memoryLog() });
    expect(missing.outcomes[0]).toMatchObject({ status: 'FAILED', error: 'step score, statement resolve-version: no version holds CANARY' });
  });

  test("a step failing inside its transaction is rolled back, and its failure, recorded on the ledger's own session, survives", async () => {
    const m = manifestOf((h) =>
      h.add({ id: 'tx', statements: ['BEGIN TRANSACTION', "INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'half')", 'SELECT FAILS_HERE', 'COMMIT'] }),
    );
    server.faults.failStatement({ match: /FAILS_HERE/, code: '002003', message: 'Object does not exist or not authorized.' });
    const r = await runHooks(m, session, { log: memoryLog() });
    expect(r.outcomes[0].status).toBe('FAILED');
    expect(await events()).toHaveLength(0);
    const other = await openSession(server);
    try {
      const rows = (await other.query("SELECT STEP_ID, STATUS FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID <> '__lock__'")).rows;
      expect(rows).toEqual([{ STEP_ID: 'tx', STATUS: 'FAILED' }]);
      expect((await other.query("SELECT RUNNER_ID FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = '__lock__'")).rows).toEqual([{ RUNNER_ID: null }]);
    } finally {
      await other.close();
    }
  });
});
