/**
 * Statements about job services after they are started (EXECUTE JOB SERVICE is rendered in
 * job-spec.ts): their status, their logs, and dropping a finished one so its name can be used again.
 * A job service is always named unquoted (unquotedName: EXECUTE JOB SERVICE takes no quoted name).
 */
import { InvalidValueError } from '../errors';
import { ObjectName, UNQUOTED_UPPER_IDENTIFIER, sqlString, unquotedName } from '../identifiers';
import { WORKER_CONTAINER_NAME } from './job-spec';

/**
 * A job service's name as the manifest gives it (`wait.jobServices`: `DB.SCHEMA.NAME` of unquoted
 * upper-case parts). The runner reads it from hooks.json, so it is checked again before it goes
 * into a statement.
 * @throws InvalidValueError when it is not three unquoted upper-case identifiers.
 */
export function parseServiceName(name: string): ObjectName {
  const parts = typeof name === 'string' ? name.split('.') : [];
  if (parts.length !== 3 || !parts.every((p) => UNQUOTED_UPPER_IDENTIFIER.test(p))) {
    throw new InvalidValueError(`job service name ${JSON.stringify(name)} is not DB.SCHEMA.NAME of unquoted identifiers`, 'Synthesize the manifest again');
  }
  return ObjectName.of(...parts);
}

/**
 * `DESCRIBE SERVICE`: its `status` column is how a job's completion is polled, as the
 * execute-job-service page says; SYSTEM$GET_SERVICE_STATUS is deprecated
 * (https://docs.snowflake.com/en/sql-reference/sql/execute-job-service). The column is listed by
 * the 2024_04 bundle (https://docs.snowflake.com/en/release-notes/bcr-bundles/2024_04/bcr-1596).
 */
export function renderDescribeService(name: ObjectName): string {
  return `DESCRIBE SERVICE ${unquotedName(name)}`;
}

/** `DROP SERVICE IF EXISTS DB.S.X`: a finished job keeps its name until dropped. */
export function renderDropService(name: ObjectName): string {
  return `DROP SERVICE IF EXISTS ${unquotedName(name)}`;
}

/**
 * The query that shows a job's container logs (SYSTEM$GET_SERVICE_LOGS, instance 0, the worker's
 * container), which the runner prints for a user to run when a job service FAILED.
 */
export function renderServiceLogsQuery(name: ObjectName): string {
  return `SELECT SYSTEM$GET_SERVICE_LOGS(${sqlString(unquotedName(name))}, '0', ${sqlString(WORKER_CONTAINER_NAME)})`;
}
