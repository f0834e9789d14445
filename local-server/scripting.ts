/**
 * Snowflake Scripting blocks as task bodies run them: `[DECLARE ...] BEGIN ... END`
 * (https://docs.snowflake.com/en/developer-guide/snowflake-scripting/blocks). The subset this
 * project's task bodies use, and nothing looser:
 * - declarations `NAME TYPE [DEFAULT expr]` and `NAME EXCEPTION (code, 'message')`
 *   (https://docs.snowflake.com/en/developer-guide/snowflake-scripting/exceptions);
 * - `NAME := expr` (the variable must be declared: "Working with variables",
 *   https://docs.snowflake.com/en/developer-guide/snowflake-scripting/variables);
 * - `SELECT ... INTO :a, :b ...` (one row, else an error: the page's "SELECT INTO" rule);
 * - `IF (condition) THEN statements END IF`, `RETURN expr`, `RAISE name`;
 * - one exception handler at the end of the block, `EXCEPTION WHEN name [OR name] THEN ... [WHEN
 *   OTHER THEN ...]` (https://docs.snowflake.com/en/sql-reference/snowflake-scripting/exception):
 *   the first WHEN that matches runs, with SQLCODE, SQLERRM and SQLSTATE set and only the DECLAREd
 *   variables in scope (not a LET of the body), and `RAISE;` in it
 *   raises the same exception again (https://docs.snowflake.com/en/sql-reference/snowflake-scripting/raise);
 *   an exception no WHEN matches ends the block with it;
 * - `EXECUTE IMMEDIATE :variable` (https://docs.snowflake.com/en/sql-reference/sql/execute-immediate);
 * - any other statement is SQL, with `:name` bound to the variable's value. An undeclared `:name`
 *   is refused, as Snowflake's compiler refuses it.
 * Expressions (assignments, conditions, RETURN) use variables by bare name and are evaluated by
 * the engine (`SELECT expr`), so their SQL is the server's.
 */
import { Errors, SfError } from './errors';
import { SfResult } from './results';
import { splitStatements } from './translate';
import { STRING_LITERAL, readLiteral } from './literals';

/** Runs one SQL statement the way the task's session would (the server's own paths). */
export type StatementRunner = (sql: string) => Promise<SfResult>;

interface Variable {
  type: 'TEXT' | 'NUMBER' | 'BOOLEAN';
  value: string | null;
}

interface DeclaredException {
  code: number;
  message: string;
}

/** What a block returned (RETURN's value), or undefined when it ended without RETURN. */
export interface ScriptOutcome {
  readonly returned?: string | null;
}

/**
 * The Scripting block of a task body, when it is one with variables: `EXECUTE IMMEDIATE $$<block>$$`
 * (a block with DECLARE, as CREATE TASK's page writes it), or `BEGIN ... END` whose statements
 * declare variables with LET. Undefined for plain statements and BEGIN ... END without variables.
 */
export function scriptingBlockOf(text: string): string | undefined {
  const t = text.trim();
  const wrapped = /^EXECUTE\s+IMMEDIATE\s+\$\$([\s\S]*)\$\$;?$/i.exec(t);
  if (wrapped && /^\s*(DECLARE|BEGIN)\b/i.test(wrapped[1])) return wrapped[1].trim();
  const plain = /^BEGIN\s+([\s\S]*\S)\s*END;?$/i.exec(t);
  if (plain && splitStatements(plain[1]).some((st) => /^LET\s/i.test(st))) return t;
  return undefined;
}

