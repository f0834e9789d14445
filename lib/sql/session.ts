/**
 * Statements about the session itself: its role, its warehouse and its transaction.
 */
import { quoteIdentifier } from '../identifiers';

/** Starts an explicit transaction (https://docs.snowflake.com/en/sql-reference/sql/begin). */
export const BEGIN_TRANSACTION = 'BEGIN TRANSACTION';
export const COMMIT = 'COMMIT';
/**
 * Ends the session's open transaction, undoing it. A transaction belongs to its session
 * ("Transactions": https://docs.snowflake.com/en/sql-reference/transactions), so the runner rolls
 * back on the session whose step opened it.
 */
export const ROLLBACK = 'ROLLBACK';

/**
 * Whether a statement opens a transaction: `BEGIN [TRANSACTION | WORK]` alone, not the `BEGIN` of a
 * Snowflake Scripting block (`BEGIN ... END`).
 */
export function opensTransaction(sql: string): boolean {
  return /^\s*BEGIN(\s+TRANSACTION|\s+WORK)?\s*$/i.test(sql);
}

/** The session's current role, as column R. */
export const CURRENT_ROLE_QUERY = 'SELECT CURRENT_ROLE() AS R';

/** The roles Snowflake creates in every account that the tools switch to (docs/roles.md). */
export type SystemRole = 'ACCOUNTADMIN' | 'SYSADMIN' | 'USERADMIN';

/** `USE ROLE` of a system role: a fixed name, written as Snowflake documents it. */
export function renderUseSystemRole(role: SystemRole): string {
  return `USE ROLE ${role}`;
}

/** `USE WAREHOUSE "W"`: the session's warehouse, which queries and DML need. */
export function renderUseWarehouse(warehouse: string): string {
  return `USE WAREHOUSE ${quoteIdentifier(warehouse)}`;
}
