/**
 * Statements that set an account up around a stack: roles, grants, and the containers a stack
 * references (warehouse, database, schema, image repository). `many-model bootstrap` renders them
 * from the synthesis (runner/bootstrap/bootstrap.ts), the doctor names them as fixes, and the demo
 * and `deploy --local` create what a real account would already hold.
 *
 * Names are given normalised (as Snowflake stores them: `DB.SCHEMA.NAME` dotted keys, role names)
 * and quoted here; privileges and object types are Snowflake's keywords, as Terraform holds them.
 * An `on` that is already SQL (a grant resource's object name, quoted, maybe with a procedure's
 * argument types) is passed as it is, as the provider passes it.
 */
import { quoteDotted, quoteIdentifier } from '../identifiers';

/** The suffix that lets the grantee grant the privileges on (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege). */
export const WITH_GRANT_OPTION = ' WITH GRANT OPTION';

/** `CREATE ROLE IF NOT EXISTS "R"`. */
export function renderCreateRole(role: string): string {
  return `CREATE ROLE IF NOT EXISTS ${quoteIdentifier(role)}`;
}

/** `GRANT ROLE "CHILD" TO ROLE "PARENT"`: the parent inherits what the child holds. */
export function renderGrantRoleToRole(child: string, parent: string): string {
  return `GRANT ROLE ${quoteIdentifier(child)} TO ROLE ${quoteIdentifier(parent)}`;
}

/** `GRANT ROLE "R" TO USER "U"`. */
export function renderGrantRoleToUser(role: string, user: string): string {
  return `GRANT ROLE ${quoteIdentifier(role)} TO USER ${quoteIdentifier(user)}`;
}

/** `GRANT p, q ON ACCOUNT TO ROLE "R"`: account privileges (CREATE ROLE, EXECUTE TASK, ...). */
export function renderGrantOnAccount(privileges: readonly string[], role: string): string {
  return `GRANT ${privileges.join(', ')} ON ACCOUNT TO ROLE ${quoteIdentifier(role)}`;
}

/**
 * `GRANT p, q ON <TYPE> <name> TO ROLE "R" [WITH GRANT OPTION]`. `name` is a dotted key, or
 * `{ sql }` for an object reference that is SQL already.
 */
export function renderGrantOn(
  privileges: readonly string[],
  objectType: string,
  name: string | { readonly sql: string },
  role: string,
  grantOption = false,
): string {
  const on = typeof name === 'string' ? quoteDotted(name) : name.sql;
  return `GRANT ${privileges.join(', ')} ON ${objectType} ${on} TO ROLE ${quoteIdentifier(role)}${grantOption ? WITH_GRANT_OPTION : ''}`;
}

/**
 * `GRANT p ON FUTURE <PLURAL> IN SCHEMA|DATABASE <container> TO ROLE "R"`. `container` is a dotted
 * key, or `{ sql }` for a name that is SQL already.
 */
export function renderGrantOnFuture(
  privileges: readonly string[],
  objectTypePlural: string,
  containerType: 'SCHEMA' | 'DATABASE',
  container: string | { readonly sql: string },
  role: string,
): string {
  const inWhat = typeof container === 'string' ? quoteDotted(container) : container.sql;
  return `GRANT ${privileges.join(', ')} ON FUTURE ${objectTypePlural} IN ${containerType} ${inWhat} TO ROLE ${quoteIdentifier(role)}`;
}

/**
 * A warehouse for statements that need one, the cheapest kind: the smallest size, suspended when
 * idle and until first used, resumed by the statements that need it
 * ("CREATE WAREHOUSE": https://docs.snowflake.com/en/sql-reference/sql/create-warehouse).
 */
export function renderCreateWarehouse(name: string): string {
  return `CREATE WAREHOUSE IF NOT EXISTS ${quoteIdentifier(name)} WITH WAREHOUSE_SIZE = XSMALL AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE`;
}

/** `CREATE DATABASE IF NOT EXISTS "DB"`. */
export function renderCreateDatabase(database: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`;
}

/** `CREATE SCHEMA IF NOT EXISTS "DB"."SCHEMA"` (a dotted key). */
export function renderCreateSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteDotted(schema)}`;
}

/** `CREATE IMAGE REPOSITORY IF NOT EXISTS "DB"."SCHEMA"."REPO"` (a dotted key). */
export function renderCreateImageRepository(repository: string): string {
  return `CREATE IMAGE REPOSITORY IF NOT EXISTS ${quoteDotted(repository)}`;
}
