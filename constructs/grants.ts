/**
 * Grants: the one path every `grant*` of every construct takes (as aws-cdk-lib's `Grant`).
 *
 * A stack declares each privilege once per (role, object): whichever construct asks, the privilege
 * lands in the one `snowflake_grant_privileges_to_account_role` of that role and object, which
 * lives under the stack's `ManyModelGrants` construct, not under the construct that asked first.
 * So two pipelines granting USAGE on one database to one role declare it once, and removing one of
 * them leaves the privilege the other still declares: a grant resource never moves between
 * constructs, it only loses the privileges no construct declares any more (an in-place update
 * that revokes just those). Snowflake keeps one grant per (privilege, object, role) whatever
 * number of GRANT statements ran, and one REVOKE removes it
 * (https://docs.snowflake.com/en/sql-reference/sql/revoke-privilege), so two resources holding the
 * same privilege would let one's destroy revoke what the other declares.
 */
import { TerraformResource, TerraformStack, Token } from '../lib/engine';
import { GrantAccountRole, GrantPrivilegesToAccountRole, GrantPrivilegesToAccountRoleConfig } from './resources';
import { Construct, IConstruct } from 'constructs';
import { ValidationError } from '../lib/errors';
import type { IRole } from './core';
import { dependOn } from './depends';

type OnConfig = Omit<GrantPrivilegesToAccountRoleConfig, 'accountRoleName' | 'privileges'>;

/** What privileges are granted on, in the grant resource's terms, and as one readable line. */
export class GrantOn {
  /** The account itself (EXECUTE TASK, CREATE COMPUTE POOL, ...). */
  static account(): GrantOn {
    return new GrantOn('ACCOUNT', { onAccount: true });
  }

  /** An account object: `DATABASE`, `WAREHOUSE`, `COMPUTE POOL`, ... named `"NAME"`. */
  static accountObject(objectType: string, quotedName: string): GrantOn {
    return new GrantOn(`${objectType} ${quotedName}`, { onAccountObject: { objectType, objectName: quotedName } });
  }

  /** A schema, named `"DB"."SCHEMA"`. */
  static schema(quotedName: string): GrantOn {
    return new GrantOn(`SCHEMA ${quotedName}`, { onSchema: { schemaName: quotedName } });
  }

  /** A schema object: `TABLE`, `STAGE`, `TASK`, `PROCEDURE`, ... named `"DB"."S"."X"` (a procedure with its argument types). */
  static schemaObject(objectType: string, quotedName: string): GrantOn {
    return new GrantOn(`${objectType} ${quotedName}`, { onSchemaObject: { objectType, objectName: quotedName } });
  }

  /** Every future object of a kind (`MODELS`, `SERVICES`) created in the schema `"DB"."S"`. */
  static future(objectTypePlural: string, quotedSchema: string): GrantOn {
    return new GrantOn(`FUTURE ${objectTypePlural} IN SCHEMA ${quotedSchema}`, { onSchemaObject: { future: { objectTypePlural, inSchema: quotedSchema } } });
  }

  private constructor(
    /** `TABLE "DB"."S"."T"`, `SCHEMA "DB"."S"`, `FUTURE MODELS IN SCHEMA "DB"."S"`, `ACCOUNT`. */
    public readonly description: string,
    /** @internal the grant resource's `on_*` block */
    public readonly config: OnConfig,
  ) {}
}

/** Privileges a stack declares for one role on one object, and the resource that holds them. */
export interface GrantedPrivileges {
  /** What they are on (`GrantOn.description`). */
  readonly on: string;
  /** The privileges this grant asked for, upper case, sorted. */
  readonly privileges: readonly string[];
  /** The stack's one grant resource for this role and object (it may hold other constructs' privileges too). */
  readonly resource: GrantPrivilegesToAccountRole;
}

/** What a `grant*` method granted: to which role, which privileges on which objects. */
export class Grant {
  /** One grant made of several (e.g. USAGE on a database and its schema, then SELECT on a table). */
  static combine(first: Grant, ...rest: Grant[]): Grant {
    for (const g of rest) {
      if (g.role.roleName !== first.role.roleName) throw new Error(`Grant.combine: grants to ${first.role.roleName} and ${g.role.roleName} cannot be combined`);
    }
    return new Grant(
      first.role,
      [first, ...rest].flatMap((g) => g.granted),
    );
  }

  constructor(
    /** The role the privileges went to. */
    public readonly role: IRole,
    /** Per object, the privileges asked for and the resource holding them. */
    public readonly granted: readonly GrantedPrivileges[],
  ) {}

