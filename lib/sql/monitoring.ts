/**
 * Monitoring of a scored pipeline (issue #17): realized accuracy of the forecasts once actuals
 * arrive, and drift of the actuals against the data the scoring version was trained on, one row per
 * partition (and version) per evaluation date, into two tables a consumer role may read.
 *
 * Both refreshes are keyed by the evaluation date, AS_OF: the latest date with an actual in the
 * source (not the clock, so a late feed does not move the window, and a re-run of the same data
 * replaces its rows rather than adding to them). Each refresh deletes that date's rows and inserts
 * them again in one transaction ("Transactions": https://docs.snowflake.com/en/sql-reference/transactions).
 *
 * Dates are days: the window, the baseline and lateness are counted with DATEADD / DATEDIFF in
 * DAY units (https://docs.snowflake.com/en/sql-reference/functions/dateadd ,
 * https://docs.snowflake.com/en/sql-reference/functions/datediff), so monitoring as rendered here
 * suits daily series, the construct's default use.
 */
import { ObjectName, quoteIdentifier, sqlNumber, sqlString } from '../identifiers';
import { CHALLENGE_SCORING_RUN_PREFIX, SCHEDULED_RUN_PREFIX } from './scoring';
import { BEGIN_TRANSACTION, COMMIT } from './session';
import { SourceModel } from './training';

/** When a partition's realized accuracy counts as degraded. */
export interface DegradationModel {
  /** sMAPE above this, in percent (0-200). */
  readonly smapeAbove: number;
  /** Interval coverage below this share (0-1); not applied when the model has no interval columns. */
  readonly coverageBelow: number;
  /** Fewer joined points than this: the partition is reported but never judged degraded. */
  readonly minPoints: number;
}

/** When a partition's recent actuals count as drifted. */
export interface DriftRulesModel {
  /** |mean(recent) - mean(baseline)| / stddev(baseline) above this: a level shift. */
  readonly levelShift: number;
  /** stddev(recent) / stddev(baseline) above this, or below its inverse: a scale shift. */
  readonly scaleRatio: number;
  /** Days without an actual between the recent window's start and the partition's last actual above this: missing data. */
  readonly missingDays: number;
  /** Days between the partition's last actual and AS_OF above this: late data. */
  readonly lateDays: number;
  /** Points needed in each of the recent window and the baseline before level and scale are judged. */
  readonly minPoints: number;
}

/** What the monitoring statements need. */
export interface MonitoringSqlModel {
  /** The source whose actuals are compared (partition, order and target columns). */
  readonly source: SourceModel;
  /** The scoring job's results table (PARTITION_KEY, DS, FORECAST, [LOWER, UPPER,] RUN_ID, MODEL_VERSION, SCORED_AT). */
  readonly results: ObjectName;
  /** Whether the results have LOWER and UPPER interval bounds (coverage is NULL without). */
  readonly hasInterval: boolean;
  readonly accuracy: ObjectName;
  readonly drift: ObjectName;
  /** Days of actuals (ending at AS_OF) the accuracy and the recent drift statistics cover. */
  readonly windowDays: number;
  /** Days of actuals before the training cutoff that make the drift baseline. */
  readonly baselineDays: number;
  readonly degradedWhen: DegradationModel;
  readonly driftWhen: DriftRulesModel;
}

type Columns = readonly (readonly [string, string, boolean])[];

/** Columns of the accuracy table: one row per evaluation date, partition and model version. */
export const ACCURACY_COLUMNS: Columns = [
  ['AS_OF', 'DATE', false],
  ['WINDOW_START', 'DATE', false],
  ['PARTITION_KEY', 'VARCHAR(1024)', false],
  ['MODEL_VERSION', 'VARCHAR(256)', true],
  ['N_POINTS', 'NUMBER(10,0)', false],
  // Percent, 2|f-a|/(|a|+|f|) averaged (0 where both are 0): the reference worker's holdout sMAPE x 100.
  ['SMAPE', 'FLOAT', true],
  ['MAE', 'FLOAT', true],
  // Mean of forecast - actual: positive when the model over-forecasts.
  ['BIAS', 'FLOAT', true],
  // Share of actuals inside [LOWER, UPPER]; NULL when the model has no interval.
  ['COVERAGE', 'FLOAT', true],
  ['DEGRADED', 'BOOLEAN', false],
  ['COMPUTED_AT', 'TIMESTAMP_NTZ', false],
];

