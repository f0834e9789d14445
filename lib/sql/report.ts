/**
 * The read-only queries of `many-model report` (issue #17, "Seeing it"): the latest evaluation of
 * the monitoring tables, the actuals and forecasts of a few partitions, the model's versions and
 * the latest retraining run of the closed loop. Every date is read as text, a DATE cast to
 * VARCHAR (`YYYY-MM-DD` under the default DATE_OUTPUT_FORMAT: "Date and time input and output
 * formats", https://docs.snowflake.com/en/sql-reference/date-time-input-output), so what the report
 * shows does not depend on the driver's date handling.
 */
import { ObjectName, quoteIdentifier, sqlString } from '../identifiers';
import { RETRAIN_PASS, RETRAIN_RUN_PREFIX } from './retrain';

/** What the report reads: one pipeline's monitor (hooks.json `monitors[]`, lib/hooks/manifest.ts). */
export interface ReportSqlModel {
  readonly accuracy: ObjectName;
  readonly drift: ObjectName;
  readonly results: ObjectName;
  /** Whether the results have LOWER and UPPER. */
  readonly hasInterval: boolean;
  readonly source: { readonly table: ObjectName; readonly partitionColumn: string; readonly orderColumn: string; readonly targetColumn: string };
  readonly metrics: ObjectName;
  readonly queue: ObjectName;
  readonly model: ObjectName;
  /** With a champion/challenger policy: its challenges table and per-partition comparison (lib/sql/challenger.ts). */
  readonly challenger?: { readonly challenges: ObjectName; readonly partitions: ObjectName };
}

/** A DATE (or a value cast to one) as `YYYY-MM-DD` text. */
const dateText = (expr: string) => `CAST(CAST(${expr} AS DATE) AS VARCHAR)`;

const latest = (t: ObjectName) => `(SELECT MAX("AS_OF") FROM ${t.quoted})`;

/** The accuracy rows of the latest evaluation date, one per partition and version. */
export function renderLatestAccuracy(m: ReportSqlModel): string {
  return [
    `SELECT ${dateText('"AS_OF"')} AS AS_OF, ${dateText('"WINDOW_START"')} AS WINDOW_START, "PARTITION_KEY", "MODEL_VERSION", "N_POINTS", "SMAPE", "MAE", "BIAS", "COVERAGE", "DEGRADED"`,
    `FROM ${m.accuracy.quoted} WHERE "AS_OF" = ${latest(m.accuracy)}`,
    `ORDER BY "PARTITION_KEY", "MODEL_VERSION"`,
  ].join('\n');
}

/** The drift rows of the latest evaluation date, one per partition. */
export function renderLatestDrift(m: ReportSqlModel): string {
  return [
    `SELECT ${dateText('"AS_OF"')} AS AS_OF, "PARTITION_KEY", ${dateText('"TRAIN_END"')} AS TRAIN_END, "LEVEL_SHIFT", "SCALE_RATIO", "MISSING_DAYS", "DAYS_LATE",`,
    `  "LEVEL_DRIFT", "SCALE_DRIFT", "MISSING_DATA", "LATE_DATA", "DRIFTED"`,
    `FROM ${m.drift.quoted} WHERE "AS_OF" = ${latest(m.drift)}`,
    `ORDER BY "PARTITION_KEY"`,
  ].join('\n');
}

const keyList = (keys: readonly string[]) => keys.map(sqlString).join(', ');

/** The actuals of `keys` from `from` to `to` (YYYY-MM-DD, inclusive), as (PARTITION_KEY, DS, Y). */
export function renderSeriesActuals(m: ReportSqlModel, keys: readonly string[], from: string, to: string): string {
  const s = m.source;
  const p = quoteIdentifier(s.partitionColumn);
  const d = `CAST(${quoteIdentifier(s.orderColumn)} AS DATE)`;
  const y = quoteIdentifier(s.targetColumn);
  return [
    `SELECT TO_VARCHAR(${p}) AS PARTITION_KEY, ${dateText(quoteIdentifier(s.orderColumn))} AS DS, ${y} AS Y FROM ${s.table.quoted}`,
    `WHERE TO_VARCHAR(${p}) IN (${keyList(keys)}) AND ${y} IS NOT NULL AND ${d} >= ${sqlString(from)} AND ${d} <= ${sqlString(to)}`,
    `ORDER BY 1, 2`,
  ].join('\n');
}

