/**
 * Account-level building blocks shared by the pipeline constructs: roles, databases, schemas and
 * warehouses, each ownable (`new X(...)`) or importable (`X.fromName(...)`), plus the one generic
 * grant mechanism every Snowflake object uses.
 */
import { TerraformResource } from '../lib/engine';
import { AccountRole, DatabaseResource, SchemaResource, WarehouseResource } from './resources';
import { Construct, IConstruct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { claimName } from './object-names';
import { nameFromPath } from './names';
import { dependOn } from './depends';
import { Grant, GrantOn, grantPrivileges } from './grants';
import { useRelativeLocalState } from './local-backend';

// ---------------------------------------------------------------------------------------------
// Roles

/** An account role. */
export interface IRole extends IConstruct {
  /** The role's name (upper case). */
  readonly roleName: string;
}

export interface RoleProps {
  /** Role name. @default - derived from the construct path */
  readonly name?: string;
  /** Comment on the role. @default - none */
  readonly comment?: string;
}

/** An account role owned by this stack (`snowflake_account_role`). */
export class Role extends Construct implements IRole {
  /** Imports an existing role by name. */
  static fromName(scope: Construct, id: string, name: string): IRole {
    const roleName = validateProp(`${scope.node.path}/${id}`, 'name', () => normalizeIdentifier(name, 'role name'));
    useRelativeLocalState(scope);
    return new (class extends Construct implements IRole {
      readonly roleName = roleName;
    })(scope, id);
  }

  readonly roleName: string;
  readonly resource: AccountRole;

  constructor(scope: Construct, id: string, props: RoleProps = {}) {
    super(scope, id);
    useRelativeLocalState(this);
    this.roleName = validateProp(this.node.path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(this), 'role name'));
    claimName(this, 'name', 'ROLE', ObjectName.of(this.roleName));
    this.resource = new AccountRole(this, 'Resource', { name: this.roleName, comment: props.comment });
  }
}

// ---------------------------------------------------------------------------------------------
// Grants

/** Kinds of object a privilege is granted on, as the grant resource distinguishes them. */
export enum GrantTarget {
  ACCOUNT_OBJECT = 'ACCOUNT_OBJECT',
  SCHEMA = 'SCHEMA',
  SCHEMA_OBJECT = 'SCHEMA_OBJECT',
}

/**
 * Base of every Snowflake object construct, owned or imported: holds the one generic `grant`,
 * which goes through the stack's grant registry (./grants.ts): a privilege is declared once per
 * (role, object) in a stack, also when two constructs stand for the same object (the pipeline's
 * database and the source's imported parent).
 */
export abstract class SnowflakeObject extends Construct {
  /** Snowflake object type for grants (`COMPUTE POOL`, `TABLE`, `STAGE`, ...). */
  abstract readonly objectType: string;
  /** The object's name as `"DB"."SCHEMA"."NAME"` (or `"NAME"` for account objects). */
  abstract readonly qualifiedName: ObjectName;
  protected abstract readonly grantTarget: GrantTarget;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Every stack holding one of this library's objects synthesizes a portable local state path.
    useRelativeLocalState(this);
  }

  /** The resource that creates this object, when this stack owns it (grants wait for it). */
  protected primaryResource(): TerraformResource | undefined {
    return undefined;
  }

  /** Grants `privileges` on this object to `role`; returns what it granted. */
  grant(role: IRole, ...privileges: string[]): Grant {
    const name = this.qualifiedName.quoted;
    const on =
      this.grantTarget === GrantTarget.ACCOUNT_OBJECT
        ? GrantOn.accountObject(this.objectType, name)
        : this.grantTarget === GrantTarget.SCHEMA
          ? GrantOn.schema(name)
          : GrantOn.schemaObject(this.objectType, name);
    const primary = this.primaryResource();
    return grantPrivileges(this, role, on, privileges, primary ? [primary] : []);
  }
}

/**
 * Grants USAGE on the database and the schema holding the schema object `name` (`DB.SCHEMA.X`):
 * operating on an object in a schema needs USAGE on its database and schema (access control of
 * https://docs.snowflake.com/en/sql-reference/sql/execute-job-service and of every schema-object
 * command). A grant the stack already declares for the same role and parent is the same grant.
 */