  /** One line per privilege: `SELECT ON TABLE "DB"."S"."T"`. */
  describe(): string[] {
    return this.granted.flatMap((g) => g.privileges.map((p) => `${p} ON ${g.on}`));
  }

  /** The grant resources, for `depends_on` of something that needs the privileges in place. */
  get resources(): GrantPrivilegesToAccountRole[] {
    return [...new Set(this.granted.map((g) => g.resource))];
  }
}

/** A role granted to another (`snowflake_grant_account_role`): declared once per pair in a stack. */
export interface RoleGrant {
  readonly role: string;
  readonly parentRole: string;
  readonly resource: GrantAccountRole;
}

/**
 * Grants `privileges` on `on` to `role`, declaring each privilege once per stack and role and
 * object. `scope` is the construct asking (named in errors); `after` are the resources creating
 * the object (Terraform sees only names, so it cannot order the grant itself).
 */
export function grantPrivileges(scope: IConstruct, role: IRole, on: GrantOn, privileges: readonly string[], after: readonly TerraformResource[] = []): Grant {
  if (privileges.length === 0) throw new ValidationError(scope.node.path, 'grant privileges', 'is empty', 'Name at least one privilege, e.g. USAGE');
  const privs = [...new Set(privileges.map((p) => p.trim().toUpperCase()))].sort();
  for (const p of privs) {
    if (!/^[A-Z][A-Z ]*[A-Z]$/.test(p)) {
      throw new ValidationError(
        scope.node.path,
        'grant privileges',
        `contains ${JSON.stringify(p)}, which is not a privilege name`,
        'Use names such as USAGE, SELECT, READ, MONITOR',
      );
    }
  }
  const resource = StackGrants.of(scope).declare(role, on, privs, after);
  return new Grant(role, [{ on: on.description, privileges: privs, resource }]);
}

/** Grants `role` to `parentRole` (role hierarchy), once per pair in the stack. */
export function grantRole(scope: IConstruct, role: IRole, parentRole: IRole): RoleGrant {
  return StackGrants.of(scope).declareRole(role, parentRole);
}

/** A role's key in the registry: its name, or its construct address while the name is a token. */
function roleKey(role: IRole): string {
  return Token.isUnresolved(role.roleName) ? role.node.addr : role.roleName;
}

/** Dependencies of a grant to `role`: the role's resource when this stack creates it. */
function roleResource(role: IRole): TerraformResource[] {
  const resource = (role as { resource?: unknown }).resource;
  return resource instanceof TerraformResource ? [resource] : [];
}

/** The stack's grant registry: one resource per (role, object), one per role pair. */
class StackGrants extends Construct {
  static of(scope: IConstruct): StackGrants {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild(StackGrants.ID) as StackGrants | undefined) ?? new StackGrants(stack, StackGrants.ID);
  }

  private static readonly ID = 'ManyModelGrants';
  private readonly privileges = new Map<string, { resource: GrantPrivilegesToAccountRole; privileges: Set<string> }>();
  private readonly roles = new Map<string, RoleGrant>();

  declare(role: IRole, on: GrantOn, privileges: readonly string[], after: readonly TerraformResource[]): GrantPrivilegesToAccountRole {
    const key = `${roleKey(role)} ${on.description}`;
    let entry = this.privileges.get(key);
    if (!entry) {
      const resource = new GrantPrivilegesToAccountRole(this, this.idFor(key), { ...on.config, accountRoleName: role.roleName, privileges: [] });
      entry = { resource, privileges: new Set() };
      this.privileges.set(key, entry);
    }
    const before = entry.privileges.size;
    for (const p of privileges) entry.privileges.add(p);
    if (entry.privileges.size !== before) entry.resource.privileges = [...entry.privileges].sort();
    dependOn(entry.resource, ...roleResource(role), ...after);
    return entry.resource;
  }

  declareRole(role: IRole, parent: IRole): RoleGrant {
    const key = `${roleKey(role)} TO ${roleKey(parent)}`;
    const existing = this.roles.get(key);
    if (existing) return existing;
    const resource = new GrantAccountRole(this, this.idFor(key), { roleName: role.roleName, parentRoleName: parent.roleName });
    dependOn(resource, ...roleResource(role), ...roleResource(parent));
    const grant = { role: role.roleName, parentRole: parent.roleName, resource };
    this.roles.set(key, grant);
    return grant;
  }

  /** A construct id for a key: readable, without the path separator, unique in the registry. */
  private idFor(key: string): string {
    const base = key.replace(/"/g, '').replace(/[^A-Za-z0-9_.$ ()-]/g, '_');
    let id = base;
    for (let n = 2; this.node.tryFindChild(id); n++) id = `${base} (${n})`;
    return id;
  }
}
