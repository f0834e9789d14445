/**
 * The degraded-share alert of a pipeline's monitoring (issue #17): a Snowflake alert whose
 * condition finds that, on the latest evaluation date of the accuracy table, more than a given
 * share of partitions is degraded, and whose action records that in an events table ("Setting up
 * alerts based on data in Snowflake": https://docs.snowflake.com/en/user-guide/alerts ; CREATE
 * ALERT: https://docs.snowflake.com/en/sql-reference/sql/create-alert).
 */
import { ObjectName, sqlNumber } from '../identifiers';

export interface DegradedShareAlertSqlModel {
  /** The accuracy table the monitoring task writes (lib/sql/monitoring.ts). */
  readonly accuracy: ObjectName;
  /** Where each firing is recorded. */
  readonly events: ObjectName;
  /** The alert fires when more than this percentage of partitions is degraded (0-100). */
  readonly degradedPercentAbove: number;
}

/** Columns of the events table: one row per firing of the alert. */
export const ALERT_EVENT_COLUMNS: readonly (readonly [string, string, boolean])[] = [
  ['AS_OF', 'DATE', false],
  ['PARTITIONS', 'NUMBER(10,0)', false],
  ['DEGRADED', 'NUMBER(10,0)', false],
  ['DEGRADED_PERCENT', 'FLOAT', false],
  ['THRESHOLD_PERCENT', 'FLOAT', false],
  ['RAISED_AT', 'TIMESTAMP_NTZ', false],
];

/** Partitions and degraded partitions on the latest evaluation date (a partition counts once whatever its versions). */
function latestShare(m: DegradedShareAlertSqlModel): string {
  const t = m.accuracy.quoted;
  return [
    `(SELECT MAX("AS_OF") AS AS_OF, COUNT(DISTINCT "PARTITION_KEY") AS PARTITIONS, COUNT(DISTINCT IFF("DEGRADED", "PARTITION_KEY", NULL)) AS DEGRADED`,
    `  FROM ${t} WHERE "AS_OF" = (SELECT MAX("AS_OF") FROM ${t}))`,
  ].join('\n');
}

const over = (m: DegradedShareAlertSqlModel) => `X.PARTITIONS > 0 AND 100 * X.DEGRADED / X.PARTITIONS > ${sqlNumber(m.degradedPercentAbove)}`;

/** The alert's condition: a row when the degraded share passes the threshold. */
export function renderDegradedShareCondition(m: DegradedShareAlertSqlModel): string {
  return `SELECT X.AS_OF FROM ${latestShare(m)} X WHERE ${over(m)}`;
}

/** The alert's action: records the evaluation date, the counts, the share and the threshold. */
export function renderDegradedShareAction(m: DegradedShareAlertSqlModel): string {
  return [
    `INSERT INTO ${m.events.quoted} ("AS_OF", "PARTITIONS", "DEGRADED", "DEGRADED_PERCENT", "THRESHOLD_PERCENT", "RAISED_AT")`,
    `SELECT X.AS_OF, X.PARTITIONS, X.DEGRADED, 100 * X.DEGRADED / X.PARTITIONS, ${sqlNumber(m.degradedPercentAbove)}, CURRENT_TIMESTAMP() FROM ${latestShare(m)} X WHERE ${over(m)}`,
  ].join('\n');
}
