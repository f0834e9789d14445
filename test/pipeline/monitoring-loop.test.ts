import { LoopOutcome, localConnection, readLoopOutcome, regimeChangedSeries, runDemo, waitForGraphRun } from '../../runner/demo/run-demo';
import { buildApp } from '../../stacks/main';
import { EXAMPLE } from '../../stacks/forecast-stack';
import { LocalSnowflakeServer } from '../../local-server';
import { SnowflakeSession } from '../../runner/snowflake/session';
import { renderExecuteTask } from '../../lib/sql/task-graph';
import { tempDir } from '../tmp';
import { HookManifest } from '../../lib/hooks/manifest';
import { Ledger, TaskRunRecord } from '../../runner/hooks/ledger';
import { substitute } from '../../runner/hooks/runner';
import { describeTaskRun } from '../../runner/cli/commands/hooks';

/**
 * The closed loop (issue #17, slice 4) end to end on the local server, through snowflake-sdk: the
 * example stack with monitoring and `retrain` (the demo's), set up as on an account, its hooks run
 * as the runner role, future actuals appended in which every twentieth series (U0005 and U0025 of
 * 40) doubles its level, and the monitoring task run as the runner would (EXECUTE TASK); its graph
 * retrains inside the account. Hand-checked: exactly those two partitions retrained, the other 38
 * reuse the replaced version's artifacts, one version, promoted. Then the graph once more for the
 * same evaluation date: nothing more.
 */
const quiet = { info: () => undefined, progress: () => undefined };
const SERIES = 40;
const DAYS = 400;
/** The demo's stack and data, as every run of this file uses them. */
const DEMO = { buildApp, sourceTable: EXAMPLE.sourceTable, image: EXAMPLE.image, series: SERIES, days: DAYS, log: quiet };

interface Outcome {
  readonly failed: boolean;
  readonly loop?: LoopOutcome;
  readonly again?: LoopOutcome;
  readonly metricsRows?: [before: number, after: number];
  readonly workerJobs?: [before: string[], after: string[]];
  readonly secondRunTasks?: { NAME: string; STATE: string; ERROR_MESSAGE: string | null }[];
  /** The loop's runs in the stack's ledger after its first and its second graph run. */
  readonly loopLedger?: [first: TaskRunRecord[], second: TaskRunRecord[]];
  readonly leftover?: Leftover;
}

/** A post-deploy refine worker left polling its own run while the loop ran. */
interface Leftover {
  /** The post-deploy run it works for. */
  readonly runId: string;
  /** Its job service's status when the loop had ended (RUNNING: it polled all along). */
  readonly statusAfterLoop: string;
  /** Who holds or completed the loop run's chunks. */
  readonly loopChunkWorkers: string[];
  /** Its log, and how it ended, once its own run was finished. */
  readonly logs: string[];
  readonly exitCode: number | null;
}

const LEFTOVER = 'ANALYTICS.FORECAST.FORECAST_LEFTOVER_W';
const RUNS = 'ANALYTICS.FORECAST.FORECAST_TRAINING_RUNS';

/**
 * Leaves a post-deploy refine worker polling, a real process as the runner starts them (the
 * manifest's runWorkers statement, its MM_RUN_ID the post-deploy run): that run's refine pass is
 * put back to RUNNING with nothing left to claim, as while its runner still waits on other
 * workers' chunks, and the worker given empty polls enough to outlive the loop. A worker that
 * looked its run up (the newest RUNNING run of its pass and trainer) would join the loop's run.
 */
async function leaveWorkerPolling(server: LocalSnowflakeServer, runner: SnowflakeSession, manifest: HookManifest): Promise<string> {
  const runId = (await runner.query<{ RUN_ID: string }>(`SELECT RUN_ID FROM ${RUNS} WHERE PASS = 'refine' AND STARTSWITH(RUN_ID, 'R')`)).rows[0].RUN_ID;
  await runner.query(`UPDATE ${RUNS} SET STATUS = 'RUNNING', FINISHED_AT = NULL WHERE RUN_ID = ? AND PASS = 'refine'`, [runId]);
  const start = manifest.steps.find((s) => s.kind === 'runWorkers')!.statements[0].sql;
  await runner.query(
    substitute(start, { RUN_ID: runId })
      .replace(/NAME = \S+/, `NAME = ${LEFTOVER}`)
      .replace("MM_EMPTY_POLLS: '3'", "MM_EMPTY_POLLS: '100000'"),
  );
  // Running, and past its login into its polls (every 500 ms) before the loop starts.
  for (let i = 0; i < 200 && server.objects.services.get(LEFTOVER)?.status !== 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 3000));
  return runId;
}

