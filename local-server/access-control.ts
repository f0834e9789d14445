/**
 * Snowflake's access control as the local server enforces it (issue #24; docs/local-server.md,
 * "Access control"; the role contract in docs/roles.md). Pure data and functions: account roles
 * and their hierarchy, object ownership, privileges on objects and on the account, WITH GRANT
 * OPTION, future grants, managed-access schemas, and the roles granted to users. Saved with the
 * engine's catalog (`catalog.json`).
 *
 * - "Overview of Access Control" (https://docs.snowflake.com/en/user-guide/security-access-control-overview):
 *   every object is owned by the role that created it; a role inherits the privileges (ownership
 *   included) of the roles granted to it; PUBLIC is granted to every role and user.
 * - "Overview of Access Control", system-defined roles: ACCOUNTADMIN encapsulates SYSADMIN and
 *   SECURITYADMIN; SECURITYADMIN holds MANAGE GRANTS and inherits USERADMIN; USERADMIN holds CREATE
 *   USER and CREATE ROLE; SYSADMIN holds CREATE WAREHOUSE and CREATE DATABASE. Account privileges
 *   such as EXECUTE TASK and CREATE COMPUTE POOL are held by ACCOUNTADMIN until it grants them.
 * - GRANT <privileges> (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege): who may
 *   grant — the object's owner, a role holding the privilege WITH GRANT OPTION, or MANAGE GRANTS;
 *   in a managed-access schema only the schema owner or MANAGE GRANTS; future grants in a regular
 *   schema need MANAGE GRANTS; account privileges need MANAGE GRANTS.
 * - GRANT ROLE (https://docs.snowflake.com/en/sql-reference/sql/grant-role): the role's owner or MANAGE GRANTS.
 *
 * Objects are keyed `KIND:NAME` with fully qualified, upper-cased (unless quoted) names. An object
 * whose owner was never recorded (created before this catalog existed, created directly on the
 * engine, or a warehouse, compute pool, image repository or procedure stand-in used without being
 * created) is owned by ACCOUNTADMIN: every session of the default user may use it, a narrower role
 * may not, and nothing can be granted on it before it is created.
 */

export type ObjectKind =
  | 'DATABASE'
  | 'SCHEMA'
  | 'TABLE'
  | 'VIEW'
  | 'STAGE'
  | 'TASK'
  | 'ALERT'
  | 'MODEL'
  | 'MODEL MONITOR'
  | 'PROCEDURE'
  | 'FUNCTION'
  | 'SERVICE'
  | 'GATEWAY'
  | 'WAREHOUSE'
  | 'COMPUTE POOL'
  | 'IMAGE REPOSITORY'
  | 'ROLE';

/** The account itself, for account (global) privileges. */
export const ACCOUNT = 'ACCOUNT';

export const SYSTEM_ROLES = ['ACCOUNTADMIN', 'SECURITYADMIN', 'USERADMIN', 'SYSADMIN', 'PUBLIC'] as const;

/** Account privileges ACCOUNTADMIN holds (it may grant each of them). */
export const ACCOUNT_PRIVILEGES = [
  'CREATE ROLE',
  'CREATE USER',
  'MANAGE GRANTS',
  'CREATE DATABASE',
  'CREATE WAREHOUSE',
  'CREATE COMPUTE POOL',
  'EXECUTE TASK',
  'EXECUTE MANAGED TASK',
  'EXECUTE ALERT',
  'EXECUTE MANAGED ALERT',
  'CREATE INTEGRATION',
  'MONITOR USAGE',
  'BIND SERVICE ENDPOINT',
];

