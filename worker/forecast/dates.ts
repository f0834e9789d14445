/**
 * Calendar days as integers (days since 1970-01-01, UTC). Dates carry no time zone in the model:
 * a `Date` input is read in UTC, which is how snowflake-sdk returns a DATE column.
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
  const m = typeof d === 'string' ? ISO_DAY.exec(d) : null;
  if (!m) throw new SeriesError('INVALID_DATE', `invalid date ${JSON.stringify(d)}: expected YYYY-MM-DD`);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const n = date.getTime() / DAY_MS;
  // A day that does not exist (2024-02-30) rolls over to another: it does not round-trip. Year 0
  // is refused too, as Python's datetime.date refuses it.
  if (m[1] === '0000' || fromDayNumber(n) !== `${m[1]}-${m[2]}-${m[3]}`) throw new SeriesError('INVALID_DATE', `invalid date ${JSON.stringify(d)}: no such day`);
  return n;
}

/** `YYYY-MM-DD` of a day number. */
export function fromDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** `iso` plus `days` days. */
export function addDays(iso: string, days: number): string {
  return fromDayNumber(toDayNumber(iso) + days);
}
