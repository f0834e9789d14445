/**
 * Series preparation: from raw rows (unsorted, duplicate dates, missing steps, NULLs) to a regular
 * grid without holes, in the series' own step: days, weeks, calendar months, quarters or years,
 * inferred from the dates (dates.ts, `inferFrequency`).
 *
 * Choices (docs/forecast-models.md, "Series preparation"):
 * - The step is read from the dates, not assumed: first-of-month (or month-end) dates are a
 *   monthly series, not a daily one with 29 missing days out of 30.
 * - Duplicate dates are averaged (default) or summed; their non-NULL values are sorted first, so
 *   the result does not depend on the input order. A date whose values are all NULL is a NULL.
 * - A value that is NULL, undefined or not finite (NaN, ±Infinity) is missing; a value of another
 *   type (a numeric string, say) is an error rather than silently missing.
 * - The grid runs from the first to the last date with a value: leading and trailing NULLs are
 *   dropped (they cannot be interpolated), so forecasts start one step after the last value.
 * - Missing steps and NULLs inside the grid are filled by linear interpolation between the nearest
 *   values on each side. It keeps level and trend, adds no noise, and is what a seasonal model's
 *   one-step errors tolerate best for short gaps; long gaps are bounded by `maxFilledFraction`
 *   at fit time.
 */
import { FREQUENCIES, Frequency, dayOfMonthIndex, fromDayNumber, inferFrequency, monthIndex, toDayNumber } from './dates';
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
  /** Longest grid accepted, in steps (a bad date far in the past would otherwise allocate a huge grid). @default 36600 */
  readonly maxLength?: number;
}

/** A series on a regular grid of its own step. */
export interface PreparedSeries {
  /** The grid's step, inferred from the dates. */
  readonly frequency: Frequency;
  /** Months, quarters and years: the day of month the grid's dates fall on (the month's last day when it is shorter; 31: month ends). */
  readonly anchorDay?: number;
  /** First date of the grid, `YYYY-MM-DD`. */
  readonly start: string;
  /** Last date of the grid (the last observed value), `YYYY-MM-DD`. */
  readonly end: string;
  /** One value per step from `start` to `end`, holes filled. */
  readonly values: number[];
  /** Per step: true when the value was observed, false when it was interpolated. */
  readonly observed: boolean[];
  /** Steps filled by interpolation (`gapDays + nullDays`). */
  readonly filled: number;
  /** Filled steps that had no row at all (days for a daily series, months for a monthly one, ...). */
  readonly gapDays: number;
  /** Filled steps whose rows were all NULL. */
  readonly nullDays: number;
  /** Rows beyond the first for a date (merged by the `duplicates` rule). */
  readonly duplicateRows: number;
  /** NULL steps dropped before the first or after the last value. */
  readonly trimmedDays: number;
}

/** Puts `rows` on a regular grid of their step (see the module comment for the rules). */
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
  // The step, from every date with a row (a NULL row still says the period exists).
  const { frequency, anchorDay } = inferFrequency([...byDay.keys()].sort((a, b) => a - b));
  const known: [number, number][] = [];
  for (const [day, vals] of byDay) {
    if (vals.length === 0) continue;
    if (vals.length > 1) vals.sort((a, b) => a - b);
    let s = 0;
    for (const v of vals) s += v;
    known.push([day, combine === 'mean' ? s / vals.length : s]);
  }
  if (known.length === 0) throw new SeriesError('ALL_NULL', `series has ${rows.length} rows but no non-NULL value`);
  known.sort((a, b) => a[0] - b[0]);

  const first = known[0][0];
  const last = known[known.length - 1][0];
  // Grid position of a date and date of a grid position. Every date is on the grid: the
  // frequency was inferred so that their gaps are whole steps.
  const { unit, count } = FREQUENCIES[frequency];
  const firstMonth = monthIndex(first);
  const index = unit === 'day' ? (day: number) => (day - first) / count : (day: number) => (monthIndex(day) - firstMonth) / count;
  // Each distinct day's grid position, computed once (a calendar conversion per call for months).
  const positions = new Map<number, number>();
  const positionOf = (day: number): number => {
    let i = positions.get(day);
    if (i === undefined) positions.set(day, (i = index(day)));
    return i;
  };
  const dateOf = unit === 'day' ? (i: number) => first + i * count : (i: number) => dayOfMonthIndex(firstMonth + i * count, anchorDay as number);
  const length = index(last) + 1;
  if (length > maxLength)
    throw new SeriesError(
      'TOO_LONG',
      `series spans ${length} ${frequency}s (${fromDayNumber(first)} to ${fromDayNumber(last)}), more than maxLength ${maxLength}`,
    );
  let trimmedDays = 0;
  const rowAt = new Set<number>();
  for (const day of byDay.keys()) {
    if (day < first || day > last) trimmedDays++;
    else rowAt.add(positionOf(day));
  }

  const values = new Array<number>(length);
  const observed = new Array<boolean>(length);
  let gapDays = 0;
  let nullDays = 0;
  for (let k = 0; k < known.length; k++) {
    const i0 = positionOf(known[k][0]);
    const v0 = known[k][1];
    values[i0] = v0;
    observed[i0] = true;
    if (k + 1 === known.length) break;
    const i1 = positionOf(known[k + 1][0]);
    const v1 = known[k + 1][1];
    for (let i = i0 + 1; i < i1; i++) {
      values[i] = v0 + ((v1 - v0) * (i - i0)) / (i1 - i0);
      observed[i] = false;
      if (rowAt.has(i)) nullDays++;
      else gapDays++;
    }
  }
  return {
    frequency,
    ...(anchorDay === undefined ? {} : { anchorDay }),
    start: fromDayNumber(dateOf(0)),
    end: fromDayNumber(dateOf(length - 1)),
    values,
    observed,
    filled: gapDays + nullDays,
    gapDays,
    nullDays,
    duplicateRows,
    trimmedDays,
  };
}