export function grantUsageOnParents(scope: Construct, role: IRole, name: ObjectName): Grant {
  const [db, schema] = name.parts;
  return Grant.combine(
    grantPrivileges(scope, role, GrantOn.accountObject('DATABASE', ObjectName.of(db).quoted), ['USAGE']),
    grantPrivileges(scope, role, GrantOn.schema(ObjectName.of(db, schema).quoted), ['USAGE']),
  );
}

// ---------------------------------------------------------------------------------------------
// Databases

export interface IDatabase extends IConstruct {
  /** Grants privileges on this object to `role`. */
  grant(role: IRole, ...privileges: string[]): Grant;
  readonly databaseName: string;
  readonly qualifiedName: ObjectName;
  /** Grants USAGE on the database. */
  grantUsage(role: IRole): Grant;
}

abstract class DatabaseBase extends SnowflakeObject implements IDatabase {
  readonly objectType = 'DATABASE';
  protected readonly grantTarget = GrantTarget.ACCOUNT_OBJECT;
  abstract readonly databaseName: string;
  get qualifiedName(): ObjectName {
    return ObjectName.of(this.databaseName);
  }
  grantUsage(role: IRole): Grant {
    return this.grant(role, 'USAGE');
  }
}

export interface DatabaseProps {
  /** Database name. @default - derived from the construct path */
  readonly name?: string;
  /** Days of Time Travel for the database's objects. @default 1 */
  readonly dataRetentionDays?: number;
  /** Comment. @default - none */
  readonly comment?: string;
}

/** A database owned by this stack (`snowflake_database`). */
export class Database extends DatabaseBase {
  /** Imports an existing database by name. */
  static fromName(scope: Construct, id: string, name: string): IDatabase {
    const databaseName = validateProp(`${scope.node.path}/${id}`, 'name', () => normalizeIdentifier(name, 'database name'));
    return new (class extends DatabaseBase {
      readonly databaseName = databaseName;
    })(scope, id);
  }

  readonly databaseName: string;
  readonly resource: DatabaseResource;

  protected primaryResource(): TerraformResource {
    return this.resource;
  }

