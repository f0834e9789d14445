/**
 * A pipeline's monitoring (issue #17) as plain data: what its tables and its scheduled task are
 * named and rendered from. The construct (constructs/pipeline-monitor.ts) builds it from its props
 * (constructs/monitoring-model.ts) and creates the resources; the SQL is lib/sql/monitoring.ts.
 */
import { ObjectName } from '../identifiers';
import { MonitoringSqlModel } from '../sql/monitoring';
import { DegradedShareAlertSqlModel } from '../sql/monitoring-alert';

/** A validated, defaulted monitor of one pipeline's scoring job. */
export interface MonitoringModel {
  /** The monitor's construct path. */
  readonly path: string;
  /** What the refresh statements need. */
  readonly sql: MonitoringSqlModel;
  /** The scheduled task that refreshes the tables (it runs as its owner, the deploy role). */
  readonly task: ObjectName;
  /** The task's schedule (the task's `schedule` block). */
  readonly schedule: { readonly usingCron?: string; readonly minutes?: number };
  /** The warehouse the task (and the alert) run on. */
  readonly warehouse: ObjectName;
  /** The degraded-share alert, when there is one. */
  readonly alert?: DegradedShareAlertModel;
}

/** A Snowflake alert on the share of degraded partitions. */
export interface DegradedShareAlertModel {
  readonly name: ObjectName;
  readonly sql: DegradedShareAlertSqlModel;
  /** The alert's schedule: a cron expression and time zone, or an interval in minutes. */
  readonly schedule: { readonly cron?: { readonly expression: string; readonly timeZone: string }; readonly intervalMinutes?: number };
}
