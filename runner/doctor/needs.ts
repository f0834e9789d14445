/**
 * What a synthesized stack needs from the account, read from its `cdk.tf.json` and `hooks.json`
 * alone (a pure function, as `bootstrapStatements` is): the bootstrap statements as requirements
 * of the deploy role, the grants the stack declares to the roles it creates, the image
 * repositories its jobs run from, the packages its procedures pin, its compute pools' instance
 * families and its hybrid tables.
 */
import { splitRenderedName } from '../../lib/identifiers';
import { BootstrapStatement, TerraformJson, bootstrapStatements } from '../bootstrap/bootstrap';
import { renderGrantOn, renderGrantOnAccount, renderGrantOnFuture, renderGrantRoleToRole } from '../../lib/sql/account';

type Res = Record<string, any>;

/** One thing the account must answer yes to, with the statement that makes it so. */
export type Need = (
  | { readonly kind: 'role'; readonly role: string }
  | { readonly kind: 'role-grant'; readonly child: string; readonly parent: string }
  | {
      readonly kind: 'privileges';
      readonly role: string;
      readonly privileges: readonly string[];
      readonly on: string;
      readonly name: string;
      readonly grantOption: boolean;
    }
  | { readonly kind: 'object'; readonly objectKind: string; readonly name: string }
  | { readonly kind: 'unchecked'; readonly reason: string }
) & { readonly sql: string; readonly why: string };

export interface ImageRepositoryNeed {
  /** `DB.SCHEMA.REPO`, upper-cased. */
  readonly name: string;
  /** Roles that must hold READ: the deploy role when tasks start jobs from it, and the roles the stack grants READ. */
  readonly readers: readonly string[];
}

export interface StackNeeds {
  readonly stack: string;
  readonly deployRole: string;
  /** The deploy role's requirements before apply: one per bootstrap statement. */
  readonly beforeApply: readonly Need[];
  /** Roles the stack creates (`snowflake_account_role`). */
  readonly createdRoles: readonly string[];
  /** What the stack grants the roles it creates (after apply). */
  readonly afterApply: readonly Need[];
  readonly imageRepositories: readonly ImageRepositoryNeed[];
  /** `name==version` pins of the stack's Python procedures (and their Snowpark package). */
  readonly packages: readonly { readonly name: string; readonly version: string; readonly procedure: string }[];
  readonly computePools: readonly { readonly name: string; readonly instanceFamily: string }[];
  /** Hybrid tables the stack creates (`snowflake_execute` with CREATE HYBRID TABLE). */
  readonly hybridTables: readonly string[];
}

/** A quoted or plain dotted name (`"A"."B"`, `a.b`, `"A"."B"."P"(VARCHAR)`) as upper-case dotted parts (quoted parts keep their case). */
export function dotted(name: string): string {
  return splitRenderedName(name).join('.');
}

const Q = '"(?:[^"]|"")+"';
const QNAME = String.raw`${Q}(?:\.${Q})*`;