const loopRuns = (runner: SnowflakeSession, manifest: HookManifest) => new Ledger(runner, manifest.ledger!, manifest.stack).taskRuns();

/** The loop's job services with the time each started. */
const retrainJobs = (server: LocalSnowflakeServer) =>
  [...server.objects.services.entries()]
    .filter(([n]) => /_RETRAIN_W\d+$/.test(n))
    .map(([n, v]) => `${n} ${v.startedOn}`)
    .sort();

async function runWithLoop(regimeChange: boolean, leaveWorker = false): Promise<Outcome> {
  let extra: Omit<Outcome, 'failed' | 'loop'> = {};
  let manifest: HookManifest | undefined;
  let leftoverRun = '';
  const r = await runDemo({
    outdir: tempDir('mm-loop-'),
    ...DEMO,
    regimeChange,
    beforeClosedLoop: async (server, runner, m) => {
      manifest = m;
      if (leaveWorker) leftoverRun = await leaveWorkerPolling(server, runner, m);
    },
    afterClosedLoop: async (server, runner, loop, pipeline) => {
      const admin = await SnowflakeSession.open(localConnection(server));
      try {
        let leftover: Leftover | undefined;
        if (leaveWorker) {
          const statusAfterLoop = server.objects.services.get(LEFTOVER)!.status;
          const loopChunkWorkers = (
            await admin.query<{ W: string }>(
              `SELECT DISTINCT SPLIT_PART(WORKER_ID, '#', 1) AS W FROM ${pipeline.queue!.qualifiedName.quoted} WHERE RUN_ID = ? ORDER BY W`,
              [loop.runId],
            )
          ).rows.map((x) => x.W);
          // Its run ends as the runner ends it (renderFinishPass): the worker stops at its next check.
          await runner.query(`UPDATE ${RUNS} SET STATUS = 'FINISHED', FINISHED_AT = CURRENT_TIMESTAMP() WHERE RUN_ID = ? AND PASS = 'refine'`, [leftoverRun]);
          const svc = server.objects.services.get(LEFTOVER)!;
          await Promise.race([svc.finished, new Promise((r) => setTimeout(r, 30_000))]);
          leftover = { runId: leftoverRun, statusAfterLoop, loopChunkWorkers, logs: [...svc.logs], exitCode: svc.exitCode };
          // Should it still run (the test then fails on its exit code), it does not outlive the test.
          server.objects.killService(LEFTOVER);
        }
        const ledgerFirst = await loopRuns(runner, manifest!);
        const metricsRows = async () =>
          Number((await admin.query<{ N: number }>(`SELECT COUNT(*) AS N FROM ${pipeline.aggregator.metricsTable.quoted}`)).rows[0].N);
        const rowsBefore = await metricsRows();
        const jobsBefore = retrainJobs(server);
        const versionsBefore = new Set(server.objects.models.models.get(pipeline.aggregator.modelName.toString())!.versions.map((v) => v.name));
        const historyBefore = server.objects.history.length;
        // The next scheduled run without new actuals: the same evaluation date.
        const task = pipeline.monitor!.taskName;
        await runner.query(renderExecuteTask(task));
        const done = await waitForGraphRun(runner, task, 2);
        extra = {
          again: await readLoopOutcome(admin, server, pipeline, loop.changed, versionsBefore, done.STATE, 0),
          metricsRows: [rowsBefore, await metricsRows()],
          workerJobs: [jobsBefore, retrainJobs(server)],
          secondRunTasks: server.objects.history.slice(historyBefore).map((h) => ({ NAME: h.NAME, STATE: h.STATE, ERROR_MESSAGE: h.ERROR_MESSAGE })),
          loopLedger: [ledgerFirst, await loopRuns(runner, manifest!)],
          leftover,
        };
      } finally {
        await admin.close();
      }
    },
  });
  return { failed: r.failed, loop: r.loop, ...extra };
}

