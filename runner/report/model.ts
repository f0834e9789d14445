/**
 * `many-model report`'s data (what runner/report/collect.ts reads) and the figures derived from it
 * as pure functions: per-partition accuracy, the worst partitions, the sMAPE histogram, champion
 * against challenger and what the latest retraining run retrained. The HTML renderer
 * (runner/report/html.ts) shows exactly these figures, and tests check them on hand-built data.
 */

/** How many of the worst partitions the report charts. */
export const WORST_PARTITIONS = 10;

/** One accuracy row of the latest evaluation date (lib/sql/monitoring.ts ACCURACY_COLUMNS). */
export interface AccuracyRow {
  readonly partitionKey: string;
  /** The version the forecasts record: a concrete version, or the alias for scheduled scoring. */
  readonly modelVersion: string | null;
  readonly nPoints: number;
  /** Percent (0-200). */
  readonly smape: number | null;
  readonly mae: number | null;
  readonly bias: number | null;
  /** Share (0-1) of actuals inside the interval; null without an interval. */
  readonly coverage: number | null;
  readonly degraded: boolean;
}

/** One drift row of the latest evaluation date (DRIFT_COLUMNS). */
export interface DriftRow {
  readonly partitionKey: string;
  readonly trainEnd: string | null;
  readonly levelShift: number | null;
  readonly scaleRatio: number | null;
  readonly missingDays: number;
  readonly daysLate: number;
  readonly levelDrift: boolean;
  readonly scaleDrift: boolean;
  readonly missingData: boolean;
  readonly lateData: boolean;
  readonly drifted: boolean;
}

/** A worst partition's series: actuals and the forecasts (with their interval) of its version. */
export interface PartitionSeries {
  readonly partitionKey: string;
  readonly modelVersion: string | null;
  readonly actuals: readonly { readonly ds: string; readonly y: number }[];
  readonly forecasts: readonly { readonly ds: string; readonly forecast: number; readonly lower: number | null; readonly upper: number | null }[];
}

/** A model version as SHOW VERSIONS IN MODEL lists it. */
export interface ModelVersion {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly createdOn: string;
}

/** The latest retraining run's queue chunks and metrics rows. */
export interface RetrainRunData {
  readonly runId: string;
  readonly chunks: readonly { readonly status: string; readonly partitionKeys: readonly string[] }[];
  readonly metrics: readonly {
    readonly pass: string;
    readonly partitionKey: string;
    readonly status: string;
    readonly modelFamily: string | null;
    readonly mape: number | null;
  }[];
}

/** A partition of a decided challenge: both versions' realized sMAPE over the window's paired days. */
export interface ChallengePartition {
  readonly partitionKey: string;
  readonly nPoints: number;
  readonly championSmape: number | null;
  readonly challengerSmape: number | null;
  /** CHALLENGER or CHAMPION; null when the partition had too few paired days to be compared. */
  readonly winner: string | null;
}

/** The latest challenge of a champion/challenger policy (lib/sql/challenger.ts CHALLENGE_COLUMNS). */
export interface ChallengeData {
  /** The alias the challenger holds during its window. */
  readonly challengerAlias: string;
  readonly challengerRun: string;
  readonly challengerVersion: string;
  readonly championVersion: string;
  readonly openedOn: string;
  readonly decideOn: string;
  /** OPEN, DECIDED or CLOSED. */
  readonly status: string;
  /** PROMOTED, MERGED, REJECTED or SUPERSEDED; null while open. */
  readonly outcome: string | null;
  readonly promoteWhen: string;
  readonly merge: string;
  readonly partitionsCompared: number | null;
  readonly challengerWins: number | null;
  /** Medians over the compared partitions (percent). */
  readonly championSmape: number | null;
  readonly challengerSmape: number | null;
  readonly promotedVersion: string | null;
  /** Empty until the challenge is decided. */
  readonly partitions: readonly ChallengePartition[];
}

/** Everything the report shows. */
export interface ReportData {
  readonly stack: string;
  /** The monitor's construct path. */
  readonly monitor: string;
  /** The latest evaluation date of the accuracy table (YYYY-MM-DD); null before its first refresh. */
  readonly asOf: string | null;
  readonly windowStart: string | null;
  /** The degraded threshold the monitor applies (percent sMAPE). */
  readonly smapeAbove: number;
  readonly accuracy: readonly AccuracyRow[];
  readonly drift: readonly DriftRow[];
  readonly worst: readonly PartitionSeries[];
  readonly model: string;
  readonly alias: string;
  readonly versionPrefix: string;
  /** The model's versions; null when the model does not exist yet. */
  readonly versions: readonly ModelVersion[] | null;
  /** The latest retraining run; null when the closed loop has not retrained yet. */
  readonly retrain: RetrainRunData | null;
  /** The latest challenge; null (or absent) without a challenger policy or before the first. */
  readonly challenge?: ChallengeData | null;
}

