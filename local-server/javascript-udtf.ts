/**
 * JavaScript table functions (UDTFs) as Snowflake runs them, for the local server: the handler's
 * JavaScript really runs, in a `vm` context that has the language's built-ins and nothing of Node
 * (no require, process or Buffer), as a Snowflake JavaScript UDF has none. What it follows:
 *
 * - "Tabular JavaScript UDFs (UDTFs)", https://docs.snowflake.com/en/developer-guide/udf/javascript/udf-javascript-tabular-functions:
 *   the body is one object literal with processRow (required), and optional initialize and
 *   finalize; a body without processRow is created but fails when called. initialize runs before
 *   a partition's first row, processRow once per row with the arguments as properties named in
 *   upper case, finalize after a partition's last row; rowWriter.writeRow({COLUMN: value}) emits a
 *   row, a column without a property is NULL. At most 500 arguments and 500 output columns.
 * - "Introduction to JavaScript UDFs", SQL and JavaScript data types
 *   (https://docs.snowflake.com/en/developer-guide/udf/javascript/udf-javascript-introduction):
 *   a SQL NULL argument is `undefined`; numbers are JavaScript doubles; VARIANT is its JSON value.
 * - "JavaScript UDF limitations", https://docs.snowflake.com/en/developer-guide/udf/javascript/udf-javascript-limitations:
 *   global state may survive between partitions (one context per statement here); a call that
 *   takes too long is killed (a time limit per partition here); Snowflake recommends at most 100 KB of
 *   source, and a body over it is refused here (the exact limit depends on how well it compresses).
 */
import * as vm from 'vm';
import { Errors, SfError } from './errors';

/** A JavaScript UDTF as CREATE FUNCTION declared it. */
export interface JavascriptUdtf {
  readonly name: string;
  readonly args: readonly (readonly [name: string, type: string])[];
  readonly returns: readonly (readonly [name: string, type: string])[];
  readonly body: string;
}

/** Snowflake's recommended ceiling on a JavaScript UDF's source (the limitations page). */
export const MAX_JAVASCRIPT_SOURCE_BYTES = 100 * 1024;

/** Milliseconds one partition's callbacks may run before the call is killed (Snowflake documents no number). */
const CALLBACK_TIMEOUT_MS = 60_000;

