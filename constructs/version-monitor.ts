/**
 * A Snowflake model monitor on the version a pipeline's alias points to, with the partition as its
 * segment (issue #17, item 6): `pipeline.addMonitoring({ modelMonitor: {} })`.
 *
 * The Terraform provider (@cdktf/provider-snowflake 15.9.1, provider 2.11) has no model monitor
 * resource, and a monitor watches one version (a version has exactly one monitor: "ML
 * Observability", https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/model-observability),
 * so the monitor follows promotion at run time: a task, owned like the monitoring task by the deploy
 * role, puts it on the alias's version when that changed (lib/sql/model-monitor.ts); it runs on its
 * schedule, which covers the closed loop's promotions, and a hook step after the pipeline's promote
 * step runs it at once (EXECUTE TASK). One role, the task owner, therefore creates and owns every
 * incarnation of the monitor and of its source view.
 */
import { Annotations } from '../lib/engine';
import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { Hooks } from '../lib/hooks/hooks';
import { DEFAULT_RETRY, StatementStepSpec } from '../lib/hooks/manifest';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { Schedule } from '../lib/schedule';
import { VERSION_MONITOR_LOG_COLUMNS, VersionMonitorSqlModel, refreshIntervalText, renderVersionMonitorBody } from '../lib/sql/model-monitor';
import { SourceModel } from '../lib/sql/training';
import type { BatchScoringJob } from './batch-scoring-job';
import { IWarehouse, Schema } from './core';
import { dependOn } from './depends';
import { Grant, GrantOn, grantPrivileges } from './grants';
import type { ModelRegistryAggregator } from './model-registry-aggregator';
import { nameFromPath } from './names';
import { claimName } from './object-names';
import { Table, Task } from './resources';
import { columnTable } from './tables';

/** A Snowflake model monitor on the pipeline's promoted version (`MonitoringOptions.modelMonitor`). */
export interface ModelMonitorOptions {
  /** How often Snowflake refreshes the monitor (its REFRESH_INTERVAL), at least 60 seconds. @default Duration.hours(24) */
  readonly refreshInterval?: Duration;
  /** Days the monitor aggregates its metrics over (AGGREGATION_WINDOW: whole days only). @default 1 */
  readonly aggregationWindowDays?: number;
  /** Whether the partition key is the monitor's segment column (one of at most 5; Snowflake advises fewer than 25 values). @default true */
  readonly segmentByPartition?: boolean;
  /** When the task that moves the monitor to the promoted version checks (it also runs after each post-deploy promotion). @default Schedule.cron('0 8 * * *', 'UTC'): an hour after the default monitoring run, so a promotion of the closed loop is followed the same day */
  readonly followSchedule?: Schedule;
  /** Warehouse the monitor refreshes on and the task runs on. @default - the pipeline's warehouse */
  readonly warehouse?: IWarehouse;
  /** The monitor's name (in the model's schema). @default - derived from the construct path (`<PIPELINE>_MONITORING_VERSION_MONITOR`) */
  readonly name?: string;
}

/** @internal What a pipeline gives its version monitor. */
export interface VersionMonitorProps extends ModelMonitorOptions {
  readonly aggregator: ModelRegistryAggregator;
  readonly scoringJob: BatchScoringJob;
  readonly source: SourceModel;
  /** The pipeline's warehouse (the default). */
  readonly pipelineWarehouse: IWarehouse;
}

/** The most days an aggregation window is given here (a year of daily data). */
const MAX_AGGREGATION_DAYS = 366;
/** Snowflake's minimum REFRESH_INTERVAL (CREATE MODEL MONITOR: https://docs.snowflake.com/en/sql-reference/sql/create-model-monitor). */
const MIN_REFRESH_SECONDS = 60;
/** Snowflake's advice for a segment column (ALTER MODEL MONITOR: https://docs.snowflake.com/en/sql-reference/sql/alter-model-monitor). */
const SEGMENT_VALUES_ADVISED = 25;

/** The monitor's model from its props: checked (errors name the path and the prop), defaulted, named. */
export function versionMonitorModel(scope: Construct, props: VersionMonitorProps): VersionMonitorSqlModel & { readonly task: ObjectName } {
  const path = scope.node.path;
  const refreshSeconds = validateProp(path, 'modelMonitor.refreshInterval', () => (props.refreshInterval ?? Duration.hours(24)).toSeconds());
  if (refreshSeconds < MIN_REFRESH_SECONDS)
    throw new ValidationError(
      path,
      'modelMonitor.refreshInterval',
      `is ${refreshSeconds} s; Snowflake refreshes a model monitor at most every 60 seconds`,
      'Give at least Duration.seconds(60), e.g. Duration.hours(24)',
    );
  const days = props.aggregationWindowDays ?? 1;
  if (!Number.isInteger(days) || days < 1 || days > MAX_AGGREGATION_DAYS)
    throw new ValidationError(
      path,
      'modelMonitor.aggregationWindowDays',
      `is ${days}; a model monitor aggregates over whole days, from 1 to ${MAX_AGGREGATION_DAYS} here`,
      'Give e.g. 1 (daily metrics) or 7',
    );
  const modelName = props.aggregator.modelName;
  // The monitor must be in the model's schema; its view, log and task are kept beside it.
  const schema = ObjectName.of(modelName.parts[0], modelName.parts[1]);
  const base =
    props.name !== undefined ? validateProp(path, 'modelMonitor.name', () => normalizeIdentifier(props.name!, 'modelMonitor.name')) : nameFromPath(scope);
  return {
    monitor: schema.child(base),
    view: schema.child(`${base}_SOURCE`),
    log: schema.child(`${base}_LOG`),
    task: schema.child(`${base}_FOLLOW`),
    model: modelName,
    alias: props.aggregator.alias,
    function: 'PREDICT',
    results: props.scoringJob.qualifiedName,
    source: props.source,
    warehouse: ObjectName.of((props.warehouse ?? props.pipelineWarehouse).warehouseName),
    refreshInterval: refreshIntervalText(refreshSeconds),
    aggregationWindowDays: days,
    segmentByPartition: props.segmentByPartition ?? true,
    // The scheduled scoring task records the alias it scores with, not the version.
    scheduledAs: props.scoringJob.modelVersionOrAlias === props.aggregator.alias ? props.aggregator.alias : undefined,
  };
}

