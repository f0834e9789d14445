import { Alert, Table, Task } from './resources';
import { Construct } from 'constructs';
import { ObjectName } from '../lib/identifiers';
import { MonitoringModel } from '../lib/pipeline/monitoring';
import { Schedule } from '../lib/schedule';
import { allowConsumerRead } from '../lib/policy/consumer-readable';
import { ACCURACY_COLUMNS, DRIFT_COLUMNS, MonitoringSqlModel, renderMonitoringStatements, renderMonitoringTaskBody } from '../lib/sql/monitoring';
import { ALERT_EVENT_COLUMNS, renderDegradedShareAction, renderDegradedShareCondition } from '../lib/sql/monitoring-alert';
import type { BatchScoringJob } from './batch-scoring-job';
import { IRole, ISchema, IWarehouse, Schema, grantUsageOnParents } from './core';
import { Grant, GrantOn, grantPrivileges } from './grants';
import { claimName } from './object-names';
import { ISourceTable } from './source-table';
import { columnTable } from './tables';
import { dependOn } from './depends';
import { monitoringModel } from './monitoring-model';
import type { RetrainOptions } from './retrain-loop';
import type { ModelMonitorOptions } from './version-monitor';
import type { ChallengerOptions } from './challenger-gate';

/** When a partition's realized accuracy over the window counts as degraded. */
export interface DegradationThresholds {
  /** Realized sMAPE, in percent (0-200), above which a partition is degraded. @default 25 */
  readonly smapeAbove?: number;
  /** Interval coverage (0-1) below which a partition is degraded (the reference worker's intervals are 95 %); 0 switches the rule off. @default 0.8 */
  readonly coverageBelow?: number;
  /** Forecast days with an actual a partition needs in the window before it is judged. @default 7 */
  readonly minPoints?: number;
}

/** When a partition's recent actuals count as drifted from the data its model was trained on. */
export interface DriftThresholds {
  /** Shift of the recent mean, in standard deviations of the baseline, above which the level has drifted. @default 2 */
  readonly levelShift?: number;
  /** Ratio of the recent to the baseline standard deviation above which (or below its inverse) the scale has drifted. @default 2 */
  readonly scaleRatio?: number;
  /** Days without an actual inside the recent window above which data is missing. @default 3 */
  readonly missingDays?: number;
  /** Days between a partition's last actual and the source's latest above which its data is late. @default 2 */
  readonly lateDays?: number;
  /** Actuals needed in both the recent window and the baseline before level and scale are judged (at least 2). @default 7 */
  readonly minPoints?: number;
}

/** A Snowflake alert on the share of degraded partitions (MonitoringOptions.alert). */
export interface DegradedShareAlertOptions {
  /** The alert fires when more than this percentage (0-100) of partitions is degraded on the latest evaluation date. @default 10 */
  readonly degradedPercentAbove?: number;
  /** When the alert checks. @default Schedule.cron('30 7 * * *', 'UTC'): half an hour after the default monitoring run */
  readonly schedule?: Schedule;
  /** Table each firing is recorded in. @default - derived from the construct path (`<PIPELINE>_MONITORING_ALERTS`) */
  readonly eventsTableName?: string;
}

