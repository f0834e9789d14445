import { Table } from '@cdktf/provider-snowflake/lib/table';
import { Task } from '@cdktf/provider-snowflake/lib/task';
import { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { Hooks, IHookDependable, resolveDependencies } from '../lib/hooks/hooks';
import { DEFAULT_RETRY } from '../lib/hooks/manifest';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { Schedule } from '../lib/schedule';
import { RESULT_META_COLUMNS, ScoringModel, renderBatchScore, renderScheduledScoringBody } from '../lib/sql/scoring';
import { GrantTarget, IRole, ISchema, IWarehouse, SnowflakeObject } from './core';
import { Grant } from './grants';
import { IModelRegistryAggregator } from './model-registry-aggregator';
import { claimName } from './object-names';
import { nameFromPath } from './names';
import { checkPreviewFeatures } from './preview-features';
import { ISourceTable } from './source-table';
import { ensureLedger } from './tables';
import { dependOn } from './depends';

/** Snowflake's task graphs and our step time limits keep horizons to a year of daily steps. */
export const MAX_HORIZON = 366;

export interface BatchScoringJobProps {
  /** Source whose partitions are scored. */
  readonly source: ISourceTable;
  /** The aggregator model to score with. */
  readonly aggregator: IModelRegistryAggregator;
  /** Schema for the results table and the scoring task. */
  readonly schema: ISchema;
  /** Warehouse running the scoring query. */
  readonly warehouse: IWarehouse;
  /** Steps ahead to forecast per partition. */
  readonly horizon: number;
  /** Results table name. @default - derived from the construct path */
  readonly resultsTableName?: string;
  /** Score on a schedule with a task. @default - no schedule: scoring runs only as a post-deploy hook */
  readonly schedule?: Schedule;
  /** Run the scoring task after these existing tasks (`DB.SCHEMA.TASK`) instead of on a schedule. @default - none */
  readonly after?: string[];
  /** Alias or version to score with. @default - the aggregator's alias */
  readonly modelVersionOrAlias?: string;
  /** Also score right after each deploy that trains, as a hook step. @default true */
  readonly scoreAfterDeploy?: boolean;
  /** Hook steps the post-deploy scoring waits for. @default - none */
  readonly runAfter?: (string | IHookDependable)[];
  /** Run group shared with the pipeline's training steps (same run id). @default - this construct's path */
  readonly runGroup?: string;
  /** Time limit of the scoring step. @default Duration.hours(1) */
  readonly timeout?: Duration;
}

/**
 * Partitioned batch inference: the aggregator's PREDICT over every partition of the source into a
 * results table (model outputs + RUN_ID, MODEL_VERSION, SCORED_AT), replaced per RUN_ID in one
 * transaction, after deploy and/or on a schedule.
 */
export class BatchScoringJob extends SnowflakeObject implements IHookDependable {
  readonly objectType = 'TABLE';
  protected readonly grantTarget = GrantTarget.SCHEMA_OBJECT;
  readonly qualifiedName: ObjectName;
  readonly resultsTable: Table;
  readonly task?: Task;
  /** The scoring task's name, when it has one (it runs as its owner, the deploy role). */
  readonly taskName?: ObjectName;
  readonly horizon: number;
  readonly hookStepIds: string[] = [];
  private readonly model: ScoringModel;

  constructor(scope: Construct, id: string, props: BatchScoringJobProps) {
    super(scope, id);
    const path = this.node.path;
    const h = props.horizon;
    if (!Number.isInteger(h) || h <= 0 || h > MAX_HORIZON) {
      throw new ValidationError(path, 'horizon', `is ${h}; it must be a whole number of steps from 1 to ${MAX_HORIZON}`, 'Give e.g. 28 for four weeks of daily forecasts');
    }
    this.horizon = h;
    if (props.schedule && props.after && props.after.length > 0) {
      throw new ValidationError(path, 'schedule', 'and after are both set; a Snowflake task runs either on a schedule or after other tasks, not both', 'Keep one of them');
    }
    const after = (props.after ?? []).map((a, i) => validateProp(path, `after[${i}]`, () => ObjectName.parse(a, 3)));
    const schedule = props.schedule && validateProp(path, 'schedule', () => props.schedule!.toTaskSchedule());
    const timeoutSeconds = validateProp(path, 'timeout', () => (props.timeout ?? Duration.hours(1)).toSeconds());
    const resultsName = validateProp(path, 'resultsTableName', () => normalizeIdentifier(props.resultsTableName ?? nameFromPath(this, 'RESULTS'), 'table name'));
    this.qualifiedName = props.schema.qualifiedName.child(resultsName);
    claimName(this, 'resultsTableName', 'TABLE', this.qualifiedName);
    const versionOrAlias = validateProp(path, 'modelVersionOrAlias', () => normalizeIdentifier(props.modelVersionOrAlias ?? props.aggregator.alias, 'version or alias'));

    // Schema contract: every model input besides the key and the step must come from the source.
    const covariates = new Set(props.source.covariateColumns);
    const covariateInputs: string[] = [];
    for (const c of props.aggregator.inputColumns) {
      if (c.name === 'PARTITION_KEY' || c.name === 'STEP') continue;
      if (!covariates.has(c.name)) {
        throw new ValidationError(path, 'aggregator.inputColumns', `require ${c.name}, which source ${props.source.qualifiedName} does not provide`, `Add '${c.name}' to the source's covariateColumns or remove it from the model's inputColumns`);
      }
      covariateInputs.push(c.name);
    }
    const clash = props.aggregator.outputColumns.find((c) => RESULT_META_COLUMNS.some((m) => m.name === c.name));
    if (clash) {
      throw new ValidationError(path, 'aggregator.outputColumns', `include ${clash.name}, which the results table reserves for bookkeeping`, 'Rename that output column');
    }

    this.model = {
      source: props.source.qualifiedName,
      partitionColumn: props.source.partitionColumn,
      covariateInputs,
      model: props.aggregator.modelName,
      modelVersionOrAlias: versionOrAlias,
      results: this.qualifiedName,
      outputColumns: props.aggregator.outputColumns,
      horizon: h,
    };

    checkPreviewFeatures(this);
    this.resultsTable = new Table(this, 'Resource', {
      database: this.qualifiedName.parts[0],
      schema: this.qualifiedName.parts[1],
      name: resultsName,
      comment: `Forecasts of ${props.aggregator.modelName}, keyed by RUN_ID`,
      column: [...props.aggregator.outputColumns, ...RESULT_META_COLUMNS].map((c) => ({ name: c.name, type: c.type, nullable: c.name !== 'RUN_ID' })),
    });

    if (schedule || after.length > 0) {
      const tasks = props.schema.qualifiedName;
      this.taskName = tasks.child(nameFromPath(this, 'TASK'));
      claimName(this, 'the task name (derived from the construct path: change its id)', 'TASK', this.taskName);
      this.task = new Task(this, 'Task', {
        database: tasks.parts[0],
        schema: tasks.parts[1],
        name: this.taskName.name,
        warehouse: props.warehouse.warehouseName,
        started: true,
        schedule,
        after: after.length > 0 ? after.map((a) => a.quoted) : undefined,
        sqlStatement: renderScheduledScoringBody(this.model),
        comment: `Scheduled scoring into ${this.qualifiedName}`,
      });
      dependOn(this.task, this.resultsTable);
    }

    if (props.scoreAfterDeploy ?? true) {
      ensureLedger(this, props.schema);
      const stepId = `${path}/batchScore`;
      const statements = renderBatchScore(this.model);
      Hooks.of(this).addStep({
        id: stepId,
        kind: 'batchScore',
        description: `score ${h} steps per partition of ${props.source.qualifiedName} with ${props.aggregator.modelName}@${versionOrAlias} into ${this.qualifiedName}`,
        dependsOn: resolveDependencies(props.runAfter ?? []),
        runGroup: props.runGroup ?? path,
        statements,
        timeoutSeconds,
        retry: DEFAULT_RETRY,
        triggers: {},
        executeOnChange: true,
      });
      this.hookStepIds.push(stepId);
    }
  }

  protected primaryResource(): TerraformResource {
    return this.resultsTable;
  }

  /** The statements of the post-deploy scoring step. */
  renderStatements(): string[] {
    return renderBatchScore(this.model).map((s) => s.sql);
  }

  /** Grants SELECT on the results table. */
  grantRead(role: IRole): Grant {
    return this.grant(role, 'SELECT');
  }

  /** Grants what the runner needs to replace a run's rows: SELECT, INSERT, DELETE. */
  grantWrite(role: IRole): Grant {
    return this.grant(role, 'SELECT', 'INSERT', 'DELETE');
  }
}
