import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { ObjectName } from '../../lib/identifiers';
import { ACCURACY_COLUMNS, DRIFT_COLUMNS, MonitoringSqlModel, renderMonitoringStatements, renderMonitoringTaskBody } from '../../lib/sql/monitoring';
import { ALERT_EVENT_COLUMNS, renderDegradedShareAction, renderDegradedShareCondition } from '../../lib/sql/monitoring-alert';
import { renderQueueCreate } from '../../lib/sql/queue';
import { renderCarryOver, renderEnqueueRetrain } from '../../lib/sql/retrain';
import { METRICS_COLUMNS } from '../../lib/sql/training';
import { Conn, close, connect, query } from '../local-server/client';

/**
 * The monitoring refresh (lib/sql/monitoring.ts) against the local server, through snowflake-sdk:
 * realized accuracy and drift checked against values computed by hand, and re-runs.
 */
let server: LocalSnowflakeServer;
let c: Conn;

const model = (name: string, overrides: Partial<MonitoringSqlModel> = {}): MonitoringSqlModel => ({
  source: { table: ObjectName.of('M', 'S', `${name}_SRC`), partitionColumn: 'UNIT_ID', orderColumn: 'DAY', targetColumn: 'Y', covariateColumns: [] },
  results: ObjectName.of('M', 'S', `${name}_RES`),
  hasInterval: true,
  accuracy: ObjectName.of('M', 'S', `${name}_ACC`),
  drift: ObjectName.of('M', 'S', `${name}_DRIFT`),
  windowDays: 3,
  baselineDays: 4,
  degradedWhen: { smapeAbove: 25, coverageBelow: 0.5, minPoints: 2 },
  driftWhen: { levelShift: 2, scaleRatio: 2, missingDays: 0, lateDays: 0, minPoints: 2 },
  ...overrides,
});

const ddl = (t: ObjectName, cols: readonly (readonly [string, string, boolean])[]) =>
  `CREATE TABLE ${t.quoted} (${cols.map(([n, ty, nullable]) => `"${n}" ${ty}${nullable ? '' : ' NOT NULL'}`).join(', ')})`;

async function setUp(
  m: MonitoringSqlModel,
  actuals: [string, string, number | null][],
  forecasts: [string, string, number, number | null, number | null, string, string, string][],
): Promise<void> {
  await query(c, `CREATE TABLE ${m.source.table.quoted} (UNIT_ID VARCHAR, DAY DATE, Y FLOAT)`);
  await query(
    c,
    `CREATE TABLE ${m.results.quoted} (PARTITION_KEY VARCHAR, STEP NUMBER, DS DATE, FORECAST FLOAT, LOWER FLOAT, UPPER FLOAT, RUN_ID VARCHAR(64), MODEL_VERSION VARCHAR(256), SCORED_AT TIMESTAMP_NTZ)`,
  );
  await query(c, ddl(m.accuracy, ACCURACY_COLUMNS));
  await query(c, ddl(m.drift, DRIFT_COLUMNS));
  await query(c, `INSERT INTO ${m.source.table.quoted} (UNIT_ID, DAY, Y) VALUES (?, ?, ?)`, actuals);
  if (forecasts.length > 0) {
    await query(
      c,
      `INSERT INTO ${m.results.quoted} (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER, RUN_ID, MODEL_VERSION, SCORED_AT) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)`,
      forecasts,
    );
  }
}

async function refresh(m: MonitoringSqlModel): Promise<void> {
  for (const sql of renderMonitoringStatements(m)) await query(c, sql);
}

const without = (rows: Record<string, any>[], ...keys: string[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k))));

beforeAll(async () => {
  server = await startLocalServer();
  c = await connect(server.connectionOptions());
  for (const sql of ['CREATE DATABASE M', 'CREATE SCHEMA M.S']) await query(c, sql);
});
afterAll(async () => {
  await close(c);
  await server.close();
});

