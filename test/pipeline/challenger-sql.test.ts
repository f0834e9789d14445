import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { registrationStandIn } from '../../local-server/forecast-standins';
import { ObjectName } from '../../lib/identifiers';
import {
  CHALLENGE_COLUMNS,
  CHALLENGE_PARTITION_COLUMNS,
  ChallengerSqlModel,
  renderChallengeOpening,
  renderChallengerDecisionBody,
  renderChallengerScoringBody,
} from '../../lib/sql/challenger';
import { ACCURACY_COLUMNS, DRIFT_COLUMNS, MonitoringSqlModel } from '../../lib/sql/monitoring';
import { MonitorSpec } from '../../lib/hooks/manifest';
import { collectReport } from '../../runner/report/collect';
import { renderBuildModelIndex, renderRegisterCall } from '../../lib/sql/registry';
import { METRICS_COLUMNS } from '../../lib/sql/training';
import { Conn, close, connect, query } from '../local-server/client';
import { DEFAULT_OUTPUT_COLUMNS } from '../../constructs/model-registry-aggregator';

/**
 * The champion/challenger statements (lib/sql/challenger.ts) on the local server, through
 * snowflake-sdk: a champion (V_R1) and a challenger (V_M1) registered from artifacts on a stage,
 * their forecasts of a four-day window and the actuals written by hand, and the decision task run.
 */
let server: LocalSnowflakeServer;
let c: Conn;
let failRegistration = false;
const register = registrationStandIn('CC.S.FORECASTER', 'CC.S.MODELS', 'CC.S.METRICS');

const S = (name: string) => ObjectName.of('CC', 'S', name);
const MODEL = S('FORECASTER');

const monitoring: MonitoringSqlModel = {
  source: { table: S('SRC'), partitionColumn: 'UNIT_ID', orderColumn: 'DAY', targetColumn: 'Y', covariateColumns: [] },
  results: S('RES'),
  hasInterval: true,
  accuracy: S('ACC'),
  drift: S('DRIFT'),
  windowDays: 28,
  baselineDays: 28,
  degradedWhen: { smapeAbove: 25, coverageBelow: 0.5, minPoints: 2 },
  driftWhen: { levelShift: 2, scaleRatio: 2, missingDays: 0, lateDays: 0, minPoints: 2 },
};

/** The model of challenge tables `<prefix>_CHALLENGES` / `<prefix>_PARTS`. */
const model = (prefix: string, overrides: Partial<ChallengerSqlModel> = {}): ChallengerSqlModel => ({
  monitoring,
  scoring: {
    source: S('SRC'),
    partitionColumn: 'UNIT_ID',
    covariateInputs: [],
    model: MODEL,
    modelVersionOrAlias: 'PRODUCTION',
    results: S('RES'),
    outputColumns: DEFAULT_OUTPUT_COLUMNS,
    horizon: 2,
  },
  tables: { metrics: S('METRICS'), runs: S('RUNS'), stage: S('MODELS') },
  model: MODEL,
  procedure: S('REGISTER'),
  versionPrefix: 'V_',
  alias: 'PRODUCTION',
  challengerAlias: 'CHALLENGER',
  challenges: S(`${prefix}_CHALLENGES`),
  partitions: S(`${prefix}_PARTS`),
  windowDays: 4,
  minPoints: 3,
  promoteWhen: 'BEATS_CHAMPION',
  merge: true,
  ...overrides,
});

const ddl = (t: ObjectName, cols: readonly (readonly [string, string, boolean])[]) =>
  `CREATE TABLE ${t.quoted} (${cols.map(([n, ty, nullable]) => `"${n}" ${ty}${nullable ? '' : ' NOT NULL'}`).join(', ')})`;
const run = async (...sql: string[]) => {
  for (const s of sql) await query(c, s);
};
const rows = async (sql: string) => (await query(c, sql)).rows;

/** Runs `body` as task `name` (as the loop's tasks run) and returns the state and error of that run (TASK_HISTORY's newest row). */
async function runTask(name: string, body: string): Promise<{ STATE: string; ERROR_MESSAGE: string | null }> {
  await run(`CREATE OR REPLACE TASK CC.S.${name} WAREHOUSE = WH AS ${body}`, `EXECUTE TASK CC.S.${name}`);
  await server.objects.settle();
  const h = await rows(
    `SELECT STATE, ERROR_MESSAGE FROM TABLE(CC.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => '${name}')) ORDER BY QUERY_START_TIME DESC, COMPLETED_TIME DESC LIMIT 1`,
  );
  return h[0] as never;
}