/** What a pipeline's monitoring watches and when (`pipeline.addMonitoring`). */
export interface MonitoringOptions {
  /** When the monitoring task refreshes the accuracy and drift tables. @default Schedule.cron('0 7 * * *', 'UTC'): daily, an hour after a 06:00 scoring */
  readonly schedule?: Schedule;
  /** Days of actuals, ending at the latest one in the source, over which accuracy and recent drift statistics are computed. @default 28 */
  readonly windowDays?: number;
  /** Days of training data, ending where the scored version's training data ended, that make the drift baseline. @default 91 */
  readonly baselineDays?: number;
  /** When realized accuracy counts as degraded. @default - see DegradationThresholds */
  readonly degradedWhen?: DegradationThresholds;
  /** When recent actuals count as drifted. @default - see DriftThresholds */
  readonly driftWhen?: DriftThresholds;
  /** Accuracy table name. @default - derived from the construct path (`<PIPELINE>_MONITORING_ACCURACY`) */
  readonly accuracyTableName?: string;
  /** Drift table name. @default - derived from the construct path (`<PIPELINE>_MONITORING_DRIFT`) */
  readonly driftTableName?: string;
  /** Roles that may read the accuracy and drift tables (SELECT, USAGE on their database and schema). @default - the pipeline's consumer role */
  readonly readers?: IRole[];
  /** A Snowflake alert when the share of degraded partitions passes a threshold (`alert: {}` for the defaults). @default - no alert */
  readonly alert?: DegradedShareAlertOptions;
  /**
   * The closed loop (`retrain: {}` for the defaults): after each refresh, a task graph inside the
   * account retrains only the degraded or drifted partitions on the pool, registers ONE version that
   * reuses every other partition's artifact and promotes it through the pipeline's gate.
   * @default - no retraining: the monitor only measures
   */
  readonly retrain?: RetrainOptions;
  /**
   * A Snowflake model monitor on the version the alias points to, with the partition as its segment
   * (`modelMonitor: {}` for the defaults); it follows each promotion (constructs/version-monitor.ts).
   * @default - no model monitor
   */
  readonly modelMonitor?: ModelMonitorOptions;
  /**
   * Champion and challenger (`challenger: {}` for the defaults; needs `retrain`): the closed loop's
   * new version takes a challenger alias and is scored beside the champion for a window; then it is
   * promoted, merged per partition with the champion into ONE new version, or rejected, on realized
   * accuracy. See docs/constructs.md, "Champion and challenger".
   * @default - no challenger: the closed loop promotes its version through the pipeline's gate at once
   */
  readonly challenger?: ChallengerOptions;
}

/** A monitor's props: its options and what its pipeline supplies. */
export interface PipelineMonitorProps extends MonitoringOptions {
  /** The source whose actuals are compared with the forecasts. */
  readonly source: ISourceTable;
  /** The scoring job whose forecasts are compared (its results table). */
  readonly scoringJob: BatchScoringJob;
  /** Schema of the accuracy and drift tables and of the task. */
  readonly schema: ISchema;
  /** Warehouse the monitoring task runs on. */
  readonly warehouse: IWarehouse;
  /** Role that may run the task on demand (`EXECUTE TASK`) and see its runs: OPERATE and MONITOR on it. @default - none */
  readonly operator?: IRole;
}

/**
 * Monitoring of a scored pipeline (issue #17): a scheduled task that, inside Snowflake, joins the
 * actuals that have arrived in the source with the scoring job's forecasts and writes per partition
 * and version the realized sMAPE, MAE, bias and interval coverage over a rolling window (the
 * accuracy table), and per partition the drift of recent actuals from the data the scored version
 * was trained on (level and scale shift, missing and late days: the drift table), each row keyed
 * by the latest actual's date so a re-run replaces its rows.
 */
export class PipelineMonitor extends Construct {
  readonly accuracyTable: Table;
  readonly driftTable: Table;
  readonly task: Task;
  /** The degraded-share alert and its events table, when `alert` is set. */
  readonly alert?: Alert;
  readonly alertEventsTable?: Table;
  /** `DB.SCHEMA.NAME` of the accuracy table. */
  readonly accuracyTableName: ObjectName;
  /** `DB.SCHEMA.NAME` of the drift table. */
  readonly driftTableName: ObjectName;
  /** `DB.SCHEMA.NAME` of the monitoring task. */
  readonly taskName: ObjectName;
  private readonly model: MonitoringModel;

  constructor(scope: Construct, id: string, props: PipelineMonitorProps) {
    super(scope, id);
    const m = monitoringModel(this, props);
    this.model = m;
    this.accuracyTableName = m.sql.accuracy;
    this.driftTableName = m.sql.drift;
    this.taskName = m.task;
    this.accuracyTable = columnTable(
      this,
      'AccuracyTable',
      props.schema,
      m.sql.accuracy.name,
      ACCURACY_COLUMNS,
      'Realized forecast accuracy per evaluation date, partition and model version',
      'accuracyTableName',
    );
    this.driftTable = columnTable(
      this,
      'DriftTable',
      props.schema,
      m.sql.drift.name,
      DRIFT_COLUMNS,
      'Drift of recent actuals per evaluation date and partition',
      'driftTableName',
    );
    claimName(this, 'the task name (derived from the construct path: change its id)', 'TASK', m.task);
    this.task = this.createTask(m, props);
    if (m.alert) {
      this.alertEventsTable = columnTable(
        this,
        'AlertEventsTable',
        props.schema,
        m.alert.sql.events.name,
        ALERT_EVENT_COLUMNS,
        'Firings of the degraded-share alert',
        'alert.eventsTableName',
      );
      claimName(this, 'the alert name (derived from the construct path: change its id)', 'ALERT', m.alert.name);
      this.alert = this.createAlert(m, props);
    }
    // Read-only outputs for model consumers: the policy pack's MM-RL1 lets consumer roles read them.
    for (const t of this.readableTables()) allowConsumerRead(this, 'TABLE', t[1].quoted);
    for (const reader of props.readers ?? []) this.grantRead(reader);
    if (props.operator) this.grantOperate(props.operator);
  }

