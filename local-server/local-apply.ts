/**
 * A local-only "apply" for the offline demo and tests: turns the `snowflake_*` resources of a
 * synthesized stack into DDL on the local server. Real accounts are applied by Terraform; this is
 * documented as a stand-in (docs/local-server.md). The plan runs in a session using the provider's
 * role (`providerRole`, the deploy role), which therefore owns everything it creates, as it would
 * after `terraform apply`. Roles, warehouses, compute pools, procedures, role grants and privilege
 * grants are emitted as the equivalent SQL, objects before the grants on them; resource types with
 * no equivalent here are counted in `skipped`.
 */
type Res = Record<string, any>;
type Tf = { resource?: Record<string, Record<string, Res>>; provider?: { snowflake?: Res[] } };

const q = (s: string) => `"${String(s).replace(/"/g, '""')}"`;
const fqn = (r: Res) => `${q(r.database)}.${q(r.schema)}.${q(r.name)}`;
/** A name as the provider takes it: already quoted (`"A"."B"`) is kept, a bare name is quoted. */
const ident = (s: string) => (String(s).includes('"') ? String(s) : String(s).split('.').map(q).join('.'));

export interface LocalApplyPlan {
  /** Statements in the order they must run. */
  readonly statements: string[];
  /** Resource types skipped, with counts. */
  readonly skipped: Record<string, number>;
}

/** The role the stack's provider block uses (the deploy role), or undefined when it names none. */
export function providerRole(tf: Tf): string | undefined {
  const role = tf.provider?.snowflake?.[0]?.role;
  return typeof role === 'string' && role.length > 0 ? role : undefined;
}

/**
 * Replaces Terraform references to other resources (`${snowflake_account_role.R.name}`,
 * `${snowflake_table.T.fully_qualified_name}`) with their values from the same synthesis.
 */
function resolveReferences(tf: Tf): Record<string, Record<string, Res>> {
  // A reference may name a resource whose own attributes are references: resolve in passes.
  let res = tf.resource ?? {};
  for (let pass = 0; pass < 3; pass++) res = resolvePass(res);
  return res;
}

function resolvePass(res: Record<string, Record<string, Res>>): Record<string, Record<string, Res>> {
  const lookup = (type: string, id: string, attr: string): string | undefined => {
    const r = res[type]?.[id];
    if (!r) return undefined;
    if (attr === 'fully_qualified_name') return r.database && r.schema ? fqn(r) : r.database ? `${q(r.database)}.${q(r.name)}` : q(r.name);
    return typeof r[attr] === 'string' || typeof r[attr] === 'number' ? String(r[attr]) : undefined;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v.replace(/\$\{(snowflake_[a-z_]+)\.([^.}]+)\.([a-z_]+)\}/g, (m, type: string, id: string, attr: string) => lookup(type, id, attr) ?? m);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(res) as Record<string, Record<string, Res>>;
}

/** One `snowflake_grant_privileges_to_account_role` as GRANT statements (one; `future` grants in their own pass). */
function grantStatement(g: Res): { sql: string; future: boolean } | undefined {
  const privileges = g.all_privileges ? 'ALL PRIVILEGES' : ((g.privileges as string[] | undefined) ?? []).join(', ');
  if (!privileges) return undefined;
  const to = `TO ROLE ${ident(g.account_role_name)}${g.with_grant_option === true || g.with_grant_option === 'true' ? ' WITH GRANT OPTION' : ''}`;
  const one = (x: unknown): Res | undefined => (Array.isArray(x) ? x[0] : (x as Res | undefined));
  if (g.on_account === true || g.on_account === 'true') return { sql: `GRANT ${privileges} ON ACCOUNT ${to}`, future: false };
  const accountObject = one(g.on_account_object);
  if (accountObject) return { sql: `GRANT ${privileges} ON ${accountObject.object_type} ${ident(accountObject.object_name)} ${to}`, future: false };
  const schema = one(g.on_schema);
  if (schema?.schema_name) return { sql: `GRANT ${privileges} ON SCHEMA ${ident(schema.schema_name)} ${to}`, future: false };
  const object = one(g.on_schema_object);
  if (object?.object_name) return { sql: `GRANT ${privileges} ON ${object.object_type} ${ident(object.object_name)} ${to}`, future: false };
  const future = one(object?.future);
  if (future?.in_schema) return { sql: `GRANT ${privileges} ON FUTURE ${future.object_type_plural} IN SCHEMA ${ident(future.in_schema)} ${to}`, future: true };
  return undefined;
}

