import { DEMO_MONITORING, futureActuals, localConnection, regimeChangedSeries, runDemo, waitForGraphRun } from '../../runner/demo/run-demo';
import { ObjectName } from '../../lib/identifiers';
import { DEMO_LOAD_WAREHOUSE, renderDemoSource } from '../../lib/sql/demo';
import { renderUseSystemRole, renderUseWarehouse } from '../../lib/sql/session';
import { buildApp } from '../../stacks/main';
import { EXAMPLE } from '../../stacks/forecast-stack';
import { ChallengerMerge } from '../../index';
import { SnowflakeSession } from '../../runner/snowflake/session';
import { renderExecuteTask } from '../../lib/sql/task-graph';
import { Ledger, TaskRunRecord } from '../../runner/hooks/ledger';
import { HookManifest } from '../../lib/hooks/manifest';
import { tempDir } from '../tmp';

/**
 * The closed loop with a champion/challenger policy on the local server, through snowflake-sdk:
 * the demo's stack with `challenger` added to its monitoring, its hooks run, future actuals in
 * which U0005 and U0025 change regime, and the monitoring task run. The loop's version becomes the
 * challenger (not the champion), the same graph run scores it beside the champion, and the next
 * run of the graph retrains nothing while the challenge is open. Seven more days of actuals then
 * reach the decision date, and the graph decides.
 */
const quiet = { info: () => undefined, progress: () => undefined };

interface Seen {
  aliases: Record<string, string>;
  versions: number;
  challenges: Record<string, unknown>[];
  scoredVersions: string[];
  tasks: { NAME: string; STATE: string }[];
  ledger?: TaskRunRecord[];
  again?: {
    aliases: Record<string, string>;
    versions: number;
    metricsRows: [number, number];
    tasks: { NAME: string; STATE: string; ERROR_MESSAGE: string | null }[];
  };
  decided?: { aliases: Record<string, string>; versions: number; challenge: Record<string, unknown>; state: string };
}