/** Privileges `ALL [PRIVILEGES]` expands to, by object kind (OWNERSHIP is never part of ALL). */
export const PRIVILEGES_OF: Record<ObjectKind | typeof ACCOUNT, string[]> = {
  ACCOUNT: ACCOUNT_PRIVILEGES,
  DATABASE: ['USAGE', 'CREATE SCHEMA', 'MONITOR', 'MODIFY'],
  SCHEMA: [
    'USAGE',
    'MODIFY',
    'MONITOR',
    'CREATE TABLE',
    'CREATE HYBRID TABLE',
    'CREATE DYNAMIC TABLE',
    'CREATE VIEW',
    'CREATE STAGE',
    'CREATE TASK',
    'CREATE ALERT',
    'CREATE MODEL',
    // https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/model-observability
    'CREATE MODEL MONITOR',
    'CREATE PROCEDURE',
    'CREATE FUNCTION',
    'CREATE SERVICE',
    'CREATE GATEWAY',
    'CREATE IMAGE REPOSITORY',
    'CREATE SEQUENCE',
  ],
  TABLE: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'REBUILD', 'EVOLVE SCHEMA'],
  VIEW: ['SELECT', 'REFERENCES'],
  STAGE: ['READ', 'WRITE', 'USAGE'],
  TASK: ['OPERATE', 'MONITOR'],
  // OPERATE (RESUME, SUSPEND, EXECUTE), MONITOR (DESCRIBE): https://docs.snowflake.com/en/sql-reference/sql/desc-alert
  ALERT: ['OPERATE', 'MONITOR'],
  MODEL: ['USAGE'],
  // Only its owner acts on a monitor here; Snowflake's other privileges on it are not modelled.
  'MODEL MONITOR': ['MONITOR'],
  PROCEDURE: ['USAGE'],
  // Calling a UDF needs USAGE on it (https://docs.snowflake.com/en/sql-reference/sql/create-function, access control).
  FUNCTION: ['USAGE'],
  SERVICE: ['MONITOR', 'OPERATE', 'USAGE'],
  // USAGE, MODIFY (DESCRIBE GATEWAY, ALTER GATEWAY: https://docs.snowflake.com/en/sql-reference/sql/alter-gateway).
  GATEWAY: ['USAGE', 'MODIFY'],
  WAREHOUSE: ['USAGE', 'MONITOR', 'OPERATE', 'MODIFY'],
  'COMPUTE POOL': ['USAGE', 'MONITOR', 'OPERATE', 'MODIFY'],
  'IMAGE REPOSITORY': ['READ', 'WRITE'],
  ROLE: [],
};

/** Kinds that live in a schema (their names have three parts). */
export const SCHEMA_OBJECT_KINDS: readonly ObjectKind[] = [
  'TABLE',
  'VIEW',
  'STAGE',
  'TASK',
  'ALERT',
  'MODEL',
  'MODEL MONITOR',
  'PROCEDURE',
  'FUNCTION',
  'SERVICE',
  'GATEWAY',
  'IMAGE REPOSITORY',
];

/**
 * A service role granted with GRANT SERVICE ROLE <service>!ALL_ENDPOINTS_USAGE, kept as a grant of
 * this pseudo-privilege on the service (it is not a privilege GRANT <privileges> accepts): USAGE on
 * all of the service's endpoints (https://docs.snowflake.com/en/sql-reference/sql/grant-service-role).
 */
export const ALL_ENDPOINTS_USAGE_ROLE = 'SERVICE ROLE ALL_ENDPOINTS_USAGE';

export interface Grant {
  readonly privilege: string;
  /** An object kind, or ACCOUNT. */
  readonly kind: string;
  readonly name: string;
  readonly role: string;
  readonly grantOption: boolean;
  readonly grantedBy: string;
}

export interface FutureGrant {
  readonly privilege: string;
  /** Singular kind of the future objects, e.g. MODEL. */
  readonly kind: ObjectKind;
  /** `DB.SCHEMA` */
  readonly schema: string;
  readonly role: string;
  readonly grantOption: boolean;
}

export interface AccessState {
  roles: Record<string, string[]>;
  owners: Record<string, string>;
  grants: Grant[];
  future: FutureGrant[];
  managedSchemas: string[];
  users: Record<string, string[]>;
}

const key = (kind: string, name: string) => `${kind}:${name}`;