/** A trained run: each partition's artifact on the stage (its forecast level) and its OK metrics row. */
async function trainRun(runId: string, levels: Record<string, number>): Promise<void> {
  for (const [key, level] of Object.entries(levels)) {
    await run(
      `COPY INTO @CC.S.MODELS/models/${runId}/screen/${key}.json FROM (SELECT OBJECT_CONSTRUCT('level', ${level})) FILE_FORMAT = (TYPE = JSON) SINGLE = TRUE`,
    );
    await query(
      c,
      `INSERT INTO CC.S.METRICS (RUN_ID, PASS, PARTITION_KEY, STATUS, MODEL_FAMILY, MAPE, N_OBS, STAGE_PATH, TRAINED_AT) VALUES (?, 'screen', ?, 'OK', 'naive', 0.1, 30, ?, CURRENT_TIMESTAMP())`,
      [runId, key, `models/${runId}/screen/${key}.json`],
    );
  }
  await run('ALTER STAGE CC.S.MODELS REFRESH');
  const sub = (sql: string) => sql.split('{{RUN_ID}}').join(runId);
  await run(sub(renderBuildModelIndex({ metrics: S('METRICS'), runs: S('RUNS'), stage: S('MODELS') })), sub(renderRegisterCall(S('REGISTER'), 'V_')));
}

const versions = () =>
  server.objects.models.models
    .get('CC.S.FORECASTER')!
    .versions.map((v) => `${v.name}${v.alias ? `:${v.alias}` : ''}`)
    .sort();

/** Actuals of the window 2026-01-11..14, per partition. */
async function writeActuals(actuals: Record<string, number[]>): Promise<void> {
  for (const [key, ys] of Object.entries(actuals))
    for (let d = 0; d < ys.length; d++) await query(c, 'INSERT INTO CC.S.SRC (UNIT_ID, DAY, Y) VALUES (?, ?, ?)', [key, `2026-01-${11 + d}`, ys[d]]);
}

/** `version`'s forecasts of the window's days as the challenge scoring writes them (run C + the day before). */
async function writeForecasts(version: string, forecasts: Record<string, number[]>): Promise<void> {
  for (const [key, fs] of Object.entries(forecasts))
    for (let d = 0; d < fs.length; d++)
      await query(
        c,
        `INSERT INTO CC.S.RES (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER, RUN_ID, MODEL_VERSION, SCORED_AT) VALUES (?, 1, ?, ?, NULL, NULL, ?, ?, '2026-01-10 08:00:00')`,
        [key, `2026-01-${11 + d}`, fs[d], `C202601${10 + d}`, version],
      );
}