/** A bootstrap statement as what it makes true. The statements come from runner/bootstrap (rendered by lib/sql/account.ts), whose grammar this follows. */
export function needOf(s: BootstrapStatement): Need {
  const { sql, why } = s;
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^CREATE ROLE IF NOT EXISTS (${Q})$`).exec(sql))) return { kind: 'role', role: dotted(m[1]), sql, why };
  if ((m = new RegExp(`^GRANT ROLE (${Q}) TO ROLE (${Q})$`).exec(sql))) return { kind: 'role-grant', child: dotted(m[1]), parent: dotted(m[2]), sql, why };
  if ((m = new RegExp(`^CREATE WAREHOUSE IF NOT EXISTS (${Q})`).exec(sql))) return { kind: 'object', objectKind: 'WAREHOUSE', name: dotted(m[1]), sql, why };
  if ((m = new RegExp(`^GRANT (.+?) ON ACCOUNT TO ROLE (${Q})( WITH GRANT OPTION)?$`).exec(sql))) {
    return { kind: 'privileges', role: dotted(m[2]), privileges: m[1].split(', '), on: 'ACCOUNT', name: 'ACCOUNT', grantOption: Boolean(m[3]), sql, why };
  }
  if (/^GRANT .+? ON FUTURE /.test(sql))
    return { kind: 'unchecked', reason: 'future grants are not read back (SHOW FUTURE GRANTS IN SCHEMA is not queried)', sql, why };
  if ((m = new RegExp(`^GRANT (.+?) ON ([A-Z ]+?) (${QNAME}) TO ROLE (${Q})( WITH GRANT OPTION)?$`).exec(sql))) {
    return { kind: 'privileges', role: dotted(m[4]), privileges: m[1].split(', '), on: m[2], name: dotted(m[3]), grantOption: Boolean(m[5]), sql, why };
  }
  return { kind: 'unchecked', reason: 'not a statement the doctor reads back', sql, why };
}

/** What one synthesized stack needs. */
export function stackNeeds(stack: string, tf: TerraformJson, manifestText = ''): StackNeeds {
  const resources = tf.resource ?? {};
  const all = (type: string): Res[] => Object.values(resources[type] ?? {});
  const deployRole = String(tf.provider?.snowflake?.find((p) => p.alias === undefined)?.role ?? '').toUpperCase();
  const beforeApply = bootstrapStatements(tf).map(needOf);
  const createdRoles = all('snowflake_account_role').map((r) => dotted(r.name));
  const created = new Set(createdRoles);

  const afterApply: Need[] = [];
  for (const g of all('snowflake_grant_account_role')) {
    if (!g.role_name || !g.parent_role_name || !created.has(dotted(g.role_name))) continue;
    const [child, parent] = [dotted(g.role_name), dotted(g.parent_role_name)];
    afterApply.push({ kind: 'role-grant', child, parent, sql: renderGrantRoleToRole(child, parent), why: `the stack grants role ${child} to ${parent}` });
  }
  for (const g of all('snowflake_grant_privileges_to_account_role')) {
    const role = dotted(g.account_role_name);
    if (!created.has(role)) continue;
    afterApply.push(grantNeed(role, g));
  }

  const readers = new Map<string, Set<string>>();
  const reader = (repo: string, role: string) => {
    if (!readers.has(repo)) readers.set(repo, new Set());
    readers.get(repo)!.add(role);
  };
  // Task-started jobs run as the task owner, the deploy role (EXECUTE JOB SERVICE: READ on the repository).
  for (const t of all('snowflake_task')) for (const repo of imageRepositoriesIn(String(t.sql_statement ?? ''))) reader(repo, deployRole);
  for (const repo of imageRepositoriesIn(manifestText)) if (!readers.has(repo)) readers.set(repo, new Set());
  for (const g of all('snowflake_grant_privileges_to_account_role')) {
    const o = g.on_schema_object;
    if (
      String(o?.object_type ?? '').toUpperCase() === 'IMAGE REPOSITORY' &&
      o.object_name &&
      (g.privileges as string[]).some((p) => ['READ', 'WRITE'].includes(String(p).toUpperCase()))
    ) {
      reader(dotted(o.object_name), dotted(g.account_role_name));
    }
  }
  const imageRepositories = [...readers].map(([name, roles]) => ({ name, readers: [...roles] }));

  const packages: { name: string; version: string; procedure: string }[] = [];
  for (const p of all('snowflake_procedure_python')) {
    const procedure = `${dotted(p.database)}.${dotted(p.schema)}.${dotted(p.name)}`;
    for (const spec of (p.packages as string[] | undefined) ?? []) {
      const m = /^([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.]*)$/.exec(spec.trim());
      if (m) packages.push({ name: m[1].toLowerCase(), version: m[2], procedure });
    }
    if (p.snowpark_package) packages.push({ name: 'snowflake-snowpark-python', version: String(p.snowpark_package), procedure });
  }

  const computePools = all('snowflake_compute_pool').map((p) => ({ name: dotted(p.name), instanceFamily: String(p.instance_family ?? '').toUpperCase() }));
  const hybridTables: string[] = [];
  for (const e of all('snowflake_execute')) {
    const m = new RegExp(`CREATE\\s+(?:OR\\s+REPLACE\\s+)?HYBRID\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME}|[A-Za-z_][A-Za-z0-9_$.]*)`, 'i').exec(
      String(e.execute ?? ''),
    );
    if (m) hybridTables.push(dotted(m[1]));
  }
  return { stack, deployRole, beforeApply, createdRoles, afterApply, imageRepositories, packages, computePools, hybridTables };
}

/** Image repositories (`DB.SCHEMA.REPO`) named by job specifications' `image: /db/schema/repo/name:tag` in a text. */
export function imageRepositoriesIn(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\bimage["']?\s*:\s*["']?\/([^/\s'"\\]+)\/([^/\s'"\\]+)\/([^/\s'"\\]+)\//gi))
    out.add([m[1], m[2], m[3]].map((p) => p.toUpperCase()).join('.'));
  return [...out];
}

/**
 * A `snowflake_grant_privileges_to_account_role` as a need, with the GRANT that terraform would run:
 * the resource's object names are SQL already (the constructs quote them), and go in as they are.
 */
function grantNeed(role: string, g: Res): Need {
  const privileges = [...((g.privileges as string[] | undefined) ?? [])].map((p) => String(p).toUpperCase()).sort();
  const list = privileges.join(', ');
  const why = `the stack grants ${list || 'ALL PRIVILEGES'} to ${role}`;
  if (g.all_privileges || privileges.length === 0) return { kind: 'unchecked', reason: 'ALL PRIVILEGES grants are not read back', sql: '', why };
  if (g.on_account === true)
    return { kind: 'privileges', role, privileges, on: 'ACCOUNT', name: 'ACCOUNT', grantOption: false, sql: renderGrantOnAccount(privileges, role), why };
  if (g.on_account_object?.object_name) {
    const on = String(g.on_account_object.object_type).toUpperCase();
    return {
      kind: 'privileges',
      role,
      privileges,
      on,
      name: dotted(g.on_account_object.object_name),
      grantOption: false,
      sql: renderGrantOn(privileges, on, { sql: String(g.on_account_object.object_name) }, role),
      why,
    };
  }
  if (g.on_schema?.schema_name) {
    return {
      kind: 'privileges',
      role,
      privileges,
      on: 'SCHEMA',
      name: dotted(g.on_schema.schema_name),
      grantOption: false,
      sql: renderGrantOn(privileges, 'SCHEMA', { sql: String(g.on_schema.schema_name) }, role),
      why,
    };
  }
  if (g.on_schema_object?.object_name) {
    const on = String(g.on_schema_object.object_type).toUpperCase();
    return {
      kind: 'privileges',
      role,
      privileges,
      on,
      name: dotted(g.on_schema_object.object_name),
      grantOption: false,
      sql: renderGrantOn(privileges, on, { sql: String(g.on_schema_object.object_name) }, role),
      why,
    };
  }
  if (g.on_schema_object?.future) {
    const f = g.on_schema_object.future;
    const sql = renderGrantOnFuture(
      privileges,
      String(f.object_type_plural).toUpperCase(),
      f.in_schema ? 'SCHEMA' : 'DATABASE',
      { sql: String(f.in_schema ? f.in_schema : f.in_database) },
      role,
    );
    return { kind: 'unchecked', reason: 'future grants are not read back', sql, why };
  }
  return { kind: 'unchecked', reason: 'grants on all objects of a kind are not read back', sql: '', why };
}