/** Runs a Scripting block. Errors of its statements and RAISE end it, as in Snowflake. */
export async function runScriptingBlock(text: string, run: StatementRunner): Promise<ScriptOutcome> {
  const { declare, body } = parts(text.trim());
  const vars = new Map<string, Variable>();
  const exceptions = new Map<string, DeclaredException>();
  for (const d of declare ? splitStatements(declare) : []) {
    let m: RegExpExecArray | null;
    if ((m = /^([A-Za-z_][A-Za-z0-9_$]*)\s+EXCEPTION\s*\(\s*(-?\d+)\s*,\s*'((?:[^']|'')*)'\s*\)$/i.exec(d))) {
      exceptions.set(m[1].toUpperCase(), { code: Number(m[2]), message: m[3].replace(/''/g, "'") });
    } else if ((m = /^([A-Za-z_][A-Za-z0-9_$]*)\s+([A-Za-z_]+)(?:\s*\([^)]*\))?(?:\s+DEFAULT\s+([\s\S]+))?$/i.exec(d))) {
      const v: Variable = { type: typeOf(m[2]), value: null };
      vars.set(m[1].toUpperCase(), v);
      if (m[3]) v.value = await evaluate(m[3], vars, run, v.type);
    } else {
      throw Errors.syntax(`Snowflake Scripting: cannot read the declaration '${d}'`);
    }
  }
  const declared = new Set(vars.keys());
  const statements = splitStatements(body);
  const at = statements.findIndex((st) => /^EXCEPTION\s+WHEN\b/i.test(st.trim()));
  const handler = at < 0 ? undefined : handlerClauses(statements.slice(at), exceptions);
  let result: string | null | typeof NO_RETURN;
  try {
    result = await runStatements(at < 0 ? statements : statements.slice(0, at), { vars, exceptions, run });
  } catch (e) {
    const raised = RAISED.get(e as object);
    const clause = handler?.find((h) => h.names === 'OTHER' || h.names.includes(raised?.name ?? ''));
    if (!clause) throw e;
    // The handler's built-in variables ("Handling exceptions": SQLCODE, SQLERRM, SQLSTATE).
    const err = e instanceof SfError ? e : new SfError('100132', String((e as Error)?.message ?? e), 'P0000');
    const code = /^-?\d+$/.test(err.code) ? String(Number(err.code)) : '-1';
    // "To use a variable in an exception handler, the variable must be declared in the DECLARE
    // section": a LET of the body is out of the handler's scope (the EXCEPTION page's usage notes).
    const scope = new Map([...vars].filter(([name]) => declared.has(name)));
    scope.set('SQLCODE', { type: 'NUMBER', value: code });
    // A declared exception's SQLERRM is its declared message (the EXCEPTION page's example).
    scope.set('SQLERRM', { type: 'TEXT', value: raised ? raised.message : err.message });
    scope.set('SQLSTATE', { type: 'TEXT', value: err.sqlState });
    result = await runStatements(clause.statements, { vars: scope, exceptions, run, handling: e });
  }
  return result === NO_RETURN ? {} : { returned: result };
}

/** The declared exception a RAISE threw, by its error: what a `WHEN name` clause matches. */
const RAISED = new WeakMap<object, { name: string; message: string }>();

interface HandlerClause {
  /** The exception names of the WHEN, or OTHER. */
  readonly names: readonly string[] | 'OTHER';
  readonly statements: string[];
}

/** `EXCEPTION WHEN a [OR b] THEN s; ... [WHEN ... THEN ...] [WHEN OTHER THEN ...]`: the block's last part. */
function handlerClauses(statements: string[], exceptions: Map<string, DeclaredException>): HandlerClause[] {
  const clauses: { names: string[] | 'OTHER'; statements: string[] }[] = [];
  statements.forEach((raw, k) => {
    const st = k === 0 ? raw.trim().replace(/^EXCEPTION\s+/i, '') : raw.trim();
    const m = /^WHEN\s+([A-Za-z_][A-Za-z0-9_$]*(?:\s+OR\s+[A-Za-z_][A-Za-z0-9_$]*)*)\s+THEN\b\s*([\s\S]*)$/i.exec(st);
    if (m) {
      const names = m[1].split(/\s+OR\s+/i).map((n) => n.toUpperCase());
      if (names.includes('OTHER') && names.length > 1) throw Errors.syntax('Snowflake Scripting: WHEN OTHER takes no other exception');
      // "An exception handler can handle a specified exception only if that specified exception is in scope."
      for (const n of names) if (n !== 'OTHER' && !exceptions.has(n)) throw Errors.syntax(`Snowflake Scripting: exception '${n}' is not declared`);
      clauses.push({ names: names[0] === 'OTHER' ? 'OTHER' : names, statements: m[2] ? [m[2]] : [] });
    } else if (clauses.length === 0 || /^WHEN\s/i.test(st)) {
      // WHEN ... { EXIT | CONTINUE } THEN is not supported here: refused, not run as EXIT.
      throw Errors.syntax(`Snowflake Scripting: cannot read the handler clause '${st.split('\n')[0]}' (WHEN name [OR name] THEN, or WHEN OTHER THEN)`);
    } else {
      clauses[clauses.length - 1].statements.push(raw);
    }
  });
  for (const c of clauses) if (c.statements.length === 0) throw Errors.syntax('Snowflake Scripting: a WHEN clause needs a statement');
  return clauses;
}

const NO_RETURN = Symbol('no return');

interface Context {
  readonly vars: Map<string, Variable>;
  readonly exceptions: Map<string, DeclaredException>;
  readonly run: StatementRunner;
  /** The exception an exception handler is handling (what `RAISE;` raises again). */
  readonly handling?: unknown;
}