  constructor(scope: Construct, id: string, props: DatabaseProps = {}) {
    super(scope, id);
    this.databaseName = validateProp(this.node.path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(this), 'database name'));
    claimName(this, 'name', 'DATABASE', ObjectName.of(this.databaseName));
    this.resource = new DatabaseResource(this, 'Resource', {
      name: this.databaseName,
      comment: props.comment,
      dataRetentionTimeInDays: props.dataRetentionDays,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas

export interface ISchema extends IConstruct {
  /** Grants privileges on this object to `role`. */
  grant(role: IRole, ...privileges: string[]): Grant;
  readonly databaseName: string;
  readonly schemaName: string;
  /** `"DB"."SCHEMA"`. */
  readonly qualifiedName: ObjectName;
  grantUsage(role: IRole): Grant;
}

abstract class SchemaBase extends SnowflakeObject implements ISchema {
  readonly objectType = 'SCHEMA';
  protected readonly grantTarget = GrantTarget.SCHEMA;
  abstract readonly databaseName: string;
  abstract readonly schemaName: string;
  get qualifiedName(): ObjectName {
    return ObjectName.of(this.databaseName, this.schemaName);
  }
  grantUsage(role: IRole): Grant {
    return this.grant(role, 'USAGE');
  }
}

export interface SchemaProps {
  /** The database the schema lives in. */
  readonly database: IDatabase;
  /** Schema name. @default - derived from the construct path */
  readonly name?: string;
  /** Comment. @default - none */
  readonly comment?: string;
}

/** A schema owned by this stack (`snowflake_schema`), with managed access so owners cannot re-grant. */
export class Schema extends SchemaBase {
  /** Imports an existing schema: `DATABASE.SCHEMA`. */
  static fromName(scope: Construct, id: string, qualifiedName: string): ISchema {
    const parsed = validateProp(`${scope.node.path}/${id}`, 'qualifiedName', () => ObjectName.parse(qualifiedName, 2));
    return new (class extends SchemaBase {
      readonly databaseName = parsed.parts[0];
      readonly schemaName = parsed.parts[1];
    })(scope, id);
  }

  readonly databaseName: string;
  readonly schemaName: string;
  readonly resource: SchemaResource;

  protected primaryResource(): TerraformResource {
    return this.resource;
  }

  constructor(scope: Construct, id: string, props: SchemaProps) {
    super(scope, id);
    this.databaseName = props.database.databaseName;
    this.schemaName = validateProp(this.node.path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(this), 'schema name'));
    claimName(this, 'name', 'SCHEMA', ObjectName.of(this.databaseName, this.schemaName));
    this.resource = new SchemaResource(this, 'Resource', {
      database: this.databaseName,
      name: this.schemaName,
      withManagedAccess: 'true',
      comment: props.comment,
    });
    if (props.database instanceof Database) dependOn(this.resource, props.database.resource);
  }
}

// ---------------------------------------------------------------------------------------------
// Warehouses

export interface IWarehouse extends IConstruct {
  /** Grants privileges on this object to `role`. */
  grant(role: IRole, ...privileges: string[]): Grant;
  readonly warehouseName: string;
  readonly qualifiedName: ObjectName;
  grantUsage(role: IRole): Grant;
}

abstract class WarehouseBase extends SnowflakeObject implements IWarehouse {
  readonly objectType = 'WAREHOUSE';
  protected readonly grantTarget = GrantTarget.ACCOUNT_OBJECT;
  abstract readonly warehouseName: string;
  get qualifiedName(): ObjectName {
    return ObjectName.of(this.warehouseName);
  }
  grantUsage(role: IRole): Grant {
    return this.grant(role, 'USAGE');
  }
}

/** Warehouse sizes. */
export enum WarehouseSize {
  XSMALL = 'XSMALL',
  SMALL = 'SMALL',
  MEDIUM = 'MEDIUM',
  LARGE = 'LARGE',
  XLARGE = 'XLARGE',
}

export interface WarehouseProps {
  /** Warehouse name. @default - derived from the construct path */
  readonly name?: string;
  /** Size. @default WarehouseSize.XSMALL */
  readonly size?: WarehouseSize;
  /** Idle time before suspending (at least 60 s). @default Duration.seconds(60) */
  readonly autoSuspend?: Duration;
  /** Comment. @default - none */
  readonly comment?: string;
}

/** A warehouse owned by this stack: smallest size, suspended when idle, created suspended. */
export class Warehouse extends WarehouseBase {
  /** Imports an existing warehouse by name. */
  static fromName(scope: Construct, id: string, name: string): IWarehouse {
    const warehouseName = validateProp(`${scope.node.path}/${id}`, 'name', () => normalizeIdentifier(name, 'warehouse name'));
    return new (class extends WarehouseBase {
      readonly warehouseName = warehouseName;
    })(scope, id);
  }

  readonly warehouseName: string;
  readonly resource: WarehouseResource;

  protected primaryResource(): TerraformResource {
    return this.resource;
  }

  constructor(scope: Construct, id: string, props: WarehouseProps = {}) {
    super(scope, id);
    this.warehouseName = validateProp(this.node.path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(this), 'warehouse name'));
    claimName(this, 'name', 'WAREHOUSE', ObjectName.of(this.warehouseName));
    const size = props.size ?? WarehouseSize.XSMALL;
    if (!Object.values(WarehouseSize).includes(size)) {
      throw new ValidationError(
        this.node.path,
        'size',
        `${JSON.stringify(size)} is not a warehouse size`,
        `Use one of ${Object.values(WarehouseSize).join(', ')}`,
      );
    }
    const suspend = validateProp(this.node.path, 'autoSuspend', () => (props.autoSuspend ?? Duration.seconds(60)).toSeconds());
    if (suspend < 60) {
      throw new ValidationError(
        this.node.path,
        'autoSuspend',
        `is ${suspend}s; below 60 s a warehouse bills a full minute on every resume anyway`,
        'Use Duration.seconds(60) or more',
      );
    }
    this.resource = new WarehouseResource(this, 'Resource', {
      name: this.warehouseName,
      warehouseSize: size,
      autoSuspend: suspend,
      autoResume: 'true',
      initiallySuspended: true,
      comment: props.comment,
    });
  }
}
