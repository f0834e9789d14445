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

  // Rows as parallel arrays (day, value or NaN when missing), checked in row order; then in date
  // order (stable: a date's rows keep their order). No Map or array per date: on a short series
  // those cost more than the rest of the preparation.
  const n = rows.length;
  const dayOf = new Array<number>(n);
  const valueAt = new Array<number>(n);
  let inOrder = true;
  for (let i = 0; i < n; i++) {
    const day = toDayNumber(rows[i].date);
    dayOf[i] = day;
    if (i > 0 && day < dayOf[i - 1]) inOrder = false;
    const y: unknown = rows[i].y;
    if (typeof y === 'number') {
      valueAt[i] = Number.isFinite(y) ? y : Number.NaN;
    } else if (y !== null && y !== undefined) {
      throw new SeriesError('INVALID_VALUE', `value ${JSON.stringify(y)} on ${fromDayNumber(day)} is not a number or NULL`);
    } else valueAt[i] = Number.NaN;
  }
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!inOrder) order.sort((a, b) => dayOf[a] - dayOf[b] || a - b);
  // Distinct dates (every row's, NULL rows included), and the combined value of those with one.
  const days: number[] = [];
  const knownDay: number[] = [];
  const knownValue: number[] = [];
  const knownAt: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < n; ) {
    const day = dayOf[order[i]];
    vals.length = 0;
    for (; i < n && dayOf[order[i]] === day; i++) {
      const v = valueAt[order[i]];
      if (!Number.isNaN(v)) vals.push(v);
    }
    days.push(day);
    if (vals.length === 0) continue;
    if (vals.length > 1) vals.sort((a, b) => a - b);
    let sum = 0;
    for (const v of vals) sum += v;
    knownDay.push(day);
    knownValue.push(combine === 'mean' ? sum / vals.length : sum);
    knownAt.push(days.length - 1);
  }
  const duplicateRows = n - days.length;
  // The step, from every date with a row (a NULL row still says the period exists).
  const { frequency, anchorDay } = inferFrequency(days);
  if (knownDay.length === 0) throw new SeriesError('ALL_NULL', `series has ${rows.length} rows but no non-NULL value`);

  const first = knownDay[0];
  const last = knownDay[knownDay.length - 1];
  // Grid position of a date and date of a grid position. Every date is on the grid: the
  // frequency was inferred so that their gaps are whole steps.
  const { unit, count } = FREQUENCIES[frequency];
  const firstMonth = monthIndex(first);
  const index = unit === 'day' ? (day: number) => (day - first) / count : (day: number) => (monthIndex(day) - firstMonth) / count;
  const dateOf = unit === 'day' ? (i: number) => first + i * count : (i: number) => dayOfMonthIndex(firstMonth + i * count, anchorDay as number);
  const length = index(last) + 1;
  if (length > maxLength)
    throw new SeriesError(
      'TOO_LONG',
      `series spans ${length} ${frequency}s (${fromDayNumber(first)} to ${fromDayNumber(last)}), more than maxLength ${maxLength}`,
    );
  // Each distinct date's grid position, once; dates before the first or after the last value are trimmed.
  let trimmedDays = 0;
  const position = new Array<number>(days.length);
  const rowAt = new Array<boolean>(length).fill(false);
  for (let k = 0; k < days.length; k++) {
    if (days[k] < first || days[k] > last) trimmedDays++;
    else rowAt[(position[k] = index(days[k]))] = true;
  }

  const values = new Array<number>(length);
  const observed = new Array<boolean>(length);
  let gapDays = 0;
  let nullDays = 0;
  for (let k = 0; k < knownDay.length; k++) {
    const i0 = position[knownAt[k]];
    const v0 = knownValue[k];
    values[i0] = v0;
    observed[i0] = true;
    if (k + 1 === knownDay.length) break;
    const i1 = position[knownAt[k + 1]];
    const v1 = knownValue[k + 1];
    for (let i = i0 + 1; i < i1; i++) {
      values[i] = v0 + ((v1 - v0) * (i - i0)) / (i1 - i0);
      observed[i] = false;
      if (rowAt[i]) nullDays++;
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