async function runStatements(statements: string[], c: Context): Promise<string | null | typeof NO_RETURN> {
  for (let i = 0; i < statements.length; i++) {
    const st = statements[i].trim();
    let m: RegExpExecArray | null;
    const cond = ifHead(st);
    if (cond) {
      // IF (cond) THEN <first statement>; ...; END IF: the first statement shares the IF's text.
      const inner = cond.rest ? [cond.rest] : [];
      let j = i + 1;
      for (; j < statements.length && !/^END\s+IF$/i.test(statements[j].trim()); j++) inner.push(statements[j]);
      if (j >= statements.length) throw Errors.syntax('Snowflake Scripting: IF without END IF');
      i = j;
      if ((await evaluate(`IFF(${cond.condition}, 1, 0)`, c.vars, c.run, 'NUMBER')) === '1') {
        const r = await runStatements(inner, c);
        if (r !== NO_RETURN) return r;
      }
      continue;
    }
    if ((m = /^LET\s+([A-Za-z_][A-Za-z0-9_$]*)\s+([A-Za-z_]+)(?:\s*\([^)]*\))?\s*(?::=|\bDEFAULT\b)\s*([\s\S]+)$/i.exec(st))) {
      const v: Variable = { type: typeOf(m[2]), value: null };
      c.vars.set(m[1].toUpperCase(), v);
      v.value = await evaluate(m[3], c.vars, c.run, v.type);
      continue;
    }
    if ((m = /^RETURN(?:\s+([\s\S]+))?$/i.exec(st))) return m[1] ? evaluate(m[1], c.vars, c.run, 'TEXT') : null;
    if (/^RAISE$/i.test(st)) {
      if (c.handling === undefined) throw Errors.syntax('Snowflake Scripting: RAISE without an exception name is valid only in an exception handler');
      throw c.handling;
    }
    if ((m = /^RAISE\s+([A-Za-z_][A-Za-z0-9_$]*)$/i.exec(st))) {
      const e = c.exceptions.get(m[1].toUpperCase());
      if (!e) throw Errors.syntax(`Snowflake Scripting: exception '${m[1]}' is not declared`);
      const err = new SfError(String(e.code), `Uncaught exception of type '${m[1].toUpperCase()}' with message '${e.message}'`, 'P0001');
      RAISED.set(err, { name: m[1].toUpperCase(), message: e.message });
      throw err;
    }
    if ((m = /^([A-Za-z_][A-Za-z0-9_$]*)\s*:=\s*([\s\S]+)$/.exec(st))) {
      const v = variable(c.vars, m[1]);
      v.value = await evaluate(m[2], c.vars, c.run, v.type);
      continue;
    }
    if ((m = /^EXECUTE\s+IMMEDIATE\s+:([A-Za-z_][A-Za-z0-9_$]*)$/i.exec(st))) {
      const text = variable(c.vars, m[1]).value;
      if (text === null) throw new SfError('100183', 'Snowflake Scripting: EXECUTE IMMEDIATE of a NULL statement', '22000');
      await c.run(text);
      continue;
    }
    if ((m = /^(SELECT\s[\s\S]*?)\s+INTO\s+(:[A-Za-z_][A-Za-z0-9_$]*(?:\s*,\s*:[A-Za-z_][A-Za-z0-9_$]*)*)(\s[\s\S]*)?$/i.exec(st))) {
      const targets = m[2].split(',').map((t) => variable(c.vars, t.trim().slice(1)));
      const res = await c.run(bind(`${m[1]}${m[3] ?? ''}`, c.vars));
      if (res.rows.length !== 1)
        throw new SfError('092219', `Snowflake Scripting: SELECT INTO returned ${res.rows.length} rows; it must return exactly one`, '22000');
      targets.forEach((t, k) => {
        t.value = normalize(res.rows[0][k] ?? null, t.type);
      });
      continue;
    }
    await c.run(bind(st, c.vars));
  }
  return NO_RETURN;
}

/** `[DECLARE <declarations>] BEGIN <body> END`. */
function parts(text: string): { declare?: string; body: string } {
  const t = text.replace(/;\s*$/, '');
  const end = /\bEND$/i.exec(t);
  if (!end) throw Errors.syntax('Snowflake Scripting: a block ends with END');
  if (/^BEGIN\s/i.test(t)) return { body: t.slice(5, end.index) };
  const begin = /\bBEGIN\b/i.exec(t);
  if (!/^DECLARE\s/i.test(t) || !begin) throw Errors.syntax('Snowflake Scripting: DECLARE ... BEGIN ... END expected');
  return { declare: t.slice(7, begin.index), body: t.slice(begin.index + 5, end.index) };
}

