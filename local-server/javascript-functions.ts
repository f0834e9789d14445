/**
 * The local server's JavaScript table functions: CREATE / DROP FUNCTION ... LANGUAGE JAVASCRIPT,
 * and queries that call one as `FROM (<input>) I, TABLE(f(I.a, ...) OVER (PARTITION BY I.k [ORDER
 * BY I.d])) F`. The input runs on the engine, its rows are grouped and ordered as the OVER clause
 * says, the handler's JavaScript runs over them (./javascript-udtf.ts) and its rows become an
 * inline table. Only table functions: a scalar JavaScript UDF is refused, as are calls whose
 * arguments hold parentheses.
 */
import { Engine, SessionState } from './engine';
import { Errors } from './errors';
import { InlineTables, inlinePlaceholder, jsonTable } from './inline-tables';
import { JavascriptUdtf, parseCreateJavascriptUdtf, runJavascriptUdtf } from './javascript-udtf';
import { SfResult, statusResult } from './results';
import { QNAME } from './translate';

/** DuckDB's type for a UDTF output column in the inline table. */
function inlineType(type: string): string {
  if (/^(VARIANT|OBJECT|ARRAY)$/.test(type)) return 'JSON';
  if (/^(FLOAT|DOUBLE|REAL)/.test(type)) return 'DOUBLE';
  if (/^(NUMBER|NUMERIC|DECIMAL|INT|INTEGER|BIGINT)/.test(type)) return 'DOUBLE';
  if (type === 'BOOLEAN') return 'BOOLEAN';
  return 'VARCHAR';
}

export class JavascriptFunctions {
  /** Functions by qualified name (`DB.SCHEMA.NAME`). */
  readonly functions = new Map<string, JavascriptUdtf>();

  constructor(private readonly engine: Engine) {}

  /** Handles the statement when it creates, drops or calls one of ours; undefined otherwise. */
  async handle(s: SessionState, sql: string): Promise<SfResult | undefined> {
    if (/^CREATE\s+(OR\s+REPLACE\s+)?(SECURE\s+)?FUNCTION\b/i.test(sql)) return this.create(s, sql);
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^DROP\\s+FUNCTION\\s+(IF\\s+EXISTS\\s+)?(${QNAME})\\s*(?:\\([^)]*\\))?$`, 'i').exec(sql))) {
      const key = this.engine.qualify(s, m[2]).join('.');
      if (!this.functions.has(key)) {
        if (m[1]) return statusResult('Drop statement executed successfully (function does not exist).');
        throw Errors.objectMissing(`Function '${key}'`);
      }
      // DROP FUNCTION needs OWNERSHIP (https://docs.snowflake.com/en/sql-reference/sql/drop-function).
      this.engine.auth.own(s, 'FUNCTION', key);
      this.functions.delete(key);
      this.engine.auth.dropped('FUNCTION', key);
      return statusResult(`${key.split('.').pop()} successfully dropped.`);
    }
    if (this.functions.size > 0 && /\bTABLE\s*\(/i.test(sql) && /\bOVER\s*\(/i.test(sql)) {
      const q = await this.rewrite(s, sql);
      if (q) return this.engine.execute(s, q.sql, undefined, q.tables);
    }
    return undefined;
  }

  toJSON(): [string, JavascriptUdtf][] {
    return [...this.functions.entries()];
  }

  load(entries: [string, JavascriptUdtf][] | undefined): void {
    for (const [k, f] of entries ?? []) this.functions.set(k, f);
  }

  /**
   * CREATE FUNCTION: CREATE FUNCTION on the schema (and USAGE on its database); replacing needs
   * the function's ownership (https://docs.snowflake.com/en/sql-reference/sql/create-function).
   */
  private create(s: SessionState, sql: string): SfResult {
    const parsed = parseCreateJavascriptUdtf(sql);
    if (!parsed) throw Errors.notSupported('CREATE FUNCTION other than a JavaScript table function (RETURNS TABLE (...) LANGUAGE JAVASCRIPT AS $$...$$)');
    const key = this.engine.qualify(s, parsed.ref).join('.');
    const existed = this.functions.has(key);
    this.engine.auth.create(s, 'FUNCTION', key, existed && parsed.replace);
    if (existed && parsed.ifNotExists) return statusResult(`${key.split('.').pop()} already exists, statement succeeded.`);
    if (existed && !parsed.replace) throw Errors.alreadyExists(key);
    this.functions.set(key, { name: key, ...parsed.udtf });
    if (!existed) this.engine.auth.created(s, 'FUNCTION', key);
    return statusResult(`Function ${key.split('.').pop()} successfully created.`);
  }

  /** `(<input>) I, TABLE(f(args) OVER (...)) F` becomes `<inline rows> F`; undefined when no function of ours is called. */
  private async rewrite(s: SessionState, sql: string): Promise<{ sql: string; tables: InlineTables } | undefined> {
    const call = new RegExp(
      `TABLE\\s*\\(\\s*(${QNAME})\\s*\\(([^()]*)\\)\\s*OVER\\s*\\(\\s*PARTITION\\s+BY\\s+([^()]+?)(?:\\s+ORDER\\s+BY\\s+([^()]+?))?\\s*\\)\\s*\\)\\s*(\\w+)`,
      'i',
    ).exec(sql);
    if (!call) return undefined;
    const key = this.engine.qualify(s, call[1]).join('.');
    const udtf = this.functions.get(key);
    if (!udtf) return undefined;
    // Calling a function needs USAGE on it (its owner has it), and a warehouse.
    this.engine.auth.need(s, 'USAGE', 'FUNCTION', key);
    this.engine.requireWarehouse(s);
    const before = sql.slice(0, call.index);
    const aliasMatch = /\)\s*(\w+)\s*,\s*$/.exec(before);
    if (!aliasMatch) throw Errors.notSupported('a table function whose input is not a parenthesized subquery');
    const close = before.length - aliasMatch[0].length;
    let depth = 0;
    let open = -1;
    for (let i = close; i >= 0; i--) {
      if (before[i] === ')') depth++;
      else if (before[i] === '(' && --depth === 0) {
        open = i;
        break;
      }
    }
    const input = before.slice(open + 1, close);
    const alias = aliasMatch[1];
    const args = call[2]
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (args.length !== udtf.args.length) throw Errors.notSupported(`${key} called with ${args.length} arguments; it takes ${udtf.args.length}`);
    const cols = [...args.map((a, i) => `${a} AS A${i}`), `${call[3]} AS MM_PARTITION`, ...(call[4] ? [`${call[4]} AS MM_ORDER`] : [])];
    const r = await this.engine.execute(s, `SELECT ${cols.join(', ')} FROM (${input}) ${alias} ORDER BY MM_PARTITION${call[4] ? ', MM_ORDER' : ''}`);
    const groups = new Map<string, unknown[][]>();
    const p = r.columns.findIndex((c) => c.name.toUpperCase() === 'MM_PARTITION');
    for (const row of r.rows) {
      const k = String(row[p]);
      const g = groups.get(k);
      const values = row.slice(0, args.length);
      if (g) g.push(values);
      else groups.set(k, [values]);
    }
    const out = runJavascriptUdtf(udtf, groups.values());
    const tables = new Map<string, string>();
    const placeholder = inlinePlaceholder('UDTF', 0);
    tables.set(
      placeholder,
      jsonTable(
        udtf.returns.map(([c, t]) => [c, inlineType(t)] as const),
        out,
      ),
    );
    return { sql: sql.slice(0, open) + `${placeholder} ${call[5]}` + sql.slice(call.index + call[0].length), tables };
  }
}