describe('the closed loop with a challenger policy', () => {
  let seen: Seen | undefined;
  let loopState = '';
  let manifest: HookManifest | undefined;

  beforeAll(async () => {
    const r = await runDemo({
      outdir: tempDir('mm-challenger-'),
      buildApp,
      sourceTable: EXAMPLE.sourceTable,
      image: EXAMPLE.image,
      series: 40,
      days: 400,
      log: quiet,
      monitoring: { ...DEMO_MONITORING, challenger: { windowDays: 7, minPoints: 3, merge: ChallengerMerge.PER_PARTITION_BEST } },
      beforeClosedLoop: (_server, _runner, m) => {
        manifest = m;
      },
      afterClosedLoop: async (server, runner, loop, pipeline) => {
        loopState = loop.state;
        const admin = await SnowflakeSession.open(localConnection(server));
        try {
          const model = () => server.objects.models.models.get(pipeline.aggregator.modelName.toString())!;
          const aliases = () =>
            Object.fromEntries(
              model()
                .versions.filter((v) => v.alias)
                .map((v) => [v.alias!, v.name]),
            );
          const gate = pipeline.challengerGate!;
          const challenges = (
            await admin.query(
              `SELECT CHALLENGER_VERSION, CHAMPION_VERSION, TO_VARCHAR(OPENED_ON) AS OPENED_ON, TO_VARCHAR(DECIDE_ON) AS DECIDE_ON, STATUS, OUTCOME FROM ${gate.sqlModel.challenges.quoted}`,
            )
          ).rows;
          const scoredVersions = (
            await admin.query<{ V: string }>(
              `SELECT DISTINCT MODEL_VERSION AS V FROM ${pipeline.scoring!.qualifiedName.quoted} WHERE RUN_ID LIKE 'C%' ORDER BY 1`,
            )
          ).rows.map((x) => x.V);
          const tasks = server.objects.history.map((h) => ({ NAME: h.NAME, STATE: h.STATE }));
          const ledger = await new Ledger(runner, manifest!.ledger!, manifest!.stack).taskRuns();
          seen = { aliases: aliases(), versions: model().versions.length, challenges, scoredVersions, tasks, ledger };
          // The next scheduled run of the same evaluation date, the challenge open.
          const metricsRows = async () =>
            Number((await admin.query<{ N: number }>(`SELECT COUNT(*) AS N FROM ${pipeline.aggregator.metricsTable.quoted}`)).rows[0].N);
          const rowsBefore = await metricsRows();
          const historyBefore = server.objects.history.length;
          await runner.query(renderExecuteTask(pipeline.monitor!.taskName));
          await waitForGraphRun(runner, pipeline.monitor!.taskName, 2);
          seen.again = {
            aliases: aliases(),
            versions: model().versions.length,
            metricsRows: [rowsBefore, await metricsRows()],
            tasks: server.objects.history.slice(historyBefore).map((h) => ({ NAME: h.NAME, STATE: h.STATE, ERROR_MESSAGE: h.ERROR_MESSAGE })),
          };
          // Seven more days of actuals: the window has passed, and the next run decides.
          await admin.query(renderUseSystemRole('SYSADMIN'));
          await admin.query(renderUseWarehouse(DEMO_LOAD_WAREHOUSE));
          await admin.query(renderDemoSource(ObjectName.parse(EXAMPLE.sourceTable, 3)).insert.sql, futureActuals(40, 428, 7, regimeChangedSeries(40)));
          await admin.query(renderUseSystemRole('ACCOUNTADMIN'));
          await runner.query(renderExecuteTask(pipeline.monitor!.taskName));
          const done = await waitForGraphRun(runner, pipeline.monitor!.taskName, 3);
          const [challenge] = (
            await admin.query(
              `SELECT STATUS, OUTCOME, PARTITIONS_COMPARED, CHALLENGER_WINS, PROMOTED_VERSION FROM ${pipeline.challengerGate!.sqlModel.challenges.quoted}`,
            )
          ).rows;
          seen.decided = { aliases: aliases(), versions: model().versions.length, challenge, state: done.STATE };
        } finally {
          await admin.close();
        }
      },
    });
    expect(r.failed).toBe(false);
  }, 600_000);

  test('the retrained version takes the challenger alias and an OPEN challenge; the champion keeps the production alias', () => {
    expect(loopState).toBe('SUCCEEDED');
    expect(seen!.aliases.CHALLENGER).toBe('V_M20240303');
    expect(seen!.aliases.PRODUCTION).toMatch(/^V_R/);
    expect(seen!.challenges).toEqual([
      {
        CHALLENGER_VERSION: 'V_M20240303',
        CHAMPION_VERSION: seen!.aliases.PRODUCTION,
        OPENED_ON: '2024-03-03',
        DECIDE_ON: '2024-03-10',
        STATUS: 'OPEN',
        OUTCOME: null,
      },
    ]);
  });

  test("the loop's run is recorded in the ledger as SUCCEEDED with its version, not promoted", () => {
    expect(seen!.ledger).toEqual([
      expect.objectContaining({
        stepId: 'forecast/Forecast/retrain-loop',
        runId: 'M20240303',
        status: 'SUCCEEDED',
        details: expect.objectContaining({ version: 'V_M20240303', promoted: false }),
      }),
    ]);
  });

  test('the same graph run decides nothing yet and scores the challenger beside the champion', () => {
    const names = seen!.tasks.map((t) => t.NAME);
    expect(names).toEqual(expect.arrayContaining(['FORECAST_MONITORING_CHALLENGER_DECIDE', 'FORECAST_MONITORING_CHALLENGER_SCORE']));
    expect(seen!.tasks.filter((t) => /CHALLENGER/.test(t.NAME)).every((t) => t.STATE === 'SUCCEEDED')).toBe(true);
    expect(seen!.scoredVersions).toEqual([seen!.aliases.PRODUCTION, 'V_M20240303'].sort());
  });

  test('the next run of the graph, the challenge open, retrains and registers nothing and moves no alias', () => {
    const again = seen!.again!;
    expect(again.tasks.filter((t) => t.STATE !== 'SUCCEEDED')).toEqual([]);
    expect(again.aliases).toEqual(seen!.aliases);
    expect(again.versions).toBe(seen!.versions);
    expect(again.metricsRows[1]).toBe(again.metricsRows[0]);
  });

  test("once actuals reach the decision date the graph decides: here REJECTED, no partition compared (the champion's forecasts end where the challenger's begin), the champion keeps the alias", () => {
    const d = seen!.decided!;
    expect(d.state).toBe('SUCCEEDED');
    expect(d.challenge).toEqual({ STATUS: 'CLOSED', OUTCOME: 'REJECTED', PARTITIONS_COMPARED: 0, CHALLENGER_WINS: 0, PROMOTED_VERSION: null });
    expect(d.aliases).toEqual({ PRODUCTION: seen!.aliases.PRODUCTION });
    expect(d.versions).toBe(seen!.versions);
  });
});
