/**
 * A local-only "apply" for the offline demo and tests: turns the `snowflake_*` resources of a
 * synthesized stack into DDL on the local server. Real accounts are applied by Terraform; this is
 * documented as a stand-in (docs/local-server.md). Objects the server does not emulate (roles,
 * grants, warehouses, compute pools) are counted and skipped.
 */
type Res = Record<string, any>;

const q = (s: string) => `"${String(s).replace(/"/g, '""')}"`;
const fqn = (r: Res) => `${q(r.database)}.${q(r.schema)}.${q(r.name)}`;

export interface LocalApplyPlan {
  /** Statements in the order they must run. */
  readonly statements: string[];
  /** Resource types skipped, with counts. */
  readonly skipped: Record<string, number>;
}

export function planLocalApply(tf: { resource?: Record<string, Record<string, Res>> }): LocalApplyPlan {
  const res = tf.resource ?? {};
  const all = (type: string) => Object.values(res[type] ?? {});
  const statements: string[] = [];
  for (const d of all('snowflake_database')) statements.push(`CREATE DATABASE IF NOT EXISTS ${q(d.name)}`);
  for (const s of all('snowflake_schema')) statements.push(`CREATE SCHEMA IF NOT EXISTS ${q(s.database)}.${q(s.name)}`);
  for (const t of all('snowflake_table')) {
    const cols = (t.column as Res[]).map((c) => `${q(c.name)} ${c.type}${c.nullable === false ? ' NOT NULL' : ''}`).join(', ');
    statements.push(`CREATE TABLE IF NOT EXISTS ${fqn(t)} (${cols})`);
  }
  for (const e of all('snowflake_execute')) statements.push(e.execute);
  // `directory` is the provider's raw option string, e.g. 'ENABLE = true' (an AUTO_REFRESH in it is honoured).
  for (const st of all('snowflake_stage')) statements.push(`CREATE STAGE IF NOT EXISTS ${fqn(st)}${st.directory ? ` DIRECTORY = (${st.directory})` : ''}`);
  // Tasks: parents before children, each created then resumed when `started`.
  const tasks = all('snowflake_task');
  const byName = new Map(tasks.map((t) => [fqn(t), t]));
  const done = new Set<string>();
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
    if (t.started === true) statements.push(`ALTER TASK ${key} RESUME`);
  };
  for (const t of tasks) visit(t);
  const handled = new Set(['snowflake_database', 'snowflake_schema', 'snowflake_table', 'snowflake_execute', 'snowflake_stage', 'snowflake_task']);
  const skipped: Record<string, number> = {};
  for (const [type, byId] of Object.entries(res)) if (!handled.has(type)) skipped[type] = Object.keys(byId).length;
  return { statements, skipped };
}
