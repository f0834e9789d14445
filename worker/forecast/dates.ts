/**
 * Calendar days as integers (days since 1970-01-01, UTC), and the steps of a series: a day, a
 * week, a calendar month, a quarter or a year. Dates carry no time zone in the model: a `Date`
 * input is read in UTC, which is how snowflake-sdk returns a DATE column.
 */
import { SeriesError } from './errors';

const DAY_MS = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})/;

/** The day number of `YYYY-MM-DD` (a longer ISO timestamp is cut to its date), or of a Date in UTC. */
export function toDayNumber(d: string | Date): number {
  if (d instanceof Date) {
    const ms = d.getTime();
    if (!Number.isFinite(ms)) throw new SeriesError('INVALID_DATE', 'invalid Date object in the series');
    return Math.floor(ms / DAY_MS);
  }
  let year: number;
  let month: number;
  let day: number;
  // The digits read by character code (what ISO_DAY matches, without its match arrays and string
  // conversions: the regular expression took a fifth of a short series' preparation).
  const digits = typeof d === 'string' && d.length >= 10 ? isoDigits(d) : -1;
  if (digits >= 0) {
    year = Math.floor(digits / 10_000);
    month = Math.floor(digits / 100) % 100;
    day = digits % 100;
  } else {
    const m = typeof d === 'string' ? ISO_DAY.exec(d) : null;
    if (!m) throw new SeriesError('INVALID_DATE', `invalid date ${JSON.stringify(d)}: expected YYYY-MM-DD`);
    year = Number(m[1]);
    month = Number(m[2]);
    day = Number(m[3]);
  }
  // A day that does not exist (2024-02-30) is refused, and so is year 0, as Python's
  // datetime.date refuses it. Checked and counted with integers: a Date per row cost more than
  // the rest of a short series' preparation.
  if (year === 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month - 1))
    throw new SeriesError('INVALID_DATE', `invalid date ${JSON.stringify(d)}: no such day`);
  return daysFromCivil(year, month, day);
}