/**
 * The forecasts of `keys` from `from` on, one per partition, day and version: the latest scored,
 * as the monitoring refresh joins them (lib/sql/monitoring.ts).
 */
export function renderSeriesForecasts(m: ReportSqlModel, keys: readonly string[], from: string): string {
  const bounds = m.hasInterval ? '"LOWER", "UPPER"' : 'NULL AS "LOWER", NULL AS "UPPER"';
  return [
    `SELECT "PARTITION_KEY", ${dateText('"DS"')} AS DS, "MODEL_VERSION", "FORECAST", ${bounds} FROM ${m.results.quoted}`,
    `WHERE "PARTITION_KEY" IN (${keyList(keys)}) AND "FORECAST" IS NOT NULL AND CAST("DS" AS DATE) >= ${sqlString(from)}`,
    `QUALIFY ROW_NUMBER() OVER (PARTITION BY "PARTITION_KEY", "DS", "MODEL_VERSION" ORDER BY "SCORED_AT" DESC, "RUN_ID" DESC) = 1`,
    `ORDER BY 1, 2`,
  ].join('\n');
}

/**
 * The model's versions with their aliases and creation times
 * (https://docs.snowflake.com/en/sql-reference/sql/show-versions-in-model).
 */
export function renderModelVersions(m: ReportSqlModel): string {
  return `SHOW VERSIONS IN MODEL ${m.model.quoted}`;
}

const retrainRuns = `"RUN_ID" LIKE ${sqlString(`${RETRAIN_RUN_PREFIX}%`)}`;

/**
 * The latest retraining run of the closed loop (`M` + YYYYMMDD, so the greatest id is the latest),
 * from the queue (enqueued) or the metrics (trained, carried): one row, RUN_ID NULL when none.
 */
export function renderLatestRetrainRun(m: ReportSqlModel): string {
  return `SELECT MAX("RUN_ID") AS RUN_ID FROM (SELECT "RUN_ID" FROM ${m.queue.quoted} WHERE ${retrainRuns} UNION ALL SELECT "RUN_ID" FROM ${m.metrics.quoted} WHERE ${retrainRuns})`;
}

/** The retraining run's chunks: their state and the partitions each holds (a JSON array). */
export function renderRetrainChunks(m: ReportSqlModel, runId: string): string {
  return `SELECT "CHUNK_ID", "STATUS", "PARTITION_KEYS" FROM ${m.queue.quoted} WHERE "RUN_ID" = ${sqlString(runId)} AND "PASS" = ${sqlString(RETRAIN_PASS)} ORDER BY "CHUNK_ID"`;
}

/** The retraining run's metrics rows: retrained (pass refine) and carried over. */
export function renderRetrainMetrics(m: ReportSqlModel, runId: string): string {
  return `SELECT "PASS", "PARTITION_KEY", "STATUS", "MODEL_FAMILY", "MAPE" FROM ${m.metrics.quoted} WHERE "RUN_ID" = ${sqlString(runId)} ORDER BY "PARTITION_KEY", "PASS"`;
}

/** The latest challenge (by when it opened), its window and outcome; no row before the first. */
export function renderLatestChallenge(challenges: ObjectName): string {
  return [
    `SELECT "CHALLENGER_RUN", "CHALLENGER_VERSION", "CHAMPION_VERSION", ${dateText('"OPENED_ON"')} AS OPENED_ON, ${dateText('"DECIDE_ON"')} AS DECIDE_ON, "STATUS", "OUTCOME",`,
    `  "PROMOTE_WHEN", "MERGE", "PARTITIONS_COMPARED", "CHALLENGER_WINS", "CHAMPION_SMAPE", "CHALLENGER_SMAPE", "PROMOTED_VERSION"`,
    `FROM ${challenges.quoted} ORDER BY "OPENED_AT" DESC, "CHALLENGER_RUN" DESC LIMIT 1`,
  ].join('\n');
}

/** A challenge's per-partition comparison (written when it is decided). */
export function renderChallengePartitions(partitions: ObjectName, challengerRun: string): string {
  return `SELECT "PARTITION_KEY", "N_POINTS", "CHAMPION_SMAPE", "CHALLENGER_SMAPE", "WINNER" FROM ${partitions.quoted} WHERE "CHALLENGER_RUN" = ${sqlString(challengerRun)} ORDER BY "PARTITION_KEY"`;
}
