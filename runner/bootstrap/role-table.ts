/**
 * Who holds what in a synthesized stack, as a Markdown table generated from its `cdk.tf.json`
 * (docs/deploying.md shows the example's; a test keeps it equal to the synthesis): what the
 * deploy role owns because it creates it, what the bootstrap grants it, and every privilege the
 * stack grants to a role.
 */
import { TerraformJson, bootstrapStatements, hybridTableOf } from './bootstrap';

type Res = Record<string, any>;

/** `"A"."B"` or `A.B` as `A.B`; a procedure's argument list is kept. */
function plain(name: unknown): string {
  return String(name).replace(/"/g, '');
}

/** The object a grant resource names, as `kind name`. */
function targetOf(g: Res): string {
  if (g.on_account === true) return 'the account';
  if (g.on_account_object) return `${String(g.on_account_object.object_type).toLowerCase()} ${plain(g.on_account_object.object_name)}`;
  if (g.on_schema?.schema_name) return `schema ${plain(g.on_schema.schema_name)}`;
  if (g.on_schema_object?.future)
    return `future ${String(g.on_schema_object.future.object_type_plural).toLowerCase()} in schema ${plain(g.on_schema_object.future.in_schema)}`;
  if (g.on_schema_object?.object_name) return `${String(g.on_schema_object.object_type).toLowerCase()} ${plain(g.on_schema_object.object_name)}`;
  return 'unknown';
}

const CREATED: readonly [string, string][] = [
  ['snowflake_account_role', 'role'],
  ['snowflake_warehouse', 'warehouse'],
  ['snowflake_compute_pool', 'compute pool'],
  ['snowflake_schema', 'schema'],
  ['snowflake_table', 'table'],
  ['snowflake_stage', 'stage'],
  ['snowflake_procedure_python', 'procedure'],
  ['snowflake_task', 'task'],
  ['snowflake_alert', 'alert'],
  ['snowflake_image_repository', 'image repository'],
];

/** The table's rows: role, what it holds, on what, and where it comes from. */
export function roleRows(tf: TerraformJson): { role: string; holds: string; on: string; from: string }[] {
  const res = tf.resource ?? {};
  const deploy = String(tf.provider?.snowflake?.find((p) => p.alias === undefined)?.role ?? '').toUpperCase();
  const rows: { role: string; holds: string; on: string; from: string }[] = [];
  for (const [type, kind] of CREATED) {
    const names = Object.values(res[type] ?? {})
      .map((r: Res) => (r.database ? `${r.database}.${r.schema ? `${r.schema}.` : ''}${r.name}` : String(r.name)).toUpperCase())
      .sort();
    if (names.length === 0) continue;
    const shown =
      names.length > 3 ? `${names.length} ${kind === 'task' ? 'tasks' : `${kind}s`} (${names[0]}, ...)` : names.map((n) => `${kind} ${n}`).join(', ');
    rows.push({ role: deploy, holds: 'OWNERSHIP', on: shown, from: 'terraform apply creates it' });
  }
  for (const e of Object.values(res.snowflake_execute ?? {}) as Res[]) {
    const table = hybridTableOf(e);
    if (table) rows.push({ role: deploy, holds: 'OWNERSHIP', on: `hybrid table ${table}`, from: 'terraform apply creates it' });
  }
  for (const s of bootstrapStatements(tf)) {
    const m = /^GRANT (.+?) ON (.+?) TO ROLE "([^"]+)"( WITH GRANT OPTION)?$/.exec(s.sql);
    if (m)
      rows.push({
        role: m[3],
        holds: `${m[1]}${m[4] ? ' (with grant option)' : ''}`,
        on: m[2] === 'ACCOUNT' ? 'the account' : plain(m[2]).replace(/^(\w+(?: \w+)?) /, (k) => k.toLowerCase()),
        from: 'many-model bootstrap',
      });
  }
  for (const g of Object.values(res.snowflake_grant_privileges_to_account_role ?? {}) as Res[]) {
    rows.push({
      role: String(g.account_role_name),
      holds: (g.all_privileges ? ['ALL'] : [...g.privileges].sort()).join(', '),
      on: targetOf(g),
      from: 'the stack',
    });
  }
  for (const g of Object.values(res.snowflake_grant_account_role ?? {}) as Res[]) {
    rows.push({ role: String(g.parent_role_name), holds: `role ${g.role_name} (and what it holds)`, on: '', from: 'the stack' });
  }
  const order = (r: string) => (r === deploy ? 0 : 1);
  // The account's privileges first, then objects by name, then the roles a role holds.
  const place = (on: string) => (on === 'the account' ? 0 : on === '' ? 2 : 1);
  return rows.sort(
    (a, b) =>
      order(a.role) - order(b.role) || a.role.localeCompare(b.role) || place(a.on) - place(b.on) || a.on.localeCompare(b.on) || a.holds.localeCompare(b.holds),
  );
}

/** The rows as a Markdown table. */
export function renderRoleTable(tf: TerraformJson): string {
  const lines = ['| role | holds | on | from |', '|---|---|---|---|'];
  for (const r of roleRows(tf)) lines.push(`| ${r.role} | ${r.holds} | ${r.on} | ${r.from} |`);
  return lines.join('\n') + '\n';
}
