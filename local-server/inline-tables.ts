/**
 * Rows the server computes itself (a stage's directory table, PREDICT's output) as inline DuckDB
 * tables. A statement names such a table by a placeholder (`inlinePlaceholder`) through translation
 * and the access check, and the engine puts the table in its place in the DuckDB text: the
 * translator and the parser that checks privileges see a short statement, the same each time (so
 * its translation is cached), and DuckDB reads the rows from one JSON string, in time linear in the
 * rows (a VALUES list of 22,000 rows took 4.5 s to plan, the same rows as JSON 0.5 s).
 */

/** Every placeholder starts so; no table of a user's does (the engine refuses none, it skips them in checks). */
export const INLINE_PREFIX = '__MM_INLINE_';

/** The placeholder of the `index`-th inline table of `kind` in one statement (a quoted identifier). */
export function inlinePlaceholder(kind: string, index: number): string {
  return `"${INLINE_PREFIX}${kind}_${index}"`;
}

/** Placeholder (as inlinePlaceholder returns it) -> the DuckDB table that replaces it. */
export type InlineTables = ReadonlyMap<string, string>;

/** A column of an inline table: its name and DuckDB type (VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, DATE). */
export type InlineColumn = readonly [name: string, duckType: string];

/**
 * `rows` as a DuckDB subquery with `columns`, in that order and of those types. JSON has no
 * timestamps or dates: such columns travel as text and are cast.
 */
export function jsonTable(columns: readonly InlineColumn[], rows: readonly Record<string, unknown>[]): string {
  const travels = (t: string) => (/^(TIMESTAMP|DATE)$/i.test(t) ? 'VARCHAR' : t);
  const shape = `{${columns.map(([c, t]) => `${JSON.stringify(c)}: ${JSON.stringify(travels(t))}`).join(', ')}}`;
  const picked = rows.map((r) => Object.fromEntries(columns.map(([c]) => [c, r[c] ?? null])));
  const select = columns.map(([c, t]) => (travels(t) === t ? `"${c}"` : `CAST("${c}" AS ${t}) AS "${c}"`)).join(', ');
  return `(SELECT ${select} FROM (SELECT UNNEST(from_json(${duckString(JSON.stringify(picked))}, ${duckString(`[${shape}]`)}), recursive := true)))`;
}

/** A DuckDB string literal: quotes doubled, backslashes as they are (DuckDB reads no escapes in '...'). */
function duckString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * DuckDB types for rows of JS values: a column of numbers only is BIGINT when all are integers in
 * its range, else DOUBLE; of booleans only BOOLEAN; anything else (nulls only included) VARCHAR.
 */
export function inferColumns(names: readonly string[], rows: readonly Record<string, unknown>[]): InlineColumn[] {
  return names.map((name) => {
    let type: string | undefined;
    for (const r of rows) {
      const v = r[name];
      if (v === null || v === undefined) continue;
      const t = typeof v === 'number' ? (Number.isSafeInteger(v) ? 'BIGINT' : 'DOUBLE') : typeof v === 'boolean' ? 'BOOLEAN' : 'VARCHAR';
      type = type === undefined || type === t ? t : (type === 'BIGINT' && t === 'DOUBLE') || (type === 'DOUBLE' && t === 'BIGINT') ? 'DOUBLE' : 'VARCHAR';
      if (type === 'VARCHAR') break;
    }
    return [name, type ?? 'VARCHAR'] as const;
  });
}

/** Puts the tables in their placeholders' places in a translated statement. */
export function substituteInline(duck: string, tables: InlineTables | undefined): string {
  let out = duck;
  for (const [placeholder, table] of tables ?? []) {
    if (!out.includes(placeholder)) throw new Error(`the translation lost the placeholder ${placeholder}`);
    out = out.split(placeholder).join(table);
  }
  return out;
}