beforeAll(async () => {
  server = await startLocalServer({
    procedures: {
      // The registration procedure, failing once when asked: a decision interrupted half-way.
      'CC.S.REGISTER': async (args, ctx) => {
        if (failRegistration) {
          failRegistration = false;
          throw new Error('registration interrupted');
        }
        return register(args, ctx);
      },
    },
    // Each version forecasts its own constant: what the scoring test tells the versions' rows apart by.
    predictor: async (_m, version, input) =>
      input.map((r) => ({
        PARTITION_KEY: r.PARTITION_KEY,
        STEP: r.STEP,
        DS: `2026-01-${20 + Number(r.STEP)}`,
        FORECAST: version.name === 'V_M1' ? 1 : 2,
        LOWER: null,
        UPPER: null,
      })),
  });
  c = await connect(server.connectionOptions());
  await run(
    'CREATE WAREHOUSE WH',
    'CREATE DATABASE CC',
    'CREATE SCHEMA CC.S',
    'CREATE STAGE CC.S.MODELS DIRECTORY = (ENABLE = TRUE)',
    ddl(S('METRICS'), METRICS_COLUMNS),
    ddl(S('ACC'), ACCURACY_COLUMNS),
    'CREATE TABLE CC.S.SRC (UNIT_ID VARCHAR, DAY DATE, Y FLOAT)',
    'CREATE TABLE CC.S.RES (PARTITION_KEY VARCHAR, STEP NUMBER, DS DATE, FORECAST FLOAT, LOWER FLOAT, UPPER FLOAT, RUN_ID VARCHAR(64), MODEL_VERSION VARCHAR(256), SCORED_AT TIMESTAMP_NTZ)',
  );
  // The champion knows A to D; the challenger (retrained) also E, a partition new since.
  await trainRun('R1', { A: 1, B: 2, C: 3, D: 4 });
  await trainRun('M1', { A: 10, B: 20, C: 30, D: 40, E: 50 });
  await run('ALTER MODEL CC.S.FORECASTER VERSION V_R1 SET ALIAS = PRODUCTION', "ALTER MODEL CC.S.FORECASTER SET DEFAULT_VERSION = 'V_R1'");
  // Actuals of 10 every day. A: challenger exact, champion 50 % off; B: the reverse; C: challenger
  // 20 % off against 40 %; D: only two paired days (fewer than minPoints 3); E: no champion forecast.
  await writeActuals({ A: [10, 10, 10, 10], B: [10, 10, 10, 10], C: [10, 10, 10, 10], D: [10, 10, 10, 10], E: [10, 10, 10, 10] });
  await writeForecasts('V_R1', { A: [15, 15, 15, 15], B: [10, 10, 10, 10], C: [6, 6, 6, 6], D: [10, 10] });
  await writeForecasts('V_M1', { A: [10, 10, 10, 10], B: [15, 15, 15, 15], C: [8, 12, 8, 12], D: [10, 10], E: [10, 10, 10, 10] });
  // A forecast before the window opened (the day it opened): not compared.
  await run(`INSERT INTO CC.S.SRC VALUES ('B', '2026-01-10', 10)`);
  await run(`INSERT INTO CC.S.RES VALUES ('B', 1, '2026-01-10', 1000, NULL, NULL, 'C20260109', 'V_R1', '2026-01-09 08:00:00')`);
  await run(`INSERT INTO CC.S.RES VALUES ('B', 1, '2026-01-10', 10, NULL, NULL, 'C20260109', 'V_M1', '2026-01-09 08:00:00')`);
}, 60_000);
afterAll(async () => {
  await close(c);
  await server.close();
});

/** Opens a challenge of V_<run> against V_R1 in `m`'s tables, as the closed loop's finish task does, on evaluation date `asOf`. */
async function openChallenge(m: ChallengerSqlModel, asOf: string, challengerRun = 'M1'): Promise<void> {
  await run(ddl(m.challenges, CHALLENGE_COLUMNS), ddl(m.partitions, CHALLENGE_PARTITION_COLUMNS), 'DELETE FROM CC.S.ACC');
  await setAsOf(asOf);
  const o = renderChallengeOpening(m);
  const body = [
    'EXECUTE IMMEDIATE $$',
    'DECLARE',
    ...['RETRAIN_RUN VARCHAR', 'FROM_RUN VARCHAR', 'STMT VARCHAR', ...o.declare].map((d) => `  ${d};`),
    'BEGIN',
    `  RETRAIN_RUN := '${challengerRun}';`,
    "  FROM_RUN := 'R1';",
    ...o.opened.map((l) => `  ${l}`),
    ...o.open.map((l) => `  ${l}`),
    'END;',
    '$$',
  ].join('\n');
  expect(await runTask(`OPEN_${m.challenges.name}`, body)).toMatchObject({ STATE: 'SUCCEEDED' });
}

async function setAsOf(asOf: string): Promise<void> {
  await run(
    'DELETE FROM CC.S.ACC',
    `INSERT INTO CC.S.ACC (AS_OF, WINDOW_START, PARTITION_KEY, N_POINTS, DEGRADED, COMPUTED_AT) VALUES ('${asOf}', '${asOf}', 'A', 1, FALSE, CURRENT_TIMESTAMP())`,
  );
}

