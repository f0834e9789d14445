/**
 * Series preparation: from raw rows (unsorted, duplicate dates, missing days, NULLs) to a regular
 * daily grid without holes.
 *
 * Choices (docs/forecast-models.md, "Series preparation"):
 * - Duplicate dates are averaged (default) or summed; their non-NULL values are sorted first, so
 *   the result does not depend on the input order. A date whose values are all NULL is a NULL.
 * - A value that is NULL, undefined or not finite (NaN, ±Infinity) is missing; a value of another
 *   type (a numeric string, say) is an error rather than silently missing.
 * - The grid runs from the first to the last date with a value: leading and trailing NULLs are
 *   dropped (they cannot be interpolated), so forecasts start the day after the last value.
 * - Missing days and NULLs inside the grid are filled by linear interpolation between the nearest
 *   values on each side. It keeps level and trend, adds no noise, and is what a seasonal model's
 *   one-step errors tolerate best for short gaps; long gaps are bounded by `maxFilledFraction`
 *   at fit time.
 */
import { fromDayNumber, toDayNumber } from './dates';
import { ForecastOptionsError, SeriesError } from './errors';

/** One input row. */
export interface Observation {
  /** `YYYY-MM-DD` (a longer ISO timestamp is cut to its date) or a Date, read in UTC. */
  readonly date: string | Date;
  /** The value; NULL (or undefined, NaN, ±Infinity) means missing. */
  readonly y: number | null;
}

/** Options of {@link prepareSeries}. */
export interface PrepareOptions {
  /** How values of the same date combine. @default 'mean' */
  readonly duplicates?: 'mean' | 'sum';
  /** Longest grid accepted, in days (a bad date far in the past would otherwise allocate a huge grid). @default 36600 */
  readonly maxLength?: number;
}

/** A series on a regular daily grid. */
export interface PreparedSeries {
  /** First day of the grid, `YYYY-MM-DD`. */
  readonly start: string;
  /** Last day of the grid (the last observed value), `YYYY-MM-DD`. */
  readonly end: string;
  /** One value per day from `start` to `end`, holes filled. */
  readonly values: number[];
  /** Per day: true when the value was observed, false when it was interpolated. */
  readonly observed: boolean[];
  /** Days filled by interpolation (`gapDays + nullDays`). */
  readonly filled: number;
  /** Filled days that had no row at all. */
  readonly gapDays: number;
  /** Filled days whose rows were all NULL. */
  readonly nullDays: number;
  /** Rows beyond the first for a date (merged by the `duplicates` rule). */
  readonly duplicateRows: number;
  /** NULL days dropped before the first or after the last value. */
  readonly trimmedDays: number;
}

/** Puts `rows` on a daily grid (see the module comment for the rules). */
export function prepareSeries(rows: readonly Observation[], opts: PrepareOptions = {}): PreparedSeries {
  const combine = opts.duplicates ?? 'mean';
  if (combine !== 'mean' && combine !== 'sum') throw new ForecastOptionsError(`duplicates must be 'mean' or 'sum', got ${JSON.stringify(combine)}`);
  const maxLength = opts.maxLength ?? 36600;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new ForecastOptionsError(`maxLength must be a positive integer, got ${maxLength}`);
  if (rows.length === 0) throw new SeriesError('EMPTY', 'series has no rows');

  const byDay = new Map<number, number[]>();
  let duplicateRows = 0;
  for (const r of rows) {
    const day = toDayNumber(r.date);
    let vals = byDay.get(day);
    if (vals === undefined) byDay.set(day, (vals = []));
    else duplicateRows++;
    const y: unknown = r.y;
    if (typeof y === 'number') {
      if (Number.isFinite(y)) vals.push(y);
    } else if (y !== null && y !== undefined) {
      throw new SeriesError('INVALID_VALUE', `value ${JSON.stringify(y)} on ${fromDayNumber(day)} is not a number or NULL`);
    }
  }
  const known: [number, number][] = [];
  for (const [day, vals] of byDay) {
    if (vals.length === 0) continue;
    vals.sort((a, b) => a - b);
    let s = 0;
    for (const v of vals) s += v;
    known.push([day, combine === 'mean' ? s / vals.length : s]);
  }
  if (known.length === 0) throw new SeriesError('ALL_NULL', `series has ${rows.length} rows but no non-NULL value`);
  known.sort((a, b) => a[0] - b[0]);

  const first = known[0][0];
  const last = known[known.length - 1][0];
  const length = last - first + 1;
  if (length > maxLength) throw new SeriesError('TOO_LONG', `series spans ${length} days (${fromDayNumber(first)} to ${fromDayNumber(last)}), more than maxLength ${maxLength}`);
  let trimmedDays = 0;
  for (const day of byDay.keys()) if (day < first || day > last) trimmedDays++;

  const values = new Array<number>(length);
  const observed = new Array<boolean>(length);
  let gapDays = 0;
  let nullDays = 0;
  for (let k = 0; k < known.length; k++) {
    const [d0, v0] = known[k];
    values[d0 - first] = v0;
    observed[d0 - first] = true;
    if (k + 1 === known.length) break;
    const [d1, v1] = known[k + 1];
    for (let d = d0 + 1; d < d1; d++) {
      values[d - first] = v0 + ((v1 - v0) * (d - d0)) / (d1 - d0);
      observed[d - first] = false;
      if (byDay.has(d)) nullDays++;
      else gapDays++;
    }
  }
  return { start: fromDayNumber(first), end: fromDayNumber(last), values, observed, filled: gapDays + nullDays, gapDays, nullDays, duplicateRows, trimmedDays };
}