/** The parts of `CREATE [OR REPLACE] [SECURE] FUNCTION name(args) RETURNS TABLE (cols) LANGUAGE JAVASCRIPT AS $$body$$`, or undefined for another statement. */
export function parseCreateJavascriptUdtf(
  sql: string,
): { replace: boolean; ifNotExists: boolean; ref: string; udtf: Omit<JavascriptUdtf, 'name'> } | undefined {
  const m =
    /^CREATE\s+(OR\s+REPLACE\s+)?(?:SECURE\s+)?FUNCTION\s+(IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|[A-Za-z_$][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_$][\w$]*)){0,2})\s*\(([^)]*)\)\s*RETURNS\s+TABLE\s*\(([^)]*)\)\s*LANGUAGE\s+JAVASCRIPT\b[\s\S]*?\bAS\s*\$\$([\s\S]*)\$\$\s*$/i.exec(
      sql,
    );
  if (!m) return undefined;
  const pairs = (text: string) =>
    text.trim() === ''
      ? []
      : text.split(',').map((p) => {
          const [n, ...t] = p.trim().split(/\s+/);
          return [n.replace(/"/g, '').toUpperCase(), t.join(' ').toUpperCase()] as const;
        });
  const args = pairs(m[4]);
  const returns = pairs(m[5]);
  if (args.length > 500 || returns.length > 500) throw Errors.notSupported('a table function with more than 500 arguments or 500 output columns');
  if (Buffer.byteLength(m[6], 'utf8') > MAX_JAVASCRIPT_SOURCE_BYTES) {
    throw new SfError(
      '100131',
      `JavaScript source of ${Buffer.byteLength(m[6], 'utf8')} bytes is over the ${MAX_JAVASCRIPT_SOURCE_BYTES} bytes this server accepts (Snowflake recommends at most 100 KB)`,
      '22000',
    );
  }
  return { replace: Boolean(m[1]), ifNotExists: Boolean(m[2]), ref: m[3], udtf: { args, returns, body: m[6] } };
}

/** A JavaScript execution error as Snowflake reports a UDF's (code 100132, "JavaScript execution error"). */
function executionError(fn: string, e: unknown): SfError {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new SfError('100132', `JavaScript execution error: Uncaught ${message} in ${fn}`, 'P0000');
}

/** An argument as the handler receives it: SQL NULL is undefined, numbers doubles, booleans booleans. */
function jsValue(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (/^(FLOAT|DOUBLE|REAL|NUMBER|NUMERIC|DECIMAL|INT|INTEGER|BIGINT)/.test(type)) return Number(v);
  if (type === 'BOOLEAN') return v === true || v === 'true' || v === '1' || v === 1;
  if (/^(VARIANT|OBJECT|ARRAY)$/.test(type)) return typeof v === 'string' ? JSON.parse(v) : v;
  return String(v);
}

/** An output value of column type `type`: numbers stay numbers (NaN and infinities too), a VARIANT its JSON value. */
function sqlValue(type: string, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (/^(FLOAT|DOUBLE|REAL|NUMBER|NUMERIC|DECIMAL|INT|INTEGER|BIGINT)/.test(type)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : String(n);
  }
  if (type === 'BOOLEAN') return Boolean(v);
  if (/^(VARIANT|OBJECT|ARRAY)$/.test(type)) return JSON.parse(JSON.stringify(v));
  return String(v);
}

/**
 * Runs `udtf` over `partitions` (each one's rows as argument values in declaration order, already
 * in the order OVER (... ORDER BY ...) gives) and returns its output rows, keyed by the RETURNS
 * columns. One context for the whole statement: global state survives between partitions.
 */
export function runJavascriptUdtf(udtf: JavascriptUdtf, partitions: Iterable<readonly unknown[][]>): Record<string, unknown>[] {
  const context = vm.createContext({});
  let handler: Record<string, unknown>;
  try {
    handler = new vm.Script(`(${udtf.body})`, { filename: udtf.name }).runInContext(context, { timeout: CALLBACK_TIMEOUT_MS }) as Record<string, unknown>;
  } catch (e) {
    throw executionError(udtf.name, e);
  }
  if (typeof handler !== 'object' || handler === null || typeof handler.processRow !== 'function') {
    throw new SfError('100132', `JavaScript execution error: the handler of ${udtf.name} is not an object literal with a processRow function`, 'P0000');
  }
  const out: Record<string, unknown>[] = [];
  const rowWriter = {
    writeRow: (row: Record<string, unknown>) => {
      out.push(Object.fromEntries(udtf.returns.map(([c, t]) => [c, sqlValue(t, row?.[c])])));
    },
  };
  // One partition's callbacks run in the context in one call, under one time limit, with `this`
  // the handler object (a script compiled once; a script per row cost more than the fits).
  const argumentInfo = Object.fromEntries(udtf.args.map(([n, t]) => [n, { type: t, isConst: false }]));
  context.__mm = { handler, rowWriter, argumentInfo, rows: [] };
  const partition = new vm.Script(
    `(function (m) {
      var h = m.handler;
      if (typeof h.initialize === 'function') h.initialize(m.argumentInfo, {});
      for (var i = 0; i < m.rows.length; i++) h.processRow(m.rows[i], m.rowWriter, {});
      if (typeof h.finalize === 'function') h.finalize(m.rowWriter, {});
    })(__mm)`,
    { filename: `${udtf.name} (partition)` },
  );
  for (const rows of partitions) {
    context.__mm.rows = rows.map((values) => Object.fromEntries(udtf.args.map(([n, t], i) => [n, jsValue(t, values[i])])));
    try {
      partition.runInContext(context, { timeout: CALLBACK_TIMEOUT_MS });
    } catch (e) {
      throw executionError(udtf.name, e);
    }
  }
  return out;
}