describe('a challenger that wins some partitions and loses others, with per-partition merge', () => {
  const m = model('MERGE');
  let before: string[];
  let opened: Record<string, any>[];
  let afterFirst: { versions: string[]; metrics: number; challenges: Record<string, any>[] };

  beforeAll(async () => {
    await openChallenge(m, '2026-01-10');
    before = versions();
    opened = await rows(
      `SELECT CHALLENGER_VERSION, CHAMPION_VERSION, TO_VARCHAR(OPENED_ON) AS OPENED_ON, TO_VARCHAR(DECIDE_ON) AS DECIDE_ON, STATUS, OUTCOME FROM ${m.challenges.quoted}`,
    );
    // A day before the window ends: nothing is decided.
    await setAsOf('2026-01-13');
    expect(await runTask('DECIDE_EARLY', renderChallengerDecisionBody(m))).toMatchObject({ STATE: 'SUCCEEDED' });
    expect((await rows(`SELECT STATUS FROM ${m.challenges.quoted}`)).map((r) => r.STATUS)).toEqual(['OPEN']);
    expect(versions()).toEqual(before);
    await setAsOf('2026-01-14');
    expect(await runTask('DECIDE_MERGE', renderChallengerDecisionBody(m))).toMatchObject({ STATE: 'SUCCEEDED' });
    afterFirst = {
      versions: versions(),
      metrics: Number((await rows('SELECT COUNT(*) AS N FROM CC.S.METRICS'))[0].N),
      challenges: await rows(`SELECT * FROM ${m.challenges.quoted}`),
    };
  });

  test('opening the challenge gave the challenger its alias and one OPEN row whose window ends windowDays after the evaluation date', () => {
    expect(before).toEqual(['V_M1:CHALLENGER', 'V_R1:PRODUCTION']);
    expect(opened).toEqual([
      { CHALLENGER_VERSION: 'V_M1', CHAMPION_VERSION: 'V_R1', OPENED_ON: '2026-01-10', DECIDE_ON: '2026-01-14', STATUS: 'OPEN', OUTCOME: null },
    ]);
  });

  test('the per-partition comparison matches a hand computation over the window, the days both versions forecast', async () => {
    const parts = await rows(`SELECT PARTITION_KEY, N_POINTS, CHAMPION_SMAPE, CHALLENGER_SMAPE, WINNER FROM ${m.partitions.quoted} ORDER BY PARTITION_KEY`);
    // sMAPE of a forecast f of an actual a: 200 |f - a| / (|a| + |f|). A: champion 15 vs 10 -> 40; B the
    // reverse; C: champion 6 -> 50, challenger 8 and 12 alternately -> (200*2/18 + 200*2/22) / 2.
    const c8 = (200 * 2) / 18;
    const c12 = (200 * 2) / 22;
    expect(parts.map((p) => [p.PARTITION_KEY, p.N_POINTS, p.WINNER])).toEqual([
      ['A', 4, 'CHALLENGER'],
      ['B', 4, 'CHAMPION'],
      ['C', 4, 'CHALLENGER'],
      ['D', 2, null],
    ]);
    expect(parts[0].CHAMPION_SMAPE).toBeCloseTo(40, 10);
    expect(parts[0].CHALLENGER_SMAPE).toBeCloseTo(0, 10);
    expect(parts[1].CHAMPION_SMAPE).toBeCloseTo(0, 10);
    expect(parts[1].CHALLENGER_SMAPE).toBeCloseTo(40, 10);
    expect(parts[2].CHAMPION_SMAPE).toBeCloseTo(50, 10);
    expect(parts[2].CHALLENGER_SMAPE).toBeCloseTo((c8 + c12) / 2, 10);
  });

  test('the merged index takes exactly the winners: the challenger where it won or the champion has none, the champion elsewhere', async () => {
    const index = JSON.parse(
      fs.readFileSync(
        path.join(server.objects.models.models.get('CC.S.FORECASTER')!.versions.find((v) => v.name === 'V_BM1')!.artifactsDir!, 'models/BM1/model_index.json'),
        'utf8',
      ),
    );
    expect(index.partitions).toEqual({
      A: 'models/M1/screen/A.json',
      B: 'models/R1/screen/B.json',
      C: 'models/M1/screen/C.json',
      D: 'models/R1/screen/D.json',
      E: 'models/M1/screen/E.json',
    });
    const merged = await rows(`SELECT PARTITION_KEY, PASS FROM CC.S.METRICS WHERE RUN_ID = 'BM1' ORDER BY PARTITION_KEY`);
    expect(merged.map((r) => `${r.PARTITION_KEY}:${r.PASS}`)).toEqual(['A:challenger', 'B:champion', 'C:challenger', 'D:champion', 'E:challenger']);
  });

  test('one merged version is registered and holds the production alias; the challenger alias is gone', () => {
    expect(afterFirst.versions).toEqual(['V_BM1:PRODUCTION', 'V_M1', 'V_R1']);
    expect(server.objects.models.models.get('CC.S.FORECASTER')!.defaultVersion).toBe('V_BM1');
  });

  test('the outcome is recorded: MERGED, two of three compared partitions won, the merged version promoted', () => {
    expect(afterFirst.challenges).toHaveLength(1);
    expect(afterFirst.challenges[0]).toMatchObject({
      CHALLENGER_VERSION: 'V_M1',
      CHAMPION_VERSION: 'V_R1',
      STATUS: 'CLOSED',
      OUTCOME: 'MERGED',
      PARTITIONS_COMPARED: 3,
      CHALLENGER_WINS: 2,
      PROMOTED_VERSION: 'V_BM1',
    });
    expect(afterFirst.challenges[0].CHAMPION_SMAPE).toBeCloseTo(40, 10);
  });

  test('many-model report reads the decided challenge and its partitions from the tables', async () => {
    await run(
      ddl(monitoring.drift, DRIFT_COLUMNS),
      'CREATE TABLE CC.S.QUEUE (RUN_ID VARCHAR, PASS VARCHAR, CHUNK_ID NUMBER, STATUS VARCHAR, PARTITION_KEYS ARRAY)',
    );
    const spec: MonitorSpec = {
      path: 'test/Forecast/Monitoring',
      accuracyTable: 'CC.S.ACC',
      driftTable: 'CC.S.DRIFT',
      resultsTable: 'CC.S.RES',
      hasInterval: true,
      source: { table: 'CC.S.SRC', partitionColumn: 'UNIT_ID', orderColumn: 'DAY', targetColumn: 'Y' },
      windowDays: 28,
      smapeAbove: 25,
      metricsTable: 'CC.S.METRICS',
      queueTable: 'CC.S.QUEUE',
      model: 'CC.S.FORECASTER',
      alias: 'PRODUCTION',
      versionPrefix: 'V_',
      challenger: { challengesTable: String(m.challenges), partitionsTable: String(m.partitions), alias: 'CHALLENGER', windowDays: 4 },
    };
    const data = await collectReport(async (sql) => (await query(c, sql)).rows, 'test', spec);
    expect(data.challenge).toMatchObject({
      challengerVersion: 'V_M1',
      championVersion: 'V_R1',
      openedOn: '2026-01-10',
      decideOn: '2026-01-14',
      status: 'CLOSED',
      outcome: 'MERGED',
      partitionsCompared: 3,
      challengerWins: 2,
      promotedVersion: 'V_BM1',
    });
    expect(data.challenge!.partitions.map((p) => `${p.partitionKey}:${p.winner}`)).toEqual(['A:CHALLENGER', 'B:CHAMPION', 'C:CHALLENGER', 'D:null']);
    expect((await collectReport(async (sql) => (await query(c, sql)).rows, 'test', { ...spec, challenger: undefined })).challenge).toBeNull();
  });

  test('a re-run of the decision task does nothing', async () => {
    expect(await runTask('DECIDE_MERGE', renderChallengerDecisionBody(m))).toMatchObject({ STATE: 'SUCCEEDED' });
    expect(versions()).toEqual(afterFirst.versions);
    expect(Number((await rows('SELECT COUNT(*) AS N FROM CC.S.METRICS'))[0].N)).toBe(afterFirst.metrics);
    expect(await rows(`SELECT * FROM ${m.challenges.quoted}`)).toEqual(afterFirst.challenges);
  });
});