export class AccessControl {
  /** role -> roles granted to it (its children in the hierarchy). */
  readonly roles = new Map<string, Set<string>>();
  /** `KIND:NAME` -> owning role. */
  readonly owners = new Map<string, string>();
  grants: Grant[] = [];
  future: FutureGrant[] = [];
  readonly managedSchemas = new Set<string>();
  /** user -> roles granted to the user directly. */
  readonly users = new Map<string, Set<string>>();

  constructor() {
    for (const r of SYSTEM_ROLES) this.roles.set(r, new Set());
    this.roles.get('ACCOUNTADMIN')!.add('SECURITYADMIN').add('SYSADMIN');
    this.roles.get('SECURITYADMIN')!.add('USERADMIN');
    for (const r of SYSTEM_ROLES) if (r !== 'ACCOUNTADMIN') this.owners.set(key('ROLE', r), r === 'USERADMIN' || r === 'PUBLIC' ? 'USERADMIN' : 'ACCOUNTADMIN');
    this.owners.set(key('ROLE', 'ACCOUNTADMIN'), 'ACCOUNTADMIN');
    const account = (role: string, privileges: string[]) => {
      for (const p of privileges) this.grants.push({ privilege: p, kind: ACCOUNT, name: ACCOUNT, role, grantOption: true, grantedBy: 'SYSTEM' });
    };
    account('USERADMIN', ['CREATE ROLE', 'CREATE USER']);
    account('SECURITYADMIN', ['MANAGE GRANTS']);
    account('SYSADMIN', ['CREATE DATABASE', 'CREATE WAREHOUSE']);
    account('ACCOUNTADMIN', ACCOUNT_PRIVILEGES);
    // "The BIND SERVICE ENDPOINT on ACCOUNT privilege will be automatically granted to the PUBLIC
    // role" (from May 2026: https://docs.snowflake.com/en/release-notes/bcr-bundles/un-bundled/bcr-2321);
    // an administrator may revoke it (REVOKE BIND SERVICE ENDPOINT ON ACCOUNT FROM ROLE PUBLIC).
    this.grants.push({ privilege: 'BIND SERVICE ENDPOINT', kind: ACCOUNT, name: ACCOUNT, role: 'PUBLIC', grantOption: false, grantedBy: 'SYSTEM' });
  }

  // ---- roles and users

  roleExists(role: string): boolean {
    return this.roles.has(role);
  }

  createRole(role: string, owner: string): void {
    this.roles.set(role, new Set());
    this.owners.set(key('ROLE', role), owner);
  }

  dropRole(role: string): void {
    this.roles.delete(role);
    for (const children of this.roles.values()) children.delete(role);
    for (const roles of this.users.values()) roles.delete(role);
    this.grants = this.grants.filter((g) => g.role !== role);
    this.future = this.future.filter((g) => g.role !== role);
    this.owners.delete(key('ROLE', role));
    // Objects the dropped role owned pass to the role that drops it in Snowflake; here, to ACCOUNTADMIN.
    for (const [k, v] of this.owners) if (v === role) this.owners.set(k, 'ACCOUNTADMIN');
  }

  /** GRANT ROLE child TO ROLE parent; refuses a cycle. */
  grantRole(child: string, parent: string): void {
    if (child === parent || this.effectiveRoles(child).has(parent)) throw new Error(`granting role ${child} to role ${parent} would create a cycle`);
    this.roles.get(parent)!.add(child);
  }

  revokeRole(child: string, parent: string): void {
    this.roles.get(parent)?.delete(child);
  }

  grantRoleToUser(role: string, user: string): void {
    let set = this.users.get(user);
    if (!set) this.users.set(user, (set = new Set()));
    set.add(role);
  }

  revokeRoleFromUser(role: string, user: string): void {
    this.users.get(user)?.delete(role);
  }