/** YYYYMMDD as one integer when `s` starts with `dddd-dd-dd` (ASCII digits), else −1. */
function isoDigits(s: string): number {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return -1;
  let v = 0;
  for (let i = 0; i < 10; i++) {
    if (i === 4 || i === 7) continue;
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), by the era arithmetic of
 * H. Hinnant's "chrono-Compatible Low-Level Date Algorithms": 400-year eras of 146,097 days,
 * years starting in March so that the leap day ends the year.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The inverse of daysFromCivil: year, month (0-11) and day of month of a day number. */
function civilFromDays(n: number): { year: number; month: number; dayOfMonth: number } {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const dayOfMonth = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 2 : mp - 10;
  return { year: yoe + era * 400 + (month <= 1 ? 1 : 0), month, dayOfMonth };
}

/** `YYYY-MM-DD` of a day number. */
export function fromDayNumber(n: number): string {
  const { year, month, dayOfMonth } = civilFromDays(n);
  // Years 0-9999 by arithmetic (what toISOString writes for them); others as toISOString does.
  if (year < 0 || year > 9999) return new Date(n * DAY_MS).toISOString().slice(0, 10);
  return `${String(year).padStart(4, '0')}-${month < 9 ? '0' : ''}${month + 1}-${dayOfMonth < 10 ? '0' : ''}${dayOfMonth}`;
}

/** `iso` plus `days` days. */
export function addDays(iso: string, days: number): string {
  return fromDayNumber(toDayNumber(iso) + days);
}

/** The step of a series. */
export type Frequency = 'day' | 'week' | 'month' | 'quarter' | 'year';

/** What a frequency means: its step in days or calendar months, and the contest's defaults. */
export interface FrequencyFacts {
  /** The step is `count` days (`'day'`) or `count` calendar months (`'month'`). */
  readonly unit: 'day' | 'month';
  readonly count: number;
  /** The season's length in steps when none is given: a week of days, a year of weeks, months or quarters; none for years. */
  readonly seasonPeriod: number;
  /** Steps held out for the contest when no holdout is given (the M4 competition's horizons; four weeks of days). */
  readonly holdout: number;
}

/** The frequencies a series may have, in order of their step. */
export const FREQUENCIES: { readonly [F in Frequency]: FrequencyFacts } = {
  day: { unit: 'day', count: 1, seasonPeriod: 7, holdout: 28 },
  week: { unit: 'day', count: 7, seasonPeriod: 52, holdout: 13 },
  month: { unit: 'month', count: 1, seasonPeriod: 12, holdout: 18 },
  quarter: { unit: 'month', count: 3, seasonPeriod: 4, holdout: 8 },
  year: { unit: 'month', count: 12, seasonPeriod: 1, holdout: 6 },
};

/** Whether `f` is a {@link Frequency}. */
export const isFrequency = (f: unknown): f is Frequency => typeof f === 'string' && Object.hasOwn(FREQUENCIES, f);

/** A day's calendar parts (month 0-11). */
function parts(day: number): { year: number; month: number; dayOfMonth: number } {
  return civilFromDays(day);
}

/** Days of month `month` (0-11) of `year` (proleptic Gregorian). */
export function daysInMonth(year: number, month: number): number {
  if (month === 1) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 3 || month === 5 || month === 8 || month === 10 ? 30 : 31;
}

/** Months since January of year 0 of a day. */
export function monthIndex(day: number): number {
  const p = parts(day);
  return p.year * 12 + p.month;
}

/** The day of month index `mi` on the month's day `anchorDay`, or its last day when the month is shorter. */
export function dayOfMonthIndex(mi: number, anchorDay: number): number {
  const year = Math.floor(mi / 12);
  const month = mi - 12 * year;
  return daysFromCivil(year, month + 1, Math.min(anchorDay, daysInMonth(year, month)));
}

/**
 * The date `steps` steps after `iso` at frequency `frequency`. For months, quarters and years the
 * result is on day `anchorDay` of its month, or on the month's last day when the month is shorter
 * (anchorDay 31: month ends; 1: month starts).
 */
export function stepDate(iso: string, frequency: Frequency, steps: number, anchorDay?: number): string {
  const f = FREQUENCIES[frequency];
  const day = toDayNumber(iso);
  if (f.unit === 'day') return fromDayNumber(day + steps * f.count);
  return fromDayNumber(dayOfMonthIndex(monthIndex(day) + steps * f.count, anchorDay ?? parts(day).dayOfMonth));
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** A series' step as {@link inferFrequency} finds it. */
export interface InferredFrequency {
  readonly frequency: Frequency;
  /** Months, quarters and years: the day of month the dates fall on (31: month ends). */
  readonly anchorDay?: number;
}

/**
 * The step of a series from its distinct dates (day numbers, sorted ascending):
 * - months, quarters or years when every date falls on the same day of its month, or on the
 *   month's last day when the month is shorter than that day (so month ends, 28th-31st, count as
 *   one anchor), no two dates share a month, and the month gaps are all multiples of 12 (years), of
 *   3 (quarters) or not (months);
 * - otherwise weeks when every gap is a multiple of 7 days, else days.
 * A missing step (a gap of two months, say) keeps the frequency: the grid fills it. One date alone
 * is a daily series.
 */
export function inferFrequency(days: readonly number[]): InferredFrequency {
  if (days.length < 2) return { frequency: 'day' };
  const all = days.map(parts);
  let anchor = 0;
  for (const p of all) anchor = Math.max(anchor, p.dayOfMonth);
  let monthGcd = 0;
  let aligned = true;
  let prev = -Infinity;
  for (const p of all) {
    const mi = p.year * 12 + p.month;
    if (p.dayOfMonth !== Math.min(anchor, daysInMonth(p.year, p.month)) || mi === prev) {
      aligned = false;
      break;
    }
    if (prev !== -Infinity) monthGcd = gcd(mi - prev, monthGcd);
    prev = mi;
  }
  if (aligned) return { frequency: monthGcd % 12 === 0 ? 'year' : monthGcd % 3 === 0 ? 'quarter' : 'month', anchorDay: anchor };
  let dayGcd = 0;
  for (let i = 1; i < days.length; i++) dayGcd = gcd(days[i] - days[i - 1], dayGcd);
  return { frequency: dayGcd % 7 === 0 ? 'week' : 'day' };
}