/** Back to V_R1 holding the production alias and no challenger. */
async function resetAliases(): Promise<void> {
  const m = server.objects.models.models.get('CC.S.FORECASTER')!;
  for (const v of m.versions) if (v.alias) await run(`ALTER MODEL CC.S.FORECASTER VERSION ${v.name} UNSET ALIAS`);
  await run('ALTER MODEL CC.S.FORECASTER VERSION V_R1 SET ALIAS = PRODUCTION', "ALTER MODEL CC.S.FORECASTER SET DEFAULT_VERSION = 'V_R1'");
}

describe('a challenger worse than the champion in every partition', () => {
  beforeAll(async () => {
    await trainRun('M2', { A: 11, B: 21, C: 31, D: 41, E: 51 });
    await writeForecasts('V_M2', { A: [20, 20, 20, 20], B: [20, 20, 20, 20], C: [20, 20, 20, 20], D: [20, 20], E: [20, 20, 20, 20] });
  });

  for (const merge of [true, false]) {
    test(`is rejected ${merge ? 'with per-partition merge: no merged version is registered' : 'by the whole-version gate'}; the champion keeps the alias`, async () => {
      await resetAliases();
      const m = model(merge ? 'WORSE_MERGE' : 'WORSE', { merge });
      await openChallenge(m, '2026-01-10', 'M2');
      await setAsOf('2026-01-14');
      expect(await runTask(`DECIDE_${m.challenges.name}`, renderChallengerDecisionBody(m))).toMatchObject({ STATE: 'SUCCEEDED' });
      expect(versions().filter((v) => v.includes(':'))).toEqual(['V_R1:PRODUCTION']);
      expect(versions().map((v) => v.split(':')[0])).not.toContain('V_BM2');
      const [row] = await rows(`SELECT STATUS, OUTCOME, PARTITIONS_COMPARED, CHALLENGER_WINS, PROMOTED_VERSION FROM ${m.challenges.quoted}`);
      expect(row).toEqual({ STATUS: 'CLOSED', OUTCOME: 'REJECTED', PARTITIONS_COMPARED: 3, CHALLENGER_WINS: 0, PROMOTED_VERSION: null });
      expect(Number((await rows(`SELECT COUNT(*) AS N FROM CC.S.METRICS WHERE RUN_ID = 'BM2'`))[0].N)).toBe(0);
    });
  }
});

