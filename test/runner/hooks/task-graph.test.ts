import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { DEFAULT_RETRY, HookManifest } from '../../../lib/hooks/manifest';
import { Ledger } from '../../../runner/hooks/ledger';
import { runHooks } from '../../../runner/hooks/runner';
import { ObjectName } from '../../../lib/identifiers';
import { renderGraphRunQuery } from '../../../lib/sql/graph-run';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { manifestOf, memoryLog, openSession, prepareAccount } from './fixtures';

// A task graph shaped as the pipeline's screen pass: a root, and per slot a task that drops the
// slot's previous job service and runs it synchronously; the workers drain OPS.HOOKS.CHUNKS.
const IMAGE = '/ops/hooks/repo/slot-worker';
const ROOT = ObjectName.of('OPS', 'HOOKS', 'G_ROOT');
const SLOTS = 2;
const service = (k: number) => `OPS.HOOKS.G_W${k}`;

let server: LocalSnowflakeServer;
let session: SnowflakeSession;
beforeAll(async () => {
  server = await startLocalServer({
    imageCommands: { [IMAGE]: { command: [process.execPath, path.join(__dirname, 'fixtures', 'slot-worker.js')] } },
    // The root holds the graph as long as asked: the time Snowflake takes to start a graph run's
    // children, during which none of its job services exists yet.
    procedures: {
      'OPS.HOOKS.PAUSE': async (args) => {
        await new Promise((r) => setTimeout(r, Number(args[0])));
        return 'paused';
      },
    },
  });
  await prepareAccount(server);
  await server.engineQuery(
    'CREATE TABLE IF NOT EXISTS OPS.HOOKS.CHUNKS (CHUNK_ID NUMBER, SLOT NUMBER, STATUS VARCHAR, WORKER VARCHAR, ATTEMPTS NUMBER, LEASE_UNTIL TIMESTAMP_NTZ)',
  );
  await server.engineQuery('CREATE STAGE IF NOT EXISTS OPS.HOOKS.ARTIFACTS DIRECTORY = (ENABLE = TRUE)');
  session = await openSession(server);
});
afterAll(async () => {
  await session.close();
  await server.close();
});
beforeEach(async () => {
  await server.engineQuery('DELETE FROM OPS.HOOKS.HOOK_RUNS');
});
// Nothing of one test's graph may still run when the next begins.
afterEach(() => server.objects.settle());

interface GraphOptions {
  /** How long the root task holds the graph before its children start. */
  readonly rootMs: number;
  /** Chunk ids per slot. */
  readonly chunks: readonly (readonly number[])[];
  readonly chunkMs: number;
  readonly leaseSeconds?: number;
  /** A chunk whose first claim kills its worker. */
  readonly dieOnFirstClaim?: number;
}

async function createGraph(o: GraphOptions): Promise<void> {
  await server.engineQuery('DELETE FROM OPS.HOOKS.CHUNKS');
  const rows = o.chunks.flatMap((ids, slot) => ids.map((id) => `(${id}, ${slot}, 'PENDING', NULL, 0, NULL)`));
  await server.engineQuery(`INSERT INTO OPS.HOOKS.CHUNKS VALUES ${rows.join(', ')}`);
  await session.query(`CREATE OR REPLACE TASK ${ROOT.quoted} WAREHOUSE = WH AS CALL OPS.HOOKS.PAUSE(${o.rootMs})`);
  for (let k = 0; k < SLOTS; k++) {
    const env = { SLOT: k, CHUNK_MS: o.chunkMs, LEASE_SECONDS: o.leaseSeconds ?? 30, DIE_ON_FIRST_CLAIM: o.dieOnFirstClaim ?? -1 };
    const spec = `spec:\n  containers:\n  - name: worker\n    image: ${IMAGE}:1\n    env:\n${Object.entries(env)
      .map(([n, v]) => `      ${n}: "${v}"`)
      .join('\n')}\n`;
    await session.query(
      `CREATE OR REPLACE TASK OPS.HOOKS.G_SLOT_${k} WAREHOUSE = WH AFTER ${ROOT.quoted} AS BEGIN\n` +
        `  DROP SERVICE IF EXISTS ${service(k)};\n` +
        `  EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = ${service(k)} FROM SPECIFICATION $$${spec}$$;\nEND`,
    );
    await session.query(`ALTER TASK OPS.HOOKS.G_SLOT_${k} RESUME`);
  }
}

