import { LoopOutcome, localConnection, readLoopOutcome, regimeChangedSeries, runDemo, waitForGraphRun } from '../../runner/demo/run-demo';
import { buildApp } from '../../stacks/main';
import { EXAMPLE } from '../../stacks/forecast-stack';
import { LocalSnowflakeServer } from '../../local-server';
import { SnowflakeSession } from '../../runner/snowflake/session';
import { renderExecuteTask } from '../../lib/sql/task-graph';
import { tempDir } from '../tmp';

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

interface Outcome {
  readonly failed: boolean;
  readonly loop?: LoopOutcome;
  readonly again?: LoopOutcome;
  readonly metricsRows?: [before: number, after: number];
  readonly workerJobs?: [before: string[], after: string[]];
  readonly secondRunTasks?: { NAME: string; STATE: string; ERROR_MESSAGE: string | null }[];
}

/** The loop's job services with the time each started. */
const retrainJobs = (server: LocalSnowflakeServer) =>
  [...server.objects.services.entries()]
    .filter(([n]) => /_RETRAIN_W\d+$/.test(n))
    .map(([n, v]) => `${n} ${v.startedOn}`)
    .sort();

async function runWithLoop(regimeChange: boolean): Promise<Outcome> {
  let extra: Omit<Outcome, 'failed' | 'loop'> = {};
  const r = await runDemo({
    outdir: tempDir('mm-loop-'),
    buildApp,
    sourceTable: EXAMPLE.sourceTable,
    image: EXAMPLE.image,
    series: SERIES,
    days: DAYS,
    log: quiet,
    regimeChange,
    afterClosedLoop: async (server, runner, loop, pipeline) => {
      const admin = await SnowflakeSession.open(localConnection(server));
      try {
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
    o = await runWithLoop(true);
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
      buildApp,
      sourceTable: EXAMPLE.sourceTable,
      image: EXAMPLE.image,
      series: SERIES,
      days: DAYS,
      log: quiet,
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