describe('a challenger better overall, without merge', () => {
  test("is promoted itself when its median realized sMAPE beats the champion's", async () => {
    await resetAliases();
    const m = model('WHOLE', { merge: false });
    await openChallenge(m, '2026-01-10');
    await setAsOf('2026-01-14');
    expect(await runTask('DECIDE_WHOLE', renderChallengerDecisionBody(m))).toMatchObject({ STATE: 'SUCCEEDED' });
    expect(versions().filter((v) => v.includes(':'))).toEqual(['V_M1:PRODUCTION']);
    const [row] = await rows(`SELECT OUTCOME, CHAMPION_SMAPE, CHALLENGER_SMAPE, PROMOTED_VERSION FROM ${m.challenges.quoted}`);
    // Medians over A, B, C: champion 40, 0, 50 -> 40; challenger 0, 40, ~20.2 -> ~20.2.
    expect(row).toMatchObject({ OUTCOME: 'PROMOTED', PROMOTED_VERSION: 'V_M1' });
    expect(row.CHAMPION_SMAPE).toBeCloseTo(40, 10);
    expect(row.CHALLENGER_SMAPE).toBeCloseTo((200 * 2) / 18 / 2 + (200 * 2) / 22 / 2, 10);
  });

  test('is SUPERSEDED, and nothing promoted, when the champion lost the alias during the window', async () => {
    await resetAliases();
    const m = model('SUPERSEDED', { merge: false });
    await openChallenge(m, '2026-01-10');
    // A deploy promoted another version meanwhile.
    await run('ALTER MODEL CC.S.FORECASTER VERSION V_R1 UNSET ALIAS', 'ALTER MODEL CC.S.FORECASTER VERSION V_M2 SET ALIAS = PRODUCTION');
    await setAsOf('2026-01-14');
    expect(await runTask('DECIDE_SUPERSEDED', renderChallengerDecisionBody(m))).toMatchObject({ STATE: 'SUCCEEDED' });
    expect(versions().filter((v) => v.includes(':'))).toEqual(['V_M2:PRODUCTION']);
    expect((await rows(`SELECT OUTCOME FROM ${m.challenges.quoted}`))[0].OUTCOME).toBe('SUPERSEDED');
  });
});