  /** The role, every role below it in the hierarchy, and PUBLIC. */
  effectiveRoles(role: string): Set<string> {
    const out = new Set<string>(['PUBLIC']);
    const stack = [role];
    while (stack.length > 0) {
      const r = stack.pop()!;
      if (out.has(r) && r !== 'PUBLIC') continue;
      out.add(r);
      for (const c of this.roles.get(r) ?? []) if (!out.has(c)) stack.push(c);
    }
    return out;
  }

  /** Whether a user may use a role: granted directly, or below a granted role ("USE ROLE"). */
  userHasRole(user: string, role: string): boolean {
    if (role === 'PUBLIC') return true;
    for (const r of this.users.get(user) ?? []) if (this.effectiveRoles(r).has(role)) return true;
    return false;
  }

  // ---- objects

  ownerOf(kind: string, name: string): string {
    return this.owners.get(key(kind, name)) ?? 'ACCOUNTADMIN';
  }

  /** Whether the object's owner was recorded (it was created through a session). */
  recorded(kind: string, name: string): boolean {
    return this.owners.has(key(kind, name));
  }

  /**
   * Records a new object owned by `owner` and applies the future grants of its schema
   * ("future grants ... are applied when an object is created": GRANT <privileges>, ON FUTURE).
   */
  created(kind: ObjectKind, name: string, owner: string): void {
    this.dropped(kind, name);
    this.owners.set(key(kind, name), owner);
    if (SCHEMA_OBJECT_KINDS.includes(kind)) {
      const schema = name.split('.').slice(0, 2).join('.');
      for (const f of this.future) {
        if (f.kind === kind && f.schema === schema)
          this.grants.push({ privilege: f.privilege, kind, name, role: f.role, grantOption: f.grantOption, grantedBy: this.ownerOf('SCHEMA', schema) });
      }
    }
  }

  dropped(kind: string, name: string): void {
    this.owners.delete(key(kind, name));
    this.grants = this.grants.filter((g) => !(g.kind === kind && g.name === name));
    if (kind === 'SCHEMA') this.managedSchemas.delete(name);
  }

  transferOwnership(kind: string, name: string, role: string): void {
    this.owners.set(key(kind, name), role);
  }

  owns(role: string, kind: string, name: string): boolean {
    return this.effectiveRoles(role).has(this.ownerOf(kind, name));
  }

  /** Whether the role (through its hierarchy) owns the object or holds `privilege` on it. */
  has(role: string, privilege: string, kind: string, name: string): boolean {
    const roles = this.effectiveRoles(role);
    if (kind !== ACCOUNT && roles.has(this.ownerOf(kind, name))) return true;
    return this.grants.some((g) => g.kind === kind && g.name === name && g.privilege === privilege && roles.has(g.role));
  }

  /** Whether the role owns the object or holds any privilege on it (it can "see" it). */
  any(role: string, kind: string, name: string): boolean {
    const roles = this.effectiveRoles(role);
    if (roles.has(this.ownerOf(kind, name))) return true;
    return this.grants.some((g) => g.kind === kind && g.name === name && roles.has(g.role));
  }

  /** Whether the role may grant `privilege` on the object (GRANT <privileges>, access control requirements). */
  mayGrant(role: string, privilege: string, kind: string, name: string): boolean {
    if (this.has(role, 'MANAGE GRANTS', ACCOUNT, ACCOUNT)) return true;
    if (kind === ACCOUNT) return false;
    if (SCHEMA_OBJECT_KINDS.includes(kind as ObjectKind)) {
      const schema = name.split('.').slice(0, 2).join('.');
      // Managed access: only the schema owner (or MANAGE GRANTS) grants on its objects.
      if (this.managedSchemas.has(schema)) return this.owns(role, 'SCHEMA', schema);
    }
    if (this.owns(role, kind, name)) return true;
    const roles = this.effectiveRoles(role);
    return this.grants.some((g) => g.kind === kind && g.name === name && g.privilege === privilege && g.grantOption && roles.has(g.role));
  }