export function planLocalApply(tf: Tf): LocalApplyPlan {
  const res = resolveReferences(tf);
  const all = (type: string) => Object.values(res[type] ?? {});
  const statements: string[] = [];
  const unplanned: Record<string, number> = {};
  // Account objects first, then the roles grants go to, then schemas and what lives in them.
  for (const d of all('snowflake_database')) statements.push(`CREATE DATABASE IF NOT EXISTS ${q(d.name)}`);
  for (const w of all('snowflake_warehouse'))
    statements.push(`CREATE WAREHOUSE IF NOT EXISTS ${q(w.name)}${w.warehouse_size ? ` WAREHOUSE_SIZE = '${w.warehouse_size}'` : ''}`);
  for (const p of all('snowflake_compute_pool')) {
    statements.push(
      `CREATE COMPUTE POOL IF NOT EXISTS ${q(p.name)} MIN_NODES = ${p.min_nodes ?? 1} MAX_NODES = ${p.max_nodes ?? 1} INSTANCE_FAMILY = ${p.instance_family ?? 'CPU_X64_XS'}`,
    );
  }
  for (const r of all('snowflake_account_role')) statements.push(`CREATE ROLE IF NOT EXISTS ${q(r.name)}`);
  for (const s of all('snowflake_schema')) {
    const managed = s.with_managed_access === true || s.with_managed_access === 'true';
    statements.push(`CREATE SCHEMA IF NOT EXISTS ${q(s.database)}.${q(s.name)}${managed ? ' WITH MANAGED ACCESS' : ''}`);
  }
  for (const g of all('snowflake_grant_account_role')) {
    if (g.parent_role_name) statements.push(`GRANT ROLE ${ident(g.role_name)} TO ROLE ${ident(g.parent_role_name)}`);
    else if (g.user_name) statements.push(`GRANT ROLE ${ident(g.role_name)} TO USER ${ident(g.user_name)}`);
  }
  const grants = all('snowflake_grant_privileges_to_account_role').map(grantStatement);
  unplanned.snowflake_grant_privileges_to_account_role = grants.filter((g) => !g).length;
  // Future grants before the schema's objects, so they apply to every object created afterwards.
  for (const g of grants) if (g?.future) statements.push(g.sql);
  for (const t of all('snowflake_table')) {
    const cols = (t.column as Res[]).map((c) => `${q(c.name)} ${c.type}${c.nullable === false ? ' NOT NULL' : ''}`).join(', ');
    statements.push(`CREATE TABLE IF NOT EXISTS ${fqn(t)} (${cols})`);
  }
  for (const e of all('snowflake_execute')) statements.push(e.execute);
  // `directory` is the provider's raw option string, e.g. 'ENABLE = true' (an AUTO_REFRESH in it is honoured).
  for (const st of all('snowflake_stage')) statements.push(`CREATE STAGE IF NOT EXISTS ${fqn(st)}${st.directory ? ` DIRECTORY = (${st.directory})` : ''}`);
  for (const p of all('snowflake_procedure_python')) {
    const args = ((p.arguments as Res[] | undefined) ?? []).map((a) => `${a.arg_name} ${a.arg_data_type}`).join(', ');
    const packages = [
      p.snowpark_package ? `'snowflake-snowpark-python==${p.snowpark_package}'` : undefined,
      ...((p.packages as string[] | undefined) ?? []).map((x) => `'${x}'`),
    ].filter(Boolean);
    statements.push(
      `CREATE OR REPLACE PROCEDURE ${fqn(p)}(${args}) RETURNS ${p.return_type ?? 'VARCHAR'} LANGUAGE PYTHON RUNTIME_VERSION = '${p.runtime_version ?? '3.11'}'` +
        `${packages.length > 0 ? ` PACKAGES = (${packages.join(', ')})` : ''} HANDLER = '${p.handler}' EXECUTE AS ${String(p.execute_as ?? 'OWNER').toUpperCase()} AS $$${p.procedure_definition ?? ''}$$`,
    );
  }
  // Tasks: parents before children, each created; resumed once every grant is in place.
  const tasks = all('snowflake_task');
  const byName = new Map(tasks.map((t) => [fqn(t), t]));
  const done = new Set<string>();
  const resume: string[] = [];
  const visit = (t: Res) => {
    const key = fqn(t);
    if (done.has(key)) return;
    for (const a of (t.after as string[] | undefined) ?? []) {
      const parent = byName.get(a);
      if (parent) visit(parent);
    }
    done.add(key);
    const parts = [`CREATE OR REPLACE TASK ${key}`];
    if (t.warehouse) parts.push(`WAREHOUSE = ${q(t.warehouse)}`);
    if (t.schedule?.using_cron) parts.push(`SCHEDULE = 'USING CRON ${t.schedule.using_cron}'`);
    if (t.schedule?.minutes) parts.push(`SCHEDULE = '${t.schedule.minutes} MINUTE'`);
    if (t.after?.length) parts.push(`AFTER ${(t.after as string[]).join(', ')}`);
    if (t.finalize) parts.push(`FINALIZE = ${t.finalize}`);
    parts.push(`AS ${t.sql_statement}`);
    statements.push(parts.join(' '));
    if (t.started === true || t.started === 'true') resume.push(`ALTER TASK ${key} RESUME`);
  };
  for (const t of tasks) visit(t);
  // Alerts (snowflake_alert): created suspended, resumed with the tasks when `enabled`.
  for (const a of all('snowflake_alert')) {
    const sched = a.alert_schedule?.cron
      ? `USING CRON ${a.alert_schedule.cron.expression} ${a.alert_schedule.cron.time_zone}`
      : `${a.alert_schedule?.interval} MINUTE`;
    statements.push(`CREATE OR REPLACE ALERT ${fqn(a)} WAREHOUSE = ${q(a.warehouse)} SCHEDULE = '${sched}' IF (EXISTS (${a.condition})) THEN ${a.action}`);
    if (a.enabled === true || a.enabled === 'true') resume.push(`ALTER ALERT ${fqn(a)} RESUME`);
  }
  for (const g of grants) if (g && !g.future) statements.push(g.sql);
  statements.push(...resume.reverse());
  const handled = new Set([
    'snowflake_database',
    'snowflake_schema',
    'snowflake_table',
    'snowflake_execute',
    'snowflake_stage',
    'snowflake_task',
    'snowflake_alert',
    'snowflake_warehouse',
    'snowflake_compute_pool',
    'snowflake_account_role',
    'snowflake_procedure_python',
    'snowflake_grant_account_role',
    'snowflake_grant_privileges_to_account_role',
  ]);
  const skipped: Record<string, number> = {};
  for (const [type, byId] of Object.entries(res)) if (!handled.has(type)) skipped[type] = Object.keys(byId).length;
  for (const [type, n] of Object.entries(unplanned)) if (n > 0) skipped[type] = n;
  return { statements, skipped };
}