describe('realized accuracy', () => {
  const m = model('ACC1');
  beforeAll(async () => {
    await setUp(
      m,
      [
        ['A', '2026-01-07', 50],
        ['A', '2026-01-08', 10],
        ['A', '2026-01-09', 20],
        ['A', '2026-01-10', 0],
        ['B', '2026-01-08', 100],
        ['B', '2026-01-09', 100],
        ['B', '2026-01-10', 100],
        ['C', '2026-01-08', 10],
        ['C', '2026-01-09', 10],
        ['C', '2026-01-10', 10],
      ],
      [
        // Outside the 3-day window (01-08..01-10): ignored.
        ['A', '2026-01-07', 1, 0, 2, 'R1', 'V1', '2026-01-06 00:00:00'],
        // An older forecast of 01-09 by V1, replaced by the later one.
        ['A', '2026-01-09', 1000, 0, 2000, 'R0', 'V1', '2026-01-05 00:00:00'],
        ['A', '2026-01-08', 12, 8, 14, 'R1', 'V1', '2026-01-06 00:00:00'],
        ['A', '2026-01-09', 15, 10, 18, 'R1', 'V1', '2026-01-06 00:00:00'],
        ['A', '2026-01-10', 0, -1, 1, 'R1', 'V1', '2026-01-06 00:00:00'],
        // A challenger scored one day: too few points to be judged.
        ['A', '2026-01-10', 5, 4, 6, 'R2', 'V2', '2026-01-07 00:00:00'],
        ['B', '2026-01-08', 150, null, null, 'R1', 'V1', '2026-01-06 00:00:00'],
        ['B', '2026-01-09', 150, null, null, 'R1', 'V1', '2026-01-06 00:00:00'],
        ['B', '2026-01-10', 150, null, null, 'R1', 'V1', '2026-01-06 00:00:00'],
        ['C', '2026-01-08', 10, 10.5, 11, 'R1', 'V1', '2026-01-06 00:00:00'],
        ['C', '2026-01-09', 10, 10.5, 11, 'R1', 'V1', '2026-01-06 00:00:00'],
        ['C', '2026-01-10', 11, 10.5, 11, 'R1', 'V1', '2026-01-06 00:00:00'],
      ],
    );
    await refresh(m);
  });

  test('sMAPE, MAE, bias and coverage per partition and version match a hand computation', async () => {
    const rows = (
      await query(
        c,
        `SELECT TO_VARCHAR(AS_OF) AS AS_OF, TO_VARCHAR(WINDOW_START) AS WINDOW_START, PARTITION_KEY, MODEL_VERSION, N_POINTS, SMAPE, MAE, BIAS, COVERAGE, DEGRADED FROM ${m.accuracy.quoted} ORDER BY PARTITION_KEY, MODEL_VERSION`,
      )
    ).rows;
    // A/V1: errors (f - a) 2, -5, 0 on actuals 10, 20, 0; sMAPE terms 4/22, 10/35 and 0 (both zero).
    const smapeA = (100 * (4 / 22 + 10 / 35 + 0)) / 3;
    expect(rows).toHaveLength(4);
    const [a1, a2, b, cc] = rows;
    expect(a1).toMatchObject({ AS_OF: '2026-01-10', WINDOW_START: '2026-01-08', PARTITION_KEY: 'A', MODEL_VERSION: 'V1', N_POINTS: 3, DEGRADED: false });
    expect(a1.SMAPE).toBeCloseTo(smapeA, 9);
    expect(a1.MAE).toBeCloseTo(7 / 3, 9);
    expect(a1.BIAS).toBeCloseTo(-1, 9);
    // 10 in [8, 14], 20 not in [10, 18], 0 in [-1, 1].
    expect(a1.COVERAGE).toBeCloseTo(2 / 3, 9);
    // A/V2: one point, sMAPE 200 %, not judged below minPoints 2.
    expect(a2).toMatchObject({ PARTITION_KEY: 'A', MODEL_VERSION: 'V2', N_POINTS: 1, SMAPE: 200, MAE: 5, BIAS: 5, COVERAGE: 0, DEGRADED: false });
    // B: 2 * 50 / 250 = 40 % > 25 %: degraded; no interval, so no coverage.
    expect(b).toMatchObject({ PARTITION_KEY: 'B', N_POINTS: 3, MAE: 50, BIAS: 50, COVERAGE: null, DEGRADED: true });
    expect(b.SMAPE).toBeCloseTo(40, 9);
    // C: accurate (sMAPE 2/21/3) but no actual inside its interval: degraded by coverage.
    expect(cc).toMatchObject({ PARTITION_KEY: 'C', N_POINTS: 3, COVERAGE: 0, DEGRADED: true });
    expect(cc.SMAPE).toBeCloseTo((100 * (2 / 21)) / 3, 9);
  });

  test('the degraded-share alert finds 2 of 3 partitions degraded on the latest day: above 50 %, not above 70 %', async () => {
    const events = ObjectName.of('M', 'S', 'ACC1_EVENTS');
    await query(c, ddl(events, ALERT_EVENT_COLUMNS));
    // A has two versions and counts once; B and C are degraded.
    const at = (pct: number) => ({ accuracy: m.accuracy, events, degradedPercentAbove: pct });
    expect((await query(c, renderDegradedShareCondition(at(70)))).rows).toEqual([]);
    await query(c, renderDegradedShareAction(at(70)));
    expect((await query(c, renderDegradedShareCondition(at(50)))).rows).toHaveLength(1);
    await query(c, renderDegradedShareAction(at(50)));
    const rows = (await query(c, `SELECT TO_VARCHAR(AS_OF) AS AS_OF, PARTITIONS, DEGRADED, DEGRADED_PERCENT, THRESHOLD_PERCENT FROM ${events.quoted}`)).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ AS_OF: '2026-01-10', PARTITIONS: 3, DEGRADED: 2, THRESHOLD_PERCENT: 50 });
    expect(rows[0].DEGRADED_PERCENT).toBeCloseTo(200 / 3, 9);
  });

  test('a re-run on the same data replaces its rows rather than adding to them', async () => {
    const read = async () => without((await query(c, `SELECT * FROM ${m.accuracy.quoted} ORDER BY PARTITION_KEY, MODEL_VERSION`)).rows, 'COMPUTED_AT');
    const before = await read();
    await refresh(m);
    expect(await read()).toEqual(before);
  });

  test('new actuals evaluate a new day beside the earlier one', async () => {
    await query(c, `INSERT INTO ${m.source.table.quoted} (UNIT_ID, DAY, Y) VALUES ('A', '2026-01-11', 30)`);
    await refresh(m);
    const days = (await query(c, `SELECT TO_VARCHAR(AS_OF) AS D, COUNT(*) AS N FROM ${m.accuracy.quoted} GROUP BY AS_OF ORDER BY AS_OF`)).rows;
    // On 01-11 the window is 01-09..01-11: A/V1 (01-09, 01-10), A/V2 (01-10), B and C (01-09, 01-10).
    expect(days).toEqual([
      { D: '2026-01-10', N: 4 },
      { D: '2026-01-11', N: 4 },
    ]);
  });
});

