/**
 * The one-time statements an account administrator runs before a stack's first `terraform apply`
 * (docs/roles.md, "Bootstrap"), derived from the synthesized `cdk.tf.json` alone, so they are never
 * kept by hand and change when the stack does. A pure function: no connection, no clock.
 *
 * Why each kind of statement exists:
 * - CREATE ROLE is held by USERADMIN and SECURITYADMIN, not SYSADMIN
 *   (https://docs.snowflake.com/en/sql-reference/sql/create-role); CREATE COMPUTE POOL is an
 *   account privilege (https://docs.snowflake.com/en/sql-reference/sql/create-compute-pool).
 * - A task runs with its owner's privileges and the owner needs the global EXECUTE TASK, which only
 *   an account administrator grants (https://docs.snowflake.com/en/sql-reference/sql/execute-task,
 *   https://docs.snowflake.com/en/sql-reference/sql/alter-task). Terraform creates the tasks, so
 *   the deploy role owns them.
 * - A role grants privileges on an object it does not own only when it holds them WITH GRANT
 *   OPTION (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege); operating on an
 *   object in a schema needs a privilege on its database and schema.
 * - EXECUTE JOB SERVICE needs READ on the image repository and USAGE on the compute pool and the
 *   query warehouse for the role that owns the job: for a task-started job, the task owner
 *   (https://docs.snowflake.com/en/sql-reference/sql/execute-job-service).
 */
import { splitRenderedName } from '../../lib/identifiers';
import { imagesInSpecs, repositoryPartsOfImage } from '../../lib/images';
import {
  WITH_GRANT_OPTION,
  renderCreateRole,
  renderCreateWarehouse,
  renderGrantOn,
  renderGrantOnAccount,
  renderGrantOnFuture,
  renderGrantRoleToRole,
  renderGrantRoleToUser,
} from '../../lib/sql/account';
import { renderUseSystemRole } from '../../lib/sql/session';

type Res = Record<string, any>;

/** A synthesized stack's Terraform JSON (the parts read here). */
export interface TerraformJson {
  readonly provider?: { readonly snowflake?: readonly Res[] };
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Res>>>>;
}

/** One statement with the reason a reviewer reads next to it. */
export interface BootstrapStatement {
  readonly sql: string;
  readonly why: string;
}

export interface BootstrapOptions {
  /** The role `terraform apply` runs as. @default - the provider block's `role` */
  readonly deployRole?: string;
  /** Users to grant the deploy role to (the people or service users who deploy). @default - none */
  readonly users?: readonly string[];
}

/** Roles Snowflake creates in every account, with the account privileges they hold by default. */
const SYSTEM_ROLE_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
  ACCOUNTADMIN: ['*'],
  SECURITYADMIN: ['CREATE ROLE', 'CREATE USER', 'MANAGE GRANTS'],
  USERADMIN: ['CREATE ROLE', 'CREATE USER'],
  SYSADMIN: ['CREATE DATABASE', 'CREATE WAREHOUSE'],
  PUBLIC: [],
};

/** The roles Snowflake creates in every account. */
export const SYSTEM_ROLES: ReadonlySet<string> = new Set([...Object.keys(SYSTEM_ROLE_PRIVILEGES), 'ORGADMIN']);

/** The account privilege each created resource type needs. */
const ACCOUNT_PRIVILEGE_OF: Readonly<Record<string, string>> = {
  snowflake_account_role: 'CREATE ROLE',
  snowflake_database: 'CREATE DATABASE',
  snowflake_warehouse: 'CREATE WAREHOUSE',
  snowflake_compute_pool: 'CREATE COMPUTE POOL',
  snowflake_task: 'EXECUTE TASK',
  // An alert's creator and owner need the global EXECUTE ALERT ("Setting up alerts":
  // https://docs.snowflake.com/en/user-guide/alerts).
  snowflake_alert: 'EXECUTE ALERT',
};

