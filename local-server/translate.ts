/**
 * Snowflake SQL -> DuckDB SQL. `@polyglot-sql/sdk` does the dialect translation (IFF, DATEADD,
 * `::` casts, `:` paths, QUALIFY, MERGE, ...); the fix-ups below cover what it leaves in a form
 * DuckDB rejects, and Snowflake types DuckDB does not have. Statements that are Snowflake-only
 * (stages, tasks, services, models) never get here: the engine handles them itself.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const polyglot = require('@polyglot-sql/sdk') as {
  init?: () => Promise<void>;
  transpile(sql: string, from: unknown, to: unknown): { success: boolean; sql?: string[]; error?: string };
  Dialect: Record<string, unknown>;
};
import { SfError } from './errors';
import { rewriteToVarchar } from './to-varchar';

/** A Snowflake identifier, quoted or not, as a regular-expression source. */
export const IDENT = '(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)';
/** A one- to three-part object name (`NAME`, `SCHEMA.NAME`, `DB.SCHEMA.NAME`). */
export const QNAME = String.raw`${IDENT}(?:\.${IDENT}){0,2}`;

/** A case-insensitive statement pattern from a source string built from IDENT and QNAME (the engine's and the objects' routes). */
export function statementPattern(source: string): RegExp {
  return new RegExp(source, 'i');
}

let ready: Promise<void> | undefined;

/** Loads the WASM transpiler once. */
export function initTranslator(): Promise<void> {
  ready ??= (async () => {
    if (typeof polyglot.init === 'function') await polyglot.init();
  })();
  return ready;
}

const TYPE_FIXES: [RegExp, string][] = [
  [/\bTIMESTAMPNTZ\b/gi, 'TIMESTAMP'],
  [/\bTIMESTAMP_NTZ\b/gi, 'TIMESTAMP'],
  [/\bTIMESTAMPLTZ\b/gi, 'TIMESTAMPTZ'],
  [/\bTIMESTAMP_LTZ\b/gi, 'TIMESTAMPTZ'],
  [/\bTEXT\(\d+\)/gi, 'VARCHAR'],
  [/\bVARCHAR\(\d+\)/gi, 'VARCHAR'],
];

/** Column types of CREATE TABLE: Snowflake's semi-structured types become DuckDB JSON. */
function fixDdlTypes(sql: string): string {
  let out = sql;
  for (const [re, to] of TYPE_FIXES) out = out.replace(re, to);
  return out.replace(/(\s)(VARIANT|OBJECT|ARRAY)(\s*(?:NOT NULL|NULL|DEFAULT|,|\)))/gi, '$1JSON$3');
}