describe('a decision interrupted after it was recorded', () => {
  test('is carried out by the next run without deciding again: one merged version, its rows once', async () => {
    await resetAliases();
    await trainRun('M3', { A: 12, B: 22, C: 32, D: 42, E: 52 });
    await writeForecasts('V_M3', { A: [10, 10, 10, 10], B: [15, 15, 15, 15], C: [8, 12, 8, 12], D: [10, 10], E: [10, 10, 10, 10] });
    const m = model('RESUME');
    await openChallenge(m, '2026-01-10', 'M3');
    await setAsOf('2026-01-14');
    failRegistration = true;
    const first = await runTask('DECIDE_RESUME', renderChallengerDecisionBody(m));
    expect(first.STATE).toBe('FAILED');
    expect(first.ERROR_MESSAGE).toContain('registration interrupted');
    const decided = await rows(`SELECT STATUS, OUTCOME, PROMOTED_VERSION, DECIDED_AT FROM ${m.challenges.quoted}`);
    expect(decided).toEqual([expect.objectContaining({ STATUS: 'DECIDED', OUTCOME: 'MERGED', PROMOTED_VERSION: 'V_BM3' })]);
    expect(versions().filter((v) => v.includes(':'))).toEqual(['V_M3:CHALLENGER', 'V_R1:PRODUCTION']);
    const compared = await rows(`SELECT PARTITION_KEY, WINNER, COMPUTED_AT FROM ${m.partitions.quoted} ORDER BY 1`);

    expect(await runTask('DECIDE_RESUME', renderChallengerDecisionBody(m))).toEqual({ STATE: 'SUCCEEDED', ERROR_MESSAGE: null });
    expect(versions().filter((v) => v.includes(':'))).toEqual(['V_BM3:PRODUCTION']);
    expect(await rows(`SELECT PARTITION_KEY, WINNER, COMPUTED_AT FROM ${m.partitions.quoted} ORDER BY 1`)).toEqual(compared);
    const [closed] = await rows(`SELECT STATUS, DECIDED_AT FROM ${m.challenges.quoted}`);
    expect(closed).toEqual({ STATUS: 'CLOSED', DECIDED_AT: decided[0].DECIDED_AT });
    expect((await rows(`SELECT PARTITION_KEY, PASS FROM CC.S.METRICS WHERE RUN_ID = 'BM3' ORDER BY 1`)).map((r) => `${r.PARTITION_KEY}:${r.PASS}`)).toEqual([
      'A:challenger',
      'B:champion',
      'C:challenger',
      'D:champion',
      'E:challenger',
    ]);
  });
});

describe('the challenger scoring task', () => {
  const m = model('SCORE');
  const scored = async () =>
    (
      await rows(
        `SELECT MODEL_VERSION, FORECAST, COUNT(*) AS N FROM CC.S.RES WHERE RUN_ID = 'C' || TO_VARCHAR(CURRENT_DATE(), 'YYYYMMDD') GROUP BY 1, 2 ORDER BY 1`,
      )
    ).map((r) => `${r.MODEL_VERSION}=${r.FORECAST} x${r.N}`);

  test("scores the challenger and the champion under one run id of the day, every partition and step; a re-run replaces the day's rows", async () => {
    await resetAliases();
    await openChallenge(m, '2026-01-10');
    expect(await runTask('SCORE', renderChallengerScoringBody(m))).toEqual({ STATE: 'SUCCEEDED', ERROR_MESSAGE: null });
    // Five partitions in the source, horizon 2.
    expect(await scored()).toEqual(['V_M1=1 x10', 'V_R1=2 x10']);
    expect(await runTask('SCORE', renderChallengerScoringBody(m))).toEqual({ STATE: 'SUCCEEDED', ERROR_MESSAGE: null });
    expect(await scored()).toEqual(['V_M1=1 x10', 'V_R1=2 x10']);
  });

  test('scores nothing when no challenge is open', async () => {
    await run(`UPDATE ${m.challenges.quoted} SET STATUS = 'CLOSED'`, `DELETE FROM CC.S.RES WHERE RUN_ID LIKE 'C2%' AND SCORED_AT > '2026-02-01'`);
    expect(await runTask('SCORE', renderChallengerScoringBody(m))).toEqual({ STATE: 'SUCCEEDED', ERROR_MESSAGE: null });
    expect(await scored()).toEqual([]);
  });
});