describe('drift', () => {
  const m = model('DR1', { windowDays: 4, baselineDays: 4 });
  const series = (key: string, days: [number, number][]) => days.map(([d, y]) => [key, `2026-01-${String(d).padStart(2, '0')}`, y] as [string, string, number]);
  const base: [number, number][] = [
    [13, 10],
    [14, 12],
    [15, 10],
    [16, 12],
  ];
  beforeAll(async () => {
    const scored = (key: string, version: string, from: number, scoredAt: string) =>
      [0, 1, 2, 3].map(
        (i) =>
          [key, `2026-01-${String(from + i).padStart(2, '0')}`, 11, 9, 13, `R_${version}`, version, scoredAt] as [
            string,
            string,
            number,
            number,
            number,
            string,
            string,
            string,
          ],
      );
    await setUp(
      m,
      [
        // Before the baseline: never read.
        ...series('P', [[1, 1000], ...base, [17, 11], [18, 12], [19, 10], [20, 11]]),
        ...series('Q', [...base, [17, 20], [18, 22], [19, 20], [20, 22]]),
        ...series('L', [...base, [17, 10], [19, 12]]),
        ...series('N', [...base, [17, 11], [18, 12], [19, 10], [20, 11]]),
      ],
      [
        // P's older version forecast from 01-10; the version scored last (V1) forecasts from 01-17.
        ...scored('P', 'V0', 10, '2026-01-09 00:00:00'),
        ...scored('P', 'V1', 17, '2026-01-16 00:00:00'),
        ...scored('Q', 'V1', 17, '2026-01-16 00:00:00'),
        ...scored('L', 'V1', 17, '2026-01-16 00:00:00'),
        // The scheduled scoring task's rows name the alias, whatever version it held: they do not
        // move the training cutoff, though scored last.
        ...scored('P', 'PRODUCTION', 5, '2026-01-18 00:00:00').map((r) => Object.assign(r, { 5: 'S20260118' })),
      ],
    );
    await refresh(m);
  });

  test('level and scale shift, missing and late days per partition match a hand computation, each flag beside its statistic', async () => {
    const rows = (
      await query(
        c,
        `SELECT PARTITION_KEY, TO_VARCHAR(TRAIN_END) AS TRAIN_END, N_BASELINE, MEAN_BASELINE, SD_BASELINE, N_RECENT, MEAN_RECENT, SD_RECENT, LEVEL_SHIFT, SCALE_RATIO, MISSING_DAYS, DAYS_LATE, LEVEL_DRIFT, SCALE_DRIFT, MISSING_DATA, LATE_DATA, DRIFTED FROM ${m.drift.quoted} ORDER BY PARTITION_KEY`,
      )
    ).rows;
    const byKey = Object.fromEntries(rows.map((r) => [r.PARTITION_KEY, r]));
    const sdBase = Math.sqrt(4 / 3);
    for (const k of ['L', 'N', 'P', 'Q']) {
      expect(byKey[k]).toMatchObject({ TRAIN_END: '2026-01-16', N_BASELINE: 4, MEAN_BASELINE: 11 });
      expect(byKey[k].SD_BASELINE).toBeCloseTo(sdBase, 9);
    }
    // P: recent 11, 12, 10, 11 (mean 11, sd sqrt(2/3)).
    expect(byKey.P).toMatchObject({ N_RECENT: 4, MEAN_RECENT: 11, LEVEL_SHIFT: 0, MISSING_DAYS: 0, DAYS_LATE: 0, DRIFTED: false });
    expect(byKey.P.SCALE_RATIO).toBeCloseTo(Math.sqrt(2 / 3) / sdBase, 9);
    // Q: recent mean 21, ten units up: 10 / sd = 8.66 baseline standard deviations.
    expect(byKey.Q).toMatchObject({
      N_RECENT: 4,
      MEAN_RECENT: 21,
      LEVEL_DRIFT: true,
      SCALE_DRIFT: false,
      MISSING_DATA: false,
      LATE_DATA: false,
      DRIFTED: true,
    });
    expect(byKey.Q.LEVEL_SHIFT).toBeCloseTo(10 / sdBase, 9);
    expect(byKey.Q.SCALE_RATIO).toBeCloseTo(1, 9);
    // L: 01-17 and 01-19 only: 01-18 missing, one day late on 01-20.
    expect(byKey.L).toMatchObject({
      N_RECENT: 2,
      MEAN_RECENT: 11,
      MISSING_DAYS: 1,
      DAYS_LATE: 1,
      LEVEL_DRIFT: false,
      SCALE_DRIFT: false,
      MISSING_DATA: true,
      LATE_DATA: true,
      DRIFTED: true,
    });
    // N was never scored: its baseline ends the day before the window.
    expect(byKey.N).toMatchObject({ N_RECENT: 4, MEAN_RECENT: 11, DRIFTED: false });
  });

  test('the task body runs the same refresh as a task, and a re-run leaves the same rows', async () => {
    const read = async () => without((await query(c, `SELECT * FROM ${m.drift.quoted} ORDER BY PARTITION_KEY`)).rows, 'COMPUTED_AT');
    const before = await read();
    await query(c, `CREATE TASK M.S.MONITOR WAREHOUSE = WH AS ${renderMonitoringTaskBody(m)}`);
    await query(c, 'EXECUTE TASK M.S.MONITOR');
    await server.objects.settle();
    const [run] = (await query(c, "SELECT STATE, ERROR_MESSAGE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'MONITOR'))")).rows;
    expect(run).toEqual({ STATE: 'SUCCEEDED', ERROR_MESSAGE: null });
    expect(await read()).toEqual(before);
  });

  test('the closed loop enqueues only the degraded or drifted partitions and carries every other one over, nothing when none is, and once per evaluation date', async () => {
    const queue = { table: ObjectName.of('M', 'S', 'DR1_QUEUE'), leaseSeconds: 600, maxAttempts: 3 };
    await query(c, renderQueueCreate(queue));
    const rows = async () =>
      (await query(c, `SELECT QUEUE_ID, RUN_ID, PASS, PARTITION_KEYS, STATUS, ATTEMPTS FROM ${queue.table.quoted} ORDER BY QUEUE_ID`)).rows;
    const metrics = ObjectName.of('M', 'S', 'DR1_METRICS');
    const tables = { metrics, runs: ObjectName.of('M', 'S', 'DR1_RUNS'), stage: ObjectName.of('M', 'S', 'DR1_STAGE') };
    await query(c, ddl(metrics, METRICS_COLUMNS));
    // The production run R1: P improved in refine, L failed, N and Q trained once.
    const trained = (key: string, pass: string, status: string, mape: number | null) => [
      'R1',
      pass,
      key,
      status,
      'ets',
      mape,
      1,
      0.1,
      100,
      status === 'OK' ? `models/R1/${pass}/${key}.json` : null,
      null,
      '2026-01-16 00:00:00',
      'img:1',
    ];
    await query(c, `INSERT INTO ${metrics.quoted} VALUES (${METRICS_COLUMNS.map(() => '?').join(', ')})`, [
      trained('P', 'screen', 'OK', 0.1),
      trained('P', 'refine', 'OK', 0.05),
      trained('Q', 'screen', 'OK', 0.1),
      trained('L', 'screen', 'FAILED', null),
      trained('N', 'screen', 'OK', 0.2),
    ]);
    const carried = async () =>
      (await query(c, `SELECT RUN_ID, PASS, PARTITION_KEY, STAGE_PATH, MAPE FROM ${metrics.quoted} WHERE RUN_ID <> 'R1' ORDER BY PARTITION_KEY`)).rows;
    // Lenient thresholds: nothing degraded or drifted, so nothing to train.
    const lenient = model('DR1', {
      windowDays: 4,
      baselineDays: 4,
      degradedWhen: { smapeAbove: 199, coverageBelow: 0, minPoints: 2 },
      driftWhen: { levelShift: 100, scaleRatio: 100, missingDays: 0, lateDays: 0, minPoints: 2 },
    });
    await refresh(lenient);
    expect((await query(c, renderEnqueueRetrain(lenient, queue, 1))).updated).toBe(0);
    expect(await rows()).toEqual([]);
    expect((await query(c, renderCarryOver(tables, lenient, "'R1'"))).updated).toBe(0);
    // The test's thresholds: Q is degraded (sMAPE of 11 against 20-22) and its level drifted; L is
    // only missing and late, which does not retrain.
    await refresh(m);
    expect((await query(c, renderEnqueueRetrain(m, queue, 1))).updated).toBe(1);
    expect(await rows()).toEqual([
      { QUEUE_ID: 'M20260120/refine/0', RUN_ID: 'M20260120', PASS: 'refine', PARTITION_KEYS: ['Q'], STATUS: 'PENDING', ATTEMPTS: 0 },
    ]);
    expect((await query(c, renderEnqueueRetrain(m, queue, 1))).updated).toBe(0);
    expect(await rows()).toHaveLength(1);
    // Every other partition keeps the artifact its current index chose: P the refine one; L had none.
    await query(c, renderCarryOver(tables, m, "'R1'"));
    const expected = [
      { RUN_ID: 'M20260120', PASS: 'carried', PARTITION_KEY: 'N', STAGE_PATH: 'models/R1/screen/N.json', MAPE: 0.2 },
      { RUN_ID: 'M20260120', PASS: 'carried', PARTITION_KEY: 'P', STAGE_PATH: 'models/R1/refine/P.json', MAPE: 0.05 },
    ];
    expect(await carried()).toEqual(expected);
    expect((await query(c, renderCarryOver(tables, m, "'R1'"))).updated).toBe(0);
    expect(await carried()).toEqual(expected);
  });
});