/** Columns of the drift table: one row per evaluation date and partition, each flag beside its statistic. */
export const DRIFT_COLUMNS: Columns = [
  ['AS_OF', 'DATE', false],
  ['PARTITION_KEY', 'VARCHAR(1024)', false],
  // The last day the compared version was trained on (the day before its first forecast), else the day before the window.
  ['TRAIN_END', 'DATE', true],
  ['N_BASELINE', 'NUMBER(10,0)', false],
  ['MEAN_BASELINE', 'FLOAT', true],
  ['SD_BASELINE', 'FLOAT', true],
  ['N_RECENT', 'NUMBER(10,0)', false],
  ['MEAN_RECENT', 'FLOAT', true],
  ['SD_RECENT', 'FLOAT', true],
  ['LEVEL_SHIFT', 'FLOAT', true],
  ['SCALE_RATIO', 'FLOAT', true],
  ['MISSING_DAYS', 'NUMBER(10,0)', false],
  ['DAYS_LATE', 'NUMBER(10,0)', false],
  ['LEVEL_DRIFT', 'BOOLEAN', false],
  ['SCALE_DRIFT', 'BOOLEAN', false],
  ['MISSING_DATA', 'BOOLEAN', false],
  ['LATE_DATA', 'BOOLEAN', false],
  ['DRIFTED', 'BOOLEAN', false],
  ['COMPUTED_AT', 'TIMESTAMP_NTZ', false],
];

const names = (cols: Columns) => cols.map(([n]) => quoteIdentifier(n)).join(', ');

/** AS_OF as a one-row table: the latest day with an actual in the source. */
function asOfRow(s: SourceModel): string {
  return `(SELECT MAX(CAST(${quoteIdentifier(s.orderColumn)} AS DATE)) AS AS_OF FROM ${s.table.quoted} WHERE ${quoteIdentifier(s.targetColumn)} IS NOT NULL)`;
}

/** AS_OF as a scalar subquery. */
function asOf(s: SourceModel): string {
  return `(SELECT AS_OF FROM ${asOfRow(s)})`;
}

/** The evaluation window as one row: AS_OF and WINDOW_START (AS_OF - windowDays + 1). */
function windowRow(m: MonitoringSqlModel): string {
  return `(SELECT X.AS_OF, DATEADD(DAY, ${sqlNumber(1 - m.windowDays)}, X.AS_OF) AS WINDOW_START FROM ${asOfRow(m.source)} X WHERE X.AS_OF IS NOT NULL)`;
}

/** The source's actuals as (PARTITION_KEY, DS, Y), keys as text as the results hold them. */
export function actuals(s: SourceModel): string {
  const p = quoteIdentifier(s.partitionColumn);
  const y = quoteIdentifier(s.targetColumn);
  return `(SELECT TO_VARCHAR(${p}) AS PARTITION_KEY, CAST(${quoteIdentifier(s.orderColumn)} AS DATE) AS DS, ${y} AS Y FROM ${s.table.quoted} WHERE ${p} IS NOT NULL AND ${y} IS NOT NULL)`;
}

/**
 * One forecast per partition, day and version: the latest scored (SCORED_AT, then RUN_ID), since
 * daily scoring forecasts each day again from newer data. QUALIFY filters on a window function
 * (https://docs.snowflake.com/en/sql-reference/constructs/qualify).
 */
function forecasts(m: MonitoringSqlModel): string {
  const bounds = m.hasInterval ? '"LOWER", "UPPER"' : 'NULL AS "LOWER", NULL AS "UPPER"';
  return [
    `(SELECT "PARTITION_KEY", CAST("DS" AS DATE) AS DS, "MODEL_VERSION", "FORECAST", ${bounds} FROM ${m.results.quoted}`,
    `  WHERE "FORECAST" IS NOT NULL`,
    `  QUALIFY ROW_NUMBER() OVER (PARTITION BY "PARTITION_KEY", "DS", "MODEL_VERSION" ORDER BY "SCORED_AT" DESC, "RUN_ID" DESC) = 1)`,
  ].join('\n');
}

/** Deletes AS_OF's rows of a monitoring table (the refresh re-inserts them). */
function deleteAsOf(table: ObjectName, s: SourceModel): string {
  return `DELETE FROM ${table.quoted} WHERE "AS_OF" = ${asOf(s)}`;
}

/**
 * Realized accuracy per partition and version over the window: the actuals joined with the
 * forecasts made for their day. sMAPE in percent, MAE, bias (forecast - actual), interval coverage.
 */
