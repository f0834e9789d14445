/**
 * Reads what `many-model report` shows, through the queries of lib/sql/report.ts, for one monitor
 * of a synthesized stack (its hooks.json `monitors[]` entry): the latest evaluation, the worst
 * partitions' series, the model's versions and the latest retraining run.
 */
import { MonitorSpec } from '../../lib/hooks/manifest';
import { ObjectName } from '../../lib/identifiers';
import {
  ReportSqlModel,
  renderChallengePartitions,
  renderLatestAccuracy,
  renderLatestChallenge,
  renderLatestDrift,
  renderLatestRetrainRun,
  renderModelVersions,
  renderRetrainChunks,
  renderRetrainMetrics,
  renderSeriesActuals,
  renderSeriesForecasts,
} from '../../lib/sql/report';
import {
  AccuracyRow,
  ChallengeData,
  DriftRow,
  ModelVersion,
  PartitionAccuracy,
  PartitionSeries,
  ReportData,
  RetrainRunData,
  WORST_PARTITIONS,
  championVersions,
  worstPartitions,
} from './model';

type Row = Record<string, unknown>;
/** Runs one statement and returns its rows (column names as Snowflake returns them). */
export type Query = (sql: string) => Promise<Row[]>;

/** The report's SQL model from a monitor's manifest entry (names validated as they are parsed). */
export function reportSqlModel(m: MonitorSpec): ReportSqlModel {
  const name = (n: string) => ObjectName.parse(n, 3);
  return {
    accuracy: name(m.accuracyTable),
    drift: name(m.driftTable),
    results: name(m.resultsTable),
    hasInterval: m.hasInterval,
    source: { table: name(m.source.table), partitionColumn: m.source.partitionColumn, orderColumn: m.source.orderColumn, targetColumn: m.source.targetColumn },
    metrics: name(m.metricsTable),
    queue: name(m.queueTable),
    model: name(m.model),
    ...(m.challenger ? { challenger: { challenges: name(m.challenger.challengesTable), partitions: name(m.challenger.partitionsTable) } } : {}),
  };
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const bool = (v: unknown): boolean => v === true || v === 'true' || v === 1 || v === '1';
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' && v.length > 0 ? (JSON.parse(v) as unknown[]).map(String) : [];

/** Snowflake's "does not exist or not authorized" (002003): a model not registered yet (or not visible to the role) reads as none. */
const doesNotExist = (e: unknown) => (e as { code?: string }).code === '002003' || /does not exist/i.test((e as Error).message ?? '');

/** Everything the report shows for `monitor` of `stack`. */
export async function collectReport(query: Query, stack: string, monitor: MonitorSpec): Promise<ReportData> {
  const m = reportSqlModel(monitor);
  const accRows = await query(renderLatestAccuracy(m));
  const accuracy: AccuracyRow[] = accRows.map((r) => ({
    partitionKey: String(r.PARTITION_KEY),
    modelVersion: str(r.MODEL_VERSION),
    nPoints: Number(r.N_POINTS),
    smape: num(r.SMAPE),
    mae: num(r.MAE),
    bias: num(r.BIAS),
    coverage: num(r.COVERAGE),
    degraded: bool(r.DEGRADED),
  }));
  const drift: DriftRow[] = (await query(renderLatestDrift(m))).map((r) => ({
    partitionKey: String(r.PARTITION_KEY),
    trainEnd: str(r.TRAIN_END),
    levelShift: num(r.LEVEL_SHIFT),
    scaleRatio: num(r.SCALE_RATIO),
    missingDays: Number(r.MISSING_DAYS),
    daysLate: Number(r.DAYS_LATE),
    levelDrift: bool(r.LEVEL_DRIFT),
    scaleDrift: bool(r.SCALE_DRIFT),
    missingData: bool(r.MISSING_DATA),
    lateData: bool(r.LATE_DATA),
    drifted: bool(r.DRIFTED),
  }));
  const asOf = str(accRows[0]?.AS_OF);
  const windowStart = str(accRows[0]?.WINDOW_START);
  let versions: ModelVersion[] | null;
  try {
    versions = (await query(renderModelVersions(m))).map((r) => ({ name: String(r.name), aliases: list(r.aliases), createdOn: String(r.created_on ?? '') }));
  } catch (e) {
    if (!doesNotExist(e)) throw e;
    versions = null;
  }
  const worst =
    asOf && windowStart
      ? await readSeries(query, m, worstPartitions(accuracy, WORST_PARTITIONS, championVersions({ versions, alias: monitor.alias })), windowStart, asOf)
      : [];
  const runId = str((await query(renderLatestRetrainRun(m)))[0]?.RUN_ID);
  let retrain: RetrainRunData | null = null;
  if (runId) {
    const chunks = (await query(renderRetrainChunks(m, runId))).map((r) => ({ status: String(r.STATUS), partitionKeys: list(r.PARTITION_KEYS) }));
    const metrics = (await query(renderRetrainMetrics(m, runId))).map((r) => ({
      pass: String(r.PASS),
      partitionKey: String(r.PARTITION_KEY),
      status: String(r.STATUS),
      modelFamily: str(r.MODEL_FAMILY),
      mape: num(r.MAPE),
    }));
    retrain = { runId, chunks, metrics };
  }
  return {
    stack,
    challenge: await readChallenge(query, m, monitor),
    monitor: monitor.path,
    asOf,
    windowStart,
    smapeAbove: monitor.smapeAbove,
    accuracy,
    drift,
    worst,
    model: monitor.model,
    alias: monitor.alias,
    versionPrefix: monitor.versionPrefix,
    versions,
    retrain,
  };
}

/** The worst partitions' actuals over the window and their version's forecasts from the window on. */
async function readSeries(query: Query, m: ReportSqlModel, worst: readonly PartitionAccuracy[], from: string, to: string): Promise<PartitionSeries[]> {
  if (worst.length === 0) return [];
  const keys = worst.map((w) => w.partitionKey);
  const actuals = await query(renderSeriesActuals(m, keys, from, to));
  const forecasts = await query(renderSeriesForecasts(m, keys, from));
  return worst.map((w) => ({
    partitionKey: w.partitionKey,
    modelVersion: w.row.modelVersion,
    actuals: actuals.filter((r) => String(r.PARTITION_KEY) === w.partitionKey).map((r) => ({ ds: String(r.DS), y: Number(r.Y) })),
    forecasts: forecasts
      .filter((r) => String(r.PARTITION_KEY) === w.partitionKey && str(r.MODEL_VERSION) === w.row.modelVersion)
      .map((r) => ({ ds: String(r.DS), forecast: Number(r.FORECAST), lower: num(r.LOWER), upper: num(r.UPPER) })),
  }));
}

/** The latest challenge and, once decided, its per-partition comparison; null without a challenger policy or before the first. */
async function readChallenge(query: Query, m: ReportSqlModel, monitor: MonitorSpec): Promise<ChallengeData | null> {
  if (!m.challenger || !monitor.challenger) return null;
  const [r] = await query(renderLatestChallenge(m.challenger.challenges));
  if (!r) return null;
  const run = String(r.CHALLENGER_RUN);
  const partitions = (await query(renderChallengePartitions(m.challenger.partitions, run))).map((p) => ({
    partitionKey: String(p.PARTITION_KEY),
    nPoints: Number(p.N_POINTS),
    championSmape: num(p.CHAMPION_SMAPE),
    challengerSmape: num(p.CHALLENGER_SMAPE),
    winner: str(p.WINNER),
  }));
  return {
    challengerAlias: monitor.challenger.alias,
    challengerRun: run,
    challengerVersion: String(r.CHALLENGER_VERSION),
    championVersion: String(r.CHAMPION_VERSION),
    openedOn: String(r.OPENED_ON),
    decideOn: String(r.DECIDE_ON),
    status: String(r.STATUS),
    outcome: str(r.OUTCOME),
    promoteWhen: String(r.PROMOTE_WHEN),
    merge: String(r.MERGE),
    partitionsCompared: num(r.PARTITIONS_COMPARED),
    challengerWins: num(r.CHALLENGER_WINS),
    championSmape: num(r.CHAMPION_SMAPE),
    challengerSmape: num(r.CHALLENGER_SMAPE),
    promotedVersion: str(r.PROMOTED_VERSION),
    partitions,
  };
}
