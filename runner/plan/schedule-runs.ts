/**
 * How often a scheduled task runs in an average month, from the `schedule` block of a synthesized
 * `snowflake_task`: `{ minutes: N }` or `{ using_cron: "<5 fields> <time zone>" }` (the forms
 * lib/schedule.ts writes, after Snowflake's CREATE TASK: https://docs.snowflake.com/en/sql-reference/sql/create-task).
 */

/** Minutes in an average month of the Gregorian calendar (365.25 / 12 days). */
export const MINUTES_PER_MONTH = (365.25 / 12) * 24 * 60;

/** Runs per average month, or undefined for a schedule this module cannot read. */
export function runsPerMonth(schedule: unknown): number | undefined {
  const s = Array.isArray(schedule) ? schedule[0] : schedule;
  if (!s || typeof s !== 'object') return undefined;
  const block = s as { minutes?: unknown; using_cron?: unknown; usingCron?: unknown };
  const minutes = Number(block.minutes);
  if (block.minutes !== undefined && Number.isFinite(minutes) && minutes > 0) return MINUTES_PER_MONTH / minutes;
  const cron = block.using_cron ?? block.usingCron;
  return typeof cron === 'string' ? cronRunsPerMonth(cron) : undefined;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The values a cron field allows, or undefined when it is not readable. `L` forms are handled by the caller. */
function expand(field: string, min: number, max: number, names: readonly string[] = []): Set<number> | undefined {
  const out = new Set<number>();
  const value = (t: string) => (/^\d+$/.test(t) ? Number(t) : names.indexOf(t) >= 0 ? min + names.indexOf(t) : NaN);
  for (const item of field.toUpperCase().split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(value) as [number, number];
    else [lo, hi] = [value(range), stepText === undefined ? value(range) : max];
    if (![lo, hi, step].every(Number.isInteger) || step < 1 || lo < min || hi > max || lo > hi) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/**
 * Fire times of a five-field cron in a reference non-leap year, divided by 12. Day of month and
 * day of week combine as in the cron utility Snowflake's syntax is a subset of: when both are
 * restricted, a day matching either fires. The time zone moves fire times, not their count (a
 * daylight-saving change shifts one day's runs by an hour), so it is ignored.
 */
export function cronRunsPerMonth(expression: string): number | undefined {
  const f = expression.trim().split(/\s+/);
  if (f.length < 5) return undefined;
  const minutes = expand(f[0], 0, 59);
  const hours = expand(f[1], 0, 23);
  const months = expand(f[3], 1, 12, MONTHS);
  if (!minutes || !hours || !months) return undefined;
  const domText = f[2].toUpperCase();
  const dowText = f[4].toUpperCase();
  const lastDom = domText === 'L';
  const dom = lastDom ? new Set<number>() : expand(domText, 1, 31);
  // `5L`: the last Friday of the month; `L` alone in day-of-week: Saturday, the week's last day.
  const lastDow = /^([0-6]|SUN|MON|TUE|WED|THU|FRI|SAT)L$/.exec(dowText);
  const dow = lastDow ? new Set<number>() : expand(dowText === 'L' ? '6' : dowText, 0, 6, DAYS);
  if (!dom || !dow) return undefined;
  const lastDowDay = lastDow ? (/^\d$/.test(lastDow[1]) ? Number(lastDow[1]) : DAYS.indexOf(lastDow[1])) : undefined;
  const domRestricted = domText !== '*';
  const dowRestricted = dowText !== '*';
  let days = 0;
  for (let d = new Date(Date.UTC(2025, 0, 1)); d.getUTCFullYear() === 2025; d = new Date(d.getTime() + 86_400_000)) {
    if (!months.has(d.getUTCMonth() + 1)) continue;
    const lastOfMonth = new Date(d.getTime() + 86_400_000).getUTCDate() === 1;
    const lastWeekOfMonth = new Date(d.getTime() + 7 * 86_400_000).getUTCMonth() !== d.getUTCMonth();
    const domMatch = lastDom ? lastOfMonth : dom.has(d.getUTCDate());
    const dowMatch = lastDowDay !== undefined ? d.getUTCDay() === lastDowDay && lastWeekOfMonth : dow.has(d.getUTCDay());
    const fires = domRestricted && dowRestricted ? domMatch || dowMatch : domRestricted ? domMatch : dowRestricted ? dowMatch : true;
    if (fires) days++;
  }
  return (days * minutes.size * hours.size) / 12;
}