/** A partition's accuracy as the report ranks it. */
export interface PartitionAccuracy {
  readonly partitionKey: string;
  /** The champion's row (its version's, else the alias's); without one, the row of the version with the most points in the window. */
  readonly row: AccuracyRow;
  /** Any of its versions' rows is degraded (as the degraded-share alert counts). */
  readonly degraded: boolean;
}

/**
 * The versions whose rows speak for production, in order: the version holding the alias, then the
 * alias itself (rows of the scheduled scoring task record it). Empty when no version holds it.
 */
export function championVersions(data: Pick<ReportData, 'versions' | 'alias'>): string[] {
  const holder = data.versions?.find((v) => v.aliases.some((a) => a.toUpperCase() === data.alias.toUpperCase()));
  return holder ? [holder.name, data.alias] : [];
}

/**
 * One row per partition: the row of the first of `preferred` versions it has (the champion's:
 * championVersions), else of the version with the most points (ties: the greater version name).
 */
export function partitionAccuracy(rows: readonly AccuracyRow[], preferred: readonly string[] = []): PartitionAccuracy[] {
  const rank = (r: AccuracyRow) => {
    const i = preferred.findIndex((p) => p.toUpperCase() === (r.modelVersion ?? '').toUpperCase());
    return i < 0 ? preferred.length : i;
  };
  const by = new Map<string, AccuracyRow[]>();
  for (const r of rows) by.set(r.partitionKey, [...(by.get(r.partitionKey) ?? []), r]);
  return [...by].map(([partitionKey, rs]) => {
    const row = [...rs].sort((a, b) => rank(a) - rank(b) || b.nPoints - a.nPoints || compare(b.modelVersion ?? '', a.modelVersion ?? ''))[0];
    return { partitionKey, row, degraded: rs.some((r) => r.degraded) };
  });
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The `n` partitions with the highest sMAPE (no sMAPE last; ties by key), each by its row of partitionAccuracy. */
export function worstPartitions(rows: readonly AccuracyRow[], n: number, preferred: readonly string[] = []): PartitionAccuracy[] {
  return partitionAccuracy(rows, preferred)
    .sort((a, b) => (b.row.smape ?? -1) - (a.row.smape ?? -1) || compare(a.partitionKey, b.partitionKey))
    .slice(0, n);
}

export interface Histogram {
  /** Bin width in sMAPE percentage points; bin i covers [i * width, (i + 1) * width). */
  readonly width: number;
  readonly counts: readonly number[];
}

const WIDTHS = [1, 2, 5, 10, 20, 25, 50];

/** The partitions' sMAPE in at most 20 bins from 0, of the smallest of 1, 2, 5, 10, 20, 25, 50 points that fits. */
export function smapeHistogram(parts: readonly PartitionAccuracy[]): Histogram {
  const values = parts.map((p) => p.row.smape).filter((v): v is number => v !== null);
  const max = values.length > 0 ? Math.max(...values) : 0;
  const width = WIDTHS.find((w) => Math.floor(max / w) + 1 <= 20) ?? 50;
  const counts = new Array<number>(Math.floor(max / width) + 1).fill(0);
  for (const v of values) counts[Math.floor(v / width)]++;
  return { width, counts };
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const present = (xs: readonly (number | null)[]) => xs.filter((x): x is number => x !== null);

/** One side of the comparison, over the partitions both versions have accuracy for. */
export interface VersionAccuracy {
  readonly version: string;
  readonly medianSmape: number | null;
  readonly meanMae: number | null;
  readonly meanCoverage: number | null;
  readonly degraded: number;
}

/** Champion against challenger over the partitions the accuracy table has both for. */
export interface VersionComparison {
  readonly partitions: number;
  readonly champion: VersionAccuracy;
  readonly challenger: VersionAccuracy;
  readonly challengerBetter: number;
}

export type ChampionChallenger =
  | { readonly kind: 'no-model' }
  /** A challenge of the champion/challenger policy, and (while it is open) the accuracy table's comparison of its two versions so far. */
  | { readonly kind: 'challenge'; readonly challenge: ChallengeData; readonly sofar: VersionComparison | null }
  | { readonly kind: 'no-champion'; readonly newest: string | null }
  | { readonly kind: 'no-challenger'; readonly champion: string; readonly why: string }
  | {
      readonly kind: 'compared';
      readonly partitions: number;
      readonly champion: VersionAccuracy;
      readonly challenger: VersionAccuracy;
      readonly challengerBetter: number;
    };

/**
 * With a champion/challenger policy, its latest challenge (read from the challenges table) and,
 * while it is open, how its two versions compare in the accuracy table so far. Without one, the
 * alias's version (the champion) against the newest version (the challenger) over the partitions
 * the accuracy table has both for. Rows that record the alias (scheduled scoring) count as the
 * champion's where it has no row of its concrete version.
 */
export function championChallenger(data: Pick<ReportData, 'versions' | 'alias' | 'accuracy' | 'challenge'>): ChampionChallenger {
  if (data.challenge) {
    const c = data.challenge;
    return { kind: 'challenge', challenge: c, sofar: c.status === 'OPEN' ? compareVersions(data.accuracy, [c.championVersion], c.challengerVersion) : null };
  }
  if (data.versions === null) return { kind: 'no-model' };
  const up = (s: string | null) => (s ?? '').toUpperCase();
  const alias = up(data.alias);
  const ordered = data.versions
    .map((v, i) => ({ v, i, t: Date.parse(v.createdOn) }))
    .sort((a, b) => (Number.isNaN(a.t) || Number.isNaN(b.t) ? 0 : a.t - b.t) || a.i - b.i);
  const newest = ordered.length > 0 ? ordered[ordered.length - 1].v : undefined;
  const champion = data.versions.find((v) => v.aliases.some((a) => up(a) === alias));
  if (!champion) return { kind: 'no-champion', newest: newest?.name ?? null };
  if (!newest || up(newest.name) === up(champion.name)) return { kind: 'no-challenger', champion: champion.name, why: `the newest version is the champion` };
  const compared = compareVersions(data.accuracy, [champion.name, data.alias], newest.name);
  if (!compared)
    return { kind: 'no-challenger', champion: champion.name, why: `the newest version, ${newest.name}, has no realized accuracy beside the champion's yet` };
  return { kind: 'compared', ...compared };
}

/**
 * `challenger`'s accuracy rows against the champion's (the first of `champion`'s names a partition
 * has rows of) over the partitions both have; null when there is none.
 */
function compareVersions(accuracy: readonly AccuracyRow[], champion: readonly string[], challenger: string): VersionComparison | null {
  const up = (s: string | null) => (s ?? '').toUpperCase();
  const rowsOf = (names: readonly string[]) => {
    const m = new Map<string, AccuracyRow>();
    for (const name of names) for (const r of accuracy) if (up(r.modelVersion) === up(name) && !m.has(r.partitionKey)) m.set(r.partitionKey, r);
    return m;
  };
  const champ = rowsOf(champion);
  const chall = rowsOf([challenger]);
  const common = [...chall.keys()].filter((k) => champ.has(k)).sort();
  if (common.length === 0) return null;
  const side = (version: string, m: Map<string, AccuracyRow>): VersionAccuracy => {
    const rs = common.map((k) => m.get(k)!);
    return {
      version,
      medianSmape: median(present(rs.map((r) => r.smape))),
      meanMae: mean(present(rs.map((r) => r.mae))),
      meanCoverage: mean(present(rs.map((r) => r.coverage))),
      degraded: rs.filter((r) => r.degraded).length,
    };
  };
  const challengerBetter = common.filter((k) => (chall.get(k)!.smape ?? Infinity) < (champ.get(k)!.smape ?? Infinity)).length;
  return { partitions: common.length, champion: side(champion[0], champ), challenger: side(challenger, chall), challengerBetter };
}

/** A partition the retraining run sent back to training, and how far it got. */
export interface RetrainedPartition {
  readonly partitionKey: string;
  /** The metrics row's status (OK, FAILED) once trained; else the queue chunk's (PENDING, CLAIMED, ...). */
  readonly status: string;
  readonly modelFamily: string | null;
  readonly mape: number | null;
}

export interface RetrainSummary {
  readonly runId: string;
  readonly retrained: readonly RetrainedPartition[];
  /** Partitions whose current model the run carried over unchanged. */
  readonly carried: number;
  /** The run's version (`<versionPrefix><run id>`), whether it is registered and whether it holds the alias. */
  readonly version: string;
  readonly registered: boolean;
  readonly promoted: boolean;
}

/** What the latest retraining run retrained; null when there is none. */
export function retrainSummary(data: Pick<ReportData, 'retrain' | 'versions' | 'alias' | 'versionPrefix'>): RetrainSummary | null {
  const r = data.retrain;
  if (!r) return null;
  const trained = new Map(r.metrics.filter((m) => m.pass !== 'carried').map((m) => [m.partitionKey, m]));
  const statusOf = new Map<string, string>();
  for (const c of r.chunks) for (const k of c.partitionKeys) statusOf.set(k, c.status);
  const keys = [...new Set([...statusOf.keys(), ...trained.keys()])].sort(compare);
  const retrained = keys.map((k) => {
    const m = trained.get(k);
    return { partitionKey: k, status: m?.status ?? statusOf.get(k) ?? 'PENDING', modelFamily: m?.modelFamily ?? null, mape: m?.mape ?? null };
  });
  const version = `${data.versionPrefix}${r.runId}`;
  const v = data.versions?.find((x) => x.name.toUpperCase() === version.toUpperCase());
  return {
    runId: r.runId,
    retrained,
    carried: r.metrics.filter((m) => m.pass === 'carried').length,
    version,
    registered: v !== undefined,
    promoted: v?.aliases.some((a) => a.toUpperCase() === data.alias.toUpperCase()) === true,
  };
}