  /** Whether the role may define future grants in a schema. */
  mayGrantFuture(role: string, schema: string): boolean {
    if (this.has(role, 'MANAGE GRANTS', ACCOUNT, ACCOUNT)) return true;
    return this.managedSchemas.has(schema) && this.owns(role, 'SCHEMA', schema);
  }

  grant(g: Grant): void {
    const same = this.grants.findIndex((x) => x.kind === g.kind && x.name === g.name && x.privilege === g.privilege && x.role === g.role);
    if (same >= 0) this.grants[same] = { ...g, grantOption: g.grantOption || this.grants[same].grantOption };
    else this.grants.push(g);
  }

  /** Revokes the privilege, or with `optionOnly` only its grant option. */
  revoke(privilege: string, kind: string, name: string, role: string, optionOnly = false): void {
    const same = (x: Grant) => x.kind === kind && x.name === name && x.privilege === privilege && x.role === role;
    if (optionOnly) this.grants = this.grants.map((x) => (same(x) ? { ...x, grantOption: false } : x));
    else this.grants = this.grants.filter((x) => !same(x));
  }

  grantFuture(f: FutureGrant): void {
    if (!this.future.some((x) => x.kind === f.kind && x.schema === f.schema && x.privilege === f.privilege && x.role === f.role)) this.future.push(f);
  }

  revokeFuture(privilege: string, kind: ObjectKind, schema: string, role: string): void {
    this.future = this.future.filter((x) => !(x.kind === kind && x.schema === schema && x.privilege === privilege && x.role === role));
  }

  // ---- persistence

  toJSON(): AccessState {
    return {
      roles: Object.fromEntries([...this.roles].map(([k, v]) => [k, [...v]])),
      owners: Object.fromEntries(this.owners),
      grants: this.grants,
      future: this.future,
      managedSchemas: [...this.managedSchemas],
      users: Object.fromEntries([...this.users].map(([k, v]) => [k, [...v]])),
    };
  }

  load(s: Partial<AccessState>): void {
    if (s.roles) {
      this.roles.clear();
      for (const [k, v] of Object.entries(s.roles)) this.roles.set(k, new Set(v));
    }
    if (s.owners) {
      this.owners.clear();
      for (const [k, v] of Object.entries(s.owners)) this.owners.set(k, v);
    }
    if (s.grants) this.grants = s.grants;
    if (s.future) this.future = s.future;
    for (const m of s.managedSchemas ?? []) this.managedSchemas.add(m);
    for (const [u, roles] of Object.entries(s.users ?? {})) for (const r of roles) this.grantRoleToUser(r, u);
  }
}

/** Singular object kind of a GRANT's `ON <kind>` or `ON FUTURE <kinds>` (plural) clause. */
export function kindOf(text: string): ObjectKind | undefined {
  const t = text
    .trim()
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .replace(/^(HYBRID|DYNAMIC|EXTERNAL|ICEBERG|TRANSIENT) TABLE/, 'TABLE');
  const plural: Record<string, ObjectKind> = {
    DATABASES: 'DATABASE',
    SCHEMAS: 'SCHEMA',
    TABLES: 'TABLE',
    VIEWS: 'VIEW',
    STAGES: 'STAGE',
    TASKS: 'TASK',
    ALERTS: 'ALERT',
    MODELS: 'MODEL',
    'MODEL MONITORS': 'MODEL MONITOR',
    PROCEDURES: 'PROCEDURE',
    FUNCTIONS: 'FUNCTION',
    SERVICES: 'SERVICE',
    GATEWAYS: 'GATEWAY',
    WAREHOUSES: 'WAREHOUSE',
    'COMPUTE POOLS': 'COMPUTE POOL',
    'IMAGE REPOSITORIES': 'IMAGE REPOSITORY',
    ROLES: 'ROLE',
  };
  if (plural[t]) return plural[t];
  return (Object.keys(PRIVILEGES_OF) as string[]).includes(t) && t !== ACCOUNT ? (t as ObjectKind) : undefined;
}
