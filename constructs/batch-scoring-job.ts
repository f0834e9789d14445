import { TerraformResource } from '../lib/engine';
import { Table, Task } from './resources';
import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { Hooks, IHookDependable } from '../lib/hooks/hooks';
import { ObjectName } from '../lib/identifiers';
import { ScoringJobModel, scoringSteps } from '../lib/pipeline/scoring';
import { Schedule } from '../lib/schedule';
import { ColumnSpec, RESULT_META_COLUMNS, ScoringModel, renderBatchScore, renderScheduledScoringBody } from '../lib/sql/scoring';
import { GrantTarget, IRole, ISchema, IWarehouse, SnowflakeObject } from './core';
import { Grant } from './grants';
import { IModelRegistryAggregator } from './model-registry-aggregator';
import { claimName } from './object-names';
import { nameFromPath } from './names';
import { checkPreviewFeatures } from './preview-features';
import { ISourceTable } from './source-table';
import { ensureLedger } from './tables';
import { dependOn } from './depends';
import { MAX_HORIZON, scoringModel } from './scoring-model';

export { MAX_HORIZON };

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
    const m = scoringModel(this, props);
    this.model = m.scoring;
    this.horizon = m.scoring.horizon;
    this.qualifiedName = m.scoring.results;
    claimName(this, 'resultsTableName', 'TABLE', this.qualifiedName);
    checkPreviewFeatures(this);
    this.resultsTable = this.createResultsTable(m);
    if (m.schedule || m.after.length > 0) {
      this.taskName = props.schema.qualifiedName.child(nameFromPath(this, 'TASK'));
      claimName(this, 'the task name (derived from the construct path: change its id)', 'TASK', this.taskName);
      this.task = this.createTask(m, this.taskName, props.warehouse);
    }
    const steps = scoringSteps(m);
    if (steps.length > 0) ensureLedger(this, props.schema);
    for (const step of steps) {
      Hooks.of(this).addStep(step);
      this.hookStepIds.push(step.id);
    }
  }

  /** The results table: the model's outputs and the bookkeeping columns; only RUN_ID is required. */
  private createResultsTable(m: ScoringJobModel): Table {
    const [database, schema] = this.qualifiedName.parts;
    return new Table(this, 'Resource', {
      database,
      schema,
      name: m.resultsName,
      comment: `Forecasts of ${m.scoring.model}, keyed by RUN_ID`,
      column: [...m.scoring.outputColumns, ...RESULT_META_COLUMNS].map((c) => ({ name: c.name, type: c.type, nullable: c.name !== 'RUN_ID' })),
    });
  }

  /** The scheduled scoring task: on a schedule or after other tasks, as its owner (the deploy role). */
  private createTask(m: ScoringJobModel, name: ObjectName, warehouse: IWarehouse): Task {
    const task = new Task(this, 'Task', {
      database: name.parts[0],
      schema: name.parts[1],
      name: name.name,
      warehouse: warehouse.warehouseName,
      started: true,
      schedule: m.schedule,
      after: m.after.length > 0 ? m.after.map((a) => a.quoted) : undefined,
      sqlStatement: renderScheduledScoringBody(m.scoring),
      comment: `Scheduled scoring into ${this.qualifiedName}`,
    });
    dependOn(task, this.resultsTable);
    return task;
  }

  /** The alias or version the job scores with, which its scheduled task records as MODEL_VERSION. */
  get modelVersionOrAlias(): string {
    return this.model.modelVersionOrAlias;
  }

  /** The model the job scores with. */
  get modelName(): ObjectName {
    return this.model.model;
  }

  /** What the job's PREDICT and results table render from (a challenger is scored the same way). */
  get scoringSqlModel(): ScoringModel {
    return this.model;
  }

  /** The model's output columns, which the results table holds before its bookkeeping columns. */
  get outputColumns(): readonly ColumnSpec[] {
    return this.model.outputColumns;
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