/**
 * The model monitor of a pipeline's promoted version: its log table, the task that moves it to the
 * alias's version, and the hook step that runs the task after each post-deploy promotion.
 */
export class VersionMonitor extends Construct {
  readonly logTable: Table;
  readonly task: Task;
  /** `DB.SCHEMA.NAME` of the model monitor (created at run time, not by Terraform). */
  readonly monitorName: ObjectName;
  /** `DB.SCHEMA.NAME` of the view the monitor reads (created at run time with the monitor). */
  readonly sourceViewName: ObjectName;
  readonly taskName: ObjectName;
  /** The step that runs the task after promotion. */
  readonly hookStepIds: readonly string[];
  /** What the task body is rendered from. */
  readonly sqlModel: VersionMonitorSqlModel;

  constructor(scope: Construct, id: string, props: VersionMonitorProps) {
    super(scope, id);
    const binding = props.aggregator.pipelineBinding;
    if (!binding) {
      throw new ValidationError(
        this.node.path,
        'modelMonitor',
        `${props.aggregator.node.path} is not the aggregator of a ManyModelPipeline, so no promotion moves its alias for the monitor to follow`,
        'Use addMonitoring({ modelMonitor }) on the pipeline that owns the aggregator',
      );
    }
    const m = versionMonitorModel(this, props);
    this.sqlModel = m;
    this.monitorName = m.monitor;
    this.sourceViewName = m.view;
    this.taskName = m.task;
    claimName(this, 'modelMonitor.name', 'VIEW', m.view);
    claimName(this, 'modelMonitor.name', 'TASK', m.task);
    const schema = props.aggregator.schema;
    this.logTable = columnTable(
      this,
      'LogTable',
      schema,
      m.log.name,
      VERSION_MONITOR_LOG_COLUMNS,
      `Versions the model monitor ${m.monitor.name} was put on`,
      'modelMonitor.name',
    );
    this.task = new Task(this, 'Task', {
      database: m.task.parts[0],
      schema: m.task.parts[1],
      name: m.task.name,
      warehouse: m.warehouse.name,
      started: true,
      schedule: (props.followSchedule ?? Schedule.cron('0 8 * * *', 'UTC')).toTaskSchedule(),
      sqlStatement: renderVersionMonitorBody(m),
      comment: `Keeps the model monitor ${m.monitor.name} on the version of ${m.model} holding ${m.alias}`,
    });
    dependOn(this.task, this.logTable, props.scoringJob.resultsTable);
    if (schema instanceof Schema) dependOn(this.task, schema.resource);
    // The runner runs the task after promotion: OPERATE (EXECUTE TASK), MONITOR (its runs).
    this.grantOperate(binding.runnerRole);
    const step: StatementStepSpec = {
      id: `${this.node.path}/follow-promotion`,
      kind: 'sql',
      description: `Run ${m.task.name}: the model monitor follows the version holding ${m.alias}`,
      dependsOn: [binding.promoteStepId],
      runGroup: binding.runGroup,
      statements: [{ id: 'execute-task', sql: `EXECUTE TASK ${m.task.quoted}` }],
      timeoutSeconds: 300,
      retry: DEFAULT_RETRY,
      triggers: {},
      executeOnChange: true,
    };
    Hooks.of(this).addStep(step);
    this.hookStepIds = [step.id];
    binding.addStepIds(this.hookStepIds);
    if (m.segmentByPartition)
      Annotations.of(this).addWarning(
        `${this.node.path}: modelMonitor.segmentByPartition makes the partition key a segment column; Snowflake advises fewer than ${SEGMENT_VALUES_ADVISED} values per segment column (ALTER MODEL MONITOR), and a pipeline has one per partition. Set segmentByPartition: false for thousands of partitions.`,
      );
  }

  /** Lets `role` run the follow task on demand and see its runs (OPERATE, MONITOR). */
  grantOperate(role: Parameters<typeof grantPrivileges>[1]): Grant {
    return grantPrivileges(this, role, GrantOn.schemaObject('TASK', this.taskName.quoted), ['MONITOR', 'OPERATE'], [this.task]);
  }
}
