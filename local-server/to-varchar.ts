/**
 * `TO_VARCHAR(expr [, format])` and its synonym `TO_CHAR`, rewritten before translation. The
 * transpiler leaves a call whose argument nests parentheses (a CAST, a scalar subquery) as it is,
 * which DuckDB then reports as a missing function, and hands a Snowflake format model to
 * strftime unchanged ('YYYY-MM-DD' printed as it stands). Here a call with a date/time format
 * becomes `STRFTIME(expr, '<strftime format>')` and a call without one `CAST(expr AS VARCHAR)`.
 *
 * Format elements, case-insensitive, from "Date and time input and output formats"
 * (https://docs.snowflake.com/en/sql-reference/date-time-input-output): YYYY, YY, MM, MON, MMMM,
 * DD, DY, HH24, HH12, AM/PM, MI, SS, FF[0-9]; text in double quotes is copied. A number format
 * model ('999.99') or an element outside that list is refused, not guessed.
 */
import { Errors } from './errors';

/** Snowflake element -> strftime, longest first so that MMMM is not read as MM + MM. */
const ELEMENTS: readonly (readonly [RegExp, string])[] = [
  [/^YYYY/i, '%Y'],
  [/^YY/i, '%y'],
  [/^MMMM/i, '%B'],
  [/^MON/i, '%b'],
  [/^MM/i, '%m'],
  [/^DD/i, '%d'],
  [/^DY/i, '%a'],
  [/^HH24/i, '%H'],
  [/^HH12/i, '%I'],
  [/^(AM|PM)/i, '%p'],
  [/^MI/i, '%M'],
  [/^SS/i, '%S'],
  // FF with 1-3 digits is milliseconds, 4-6 microseconds; 7-9 (nanoseconds) DuckDB does not keep.
  [/^FF[1-3]/i, '%g'],
  [/^FF[4-6]?/i, '%f'],
];

/** A Snowflake date/time format model as a strftime format, or undefined when it is not one. */
export function strftimeFormat(model: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < model.length) {
    const rest = model.slice(i);
    if (rest[0] === '"') {
      const end = model.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out += model.slice(i + 1, end).replace(/%/g, '%%');
      i = end + 1;
      continue;
    }
    const hit = ELEMENTS.map(([re, to]) => [re.exec(rest), to] as const).find(([m]) => m);
    if (hit) {
      out += hit[1];
      i += hit[0]![0].length;
      continue;
    }
    if (/[A-Za-z0-9]/.test(rest[0])) return undefined;
    out += rest[0] === '%' ? '%%' : rest[0];
    i++;
  }
  return out;
}

/** Rewrites every TO_VARCHAR / TO_CHAR call of a Snowflake statement (outside string literals and quoted names). */
export function rewriteToVarchar(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i);
      out += sql.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const call = /^(TO_VARCHAR|TO_CHAR)\s*\(/i.exec(sql.slice(i));
    if (call && !/[A-Za-z0-9_$.]/.test(sql[i - 1] ?? '')) {
      const open = i + call[0].length - 1;
      const close = closingParen(sql, open);
      const args = topLevelArgs(sql.slice(open + 1, close));
      out += rewriteCall(args.map(rewriteToVarchar), call[1].toUpperCase());
      i = close + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function rewriteCall(args: string[], name: string): string {
  if (args.length === 1) return `CAST(${args[0]} AS VARCHAR)`;
  const literal = /^\s*'((?:[^']|'')*)'\s*$/.exec(args[1] ?? '');
  const format = args.length === 2 && literal ? strftimeFormat(literal[1].replace(/''/g, "'")) : undefined;
  if (format === undefined)
    throw Errors.notSupported(`${name} with the format ${args.slice(1).join(',').trim()} (the local server knows date and time format elements only)`);
  return `STRFTIME(${args[0]}, '${format.replace(/'/g, "''")}')`;
}

function closingQuote(sql: string, start: number): number {
  const q = sql[start];
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === q) {
      if (sql[i + 1] === q) {
        i += 2;
        continue;
      }
      return i;
    }
    if (q === "'" && sql[i] === '\\') i++;
    i++;
  }
  return sql.length - 1;
}

function closingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') i = closingQuote(sql, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  throw Errors.syntax(`unexpected end of statement: a ${sql.slice(0, open).trim().split(/\s+/).pop()}( call is not closed.`);
}

/** The arguments of a call's text between its parentheses, split at top-level commas. */
function topLevelArgs(inner: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === "'" || c === '"') i = closingQuote(inner, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  args.push(inner.slice(start));
  return args;
}