const POST_FIXES: [RegExp, string | ((...m: string[]) => string)][] = [
  [/CURRENT_TIMESTAMP\(\)/gi, 'CAST(CURRENT_TIMESTAMP AS TIMESTAMP)'],
  [/INTERVAL (-\d+(?:\.\d+)?) (\w+)/gi, 'INTERVAL ($1) $2'],
  // SHA2(x, 256) is the hex digest of x's UTF-8 bytes (https://docs.snowflake.com/en/sql-reference/functions/sha2); x may nest two calls deep.
  [/\bSHA2\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*?), 256\)/gi, 'sha256($1)'],
  [/\bSTARTSWITH\(/gi, 'starts_with('],
  [/ARRAY_AGG\(([^()]*?) ORDER BY ([^()]*?)\) FILTER\(WHERE [^()]*? IS NOT NULL\)/gi, 'to_json(list($1 ORDER BY $2) FILTER (WHERE $1 IS NOT NULL))'],
  [/\bARRAY_LENGTH\(/gi, 'json_array_length('],
  // STARTSWITH (https://docs.snowflake.com/en/sql-reference/functions/startswith) is DuckDB's starts_with.
  [/\bSTARTSWITH\(/gi, 'starts_with('],
  [/\bOBJECT_AGG\(/gi, 'json_group_object('],
  // A VARIANT's string cast to VARCHAR is the string itself, not its JSON text; other values are
  // their JSON text, JSON null the word null (TO_CHAR / TO_VARCHAR, usage notes:
  // https://docs.snowflake.com/en/sql-reference/functions/to_char). DuckDB's cast of JSON keeps the
  // quotes, so a path's value (`v:k::VARCHAR`, here `v -> '$.k'`) is unwrapped when it is a string.
  [
    /CAST\(((?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+")(?:\.(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+"))* -> '(?:[^']|'')*') AS (?:TEXT|VARCHAR)\)/gi,
    (_m: string, path: string) => `(CASE WHEN json_type(${path}) = 'VARCHAR' THEN (${path}) ->> '$' ELSE CAST(${path} AS TEXT) END)`,
  ],
  // LATERAL FLATTEN(INPUT => <array column>): the transpiler's LATERAL UNNEST(...) AS f(SEQ, ...) is
  // not DuckDB's; one row per element instead, with FLATTEN's columns (FLATTEN:
  // https://docs.snowflake.com/en/sql-reference/functions/flatten): INDEX from 0, VALUE the element
  // (VARIANT), PATH '[i]', THIS the array, KEY NULL (arrays have none) and SEQ not modelled (NULL).
  // An OBJECT input, PATH, OUTER, RECURSIVE and MODE are refused, not guessed.
  [
    /LATERAL UNNEST\(INPUT => ([^(),]+?)\) AS (\w+)\(SEQ, KEY, PATH, INDEX, VALUE, THIS\)/gi,
    (_m: string, input: string, alias: string) => {
      const arr = `CAST(${input} AS JSON)`;
      const n =
        `CASE WHEN ${arr} IS NULL THEN 0 WHEN json_type(${arr}) = 'ARRAY' THEN json_array_length(${arr}) ` +
        `ELSE error('Unsupported feature: not supported by the local server: FLATTEN of a value that is not an ARRAY') END`;
      return (
        `LATERAL (SELECT CAST(NULL AS BIGINT) AS SEQ, CAST(NULL AS VARCHAR) AS "KEY", '[' || CAST(U.I AS VARCHAR) || ']' AS PATH, U.I AS "INDEX", ` +
        `json_extract(${arr}, '$[' || CAST(U.I AS VARCHAR) || ']') AS "VALUE", ${arr} AS THIS FROM range(CAST(${n} AS BIGINT)) AS U(I)) AS ${alias}`
      );
    },
  ],
  [/CAST\(([A-Za-z_."]+) AS VARIANT\)/gi, 'to_json($1)'],
  [/\bAS VARIANT\b/gi, 'AS JSON'],
  // A function replacement: the SQL contains '$' and '$[*]', which a replacement string would expand.
  [
    /FROM UNNEST\(INPUT => JSON\(([^()]*)\)\)/gi,
    (_m: string, arg: string) =>
      `FROM (SELECT json_extract_string(E.V, '$') AS VALUE FROM (SELECT unnest(json_extract(CAST(${arg} AS JSON), '$[*]')) AS V) AS E) AS F`,
  ],
  [/FROM VALUES ((?:\(\s*[^()]*\)\s*,\s*)*\(\s*[^()]*\))/gi, (_m: string, rows: string) => `FROM (VALUES ${rows}) AS V(COLUMN1)`],
  // ARRAY_CONTAINS(value::VARIANT, array) (https://docs.snowflake.com/en/sql-reference/functions/array_contains)
  // on an ARRAY held as DuckDB JSON: the transpiler's list form does not apply to JSON, json_contains does.
  [
    /CASE WHEN (CAST\(('(?:[^']|'')*') AS JSON\)|to_json\(([^()]+)\)) IS NULL THEN NULLIF\((?:json_array_length|ARRAY_LENGTH)\(([^()]+)\) <> LIST_COUNT\(\4\), FALSE\) ELSE ARRAY_CONTAINS\(\4, \1\) END/gi,
    (_m: string, _needle: string, lit: string | undefined, expr: string | undefined, arr: string) => `json_contains(${arr}, to_json(${lit ?? expr}))`,
  ],
];

/**
 * Translation is a pure function of the text, and workers and the runner send the same statements
 * over and over with different binds: remember the most recent translations (bounded).
 */
const TRANSLATION_CACHE = new Map<string, string>();
const TRANSLATION_CACHE_SIZE = 1000;

/** Translates one Snowflake statement to DuckDB. */
export function toDuckDb(sql: string): string {
  const hit = TRANSLATION_CACHE.get(sql);
  if (hit !== undefined) {
    // Refresh its place: Map iteration order is insertion order, so the oldest entry goes first.
    TRANSLATION_CACHE.delete(sql);
    TRANSLATION_CACHE.set(sql, hit);
    return hit;
  }
  const out = translate(sql);
  TRANSLATION_CACHE.set(sql, out);
  if (TRANSLATION_CACHE.size > TRANSLATION_CACHE_SIZE) TRANSLATION_CACHE.delete(TRANSLATION_CACHE.keys().next().value!);
  return out;
}

function translate(sql: string): string {
  // Semi-structured constructors become DuckDB JSON (not STRUCT/LIST literals) so numbers stay numbers.
  sql = outsideSnowflakeConstants(sql, (code) => code.replace(/\bOBJECT_CONSTRUCT\s*\(/gi, 'JSON_OBJECT(').replace(/\bARRAY_CONSTRUCT\s*\(/gi, 'JSON_ARRAY('));
  if (/\bTO_(VARCHAR|CHAR)\s*\(/i.test(sql)) sql = rewriteToVarchar(sql);
  const r = polyglot.transpile(sql, polyglot.Dialect.Snowflake, polyglot.Dialect.DuckDB);
  if (!r.success || !r.sql || r.sql.length === 0) {
    throw new SfError('001003', `SQL compilation error:\nsyntax error: ${r.error ?? 'statement could not be parsed'}`, '42000');
  }
  // The fix-ups never look inside a string constant, as Snowflake never does: the constants are
  // masked while they run (a statement's text held in a constant stays as written).
  const constants = maskConstants(numberedBinds(r.sql.join(';\n')));
  let out = constants.masked;
  // A flattened element cast to VARCHAR is the string itself, as a path's value is (below).
  const flattened = [...out.matchAll(/LATERAL UNNEST\(INPUT => [^(),]+?\) AS (\w+)\(SEQ, KEY, PATH, INDEX, VALUE, THIS\)/gi)].map((m) => m[1]);
  for (const [re, to] of POST_FIXES) out = out.replace(re, to as string);
  for (const alias of flattened)
    out = out.replace(
      new RegExp(`CAST\\((${alias}\\.(?:"VALUE"|VALUE)) AS (?:TEXT|VARCHAR)\\)`, 'gi'),
      (_m, v: string) => `(CASE WHEN json_type(${v}) = 'VARCHAR' THEN ${v} ->> '$' ELSE CAST(${v} AS TEXT) END)`,
    );
  if (/^\s*CREATE\b/i.test(out) || /^\s*ALTER\s+TABLE\b/i.test(out)) out = fixDdlTypes(out);
  return constants.restore(out);
}

/** Marks a masked constant's content: private-use characters no statement contains. */
const MASK = /\uE000(\d+)\uE001/g;

/**
 * DuckDB SQL (as the transpiler writes it: '...' with '' for a quote, "..." identifiers) with the
 * content of every string constant replaced by a marker, and the function that puts them back.
 */
export function maskConstants(sql: string): { masked: string; restore: (s: string) => string } {
  const saved: string[] = [];
  const index = new Map<string, number>();
  let masked = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      if (c === "'") {
        // Equal constants share a marker: fix-ups match a constant repeated (a backreference).
        const content = sql.slice(i + 1, j);
        let k = index.get(content);
        if (k === undefined) {
          k = saved.push(content) - 1;
          index.set(content, k);
        }
        masked += `'\uE000${k}\uE001'`;
      } else masked += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    masked += c;
    i++;
  }
  return { masked, restore: (s) => s.replace(MASK, (_m, k: string) => saved[Number(k)]) };
}

/** Applies `fn` to a Snowflake statement's text outside its string constants ('...' with backslash escapes, $$...$$). */
function outsideSnowflakeConstants(sql: string, fn: (code: string) => string): string {
  let out = '';
  let code = '';
  let i = 0;
  while (i < sql.length) {
    const end = sql[i] === "'" ? findClosing(sql, i, "'") : sql.startsWith('$$', i) ? sql.indexOf('$$', i + 2) + 1 || sql.length - 1 : -1;
    if (end < 0) {
      code += sql[i++];
      continue;
    }
    out += fn(code) + sql.slice(i, end + 1);
    code = '';
    i = end + 1;
  }
  return out + fn(code);
}

/** Snowflake's numbered bind markers `:1` become DuckDB's `$1` (outside string literals). */
export function numberedBinds(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = findClosing(sql, i, c);
      out += sql.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const m = /^:(\d+)/.exec(sql.slice(i));
    if (m && sql[i - 1] !== ':') {
      out += `$${m[1]}`;
      i += m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * Splits a script into statements on top-level semicolons: outside quotes, `$$` blocks, comments,
 * and Snowflake Scripting blocks, so `BEGIN ...; ...; END` and `[DECLARE ...;] BEGIN ... END`
 * (alone or as a task body, `CREATE TASK ... AS BEGIN ... END`) are one statement each, as
 * Snowflake counts them. `BEGIN [TRANSACTION | WORK | NAME ...]` and `BEGIN;` start a transaction,
 * not a block. Inside a block, `CASE ... END [CASE]` nests and `END IF|LOOP|FOR|WHILE|REPEAT` closes
 * what BEGIN did not open.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let declaring = false;
  let i = 0;
  const push = () => {
    if (cur.trim()) out.push(cur.trim());
    cur = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = findClosing(text, i, c);
      cur += text.slice(i, end + 1);
      i = end + 1;
    } else if (text.startsWith('$$', i)) {
      const end = text.indexOf('$$', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      cur += text.slice(i, stop);
      i = stop;
    } else if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
      cur += ' ';
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      WORD.lastIndex = i;
      const word = WORD.exec(text)![0];
      // A keyword is a whole word that is not a qualified name's part (`t.end`).
      const w = text[i - 1] === '.' ? '' : word.toUpperCase();
      const next = nextWord(text, i + word.length);
      if (w === 'BEGIN' && next !== ';' && next !== '' && !['TRANSACTION', 'WORK', 'NAME'].includes(next)) {
        depth++;
        declaring = false;
      } else if (w === 'DECLARE' && depth === 0 && cur.trim() === '') {
        declaring = true;
      } else if (w === 'CASE' && depth > 0) {
        depth++;
      } else if (w === 'END' && depth > 0 && !['IF', 'LOOP', 'FOR', 'WHILE', 'REPEAT'].includes(next)) {
        depth--;
        // `END CASE` closes a CASE statement: its CASE opens nothing.
        const endCase = next === 'CASE' ? /^\s+CASE\b/i.exec(text.slice(i + word.length)) : null;
        if (endCase) {
          cur += word + endCase[0];
          i += word.length + endCase[0].length;
          continue;
        }
      }
      cur += word;
      i += word.length;
    } else if (c === ';' && depth === 0 && !declaring) {
      push();
      i++;
    } else {
      cur += c;
      i++;
    }
  }
  push();
  return out;
}

const WORD = /[A-Za-z0-9_$]+/y;

/** The next word after `from` (upper-cased), `;` when a semicolon comes first, '' at the end. */
function nextWord(text: string, from: number): string {
  const m = /^(?:\s|--[^\n]*\n?)*([A-Za-z_][A-Za-z0-9_$]*|;)?/.exec(text.slice(from, from + 256));
  return (m?.[1] ?? '').toUpperCase();
}

function findClosing(text: string, start: number, q: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === q) {
      if (text[i + 1] === q) {
        i += 2;
        continue;
      }
      return i;
    }
    if (text[i] === '\\' && q === "'") i++;
    i++;
  }
  return text.length - 1;
}

const INSERT_HEAD = new RegExp(String.raw`^\s*INSERT\s+INTO\s+${QNAME}\s*(?:\([^()]*\))?\s*SELECT\s`, 'i');
/** Words that give a select list a source, a filter, a subquery or a meaning across rows. */
const ROW_CLAUSES = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'QUALIFY',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'WINDOW',
  'DISTINCT',
  'RETURNING',
]);

/**
 * An array-bound `INSERT INTO t [(cols)] SELECT <expressions of binds>` (a select list only) as
 * one statement per batch of rows: the binds become a VALUES list with the row number first,
 * `... SELECT L.* FROM (VALUES (0, CAST(? AS <type>), ...), ...) AS __mm_binds(__mm_row, __mm_c1,
 * ...), LATERAL (SELECT <expressions over __mm_cN>) AS L ORDER BY __mm_row`. `types` are the bound
 * columns' DuckDB types, so each expression sees the type its row binds as, and the statement is
 * bound (and a shape DuckDB refuses, such as an aggregate, fails) when it is prepared. The lateral
 * subquery evaluates the expressions once per row, as row-by-row execution does, and the ORDER BY
 * inserts in bind order. Returns the SQL for a batch of n rows, or undefined for any other shape.
 */
export function batchedInsertSelect(duck: string, types: readonly string[]): ((rows: number) => string) | undefined {
  const width = types.length;
  const head = INSERT_HEAD.exec(duck);
  if (!head) return undefined;
  const list = duck.slice(head[0].length);
  let out = '';
  let positional = 0;
  let numbered = 0;
  for (let i = 0; i < list.length; ) {
    const c = list[i];
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(list.slice(i))?.[0];
    const numberedBind = /^\$(\d+)/.exec(list.slice(i));
    let token: string;
    if (c === "'" || c === '"') {
      token = list.slice(i, findClosing(list, i, c) + 1);
    } else if (word) {
      if (ROW_CLAUSES.has(word.toUpperCase())) return undefined;
      token = word;
    } else if (c === '?' || numberedBind) {
      const column = numberedBind ? Number(numberedBind[1]) : ++positional;
      if (numberedBind) numbered++;
      if (column < 1 || column > width) return undefined;
      out += `__mm_binds.__mm_c${column}`;
      i += numberedBind ? numberedBind[0].length : 1;
      continue;
    } else if (c === ';') {
      return undefined;
    } else {
      token = c;
    }
    out += token;
    i += token.length;
  }
  // Binds are either all positional, one per bound column, or all numbered.
  if (numbered > 0 ? positional > 0 : positional !== width) return undefined;
  const into = head[0].replace(/SELECT\s$/i, '');
  const columns = Array.from({ length: width }, (_, j) => `__mm_c${j + 1}`).join(', ');
  const binds = types.map((t) => `, CAST(? AS ${t})`).join('');
  const row = (r: number) => `(${r}${binds})`;
  return (rows) =>
    `${into}SELECT L.* FROM (VALUES ${Array.from({ length: rows }, (_, r) => row(r)).join(', ')}) AS __mm_binds(__mm_row, ${columns}), ` +
    `LATERAL (SELECT ${out}) AS L ORDER BY __mm_binds.__mm_row`;
}