describe('the closed loop on the local server', () => {
  let o: Outcome;

  beforeAll(async () => {
    o = await runWithLoop(true, true);
  }, 600_000);

  test('retrains exactly the partitions whose regime changed, in the run of the evaluation date', () => {
    expect(o.failed).toBe(false);
    const loop = o.loop!;
    expect([...regimeChangedSeries(SERIES)].sort()).toEqual(['U0005', 'U0025']);
    expect(loop.state).toBe('SUCCEEDED');
    // The source's last actual: 2023-01-01 + 400 days of history + 28 future days - 1 = 2024-03-03.
    expect(loop.runId).toBe('M20240303');
    expect(loop.retrained).toEqual(['U0005', 'U0025']);
    expect(loop.rowsByPass).toEqual({ carried: 38, refine: 2 });
  });

  test("its index holds every partition: the two retrained from the new run, the other 38 reusing the replaced version's artifacts", () => {
    expect(o.loop!.indexedPartitions).toBe(SERIES);
    expect(o.loop!.reusedArtifacts).toBe(SERIES - 2);
  });

  test('registers one version and promotes it through the gate', () => {
    expect(o.loop!.versionsAdded).toEqual(['V_M20240303']);
    expect(o.loop!.aliasVersion).toBe('V_M20240303');
  });

  test("a post-deploy worker still polling its own run while the loop's run starts claims none of the loop's chunks, and stops cleanly once its run is finished", () => {
    const l = o.leftover!;
    expect(l.runId).toMatch(/^R/);
    // It polled through the whole loop run (its run RUNNING, nothing to claim) ...
    expect(l.statusAfterLoop).toBe('RUNNING');
    // ... and every chunk of the loop's run was claimed by the loop's own workers.
    expect(l.loopChunkWorkers.length).toBeGreaterThan(0);
    for (const w of l.loopChunkWorkers) expect(w).toMatch(/^ANALYTICS\.FORECAST\.FORECAST_RETRAIN_W\d$/);
    expect(l.logs.filter((x) => /partitions trained/.test(x))).toEqual([]);
    expect(l.logs).toContain(`run ${l.runId} (refine) is FINISHED: stopping without claiming`);
    expect(l.logs.find((x) => /^worker .* finished: 0 chunks$/.test(x))).toBeDefined();
    expect(l.exitCode).toBe(0);
  });

  test("records the loop's run in the stack's ledger beside the runner's: run id, what it retrained, the version and the outcome; a second graph run adds nothing", () => {
    const [first, second] = o.loopLedger!;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      stepId: 'forecast/Forecast/retrain-loop',
      runId: 'M20240303',
      status: 'SUCCEEDED',
      attempt: 1,
      details: { trigger: 'closed loop', partitions: 2, trained: 2, failed: 0, version: 'V_M20240303', promoted: true, fromRun: expect.stringMatching(/^R/) },
    });
    expect(first[0].endedAt).toBeDefined();
    expect(describeTaskRun(first[0])).toMatch(
      /^closed loop forecast\/Forecast\/retrain-loop: run M20240303 SUCCEEDED, started .+; retrained 2 partitions; from run R\w+; version V_M20240303 promoted$/,
    );
    expect(second).toEqual(first);
  });

  test('a second run of the graph for the same evaluation date trains, registers and promotes nothing, and starts no job service', () => {
    expect(o.secondRunTasks!.filter((t) => t.STATE !== 'SUCCEEDED')).toEqual([]);
    expect(o.secondRunTasks!.map((t) => t.NAME).sort()).toEqual([
      'FORECAST_MONITORING_RETRAIN_FINISH',
      'FORECAST_MONITORING_RETRAIN_START',
      'FORECAST_MONITORING_RETRAIN_W0',
      'FORECAST_MONITORING_RETRAIN_W1',
      'FORECAST_MONITORING_TASK',
    ]);
    expect(o.again!.versionsAdded).toEqual([]);
    expect(o.again!.aliasVersion).toBe('V_M20240303');
    expect(o.again!.rowsByPass).toEqual({ carried: 38, refine: 2 });
    expect(o.metricsRows![1]).toBe(o.metricsRows![0]);
    expect(o.workerJobs![1]).toEqual(o.workerJobs![0]);
  });
});

describe('a monitor run with no degradation', () => {
  test('enqueues, trains, registers and promotes nothing, and starts no job service', async () => {
    const n = await runWithLoop(false);
    expect(n.failed).toBe(false);
    expect(n.loop!.state).toBe('SUCCEEDED');
    expect(n.loop!.retrained).toEqual([]);
    expect(n.loop!.rowsByPass).toEqual({});
    expect(n.loop!.versionsAdded).toEqual([]);
    expect(n.loop!.aliasVersion).toMatch(/^V_R/);
    expect(n.workerJobs![0]).toEqual([]);
    expect(n.workerJobs![1]).toEqual([]);
  }, 600_000);
});