export function renderAccuracyInsert(m: MonitoringSqlModel): string {
  const d = m.degradedWhen;
  const denom = 'ABS(A.Y) + ABS(F.FORECAST)';
  return [
    `INSERT INTO ${m.accuracy.quoted} (${names(ACCURACY_COLUMNS)})`,
    `SELECT Q.AS_OF, Q.WINDOW_START, Q.PARTITION_KEY, Q.MODEL_VERSION, Q.N_POINTS, Q.SMAPE, Q.MAE, Q.BIAS, Q.COVERAGE,`,
    `  (Q.N_POINTS >= ${sqlNumber(d.minPoints)} AND (Q.SMAPE > ${sqlNumber(d.smapeAbove)} OR COALESCE(Q.COVERAGE < ${sqlNumber(d.coverageBelow)}, FALSE))), CURRENT_TIMESTAMP()`,
    `FROM (SELECT W.AS_OF, W.WINDOW_START, F.PARTITION_KEY, F.MODEL_VERSION, COUNT(*) AS N_POINTS,`,
    `    100 * AVG(IFF(${denom} = 0, 0, 2 * ABS(F.FORECAST - A.Y) / (${denom}))) AS SMAPE,`,
    `    AVG(ABS(F.FORECAST - A.Y)) AS MAE,`,
    `    AVG(F.FORECAST - A.Y) AS BIAS,`,
    `    AVG(IFF(F."LOWER" IS NULL OR F."UPPER" IS NULL, NULL, IFF(A.Y >= F."LOWER" AND A.Y <= F."UPPER", 1, 0))) AS COVERAGE`,
    `  FROM ${windowRow(m)} W`,
    `  JOIN ${actuals(m.source)} A ON A.DS >= W.WINDOW_START AND A.DS <= W.AS_OF`,
    `  JOIN ${forecasts(m)} F ON F.PARTITION_KEY = A.PARTITION_KEY AND F.DS = A.DS`,
    `  GROUP BY W.AS_OF, W.WINDOW_START, F.PARTITION_KEY, F.MODEL_VERSION) Q`,
  ].join('\n');
}

/**
 * Per partition, the last day the version it was last scored with was trained on: the day before
 * that version's first forecast for it (scoring forecasts from the day after the data it was
 * trained on). Only rows of post-deploy scoring count: they record the concrete version, while
 * the scheduled scoring task records the alias (its run ids start with SCHEDULED_RUN_PREFIX), whose
 * first forecast says nothing about the version scoring with it now; a challenger's scoring
 * (CHALLENGE_SCORING_RUN_PREFIX) scores the champion and the challenger in one run, and the
 * champion's baseline stays the one its post-deploy scoring set.
 */
function trainEnds(m: MonitoringSqlModel): string {
  const versioned = `"RUN_ID" NOT LIKE ${sqlString(`${SCHEDULED_RUN_PREFIX}%`)} AND "RUN_ID" NOT LIKE ${sqlString(`${CHALLENGE_SCORING_RUN_PREFIX}%`)}`;
  return [
    `(SELECT R."PARTITION_KEY", DATEADD(DAY, -1, MIN(CAST(R."DS" AS DATE))) AS TRAIN_END FROM ${m.results.quoted} R`,
    `  JOIN (SELECT "PARTITION_KEY", "MODEL_VERSION" FROM ${m.results.quoted} WHERE ${versioned} QUALIFY ROW_NUMBER() OVER (PARTITION BY "PARTITION_KEY" ORDER BY "SCORED_AT" DESC, "RUN_ID" DESC) = 1) L`,
    `    ON L."PARTITION_KEY" = R."PARTITION_KEY" AND L."MODEL_VERSION" = R."MODEL_VERSION"`,
    `  WHERE R.${versioned}`,
    `  GROUP BY R."PARTITION_KEY")`,
  ].join('\n');
}

/**
 * Drift per partition: the recent actuals (the window, after the training cutoff) against the
 * baseline (the last baselineDays the version was trained on). Level shift in baseline standard
 * deviations, scale ratio of standard deviations (STDDEV_SAMP: NULL for fewer than two values,
 * https://docs.snowflake.com/en/sql-reference/functions/stddev_samp), days missing inside the
 * recent window, days late against AS_OF; each flag beside its statistic.
 */