  /**
   * The scheduled task, started, as its owner (the deploy role); its body is one Snowflake
   * Scripting block (CREATE TASK: https://docs.snowflake.com/en/sql-reference/sql/create-task).
   * It reads the source and the results table and writes the two tables.
   */
  private createTask(m: MonitoringModel, props: PipelineMonitorProps): Task {
    const task = new Task(this, 'Task', {
      database: m.task.parts[0],
      schema: m.task.parts[1],
      name: m.task.name,
      warehouse: m.warehouse.name,
      started: true,
      schedule: m.schedule,
      sqlStatement: renderMonitoringTaskBody(m.sql),
      comment: `Monitoring of ${m.sql.results}: accuracy into ${m.sql.accuracy}, drift into ${m.sql.drift}`,
    });
    dependOn(task, this.accuracyTable, this.driftTable, props.scoringJob.resultsTable);
    if (props.schema instanceof Schema) dependOn(task, props.schema.resource);
    return task;
  }

  /**
   * The alert: created enabled (resumed), owned by the deploy role, which needs the global EXECUTE
   * ALERT (bootstrap grants it); it runs as its owner on the pipeline's warehouse
   * (https://docs.snowflake.com/en/user-guide/alerts).
   */
  private createAlert(m: MonitoringModel, props: PipelineMonitorProps): Alert {
    const a = m.alert!;
    const alert = new Alert(this, 'Alert', {
      database: a.name.parts[0],
      schema: a.name.parts[1],
      name: a.name.name,
      warehouse: m.warehouse.name,
      enabled: true,
      alertSchedule: a.schedule.cron ? { cron: a.schedule.cron } : { interval: a.schedule.intervalMinutes },
      condition: renderDegradedShareCondition(a.sql),
      action: renderDegradedShareAction(a.sql),
      comment: `More than ${a.sql.degradedPercentAbove} % of partitions degraded in ${a.sql.accuracy}`,
    });
    dependOn(alert, this.accuracyTable, this.alertEventsTable!);
    if (props.schema instanceof Schema) dependOn(alert, props.schema.resource);
    return alert;
  }

  private readableTables(): [Table, ObjectName][] {
    const tables: [Table, ObjectName][] = [
      [this.accuracyTable, this.accuracyTableName],
      [this.driftTable, this.driftTableName],
    ];
    if (this.alertEventsTable && this.model.alert) tables.push([this.alertEventsTable, this.model.alert.sql.events]);
    return tables;
  }

  /** What the refresh reads and writes, and its thresholds (the closed loop and the report render from it too). */
  get sqlModel(): MonitoringSqlModel {
    return this.model.sql;
  }

  /** The statements of one refresh, in order (what the task body runs). */
  renderStatements(): string[] {
    return renderMonitoringStatements(this.model.sql);
  }

  /** Grants SELECT on the accuracy and drift tables and the alert's events table (and USAGE on their database and schema). */
  grantRead(role: IRole): Grant {
    return Grant.combine(
      grantUsageOnParents(this, role, this.accuracyTableName),
      ...this.readableTables().map(([t, n]) => grantPrivileges(this, role, GrantOn.schemaObject('TABLE', n.quoted), ['SELECT'], [t])),
    );
  }

  /**
   * Lets `role` run the task on demand and watch its runs: the caller of EXECUTE TASK needs
   * OWNERSHIP or OPERATE on it (https://docs.snowflake.com/en/sql-reference/sql/execute-task),
   * TASK_HISTORY shows runs of tasks the role holds MONITOR or OPERATE on.
   */
  grantOperate(role: IRole): Grant {
    return grantPrivileges(this, role, GrantOn.schemaObject('TASK', this.taskName.quoted), ['MONITOR', 'OPERATE'], [this.task]);
  }
}