/** One executeTaskGraph step over the graph above, as the pipeline renders its screen-train step. */
function trainStep(o: { maxAttempts?: number; timeoutSeconds?: number; watchedRoot?: ObjectName } = {}): HookManifest {
  const chunks = 'OPS.HOOKS.CHUNKS';
  return manifestOf((h) =>
    h.addStep({
      id: 'train',
      kind: 'executeTaskGraph',
      description: 'run the task graph, wait, verify',
      dependsOn: [],
      runGroup: 'g',
      statements: [{ id: 'execute-task', sql: `EXECUTE TASK ${ROOT.quoted}` }],
      timeoutSeconds: o.timeoutSeconds ?? 60,
      retry: { ...DEFAULT_RETRY, maxAttempts: o.maxAttempts ?? DEFAULT_RETRY.maxAttempts },
      triggers: {},
      executeOnChange: true,
      wait: {
        rootTask: ROOT.toString(),
        graphRunSql: renderGraphRunQuery(o.watchedRoot ?? ROOT),
        jobServices: Array.from({ length: SLOTS }, (_, k) => service(k)),
        progressSql: `SELECT COUNT(*) AS CHUNKS, COUNT_IF(STATUS = 'DONE') AS CHUNKS_DONE, COUNT_IF(STATUS = 'FAILED') AS CHUNKS_FAILED, COUNT(*) AS PARTITIONS, COUNT_IF(STATUS = 'DONE') AS PARTITIONS_OK FROM ${chunks}`,
        refreshSql: 'ALTER STAGE OPS.HOOKS.ARTIFACTS REFRESH',
        verifySql:
          `SELECT COUNT(*) AS CHUNKS, COUNT_IF(STATUS = 'DONE') AS CHUNKS_DONE, COUNT_IF(STATUS = 'FAILED') AS CHUNKS_FAILED, ` +
          `COUNT(*) AS PARTITIONS, COUNT_IF(STATUS = 'DONE') AS PARTITIONS_OK, 0 AS ARTIFACTS_MISSING FROM ${chunks}`,
        requeueSql: `UPDATE ${chunks} SET STATUS = 'PENDING', WORKER = NULL WHERE STATUS = 'CLAIMED' AND LEASE_UNTIL < CURRENT_TIMESTAMP()`,
        pendingSql: `SELECT COUNT(*) AS PENDING FROM ${chunks} WHERE STATUS = 'PENDING' OR (STATUS = 'CLAIMED' AND LEASE_UNTIL < CURRENT_TIMESTAMP())`,
        pollSeconds: 1,
      },
    }),
  );
}

/**
 * The root's graph runs since `ms`, oldest first, as COMPLETE_TASK_GRAPHS lists them once they
 * have all ended (the step ends when its chunks are done, while the last workers still exit).
 */
async function graphRunsSince(ms: number): Promise<{ STATE: string; SCHEDULED_MS: number; COMPLETED_MS: number }[]> {
  await server.objects.settle();
  const rows = (
    await session.query<{ STATE: string; SCHEDULED_MS: number; COMPLETED_MS: number }>(
      `SELECT STATE, DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS, DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) AS COMPLETED_MS ` +
        `FROM TABLE(OPS.INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => '${ROOT.name}')) ORDER BY SCHEDULED_TIME`,
    )
  ).rows.map((r) => ({ STATE: r.STATE, SCHEDULED_MS: Number(r.SCHEDULED_MS), COMPLETED_MS: Number(r.COMPLETED_MS) }));
  return rows.filter((r) => r.SCHEDULED_MS >= ms);
}

const chunkRows = async () =>
  (await session.query<{ CHUNK_ID: number; STATUS: string; ATTEMPTS: number }>('SELECT CHUNK_ID, STATUS, ATTEMPTS FROM OPS.HOOKS.CHUNKS ORDER BY CHUNK_ID'))
    .rows;
const serverNow = async () => Number((await session.query<{ T: number }>('SELECT DATE_PART(EPOCH_MILLISECOND, CURRENT_TIMESTAMP()) AS T')).rows[0].T);