export function renderDriftInsert(m: MonitoringSqlModel): string {
  const r = m.driftWhen;
  const base = `B.DS >= DATEADD(DAY, ${sqlNumber(1 - m.baselineDays)}, B.TRAIN_END) AND B.DS <= B.TRAIN_END`;
  const recent = 'B.DS >= B.RECENT_START';
  const judged = `S.N_RECENT >= ${sqlNumber(r.minPoints)} AND S.N_BASELINE >= ${sqlNumber(r.minPoints)}`;
  const level = `(${judged} AND COALESCE(ABS(S.LEVEL_SHIFT) > ${sqlNumber(r.levelShift)}, FALSE))`;
  const scale = `(${judged} AND COALESCE(S.SCALE_RATIO > ${sqlNumber(r.scaleRatio)} OR S.SCALE_RATIO < ${sqlNumber(1 / r.scaleRatio)}, FALSE))`;
  const missing = `(S.MISSING_DAYS > ${sqlNumber(r.missingDays)})`;
  const late = `(S.DAYS_LATE > ${sqlNumber(r.lateDays)})`;
  return [
    `INSERT INTO ${m.drift.quoted} (${names(DRIFT_COLUMNS)})`,
    `SELECT S.AS_OF, S.PARTITION_KEY, S.TRAIN_END, S.N_BASELINE, S.MEAN_BASELINE, S.SD_BASELINE, S.N_RECENT, S.MEAN_RECENT, S.SD_RECENT,`,
    `  S.LEVEL_SHIFT, S.SCALE_RATIO, S.MISSING_DAYS, S.DAYS_LATE,`,
    `  ${level}, ${scale}, ${missing}, ${late},`,
    `  (${level} OR ${scale} OR ${missing} OR ${late}), CURRENT_TIMESTAMP()`,
    `FROM (SELECT G.*, (G.MEAN_RECENT - G.MEAN_BASELINE) / NULLIF(G.SD_BASELINE, 0) AS LEVEL_SHIFT, G.SD_RECENT / NULLIF(G.SD_BASELINE, 0) AS SCALE_RATIO,`,
    `    IFF(G.LAST_DATE >= G.RECENT_START, DATEDIFF(DAY, G.RECENT_START, G.LAST_DATE) + 1 - G.N_RECENT, 0) AS MISSING_DAYS,`,
    `    DATEDIFF(DAY, G.LAST_DATE, G.AS_OF) AS DAYS_LATE`,
    `  FROM (SELECT B.AS_OF, B.PARTITION_KEY, B.TRAIN_END, B.RECENT_START,`,
    `      COUNT(IFF(${base}, B.Y, NULL)) AS N_BASELINE, AVG(IFF(${base}, B.Y, NULL)) AS MEAN_BASELINE, STDDEV_SAMP(IFF(${base}, B.Y, NULL)) AS SD_BASELINE,`,
    `      COUNT(DISTINCT IFF(${recent}, B.DS, NULL)) AS N_RECENT, AVG(IFF(${recent}, B.Y, NULL)) AS MEAN_RECENT, STDDEV_SAMP(IFF(${recent}, B.Y, NULL)) AS SD_RECENT,`,
    `      MAX(B.DS) AS LAST_DATE`,
    `    FROM (SELECT C.*, GREATEST(C.WINDOW_START, DATEADD(DAY, 1, C.TRAIN_END)) AS RECENT_START`,
    `      FROM (SELECT A.PARTITION_KEY, A.DS, A.Y, W.AS_OF, W.WINDOW_START, COALESCE(V.TRAIN_END, DATEADD(DAY, -1, W.WINDOW_START)) AS TRAIN_END`,
    `        FROM ${windowRow(m)} W`,
    `        JOIN ${actuals(m.source)} A ON A.DS <= W.AS_OF`,
    `        LEFT JOIN ${trainEnds(m)} V ON V.PARTITION_KEY = A.PARTITION_KEY) C) B`,
    `    GROUP BY B.AS_OF, B.PARTITION_KEY, B.TRAIN_END, B.RECENT_START) G) S`,
  ].join('\n');
}

/** The refresh as separate statements, in order (for a hook step, a test, or the task body below). */
export function renderMonitoringStatements(m: MonitoringSqlModel): string[] {
  return [BEGIN_TRANSACTION, deleteAsOf(m.accuracy, m.source), renderAccuracyInsert(m), deleteAsOf(m.drift, m.source), renderDriftInsert(m), COMMIT];
}

/**
 * The monitoring task's body: one Snowflake Scripting block running the refresh in a transaction
 * (a block is one statement for a task: "BEGIN ... END (Snowflake Scripting)",
 * https://docs.snowflake.com/en/sql-reference/snowflake-scripting/begin).
 */
export function renderMonitoringTaskBody(m: MonitoringSqlModel): string {
  return ['BEGIN', ...renderMonitoringStatements(m).map((s) => `${s.replace(/\n/g, '\n  ').replace(/^/, '  ')};`), 'END'].join('\n');
}
