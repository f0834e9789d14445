/**
 * The query the hooks runner polls to follow the runs of a task graph, read from Snowflake's own
 * records of graph runs rather than from what the graph's tasks start: right after `EXECUTE TASK`
 * no job service exists yet, so their status cannot tell a graph that has not started its children
 * from one that has ended.
 *
 * Information Schema table functions used ("CURRENT_TASK_GRAPHS", "COMPLETE_TASK_GRAPHS"): both
 * take the root's unqualified name (`ROOT_TASK_NAME => '<name>'`, case-insensitive; roots of that
 * name in other schemas are returned too, hence the DATABASE_NAME / SCHEMA_NAME filter) and list
 * graph runs account-wide to a role with MONITOR or OPERATE on the root. CURRENT_TASK_GRAPHS has
 * the runs that are SCHEDULED or EXECUTING; COMPLETE_TASK_GRAPHS those that ended (SUCCEEDED,
 * FAILED, CANCELLED) in the past 60 minutes, with FIRST_ERROR_TASK_NAME / FIRST_ERROR_MESSAGE.
 */
import { InvalidValueError } from '../errors';
import { ObjectName, quoteIdentifier, sqlString } from '../identifiers';

/** Columns of the graph-run query, as the runner reads them. */
export interface GraphRunRow {
  /** The server's clock (ms since the epoch): taken before EXECUTE TASK, it marks the runs that follow. */
  readonly NOW_MS: number;
  /** Runs of the graph scheduled or executing. */
  readonly GRAPHS_RUNNING: number;
  /** SCHEDULED_TIME (ms) of the latest completed run, NULL when none completed in the past hour. */
  readonly LAST_SCHEDULED_MS: number | null;
  readonly LAST_STATE: string | null;
  readonly LAST_ERROR_TASK: string | null;
  readonly LAST_ERROR: string | null;
}

/**
 * One row: the server's time, how many runs of the graph rooted at `root` (`DB.SCHEMA.NAME`) are
 * scheduled or executing, and the latest completed run. The root has no schedule (the runner
 * EXECUTEs it), so every current run is one that an EXECUTE TASK started.
 */
export function renderGraphRunQuery(root: ObjectName): string {
  if (root.parts.length !== 3)
    throw new InvalidValueError(`root task ${root.toString()} must be qualified as DATABASE.SCHEMA.NAME`, 'Pass the fully qualified root task name');
  const [database, schema, name] = root.parts;
  const fn = (table: 'CURRENT_TASK_GRAPHS' | 'COMPLETE_TASK_GRAPHS') =>
    `TABLE(${quoteIdentifier(database)}.INFORMATION_SCHEMA.${table}(ROOT_TASK_NAME => ${sqlString(name)}))`;
  const where = `WHERE DATABASE_NAME = ${sqlString(database)} AND SCHEMA_NAME = ${sqlString(schema)}`;
  return [
    `SELECT DATE_PART(EPOCH_MILLISECOND, CURRENT_TIMESTAMP()) AS NOW_MS,`,
    `  (SELECT COUNT(*) FROM ${fn('CURRENT_TASK_GRAPHS')} ${where}) AS GRAPHS_RUNNING,`,
    `  L.SCHEDULED_MS AS LAST_SCHEDULED_MS, L.STATE AS LAST_STATE, L.FIRST_ERROR_TASK_NAME AS LAST_ERROR_TASK, L.FIRST_ERROR_MESSAGE AS LAST_ERROR`,
    `FROM (SELECT 1 AS ONE) O LEFT JOIN (`,
    `  SELECT DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS SCHEDULED_MS, STATE, FIRST_ERROR_TASK_NAME, FIRST_ERROR_MESSAGE`,
    `  FROM ${fn('COMPLETE_TASK_GRAPHS')} ${where}`,
    `  ORDER BY SCHEDULED_TIME DESC LIMIT 1) L ON TRUE`,
  ].join('\n');
}