describe('executeTaskGraph follows the graph run, not its job services', () => {
  test('a normal run executes the graph once, though its job services start well after EXECUTE TASK', async () => {
    await createGraph({
      rootMs: 1500,
      chunks: [
        [0, 2, 4],
        [1, 3, 5],
      ],
      chunkMs: 150,
    });
    const since = await serverNow();
    const log = memoryLog();
    const r = await runHooks(trainStep(), session, { log, pollMs: 100 });
    expect(r.outcomes.map((o) => o.status)).toEqual(['SUCCEEDED']);
    expect(log.lines.filter((l) => /executing it again/.test(l))).toEqual([]);
    expect((await graphRunsSince(since)).map((g) => g.STATE)).toEqual(['SUCCEEDED']);
    expect((await chunkRows()).map((c) => `${c.STATUS}:${c.ATTEMPTS}`)).toEqual(Array(6).fill('DONE:1'));
  });

  test('job services are watched with DESCRIBE SERVICE, never the deprecated SYSTEM$GET_SERVICE_STATUS', async () => {
    // A dead worker's chunk makes the runner check the services before executing the graph again.
    await createGraph({ rootMs: 300, chunks: [[0], [1, 2, 3]], chunkMs: 300, leaseSeconds: 1, dieOnFirstClaim: 0 });
    server.faults.failStatement({ match: /SYSTEM\$GET_SERVICE_STATUS/i, times: 1000, code: '000904', message: 'SYSTEM$GET_SERVICE_STATUS is deprecated' });
    const log = memoryLog();
    const r = await runHooks(trainStep(), session, { log, pollMs: 100 });
    server.faults.reset();
    expect([r.outcomes[0].status, r.outcomes[0].error]).toEqual(['SUCCEEDED', undefined]);
    expect(log.lines.filter((l) => /cannot be seen/.test(l))).toEqual([]);
    // At least one re-execution, which is what makes the runner look at the services; a second one
    // follows when the dead worker's 1 s lease has not lapsed by the time the new worker polls.
    expect(log.lines.filter((l) => /executing it again/.test(l)).length).toBeGreaterThanOrEqual(1);
  });

  test('a job service the runner cannot see (002003: not authorized, or gone) is said once; the step follows the graph run and succeeds', async () => {
    // Slot 0's worker dies holding chunk 0, so the runner checks the services once the graph run
    // has ended (before executing it again), and cannot see slot 0's.
    await createGraph({ rootMs: 300, chunks: [[0], [1, 2, 3]], chunkMs: 300, leaseSeconds: 1, dieOnFirstClaim: 0 });
    server.faults.failStatement({
      match: /^DESCRIBE SERVICE OPS\.HOOKS\.G_W0$/,
      times: 1000,
      code: '002003',
      message: "SQL compilation error:\nService 'OPS.HOOKS.G_W0' does not exist or not authorized.",
    });
    const log = memoryLog();
    const r = await runHooks(trainStep(), session, { log, pollMs: 100 });
    server.faults.reset();
    expect([r.outcomes[0].status, r.outcomes[0].error]).toEqual(['SUCCEEDED', undefined]);
    expect(log.lines.filter((l) => /cannot be seen/.test(l))).toEqual([
      "  [train] job service OPS.HOOKS.G_W0 cannot be seen (002003: it does not exist, or the runner's role has neither OWNERSHIP nor MONITOR on it); following the task graph run instead",
    ]);
    expect(log.lines.filter((l) => /executing it again/.test(l)).length).toBeGreaterThanOrEqual(1);
    expect((await chunkRows()).map((c) => c.STATUS)).toEqual(Array(4).fill('DONE'));
  });

  test('chunks a dead worker left behind are run by a second execution that starts only after the first graph run has completed', async () => {
    // Slot 0's worker dies holding chunk 0; slot 1 keeps the first graph run going meanwhile.
    await createGraph({ rootMs: 300, chunks: [[0], [1, 2, 3, 4]], chunkMs: 400, leaseSeconds: 1, dieOnFirstClaim: 0 });
    const since = await serverNow();
    const log = memoryLog();
    const r = await runHooks(trainStep(), session, { log, pollMs: 100 });
    expect(r.outcomes.map((o) => o.status)).toEqual(['SUCCEEDED']);
    const runs = await graphRunsSince(since);
    expect(runs.map((g) => g.STATE)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(runs[1].SCHEDULED_MS).toBeGreaterThanOrEqual(runs[0].COMPLETED_MS);
    const ended = log.lines.findIndex((l) => l.startsWith('  [train] task graph run ended FAILED (first error in G_SLOT_0:'));
    const again = log.lines.indexOf('  [train] 1 chunks left after the graph ended: executing it again (round 2)');
    expect(ended).toBeGreaterThanOrEqual(0);
    expect(again).toBeGreaterThan(ended);
    expect(log.lines.filter((l) => /executing it again/.test(l))).toHaveLength(1);
    expect((await chunkRows()).map((c) => `${c.CHUNK_ID}:${c.STATUS}:${c.ATTEMPTS}`)).toEqual(['0:DONE:2', '1:DONE:1', '2:DONE:1', '3:DONE:1', '4:DONE:1']);
  });

  test('a runner resuming the run finds the graph running, re-attaches to it and does not execute it again', async () => {
    await createGraph({
      rootMs: 1500,
      chunks: [
        [0, 2],
        [1, 3],
      ],
      chunkMs: 150,
    });
    const since = await serverNow();
    // An earlier runner started the step, executed the graph and died before its job services started.
    const m = trainStep();
    await new Ledger(session, m.ledger!, m.stack).start('train', 'R20261202000000_EARLY1', m.steps[0].fingerprint, 'runner-dead');
    await session.query(`EXECUTE TASK ${ROOT.quoted}`);
    const log = memoryLog();
    const r = await runHooks(m, session, { log, pollMs: 100 });
    expect(r.outcomes.map((o) => [o.status, o.reason, o.runId])).toEqual([['SUCCEEDED', 'resume unfinished run', 'R20261202000000_EARLY1']]);
    expect(log.lines).toContain('  [train] task graph already running for this run: re-attaching');
    expect(log.lines.filter((l) => /executing it again/.test(l))).toEqual([]);
    expect((await graphRunsSince(since)).map((g) => g.STATE)).toEqual(['SUCCEEDED']);
    expect((await chunkRows()).map((c) => `${c.STATUS}:${c.ATTEMPTS}`)).toEqual(Array(4).fill('DONE:1'));
  });
  test('a run of the graph that this run did not start is waited for, then the graph is executed for this run', async () => {
    await createGraph({ rootMs: 1200, chunks: [[0], [1]], chunkMs: 100 });
    const since = await serverNow();
    // Someone else's execution (an abandoned run's) is in progress when the step starts.
    await session.query(`EXECUTE TASK ${ROOT.quoted}`);
    const log = memoryLog();
    const r = await runHooks(trainStep(), session, { log, pollMs: 100 });
    expect(r.outcomes.map((o) => o.status)).toEqual(['SUCCEEDED']);
    expect(log.lines).toContain('  [train] a run of the task graph this run did not start is in progress: waiting for it to end before executing');
    expect(log.lines).not.toContain('  [train] task graph already running for this run: re-attaching');
    const runs = await graphRunsSince(since);
    expect(runs.map((g) => g.STATE)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(runs[1].SCHEDULED_MS).toBeGreaterThanOrEqual(runs[0].COMPLETED_MS);
  });

  test('when its rounds are used up with chunks left, the step fails at once rather than at its timeout, and a re-run resumes the run', async () => {
    await createGraph({ rootMs: 300, chunks: [[0], [1, 2]], chunkMs: 200, leaseSeconds: 1, dieOnFirstClaim: 0 });
    const log = memoryLog();
    const r = await runHooks(trainStep({ maxAttempts: 1 }), session, { log, pollMs: 100 });
    expect(r.outcomes.map((o) => o.status)).toEqual(['FAILED']);
    expect(r.outcomes[0].error).toBe(
      "step train, statement wait: the task graph ran 1 time(s) (retry.maxAttempts) and 1 chunks are still not done, 1 of them waiting to be claimed; see the graph's first error above and the job services' logs, then run the hooks again to resume",
    );
    expect(log.lines.filter((l) => /executing it again/.test(l))).toEqual([]);
    // Chunk 0 is still claimed by the dead worker, or already re-queued once its lease expired.
    expect((await chunkRows()).map((c) => `${c.CHUNK_ID}:${c.STATUS === 'CLAIMED' ? 'PENDING' : c.STATUS}`)).toEqual(['0:PENDING', '1:DONE', '2:DONE']);

    // Two rounds this time: chunk 0's lease may not have expired yet when the first one starts.
    const again = await runHooks(trainStep({ maxAttempts: 2 }), session, { log: memoryLog(), pollMs: 100 });
    expect(again.outcomes.map((o) => [o.status, o.reason, o.runId])).toEqual([['SUCCEEDED', 'resume unfinished run', r.outcomes[0].runId]]);
    expect((await chunkRows()).map((c) => `${c.CHUNK_ID}:${c.STATUS}:${c.ATTEMPTS}`)).toEqual(['0:DONE:2', '1:DONE:1', '2:DONE:1']);
  });
  test('a step that never sees a run of its graph says, when it times out, that the role needs MONITOR on the root', async () => {
    // The query watches a root that never runs: what a role without MONITOR on the root sees.
    await createGraph({ rootMs: 200, chunks: [[0], [1]], chunkMs: 100, leaseSeconds: 1, dieOnFirstClaim: 0 });
    const r = await runHooks(trainStep({ timeoutSeconds: 3, watchedRoot: ObjectName.of('OPS', 'HOOKS', 'G_UNSEEN') }), session, {
      log: memoryLog(),
      pollMs: 100,
    });
    expect(r.outcomes.map((o) => o.status)).toEqual(['FAILED']);
    expect(r.outcomes[0].error).toBe(
      "step train, statement wait: task graph did not finish within 3s; no run of OPS.HOOKS.G_ROOT was ever listed by CURRENT_TASK_GRAPHS or COMPLETE_TASK_GRAPHS, so the runner could not tell when it ended: the runner's role needs MONITOR on the root task",
    );
  });
});
