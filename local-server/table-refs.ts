/**
 * The tables a query or DML statement reads and writes, from @polyglot-sql/sdk's Snowflake parser
 * (the translator's own, already loaded by initTranslator), so the engine can check the session
 * role's privileges on each (local-server/access-control.ts). Common table expressions and
 * subquery aliases are not tables; INFORMATION_SCHEMA views are left to the engine.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const polyglot = require('@polyglot-sql/sdk') as {
  parse(sql: string, dialect: unknown): { success: boolean; ast?: unknown[]; error?: string };
  Dialect: Record<string, unknown>;
};

export interface TableRef {
  /** 1 to 3 parts, unquoted parts upper-cased. */
  readonly parts: string[];
  /** The privilege the statement needs on it. */
  readonly privilege: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
}

type Node = Record<string, unknown>;

const ident = (n: unknown): string | undefined => {
  const x = n as { name?: unknown; quoted?: boolean } | null;
  if (!x || typeof x.name !== 'string') return undefined;
  return x.quoted ? x.name : x.name.toUpperCase();
};

/** A table node: `{ name: { name }, schema?, catalog? }` (a column's `table` is `{ name: "t" }`, a bare string). */
function tableParts(n: unknown): string[] | undefined {
  const t = n as Node | null;
  if (!t || typeof t !== 'object' || !t.name || typeof t.name !== 'object') return undefined;
  const name = ident(t.name);
  if (!name) return undefined;
  return [ident(t.catalog), ident(t.schema), name].filter((p): p is string => p !== undefined);
}

/**
 * Parsing is a pure function of the text, and workers and the runner send the same statements over
 * and over with different binds (a worker's claim, its chunk read): the most recent answers are
 * kept (bounded), as translations are (translate.ts).
 */
const REFS_CACHE = new Map<string, readonly TableRef[] | undefined>();
const REFS_CACHE_SIZE = 1000;

/**
 * The tables of one statement, or undefined when the parser cannot read it (the caller then
 * falls back to reading names after FROM/JOIN/INTO/UPDATE).
 */
export function tableRefs(sql: string): readonly TableRef[] | undefined {
  if (REFS_CACHE.has(sql)) {
    const hit = REFS_CACHE.get(sql);
    // Refresh its place: Map iteration order is insertion order, so the oldest entry goes first.
    REFS_CACHE.delete(sql);
    REFS_CACHE.set(sql, hit);
    return hit;
  }
  const refs = parseTableRefs(sql);
  REFS_CACHE.set(sql, refs === undefined ? undefined : Object.freeze(refs.map((r) => Object.freeze(r))));
  if (REFS_CACHE.size > REFS_CACHE_SIZE) REFS_CACHE.delete(REFS_CACHE.keys().next().value!);
  return REFS_CACHE.get(sql);
}

function parseTableRefs(sql: string): TableRef[] | undefined {
  let r: { success: boolean; ast?: unknown[] };
  try {
    r = polyglot.parse(sql, polyglot.Dialect.Snowflake);
  } catch {
    return undefined;
  }
  if (!r.success || !r.ast || r.ast.length !== 1) return undefined;
  const root = r.ast[0] as Node;
  const ctes = new Set<string>();
  const found: { node: unknown; parts: string[] }[] = [];
  const visit = (n: unknown, parentKey: string | undefined): void => {
    if (Array.isArray(n)) {
      for (const x of n) visit(x, parentKey);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const o = n as Node;
    if (parentKey === 'ctes' && o.alias) {
      const a = ident(o.alias);
      if (a) ctes.add(a);
    }
    for (const [k, v] of Object.entries(o)) {
      if (k === 'table') {
        const parts = tableParts(v);
        if (parts) {
          found.push({ node: v, parts });
          continue;
        }
      }
      visit(v, k);
    }
  };
  visit(root, undefined);
  const kind = Object.keys(root)[0];
  const body = root[kind] as Node;
  let target: unknown;
  let targetPrivileges: TableRef['privilege'][] = [];
  if (kind === 'insert' || kind === 'update' || kind === 'delete' || kind === 'truncate') {
    target = body.table;
    targetPrivileges = [kind.toUpperCase() as TableRef['privilege']];
  } else if (kind === 'merge') {
    const inner: TableRef['privilege'][] = [];
    if (/\bTHEN\s+INSERT\b/i.test(sql)) inner.push('INSERT');
    if (/\bTHEN\s+UPDATE\b/i.test(sql)) inner.push('UPDATE');
    if (/\bTHEN\s+DELETE\b/i.test(sql)) inner.push('DELETE');
    targetPrivileges = inner;
    let t = body.this as Node | undefined;
    while (t && !t.table && (t.alias || t.this)) t = ((t.alias as Node | undefined)?.this ?? t.this) as Node | undefined;
    target = t?.table;
  } else if (
    kind !== 'select' &&
    kind !== 'union' &&
    kind !== 'intersect' &&
    kind !== 'except' &&
    kind !== 'values' &&
    kind !== 'subquery' &&
    kind !== 'with'
  ) {
    return undefined;
  }
  const out: TableRef[] = [];
  for (const f of found) {
    if (f.parts.length === 1 && ctes.has(f.parts[0])) continue;
    if (f.parts.length >= 2 && f.parts[f.parts.length - 2] === 'INFORMATION_SCHEMA') continue;
    if (f.node === target) for (const p of targetPrivileges) out.push({ parts: f.parts, privilege: p });
    else out.push({ parts: f.parts, privilege: 'SELECT' });
  }
  return out;
}

const NAME = String.raw`(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)){0,2}`;

/** Names after FROM / JOIN / INTO / UPDATE / TRUNCATE when the parser could not read the statement. */
export function tableRefsByScan(sql: string): TableRef[] {
  const out: TableRef[] = [];
  const verb = /^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b/i.exec(sql)?.[1]?.toUpperCase();
  const re = new RegExp(String.raw`\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+(${NAME})(?!\s*\()`, 'gi');
  for (const m of sql.matchAll(re)) {
    const parts = (m[2].match(/"[^"]+"|[^.]+/g) ?? []).map((p) => (p.startsWith('"') ? p.slice(1, -1) : p.toUpperCase()));
    const word = m[1].toUpperCase();
    const isTarget =
      (verb === 'INSERT' && word === 'INTO') ||
      (verb === 'UPDATE' && word === 'UPDATE') ||
      (verb === 'DELETE' && word === 'FROM' && out.length === 0) ||
      (verb === 'TRUNCATE' && word === 'TABLE');
    if (['SELECT', 'VALUES', 'LATERAL', 'TABLE'].includes(parts[0]) && parts.length === 1) continue;
    out.push({ parts, privilege: isTarget ? (verb as TableRef['privilege']) : 'SELECT' });
  }
  return out;
}