/** `IF (<condition>) THEN [rest]`, the condition's parentheses balanced (quotes skipped). */
function ifHead(st: string): { condition: string; rest: string } | undefined {
  const m = /^IF\s*\(/i.exec(st);
  if (!m) return undefined;
  let depth = 0;
  for (let i = m[0].length - 1; i < st.length; i++) {
    const ch = st[i];
    if (ch === "'") {
      i = st.indexOf("'", i + 1);
      while (i >= 0 && st[i + 1] === "'") i = st.indexOf("'", i + 2);
      if (i < 0) break;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) {
      const then = /^\s*THEN\b\s*/i.exec(st.slice(i + 1));
      if (!then) throw Errors.syntax('Snowflake Scripting: IF (...) THEN expected');
      return { condition: st.slice(m[0].length, i), rest: st.slice(i + 1 + then[0].length).trim() };
    }
  }
  throw Errors.syntax('Snowflake Scripting: unbalanced IF condition');
}

function typeOf(t: string): Variable['type'] {
  const u = t.toUpperCase();
  if (['NUMBER', 'INTEGER', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL', 'NUMERIC', 'REAL'].includes(u)) return 'NUMBER';
  if (u === 'BOOLEAN') return 'BOOLEAN';
  if (['VARCHAR', 'STRING', 'TEXT', 'CHAR'].includes(u)) return 'TEXT';
  throw Errors.syntax(`Snowflake Scripting: variable type ${t} is not supported by the local server`);
}

function variable(vars: Map<string, Variable>, name: string): Variable {
  const v = vars.get(name.toUpperCase());
  // An undeclared variable is a compilation error in Snowflake.
  if (!v) throw new SfError('000904', `SQL compilation error: error line 0 at position 0\ninvalid identifier '${name.toUpperCase()}'`, '42000');
  return v;
}

function normalize(value: string | null, type: Variable['type']): string | null {
  if (value === null) return null;
  if (type === 'BOOLEAN') return ['1', 'TRUE', 'true'].includes(value) ? 'TRUE' : 'FALSE';
  return value;
}

function literal(v: Variable): string {
  if (v.value === null) return 'NULL';
  if (v.type === 'NUMBER') {
    if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.value)) throw new SfError('100038', `Numeric value '${v.value}' is not recognized`, '22018');
    return v.value;
  }
  if (v.type === 'BOOLEAN') return v.value;
  return `'${v.value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Replaces variable references outside quoted text: `:name` in SQL statements, or bare names in expressions. */
function substitute(sql: string, vars: Map<string, Variable>, bare: boolean): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\' && ch === "'") j += 2;
        else if (sql[j] === ch && sql[j + 1] === ch) j += 2;
        else if (sql[j] === ch) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (sql.startsWith('$$', i)) {
      const end = sql.indexOf('$$', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    const colon = /^:([A-Za-z_][A-Za-z0-9_$]*)/.exec(sql.slice(i));
    if (colon && sql[i - 1] !== ':' && sql[i + 1] !== ':') {
      out += literal(variable(vars, colon[1]));
      i += colon[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i));
    if (word && !/[A-Za-z0-9_$.]/.test(sql[i - 1] ?? '')) {
      const v = bare ? vars.get(word[0].toUpperCase()) : undefined;
      out += v ? literal(v) : word[0];
      i += word[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

function bind(sql: string, vars: Map<string, Variable>): string {
  return substitute(sql, vars, false);
}

const REPLACE_OF_CONSTANT = new RegExp(String.raw`^REPLACE\(\s*(${STRING_LITERAL})\s*,\s*(${STRING_LITERAL})\s*,\s*([A-Za-z_][A-Za-z0-9_$]*)\s*\)$`, 'is');

async function evaluate(expr: string, vars: Map<string, Variable>, run: StatementRunner, type: Variable['type']): Promise<string | null> {
  // REPLACE(<constant>, <constant>, variable), the loop's dynamic SQL, is evaluated here: the
  // constant is a statement whose text (DIRECTORY(@stage), ...) the server's own rewriting of
  // statements must not touch, as Snowflake never looks into a string constant.
  const r = REPLACE_OF_CONSTANT.exec(expr.trim());
  if (r) {
    const subject = variable(vars, r[3]).value;
    return subject === null ? null : readLiteral(r[1]).split(readLiteral(r[2])).join(subject);
  }
  const res = await run(`SELECT ${substitute(expr, vars, true)}`);
  return normalize(res.rows[0]?.[0] ?? null, type);
}