describe('a killed retrain', () => {
  test("fails the graph run without registering; the next run re-queues the dead worker's chunk, trains it and promotes one version", async () => {
    let killed = '';
    let after: { first: LoopOutcome; second: LoopOutcome; attempts: number; finishFirst?: string } | undefined;
    await runDemo({
      outdir: tempDir('mm-loop-kill-'),
      ...DEMO,
      beforeClosedLoop: (server) => {
        // Hold the retraining worker's chunk read long enough to kill its process while it holds the lease.
        server.faults.delayStatement({ match: /PARSE_JSON\(\?\)\)\) ORDER BY PARTITION_KEY, DS/, ms: 6000 });
        void (async () => {
          for (let i = 0; i < 600 && !killed; i++) {
            await new Promise((res) => setTimeout(res, 100));
            const rows = await server
              .engineQuery("SELECT WORKER_ID FROM ANALYTICS.FORECAST.FORECAST_QUEUE WHERE STATUS = 'CLAIMED' AND RUN_ID LIKE 'M%'")
              .catch(() => []);
            const holder = rows[0]?.WORKER_ID;
            if (holder) {
              const service = String(holder).split('#')[0];
              if (server.objects.killService(service)) killed = service;
            }
          }
        })();
      },
      afterClosedLoop: async (server, runner, first, pipeline) => {
        const admin = await SnowflakeSession.open(localConnection(server));
        try {
          const versionsBefore = new Set(server.objects.models.models.get(pipeline.aggregator.modelName.toString())!.versions.map((v) => v.name));
          const finishFirst = server.objects.history.find((h) => h.NAME === 'FORECAST_MONITORING_RETRAIN_FINISH')?.STATE;
          const task = pipeline.monitor!.taskName;
          await runner.query(renderExecuteTask(task));
          const done = await waitForGraphRun(runner, task, 2);
          const second = await readLoopOutcome(admin, server, pipeline, first.changed, versionsBefore, done.STATE, 0);
          const attempts = Number(
            (await admin.query<{ A: number }>(`SELECT MAX(ATTEMPTS) AS A FROM ${pipeline.queue!.qualifiedName.quoted} WHERE RUN_ID = 'M20240303'`)).rows[0].A,
          );
          after = { first, second, attempts, finishFirst };
        } finally {
          await admin.close();
        }
      },
    });
    expect(killed).toBe('ANALYTICS.FORECAST.FORECAST_RETRAIN_W0');
    const { first, second, attempts, finishFirst } = after!;
    // The killed worker's task failed, so its dependent (the finish task) never ran: nothing registered.
    expect(first.state).toMatch(/^FAILED/);
    expect(finishFirst).toBeUndefined();
    expect(first.versionsAdded).toEqual([]);
    expect(first.retrained).toEqual([]);
    // The next run of the same evaluation date resumes the run: the chunk claimed a second time.
    expect(second.state).toBe('SUCCEEDED');
    expect(attempts).toBe(2);
    expect(second.retrained).toEqual(['U0005', 'U0025']);
    expect(second.rowsByPass).toEqual({ carried: 38, refine: 2 });
    expect(second.versionsAdded).toEqual(['V_M20240303']);
    expect(second.aliasVersion).toBe('V_M20240303');
  }, 600_000);
});