/** The schema privilege creating each schema-object resource type needs, in a schema the deploy role does not own. */
const SCHEMA_PRIVILEGE_OF: Readonly<Record<string, string>> = {
  snowflake_table: 'CREATE TABLE',
  snowflake_execute: 'CREATE HYBRID TABLE',
  snowflake_stage: 'CREATE STAGE',
  snowflake_task: 'CREATE TASK',
  snowflake_alert: 'CREATE ALERT',
  snowflake_procedure_python: 'CREATE PROCEDURE',
  snowflake_image_repository: 'CREATE IMAGE REPOSITORY',
};

/** Thrown when the synthesis does not say enough to derive the statements. */
export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/** What the stack creates, by kind, as unquoted upper-case names. */
interface Created {
  readonly databases: Set<string>;
  readonly schemas: Set<string>;
  readonly schemaObjects: Set<string>;
  readonly accountObjects: Set<string>;
}

/** The statements, in the order they must run, without duplicates. */
export function bootstrapStatements(tf: TerraformJson, opts: BootstrapOptions = {}): BootstrapStatement[] {
  const resources = tf.resource ?? {};
  const all = (type: string): Res[] => Object.values(resources[type] ?? {});
  const role = deployRoleOf(tf, opts);
  const held = SYSTEM_ROLE_PRIVILEGES[role];
  const out = new StatementList();
  const add = (sql: string, why: string) => out.add(sql, why);
  if (held?.includes('*')) return []; // ACCOUNTADMIN needs nothing granted.

  // 1. The deploy role itself, in the system hierarchy.
  if (!held) {
    add(renderCreateRole(role), 'the role terraform apply runs as');
    add(renderGrantRoleToRole(role, 'SYSADMIN'), 'keeps the deploy role and what it creates under SYSADMIN, as Snowflake recommends for custom roles');
  }
  for (const user of opts.users ?? []) add(renderGrantRoleToUser(role, user.toUpperCase()), `lets ${user} deploy`);

  // 2. Account privileges by what the stack creates.
  for (const [type, privilege] of Object.entries(ACCOUNT_PRIVILEGE_OF)) {
    if (all(type).length === 0 || held?.includes(privilege)) continue;
    add(renderGrantOnAccount([privilege], role), accountWhy(type));
  }

  const created = createdObjects(all);
  // The provider's warehouse is where the apply itself runs statements (a Python procedure is
  // created with an active warehouse: provider docs/resources/procedure_python.md at v2.11.0).
  const providerWarehouse = tf.provider?.snowflake?.find((p) => p.alias === undefined)?.warehouse as string | undefined;
  if (providerWarehouse && !created.accountObjects.has(`WAREHOUSE:${upper(providerWarehouse)}`)) {
    const wh = upper(providerWarehouse);
    add(renderCreateWarehouse(wh), "the provider block's warehouse, where terraform apply runs its statements: the smallest size, suspended when idle");
    add(renderGrantOn(['USAGE'], 'WAREHOUSE', wh, role), "the deploy role runs the apply's statements on the provider block's warehouse");
  }
  const usageOnDatabase = (db: string, why: string, grantOption = false) => {
    if (!created.databases.has(db)) add(renderGrantOn(['USAGE'], 'DATABASE', db, role, grantOption), why);
  };
  const usageOnSchema = (schema: string, why: string, grantOption = false) => {
    const [db] = schema.split('.');
    usageOnDatabase(db, why, grantOption);
    if (!created.schemas.has(schema)) add(renderGrantOn(['USAGE'], 'SCHEMA', schema, role, grantOption), why);
  };

  // 3. Creating objects in a database or schema the stack does not create.
  for (const s of all('snowflake_schema')) {
    const db = upper(s.database);
    if (created.databases.has(db)) continue;
    usageOnDatabase(db, `the stack creates schema ${db}.${upper(s.name)} in it`);
    add(renderGrantOn(['CREATE SCHEMA'], 'DATABASE', db, role), `the stack creates schema ${db}.${upper(s.name)} in it`);
  }
  for (const [type, privilege] of Object.entries(SCHEMA_PRIVILEGE_OF)) {
    for (const r of all(type)) {
      const schema = schemaOfResource(type, r);
      if (!schema || created.schemas.has(schema)) continue;
      usageOnSchema(schema, `the stack creates objects in ${schema}`);
      add(renderGrantOn([privilege], 'SCHEMA', schema, role), `the stack creates a ${type.replace(/^snowflake_/, '')} in ${schema}`);
    }
  }

  // 4. Grants the stack declares on objects it does not create: the deploy role must hold them WITH GRANT OPTION.
  for (const g of all('snowflake_grant_privileges_to_account_role')) {
    // `all_privileges` grants every privilege of the object: held WITH GRANT OPTION, that is ALL.
    const privileges = g.all_privileges === true || !Array.isArray(g.privileges) ? ['ALL'] : [...(g.privileges as string[])].sort();
    const list = privileges.join(', ');
    const grantee = g.account_role_name as string;
    const granteeRole = upper(grantee);
    if (g.on_account === true) {
      // Granting an account privilege needs MANAGE GRANTS, which a grant option on the privilege
      // does not give (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege): an
      // administrator grants it, and the stack's own grant cannot be applied by the deploy role.
      add(
        renderGrantOnAccount(privileges, granteeRole),
        `the stack grants ${list} on the account to ${grantee}, which only an administrator can: granted here; remove that grant from the stack, or terraform apply fails on it`,
      );
    } else if (g.on_account_object) {
      const name = parse(g.on_account_object.object_name, 1);
      const type = String(g.on_account_object.object_type).toUpperCase();
      const key = type === 'DATABASE' ? name : `${type}:${name}`;
      if (type === 'DATABASE' ? created.databases.has(name) : created.accountObjects.has(key)) continue;
      add(renderGrantOn(privileges, type, name, role, true), `the stack grants ${list} on ${type.toLowerCase()} ${name} to ${grantee}`);
    } else if (g.on_schema?.schema_name) {
      const schema = parse(g.on_schema.schema_name, 2);
      if (created.schemas.has(schema)) continue;
      usageOnDatabase(schema.split('.')[0], `parent of schema ${schema}, on which the stack grants`);
      add(renderGrantOn(privileges, 'SCHEMA', schema, role, true), `the stack grants ${list} on schema ${schema} to ${grantee}`);
    } else if (g.on_schema_object?.object_name) {
      const type = String(g.on_schema_object.object_type).toUpperCase();
      const name = parse(String(g.on_schema_object.object_name).replace(/\(.*\)$/, ''), 3);
      if (created.schemaObjects.has(name)) continue;
      usageOnSchema(name.split('.').slice(0, 2).join('.'), `parent of ${type.toLowerCase()} ${name}, on which the stack grants`);
      add(renderGrantOn(privileges, type, name, role, true), `the stack grants ${list} on ${type.toLowerCase()} ${name} to ${grantee}`);
    } else if (g.on_schema_object?.future?.in_schema) {
      const schema = parse(g.on_schema_object.future.in_schema, 2);
      if (created.schemas.has(schema)) continue;
      // Only the schema's owner or a MANAGE GRANTS holder defines future grants in a managed-access
      // schema, and a grant option does not delegate it: granted here, by an administrator.
      add(
        renderGrantOnFuture(privileges, String(g.on_schema_object.future.object_type_plural).toUpperCase(), 'SCHEMA', schema, granteeRole),
        `the stack declares a future grant in schema ${schema}, which it does not own and so cannot define: granted here; remove that grant from the stack, or terraform apply fails on it`,
      );
    }
  }

  // 5. What the deploy role uses itself as the owner of the tasks: the jobs they start run as it.
  for (const t of all('snowflake_task')) {
    const body = String(t.sql_statement ?? '');
    if (t.warehouse && !created.accountObjects.has(`WAREHOUSE:${upper(t.warehouse)}`))
      add(renderGrantOn(['USAGE'], 'WAREHOUSE', upper(t.warehouse), role), "the stack's tasks run on it");
    for (const m of body.matchAll(/QUERY_WAREHOUSE\s*=\s*("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)/gi)) {
      const wh = parse(m[1], 1);
      if (!created.accountObjects.has(`WAREHOUSE:${wh}`))
        add(renderGrantOn(['USAGE'], 'WAREHOUSE', wh, role), "the job services the stack's tasks start query on it");
    }
    for (const m of body.matchAll(/^\s*name:\s*'@([^'/]+)/gm)) {
      const stage = parse(m[1], 3);
      if (created.schemaObjects.has(stage)) continue;
      usageOnSchema(stage.split('.').slice(0, 2).join('.'), `parent of stage ${stage}, which the stack's jobs mount`);
      add(renderGrantOn(['READ', 'WRITE'], 'STAGE', stage, role), "the job services the stack's tasks start mount it, and they run as the task owner");
    }
    for (const m of body.matchAll(/IN\s+COMPUTE\s+POOL\s+("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)/gi)) {
      const pool = parse(m[1], 1);
      if (!created.accountObjects.has(`COMPUTE POOL:${pool}`))
        add(renderGrantOn(['USAGE'], 'COMPUTE POOL', pool, role), "the stack's tasks start job services on it");
    }
    for (const image of imagesInSpecs([body])) {
      const parts = repositoryPartsOfImage(image);
      const repo = parts?.join('.');
      if (!repo || created.schemaObjects.has(repo)) continue;
      usageOnSchema(repo.split('.').slice(0, 2).join('.'), `parent of image repository ${repo}`);
      add(
        renderGrantOn(['READ'], 'IMAGE REPOSITORY', repo, role),
        "the stack's tasks start job services from images in it, and a job runs as its owner, the task owner",
      );
    }
  }
  return out.statements();
}

/**
 * Statements in first-seen order without duplicates; a privilege granted both with and without
 * GRANT OPTION on the same object is granted once, with it (holding it with the option includes it).
 */
class StatementList {
  private readonly items: { sql: string; why: string[] }[] = [];
  private readonly bySql = new Map<string, { sql: string; why: string[] }>();

  add(sql: string, why: string): void {
    const withOption = sql.endsWith(WITH_GRANT_OPTION) ? sql : undefined;
    const plain = withOption ? sql.slice(0, -WITH_GRANT_OPTION.length) : sql;
    const stronger = this.bySql.get(`${plain}${WITH_GRANT_OPTION}`);
    if (stronger) return void (stronger.why.includes(why) || stronger.why.push(why));
    const existing = this.bySql.get(sql);
    if (existing) return void (existing.why.includes(why) || existing.why.push(why));
    const weaker = withOption ? this.bySql.get(plain) : undefined;
    if (weaker) {
      this.bySql.delete(plain);
      weaker.sql = sql;
      weaker.why.push(why);
      this.bySql.set(sql, weaker);
      return;
    }
    const item = { sql, why: [why] };
    this.items.push(item);
    this.bySql.set(sql, item);
  }

  statements(): BootstrapStatement[] {
    return this.items.map((i) => ({ sql: i.sql, why: i.why.length > 3 ? `${i.why.slice(0, 3).join('; ')}; and ${i.why.length - 3} more` : i.why.join('; ') }));
  }
}

/** The statements as a script a reviewer reads: each statement after a comment saying why. */
export function renderBootstrapScript(statements: readonly BootstrapStatement[], header: string): string {
  const lines = [
    `-- ${header}`,
    '-- Run as ACCOUNTADMIN, once, and again when the stack changes (every statement is idempotent).',
    `${renderUseSystemRole('ACCOUNTADMIN')};`,
  ];
  for (const s of statements) lines.push('', `-- ${s.why}`, `${s.sql};`);
  return lines.join('\n') + '\n';
}

function deployRoleOf(tf: TerraformJson, opts: BootstrapOptions): string {
  const fromProvider = tf.provider?.snowflake?.find((p) => p.alias === undefined)?.role as string | undefined;
  const name = opts.deployRole ?? fromProvider;
  if (!name) throw new BootstrapError("the stack's snowflake provider sets no role: set SnowflakeProvider's role (the deploy role), or pass the deploy role");
  return upper(name);
}

function createdObjects(all: (type: string) => Res[]): Created {
  const databases = new Set(all('snowflake_database').map((d) => upper(d.name)));
  const schemas = new Set(all('snowflake_schema').map((s) => `${upper(s.database)}.${upper(s.name)}`));
  const schemaObjects = new Set<string>();
  for (const type of ['snowflake_table', 'snowflake_stage', 'snowflake_task', 'snowflake_alert', 'snowflake_procedure_python', 'snowflake_image_repository']) {
    for (const r of all(type)) schemaObjects.add(`${upper(r.database)}.${upper(r.schema)}.${upper(r.name)}`);
  }
  for (const e of all('snowflake_execute')) {
    const table = hybridTableOf(e);
    if (table) schemaObjects.add(table);
  }
  const accountObjects = new Set<string>([
    ...all('snowflake_warehouse').map((w) => `WAREHOUSE:${upper(w.name)}`),
    ...all('snowflake_compute_pool').map((p) => `COMPUTE POOL:${upper(p.name)}`),
    ...all('snowflake_account_role').map((r) => `ROLE:${upper(r.name)}`),
  ]);
  return { databases, schemas, schemaObjects, accountObjects };
}

function schemaOfResource(type: string, r: Res): string | undefined {
  if (type === 'snowflake_execute') return hybridTableOf(r)?.split('.').slice(0, 2).join('.');
  return r.database && r.schema ? `${upper(r.database)}.${upper(r.schema)}` : undefined;
}

/** The hybrid table a `snowflake_execute` creates (the queue: constructs/queue-table.ts), as a dotted key. */
export function hybridTableOf(e: Res): string | undefined {
  const m = /CREATE\s+(?:OR\s+REPLACE\s+)?HYBRID\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"(?:\."[^"]+"){2})/i.exec(String(e.execute ?? ''));
  return m ? parse(m[1], 3) : undefined;
}

/**
 * Names in grant resources are quoted (`"DB"."SCHEMA"`), elsewhere plain: both become the dotted
 * upper-case form used as keys here (quoted parts keep their case).
 */
function parse(name: string, parts: 1 | 2 | 3): string {
  const split = splitRenderedName(name);
  if (split.length !== parts) throw new BootstrapError(`${JSON.stringify(name)} is not a ${parts}-part object name`);
  return split.join('.');
}

/** One part of a name as Terraform's JSON holds it: quoted as written, unquoted upper-cased. */
function upper(name: unknown): string {
  const s = String(name);
  return s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s.toUpperCase();
}

function accountWhy(type: string): string {
  switch (type) {
    case 'snowflake_account_role':
      return 'the stack creates roles (runner, consumer); SYSADMIN does not hold CREATE ROLE';
    case 'snowflake_compute_pool':
      return 'the stack creates a compute pool';
    case 'snowflake_task':
      return "the deploy role owns the stack's tasks, and a task runs only when its owner holds EXECUTE TASK";
    case 'snowflake_alert':
      return "the deploy role creates and owns the stack's alerts, and an alert is created and runs only when its owner holds EXECUTE ALERT";
    case 'snowflake_database':
      return 'the stack creates a database';
    default:
      return 'the stack creates a warehouse';
  }
}