describe('a closed loop run that fails in its finish task', () => {
  const QUEUE = 'ANALYTICS.FORECAST.FORECAST_QUEUE';
  const STALE = 'M20240302';
  let first: LoopOutcome | undefined;
  let failedLedger: TaskRunRecord[] = [];
  let second: LoopOutcome | undefined;
  let resumedLedger: TaskRunRecord[] = [];
  let stale:
    | { runs: string[]; chunks: { STATUS: string; ERROR_MSG: string | null }[]; ledger?: TaskRunRecord; versions: string[]; alias: string | null }
    | undefined;

  beforeAll(async () => {
    let manifest: HookManifest | undefined;
    await runDemo({
      outdir: tempDir('mm-loop-fail-'),
      ...DEMO,
      beforeClosedLoop: (server, _runner, m) => {
        manifest = m;
        // The loop's registration CALL (its run id `M...`) fails once, as a procedure that raises.
        server.faults.failStatement({ match: /^CALL .*\('M\d{8}'/, code: '100357', message: 'injected: the registration procedure raised', sqlState: 'P0000' });
      },
      afterClosedLoop: async (server, runner, loop, pipeline) => {
        const admin = await SnowflakeSession.open(localConnection(server));
        try {
          first = loop;
          failedLedger = await loopRuns(runner, manifest!);
          const task = pipeline.monitor!.taskName;
          const versionsBefore = new Set(server.objects.models.models.get(pipeline.aggregator.modelName.toString())!.versions.map((v) => v.name));
          await runner.query(renderExecuteTask(task));
          second = await readLoopOutcome(admin, server, pipeline, loop.changed, versionsBefore, (await waitForGraphRun(runner, task, 2)).STATE, 0);
          resumedLedger = await loopRuns(runner, manifest!);
          // A run of an older evaluation date left unfinished (its graph runs ended before its
          // chunks did), as its start task left it: pass RUNNING, a chunk PENDING, its ledger row RUNNING.
          const ledger = manifest!.ledger!;
          const ledgerTable = `${ledger.database}.${ledger.schema}.${ledger.table}`;
          const trainingKey = (await admin.query<{ K: string }>(`SELECT TRAINING_KEY AS K FROM ${RUNS} WHERE RUN_ID = 'M20240303'`)).rows[0].K;
          await admin.query(`INSERT INTO ${RUNS} (RUN_ID, PASS, STATUS, STARTED_AT, TRAINING_KEY) VALUES (?, 'refine', 'RUNNING', CURRENT_TIMESTAMP(), ?)`, [
            STALE,
            trainingKey,
          ]);
          await admin.query(`INSERT INTO ${QUEUE} (QUEUE_ID, RUN_ID, PASS, CHUNK_ID, PARTITION_KEYS) SELECT ?, ?, 'refine', 0, ARRAY_CONSTRUCT('U0005')`, [
            `${STALE}-refine-0`,
            STALE,
          ]);
          await admin.query(
            `INSERT INTO ${ledgerTable} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, RUNNER_ID, STARTED_AT, DETAILS) SELECT ?, ?, ?, ?, 1, 'RUNNING', ?, DATEADD(day, -1, CURRENT_TIMESTAMP()), PARSE_JSON('{}')`,
            [manifest!.stack, resumedLedger[0].stepId, STALE, 'old', 'task:ANALYTICS.FORECAST.FORECAST_MONITORING_RETRAIN_START'],
          );
          await runner.query(renderExecuteTask(task));
          await waitForGraphRun(runner, task, 3);
          const model = server.objects.models.models.get(pipeline.aggregator.modelName.toString())!;
          stale = {
            runs: (await admin.query<{ S: string }>(`SELECT STATUS AS S FROM ${RUNS} WHERE RUN_ID = ?`, [STALE])).rows.map((r) => r.S),
            chunks: (await admin.query<{ STATUS: string; ERROR_MSG: string | null }>(`SELECT STATUS, ERROR_MSG FROM ${QUEUE} WHERE RUN_ID = ?`, [STALE])).rows,
            ledger: (await new Ledger(runner, ledger, manifest!.stack).taskRuns(10)).find((r) => r.runId === STALE),
            versions: model.versions.map((v) => v.name),
            alias: model.versions.find((v) => v.alias)?.name ?? null,
          };
        } finally {
          await admin.close();
        }
      },
    });
  }, 600_000);

  test("records FAILED with the failed statement's error in the run's ledger row, and the task still fails with it", () => {
    expect(first!.state).toMatch(/^FAILED/);
    expect(first!.versionsAdded).toEqual([]);
    expect(failedLedger).toHaveLength(1);
    expect(failedLedger[0]).toMatchObject({ runId: 'M20240303', status: 'FAILED', attempt: 1 });
    expect(failedLedger[0].error).toBe('closed loop finish task: injected: the registration procedure raised');
    expect(failedLedger[0].endedAt).toBeDefined();
  });

  test('the next graph run resumes the run as a second attempt, registers and promotes its version, and records SUCCEEDED', () => {
    expect(second!.state).toBe('SUCCEEDED');
    expect(second!.versionsAdded).toEqual(['V_M20240303']);
    expect(second!.aliasVersion).toBe('V_M20240303');
    expect(resumedLedger.map((r) => [r.runId, r.attempt, r.status])).toEqual([
      ['M20240303', 2, 'SUCCEEDED'],
      ['M20240303', 1, 'FAILED'],
    ]);
    expect(resumedLedger[0].details).toMatchObject({ trained: 2, version: 'V_M20240303', promoted: true });
  });

  test("a run of an older evaluation date left unfinished is abandoned by the newer run's start: pass ABANDONED, chunks FAILED, ledger row ABANDONED with the reason, never registered", () => {
    expect(stale!.runs).toEqual(['ABANDONED']);
    expect(stale!.chunks).toEqual([{ STATUS: 'FAILED', ERROR_MSG: 'run abandoned' }]);
    expect(stale!.ledger).toMatchObject({ runId: STALE, status: 'ABANDONED' });
    expect(stale!.ledger!.error).toBe('superseded by run M20240303 before it finished: abandoned, never promoted');
    expect(stale!.versions).not.toContain(`V_${STALE}`);
    expect(stale!.alias).toBe('V_M20240303');
  });
});
