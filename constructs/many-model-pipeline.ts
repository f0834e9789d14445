import { Table } from '@cdktf/provider-snowflake/lib/table';
import { Task } from '@cdktf/provider-snowflake/lib/task';
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { CustomHookOptions, Hooks, IHookDependable } from '../lib/hooks/hooks';
import { DEFAULT_RETRY, HookStatement, HookStepSpec, PassWait, canonicalJson, sha256 } from '../lib/hooks/manifest';
import { ObjectName, UNQUOTED_UPPER_IDENTIFIER, deriveName, normalizeIdentifier } from '../lib/identifiers';
import { MODEL_MOUNT_PATH, WORKER_CONTRACT_VERSION, renderExecuteJobService, renderJobSpec } from '../lib/sql/job-spec';
import { renderDropService } from '../lib/sql/services';
import { renderAbandonChunks, renderEnqueue, renderRequeueOrphaned } from '../lib/sql/queue';
import { renderBuildModelIndex, renderGateQuery, renderPromote, renderRegisterCall } from '../lib/sql/registry';
import { inlineParams, runVar } from '../lib/sql/statement';
import { renderGraphRunQuery } from '../lib/sql/graph-run';
import { ORDERING_TASK_BODY, layoutTaskGraph, renderExecuteTask, renderSlotTaskBody } from '../lib/sql/task-graph';
import {
  METRICS_COLUMNS,
  Pass,
  PassName,
  RUNS_COLUMNS,
  TrainingTablesModel,
  renderAllKeysQuery,
  renderChunkReadStatement,
  renderFailedPartitions,
  renderPendingChunks,
  renderAbandonPasses,
  renderFinishPass,
  renderPassProgress,
  renderRefreshPass,
  renderRefreshStage,
  renderStartPass,
  renderVerifyPass,
  renderWorkerStatements,
  renderWorstKeysQuery,
} from '../lib/sql/training';
import { BatchScoringJob, BatchScoringJobProps } from './batch-scoring-job';
import { IComputePool, INSTANCE_FAMILY_VCPUS } from './compute-pool';
import { Database, IDatabase, IRole, ISchema, IWarehouse, Role, Schema, Warehouse } from './core';
import { GrantOn, grantPrivileges, grantRole } from './grants';
import { IImageRepository, ImageRepository } from './image-repository';
import { ModelRegistryAggregator, ModelRegistryAggregatorProps } from './model-registry-aggregator';
import { nameFromPath } from './names';
import { claimName, nameDerivedFrom } from './object-names';
import { snowflakeProviderOf } from './provider';
import { QueueTable } from './queue-table';
import { ISourceTable } from './source-table';
import { columnTable, ensureLedger } from './tables';
import { Trainer } from './trainer';
import { QueuePass, TasksPass, TrainingStrategy } from './training-strategy';
import { dependOn } from './depends';

/**
 * Scoring settings of a pipeline (its `scoring` prop and `addScoringJob`): the props of
 * `BatchScoringJob` the pipeline does not supply itself (source, aggregator, schema, warehouse,
 * run group and the steps it waits for are the pipeline's).
 */
export interface PipelineScoringOptions extends Pick<BatchScoringJobProps, 'horizon' | 'schedule' | 'resultsTableName' | 'after' | 'modelVersionOrAlias' | 'scoreAfterDeploy' | 'timeout'> {}

/**
 * Registry settings of a pipeline: the props of `ModelRegistryAggregator` except the ones the
 * pipeline supplies (its schema, its metrics table and its stage).
 */
export interface PipelineRegistryOptions extends Omit<ModelRegistryAggregatorProps, 'schema' | 'metricsTableName' | 'stageName'> {}

/** Roles of a pipeline. */
export interface PipelineRoles {
  /**
   * Role the runner and consumer roles are granted to (role hierarchy). The deploy role must hold
   * them: it owns the tasks, and the scheduled scoring task predicts with the model the runner owns.
   * @default - the stack's provider role (the deploy role, imported), else SYSADMIN (imported)
   */
  readonly owner?: IRole;
  /** Role the hooks runner and the workers use. @default - a new role */
  readonly runner?: IRole;
  /** Role that may only call predict. @default - a new role */
  readonly consumer?: IRole;
}

export interface ManyModelPipelineProps {
  /** Database of the pipeline's objects. @default - the database of `schema` (one of the two is required) */
  readonly database?: IDatabase;
  /** Schema of the pipeline's objects. @default - a new managed-access schema named after the pipeline */
  readonly schema?: ISchema;
  /** The series to train on (existing, referenced). */
  readonly source: ISourceTable;
  /** Compute pool running the training job services (may be shared by several pipelines). */
  readonly computePool: IComputePool;
  /** Warehouse for source reads, tasks and scoring. @default - a new X-Small warehouse, auto-suspended after 60 s */
  readonly warehouse?: IWarehouse;
  /**
   * Warehouse the consumer role may use to call predict (USAGE is granted on it). To share the
   * pipeline's own warehouse instead, call `pipeline.warehouse.grantUsage(pipeline.consumerRole)`.
   * @default - none: the consumer role gets no warehouse from the pipeline, so consumers' queries
   * never queue behind training on the pipeline's warehouse; grant it one of your own
   */
  readonly consumerWarehouse?: IWarehouse;
  /** The training container. */
  readonly trainer: Trainer;
  /** How partitions are trained. @default TrainingStrategy.screenThenRefine() */
  readonly training?: TrainingStrategy;
  /** Registry settings. @default - see PipelineRegistryOptions */
  readonly registry?: PipelineRegistryOptions;
  /** Batch scoring. @default - no scoring job */
  readonly scoring?: PipelineScoringOptions;
  /** Roles. @default - see PipelineRoles */
  readonly roles?: PipelineRoles;
  /** Last steps of each series held out to score the model contest. @default 28 */
  readonly holdoutSteps?: number;
  /** Season length in steps (7 for weekly seasonality of daily data). @default 7 */
  readonly seasonPeriod?: number;
  /** Share of partitions allowed to fail before a training step fails, 0-100. @default 0 */
  readonly allowedFailurePercent?: number;
  /** Change to retrain without any other change (a trigger of the training steps). @default - none */
  readonly runVersion?: string;
  /** How long a queue claim lasts without a heartbeat. @default Duration.minutes(10) */
  readonly leaseDuration?: Duration;
  /** Claims per chunk before it is marked FAILED. @default 3 */
  readonly maxAttempts?: number;
  /** Name prefix of the pipeline's objects. @default - derived from the construct path */
  readonly namePrefix?: string;
}

const POLL_SECONDS = 10;

/**
 * The many-model pattern: per-partition training on Snowpark Container Services (task graph,
 * queue, or screen-then-refine), artifacts on a stage, ONE aggregator model version per run,
 * promotion and batch scoring; with least-privilege roles and the post-deploy hook steps that run
 * the work after `cdktf deploy`.
 */
export class ManyModelPipeline extends Construct implements IHookDependable {
  /** The database of the pipeline's objects (`database`, or the database of `schema`). */
  readonly database: IDatabase;
  readonly schema: ISchema;
  readonly warehouse: IWarehouse;
  readonly computePool: IComputePool;
  readonly source: ISourceTable;
  /** The repository of the trainer image (the trainer's `repository`, else imported from the image path). */
  readonly imageRepository: IImageRepository;
  readonly metricsTable: Table;
  readonly runsTable: Table;
  readonly queue: QueueTable;
  readonly aggregator: ModelRegistryAggregator;
  readonly scoring?: BatchScoringJob;
  readonly runnerRole: IRole;
  readonly consumerRole: IRole;
  /** The warehouse granted to the consumer role, when `consumerWarehouse` is set. */
  readonly consumerWarehouse?: IWarehouse;
  /** Root task of the screen pass's task graph, when the strategy uses one. */
  get trainingRootTask(): Task | undefined {
    return this.rootTask;
  }
  private rootTask?: Task;
  /** Ids of this pipeline's hook steps, in order. */
  readonly hookStepIds: string[] = [];
  private readonly prefix: string;
  /** The steps after which the model version of a run is promoted (what scoring waits for). */
  private promotedStepIds: string[] = [];
  private readonly runGroup: string;
  private readonly tables: TrainingTablesModel;
  private readonly triggers: Record<string, string>;
  private readonly allowedFailurePercent: number;
  private readonly worker: WorkerSettings;
  /** The trainer's identity (image and settings): runs are started for it and workers join only its runs. */
  private readonly trainingKey: string;
  /**
   * The job services the runner starts (queue workers), by deterministic name: the runner owns them
   * and may drop them. The screen pass's services are started by its tasks and owned by the task
   * owner, which only a DROP by that owner (or the next run of their slot task) stops.
   */
  private readonly runnerServices: ObjectName[] = [];

  // The constructor reads as the pipeline's outline; each part is a method of its own.
  constructor(scope: Construct, id: string, props: ManyModelPipelineProps) {
    super(scope, id);
    this.runGroup = this.node.path;
    this.prefix = validateProp(this.node.path, 'namePrefix', () => normalizeIdentifier(props.namePrefix ?? nameFromPath(this), 'name prefix'));
    const settings = validateSettings(this.node.path, this.prefix, props);
    this.database = props.database ?? Database.fromName(this, 'Database', props.schema!.databaseName);
    this.attributeDerivedNames(props);
    this.allowedFailurePercent = settings.allowedFailurePercent;
    this.source = props.source;
    this.computePool = props.computePool;
    this.imageRepository = props.trainer.options.repository ?? ImageRepository.fromName(this, 'ImageRepository', props.trainer.repositoryName.toString());
    this.schema = props.schema ?? new Schema(this, 'Schema', { database: this.database, name: this.prefix, comment: 'many-model pipeline objects' });
    this.consumerWarehouse = props.consumerWarehouse;
    // Before anything else reads the names: job service names must be unquoted identifiers.
    this.jobServiceName(`${this.prefix}_SCREEN_W0`);
    this.warehouse = props.warehouse ?? new Warehouse(this, 'Warehouse', { name: `${this.prefix}_WH`, comment: 'many-model pipeline warehouse' });
    // Tables: metrics (one row per partition and pass) and runs (workers find their run here).
    this.metricsTable = columnTable(this, 'MetricsTable', this.schema, `${this.prefix}_TRAINING_METRICS`, METRICS_COLUMNS, 'Per-partition training metrics, one row per run, pass and partition');
    this.runsTable = columnTable(this, 'RunsTable', this.schema, `${this.prefix}_TRAINING_RUNS`, RUNS_COLUMNS, 'Training runs and passes; workers read the active run here');
    this.queue = new QueueTable(this, 'Queue', { schema: this.schema, name: `${this.prefix}_QUEUE`, leaseDuration: props.leaseDuration, maxAttempts: props.maxAttempts });
    this.aggregator = this.createAggregator(props.registry);
    const schemaName = this.schema.qualifiedName;
    this.tables = { metrics: schemaName.child(`${this.prefix}_TRAINING_METRICS`), runs: schemaName.child(`${this.prefix}_TRAINING_RUNS`), stage: this.aggregator.stageName };
    this.worker = { trainer: props.trainer, source: props.source, holdout: settings.holdout, period: settings.period, cpus: workerCpus(props) };
    this.triggers = { image: props.trainer.image, runVersion: props.runVersion ?? '', trainer: trainingInputs(this.worker, settings.strategy) };
    this.trainingKey = sha256(`${props.trainer.image}\n${this.triggers.trainer}`).slice(0, 16);
    // Roles (least privilege), granted to the owner role so it manages what they create.
    this.runnerRole = props.roles?.runner ?? new Role(this, 'RunnerRole', { name: `${this.prefix}_RUNNER`, comment: 'Runs the many-model hooks and training workers' });
    this.consumerRole = props.roles?.consumer ?? new Role(this, 'ConsumerRole', { name: `${this.prefix}_CONSUMER`, comment: 'May call predict on the aggregator model' });
    this.grantRolesTo(props.roles?.owner ?? this.defaultOwnerRole());
    const ledger = ensureLedger(this, this.schema);
    const trained = this.addTraining(settings.strategy);
    this.declareAbandon();
    Hooks.of(this).setRunnerRole(this.runGroup, this.runnerRole.roleName);
    this.promotedStepIds = this.addRegistration(trained);
    if (props.scoring) this.scoring = this.newScoringJob('Scoring', { ...props.scoring, resultsTableName: props.scoring.resultsTableName ?? `${this.prefix}_RESULTS` });
    this.grantRunner(this.database, ledger);
    this.warnOnPoolCapacity(settings.strategy);
  }

  /**
   * The objects this pipeline's children create under names derived from `namePrefix`: a clash
   * over one of them names the pipeline and `namePrefix` (or the prop that set the name), the
   * prop a user changes, rather than the child construct (./object-names.ts).
   */
  private attributeDerivedNames(props: ManyModelPipelineProps): void {
    const p = this.prefix;
    const schema = props.schema?.qualifiedName ?? ObjectName.of(this.database.databaseName, p);
    if (!props.schema) nameDerivedFrom(this, 'namePrefix', 'SCHEMA', schema);
    if (!props.warehouse) nameDerivedFrom(this, 'namePrefix', 'WAREHOUSE', ObjectName.of(`${p}_WH`));
    if (!props.roles?.runner) nameDerivedFrom(this, 'namePrefix', 'ROLE', ObjectName.of(`${p}_RUNNER`));
    if (!props.roles?.consumer) nameDerivedFrom(this, 'namePrefix', 'ROLE', ObjectName.of(`${p}_CONSUMER`));
    const tables = ['TRAINING_METRICS', 'TRAINING_RUNS', 'QUEUE'].map((t) => `${p}_${t}`);
    for (const t of tables) nameDerivedFrom(this, 'namePrefix', 'TABLE', schema.child(t));
    nameDerivedFrom(this, 'namePrefix', 'STAGE', schema.child(`${p}_MODELS`));
    nameDerivedFrom(this, props.registry?.modelName ? 'registry.modelName' : 'namePrefix', 'MODEL', schema.child(props.registry?.modelName ?? `${p}_MODEL`));
    if (props.scoring) {
      const results = props.scoring.resultsTableName ? normalizeIdentifier(props.scoring.resultsTableName) : `${p}_RESULTS`;
      if (tables.includes(results)) {
        throw new ValidationError(this.node.path, 'scoring.resultsTableName', `${results} is the name of this pipeline's ${results.slice(p.length + 1).toLowerCase().replace(/_/g, ' ')} table`, `Choose another name, e.g. '${p}_RESULTS'`);
      }
      nameDerivedFrom(this, props.scoring.resultsTableName ? 'scoring.resultsTableName' : 'namePrefix', 'TABLE', schema.child(results));
    }
  }

  /** Adds a user hook step that runs after this pipeline's steps (shares its run id). */
  addHook(options: CustomHookOptions): string {
    const id = Hooks.of(this).add({ ...options, id: `${this.node.path}/${options.id}`, runAfter: options.runAfter ?? [this], runGroup: this.runGroup });
    // What runs after the pipeline runs after its hooks too.
    this.hookStepIds.push(id);
    return id;
  }

  /**
   * Adds a scoring job that scores with this pipeline's model over its source, into a results
   * table in its schema, on its warehouse, after its training and promotion (one run id with
   * them); the runner may write its results. Results table: `<namePrefix>_<ID>_RESULTS` unless
   * `resultsTableName` says otherwise.
   */
  addScoringJob(id: string, options: PipelineScoringOptions): BatchScoringJob {
    return this.newScoringJob(id, { ...options, resultsTableName: options.resultsTableName ?? `${this.prefix}_${deriveName([id])}_RESULTS` });
  }

  private createAggregator(registry: PipelineRegistryOptions | undefined): ModelRegistryAggregator {
    return new ModelRegistryAggregator(this, 'Aggregator', {
      ...registry,
      schema: this.schema,
      metricsTableName: this.schema.qualifiedName.child(`${this.prefix}_TRAINING_METRICS`).toString(),
      modelName: registry?.modelName ?? `${this.prefix}_MODEL`,
      stageName: `${this.prefix}_MODELS`,
    });
  }

  /**
   * The deploy role (docs/roles.md): the stack's provider `role`, which creates and owns the tasks
   * and so must inherit the runner's and consumer's privileges; SYSADMIN when the provider block
   * names no role (it then comes from SNOWFLAKE_ROLE or the user's default at apply).
   */
  private defaultOwnerRole(): IRole {
    return Role.fromName(this, 'OwnerRole', snowflakeProviderOf(this)?.role ?? 'SYSADMIN');
  }

  private grantRolesTo(owner: IRole): void {
    for (const role of [this.runnerRole, this.consumerRole]) {
      if (role instanceof Role) grantRole(this, role, owner);
    }
  }

  /** The training passes of the strategy, in order; returns the last step's ids. */
  private addTraining(strategy: ResolvedStrategy): string[] {
    let last: string[] = [];
    if (strategy.screen) last = this.addTasksPass(strategy.screen, last);
    if (strategy.queue) last = this.addQueuePass(strategy.screen ? Pass.REFINE : Pass.SCREEN, strategy.queue, last);
    return last;
  }

  /**
   * How the runner abandons an unfinished run (docs/hooks-manifest.md, "Run identity"): its
   * passes stop being RUNNING, its open chunks close, and the queue workers it started are dropped.
   * The screen pass's job services belong to the task owner, which the runner is not (DROP SERVICE
   * needs OWNERSHIP: https://docs.snowflake.com/en/sql-reference/sql/drop-service): with no RUNNING
   * pass and no open chunk they find nothing to claim and end after their empty polls, a fit in
   * progress loses its lease and writes nothing, and the next graph run's slot task drops them first.
   */
  private declareAbandon(): void {
    Hooks.of(this).setAbandon(this.runGroup, [
      { id: 'abandon-passes', sql: renderAbandonPasses(this.tables) },
      { id: 'abandon-chunks', sql: renderAbandonChunks(this.queue.model) },
      ...this.runnerServices.map((name, i) => ({ id: `drop-service-${i}`, sql: renderDropService(name) })),
    ]);
  }

  /** Index, register, promote; returns the promote step's id. */
  private addRegistration(after: string[]): string[] {
    const index = this.step('buildModelIndex', { kind: 'buildModelIndex' }, `write model_index.json for the run from one DIRECTORY(@${this.tables.stage}) query`, after, [
      { id: 'refresh-stage', sql: renderRefreshStage(this.tables.stage) },
      { id: 'copy-index', sql: renderBuildModelIndex(this.tables) },
    ]);
    const register = this.step('registerAggregator', { kind: 'registerAggregator' }, `register ONE version ${this.aggregator.versionPrefix}<run id> of ${this.aggregator.modelName}`, [index], [
      { id: 'call-register', sql: renderRegisterCall(this.aggregator.procedureName, this.aggregator.versionPrefix) },
    ]);
    const { alias, gate } = this.aggregator;
    const promote = renderPromote(this.aggregator.modelName, alias, this.aggregator.versionPrefix);
    const statements = [
      ...(gate.metric !== undefined ? [{ id: 'gate', sql: renderGateQuery(this.tables, gate.metric, gate.threshold!), gateColumn: 'PASSED' }] : []),
      { id: 'unset-alias', sql: promote.unsetAlias, allowError: { messagePattern: 'does not exist|not found|no version', reason: `no version holds ${alias} yet (first promotion)` } },
      { id: 'set-alias', sql: promote.setAlias },
      { id: 'set-default', sql: promote.setDefault },
    ];
    const description = gate.metric !== undefined ? `move ${alias} to the new version if ${gate.metric} <= ${gate.threshold}` : `move ${alias} to the new version (no gate)`;
    return [this.step('promote', { kind: 'promote' }, description, [register], statements)];
  }

  private newScoringJob(id: string, scoring: PipelineScoringOptions): BatchScoringJob {
    const job = new BatchScoringJob(this, id, {
      ...scoring,
      source: this.source,
      aggregator: this.aggregator,
      schema: this.schema,
      warehouse: this.warehouse,
      runAfter: this.promotedStepIds,
      runGroup: this.runGroup,
    });
    this.hookStepIds.push(...job.hookStepIds);
    job.grantWrite(this.runnerRole);
    return job;
  }

  private grantRunner(database: IDatabase, ledger: ReturnType<typeof ensureLedger>): void {
    const runner = this.runnerRole;
    // USAGE on a container is always a grant of its own, so the stack-wide dedupe of
    // SnowflakeObject.grant finds it when the source, the image repository or the ledger share it.
    database.grant(runner, 'USAGE');
    this.schema.grant(runner, 'USAGE');
    this.schema.grant(runner, 'CREATE SERVICE');
    // A ledger placed in a schema of its own (HooksLedger.place) needs USAGE there too.
    ledger.schema.grant(runner, 'USAGE');
    this.warehouse.grantUsage(runner);
    // USAGE to start queue workers on the pool; nothing the runner runs reads the pool's state.
    this.computePool.grantUsage(runner);
    this.source.grantRead(runner);
    // The queue workers are job services the runner starts, from the trainer image.
    this.imageRepository.grantRead(runner);
    // DELETE and UPDATE only where a statement does them: a worker replaces an earlier attempt's
    // metrics rows (renderWorkerStatements: DELETE then INSERT, never UPDATE); the runs table and
    // the ledger are updated in place and never deleted from.
    for (const [table, name, privileges] of [
      [this.metricsTable, this.tables.metrics, ['DELETE', 'INSERT', 'SELECT']],
      [this.runsTable, this.tables.runs, ['INSERT', 'SELECT', 'UPDATE']],
      [ledger.table, ledger.name, ['INSERT', 'SELECT', 'UPDATE']],
    ] as const) {
      grantPrivileges(this, runner, GrantOn.schemaObject('TABLE', name.quoted), privileges, [table]);
    }
    this.queue.grantWorker(runner);
    this.aggregator.grantStageReadWrite(runner);
    this.aggregator.grantRegister(runner);
    this.aggregator.grantPredict(this.consumerRole);
    this.consumerWarehouse?.grantUsage(this.consumerRole);
    if (this.rootTask) this.grantRunnerTaskGraph(this.rootTask);
  }

  /**
   * The caller of EXECUTE TASK needs OWNERSHIP or OPERATE on the task; the global EXECUTE TASK
   * privilege is the task owner's (the deploy role's), which only an account administrator grants
   * (bootstrap does) — https://docs.snowflake.com/en/sql-reference/sql/execute-task
   */
  private grantRunnerTaskGraph(root: Task): void {
    grantPrivileges(this, this.runnerRole, GrantOn.schemaObject('TASK', this.screenRootName().quoted), ['MONITOR', 'OPERATE'], [root]);
    // The job services the slot tasks start are owned by the task owner (the deploy role); the
    // runner watches them with DESCRIBE SERVICE and SHOW SERVICE CONTAINERS IN SERVICE, which
    // need OWNERSHIP or MONITOR. Their names are only created at run time, so a future grant
    // covers them (provider v2.11.0 accepts object_type_plural SERVICES for future grants:
    // pkg/sdk/grants_validations.go, after the GRANT <privileges> page's restrictions).
    const schema = this.schema;
    grantPrivileges(this, this.runnerRole, GrantOn.future('SERVICES', schema.qualifiedName.quoted), ['MONITOR'], schema instanceof Schema ? [schema.resource] : []);
  }

  // Pool capacity is only a warning: an imported pool's size may be unknown or change.
  private warnOnPoolCapacity(strategy: ResolvedStrategy): void {
    const wanted = Math.max(strategy.screen?.slots ?? 0, strategy.queue?.workers ?? 0);
    const cap = this.computePool.maxNodes;
    if (cap !== undefined && wanted > cap) {
      Annotations.of(this).addWarning(`${this.node.path}: training asks for ${wanted} concurrent job services but compute pool ${this.computePool.poolName} has maxNodes ${cap}; jobs will queue for nodes. Raise maxNodes or lower training.slots/workers.`);
    }
  }

  private step(name: string, kindAndWait: KindAndWait, description: string, dependsOn: string[], statements: readonly HookStatement[], extra: Partial<Pick<HookStepSpec, 'timeoutSeconds' | 'allowedFailurePercent'>> = {}): string {
    const id = `${this.node.path}/${name}`;
    Hooks.of(this).addStep({
      id,
      ...kindAndWait,
      description,
      dependsOn,
      runGroup: this.runGroup,
      statements,
      timeoutSeconds: 3600,
      retry: DEFAULT_RETRY,
      triggers: dependsOn.length === 0 ? this.triggers : {},
      executeOnChange: true,
      ...extra,
    });
    this.hookStepIds.push(id);
    return id;
  }

  /**
   * A job service's name in the pipeline's schema. EXECUTE JOB SERVICE's NAME does not support
   * quoted names (https://docs.snowflake.com/en/sql-reference/sql/execute-job-service), so every
   * part must be a plain upper-case identifier; checked here, where the name is formed, so the
   * error names the prop to change.
   */
  private jobServiceName(name: string): ObjectName {
    const full = this.schema.qualifiedName.child(name);
    const [db, schema] = full.parts;
    const plain = (p: string) => UNQUOTED_UPPER_IDENTIFIER.test(p);
    const rule = 'is not an unquoted Snowflake identifier (upper-case letters, digits, _ and $, starting with a letter or _), and the job service names it is part of must be: EXECUTE JOB SERVICE does not support quoted names';
    if (!plain(full.name)) {
      throw new ValidationError(this.node.path, 'namePrefix', `${JSON.stringify(this.prefix)} (in the job service name ${full.name}) ${rule}`, "Give a namePrefix of letters, digits and _, e.g. 'FORECAST'");
    }
    for (const [prop, part] of [['database', db], ['schema', schema]] as const) {
      if (!plain(part)) throw new ValidationError(this.node.path, prop, `${JSON.stringify(part)} (of the job service ${full.parts.join('.')}) ${rule}`, 'Use a database and schema with plain literal names such as ANALYTICS.FORECAST');
    }
    return full;
  }

  /** The screen pass's root task, which the runner EXECUTEs and the runner role may monitor. */
  private screenRootName(): ObjectName {
    return this.schema.qualifiedName.child(`${this.prefix}_SCREEN_ROOT`);
  }

  private addTasksPass(pass: TasksPass, after: string[]): string[] {
    const root = this.screenRootName();
    const rootName = root.name;
    const jobNames = this.createScreenTaskGraph(pass, rootName);
    const start = this.step('screen-start', { kind: 'startPass' }, 'mark the screen pass running and enqueue all partitions in chunks (one statement)', after, [
      { id: 'start-pass', sql: renderStartPass(this.tables, Pass.SCREEN, this.trainingKey) },
      { id: 'enqueue', sql: renderEnqueue(this.queue.model, Pass.SCREEN, pass.chunkSize, { keysQuery: renderAllKeysQuery(sourceOf(this.source)) }) },
    ]);
    const train = this.step(
      'screen-train',
      {
        kind: 'executeTaskGraph',
        wait: {
          rootTask: root.toString(),
          graphRunSql: renderGraphRunQuery(root),
          jobServices: jobNames.map((n) => n.toString()),
          ...this.passWatch(Pass.SCREEN),
          failuresSql: renderFailedPartitions(this.tables, Pass.SCREEN),
          pendingSql: renderPendingChunks(this.queue.qualifiedName, Pass.SCREEN),
          requeueSql: inlineParams(this.queue.statements.requeueExpired, { RUN_ID: runVar('RUN_ID') }),
          failExhaustedSql: inlineParams(this.queue.statements.failExhausted, { RUN_ID: runVar('RUN_ID') }),
          queueTable: this.queue.qualifiedName.toString(),
          pollSeconds: POLL_SECONDS,
        },
      },
      `run task graph ${rootName} (${pass.slots} job services on ${this.computePool.poolName}), wait, verify every chunk's artifacts`,
      [start],
      [
        { id: 'execute-task', sql: renderExecuteTask(root) },
        { id: 'finish-pass', sql: renderFinishPass(this.tables, Pass.SCREEN) },
      ],
      {
        timeoutSeconds: pass.timeoutSeconds,
        allowedFailurePercent: this.allowedFailurePercent,
      },
    );
    return [train];
  }

  /**
   * The screen pass's task graph: a suspended root (the runner EXECUTEs it), fan-out tasks, and
   * one task per slot that runs the slot's job service. Returns the job services' names.
   */
  private createScreenTaskGraph(pass: TasksPass, rootName: string): ObjectName[] {
    const schema = this.schema.qualifiedName;
    const layout = layoutTaskGraph(pass.slots);
    const common = { database: schema.parts[0], schema: schema.parts[1], warehouse: this.warehouse.warehouseName };
    // The root stays suspended (it has no schedule; the runner EXECUTEs it), children are resumed:
    // EXECUTE TASK runs a graph whose root is suspended but skips suspended children.
    const fanOutNames = Array.from({ length: layout.fanOuts }, (_, j) => `${this.prefix}_SCREEN_FAN_${j}`);
    for (const name of [rootName, ...fanOutNames]) claimName(this, 'namePrefix', 'TASK', schema.child(name));
    const root = new Task(this, 'ScreenRootTask', { ...common, name: rootName, started: false, sqlStatement: ORDERING_TASK_BODY, comment: 'Root of the screen training pass (run by the hooks runner)', userTaskTimeoutMs: pass.timeoutSeconds * 1000 });
    this.rootTask = root;
    const fanOuts = fanOutNames.map((name, j) => new Task(this, `ScreenFanOut${j}`, { ...common, name, started: true, after: [schema.child(rootName).quoted], sqlStatement: ORDERING_TASK_BODY }));
    const jobNames: ObjectName[] = [];
    for (let k = 0; k < pass.slots; k++) {
      const p = layout.parentOfSlot[k];
      jobNames.push(this.createScreenSlotTask(pass, k, common, p < 0 ? root : fanOuts[p], p < 0 ? rootName : fanOutNames[p]));
    }
    for (const f of fanOuts) dependOn(f, root);
    this.node.addValidation({ validate: () => (layout.totalTasks > 1000 ? [`${this.node.path}: the screen task graph has ${layout.totalTasks} tasks, over Snowflake's 1000-task limit. Lower training.slots.`] : []) });
    return jobNames;
  }

  private createScreenSlotTask(pass: TasksPass, k: number, common: { database: string; schema: string; warehouse: string }, parent: Task, parentName: string): ObjectName {
    const schema = this.schema.qualifiedName;
    const jobName = this.jobServiceName(`${this.prefix}_SCREEN_W${k}`);
    const execute = renderExecuteJobService({
      computePool: this.computePool.qualifiedName,
      name: jobName,
      warehouse: this.warehouse.qualifiedName,
      spec: this.workerSpec({ pass: Pass.SCREEN, mode: 'tasks', modelSet: pass.modelSet, slot: k, slots: pass.slots, budgetSeconds: pass.timeoutSeconds, chunkSize: pass.chunkSize }),
      async: false,
    });
    // A finished job service keeps its name until dropped; the body drops the previous run's first.
    const body = renderSlotTaskBody(jobName, execute);
    claimName(this, 'namePrefix', 'TASK', schema.child(`${this.prefix}_SCREEN_SLOT_${k}`));
    const task = new Task(this, `ScreenWorkerTask${k}`, { ...common, name: `${this.prefix}_SCREEN_SLOT_${k}`, started: true, after: [schema.child(parentName).quoted], sqlStatement: body, userTaskTimeoutMs: pass.timeoutSeconds * 1000 });
    dependOn(task, parent);
    return jobName;
  }

  private addQueuePass(pass: PassName, q: QueuePass, after: string[]): string[] {
    const keysQuery = q.topPercent !== undefined ? renderWorstKeysQuery(this.tables, q.topPercent) : renderAllKeysQuery(sourceOf(this.source));
    const start = this.step(`${pass}-start`, { kind: 'startPass' }, q.topPercent !== undefined ? `mark the ${pass} pass running and enqueue the worst ${q.topPercent} % of partitions (plus failed ones)` : `mark the ${pass} pass running and enqueue all partitions`, after, [
      { id: 'start-pass', sql: renderStartPass(this.tables, pass, this.trainingKey) },
      { id: 'enqueue', sql: renderEnqueue(this.queue.model, pass, q.chunkSize, { keysQuery }) },
    ]);
    const jobNames = Array.from({ length: q.workers }, (_, k) => this.jobServiceName(`${this.prefix}_${pass.toUpperCase()}_W${k}`));
    this.runnerServices.push(...jobNames);
    const workers = this.step(
      `${pass}-workers`,
      { kind: 'runWorkers', wait: { jobServices: jobNames.map((n) => n.toString()), pollSeconds: POLL_SECONDS } },
      `start ${q.workers} queue workers on ${this.computePool.poolName} (re-attached by name when already running)`,
      [start],
      jobNames.map((name, k) => ({
        id: `start-worker-${k}`,
        sql: renderExecuteJobService({ computePool: this.computePool.qualifiedName, name, warehouse: this.warehouse.qualifiedName, spec: this.workerSpec({ pass, mode: 'queue', modelSet: q.modelSet, slot: k, slots: q.workers, budgetSeconds: q.budgetSeconds, chunkSize: q.chunkSize }), async: true }),
      })),
    );
    const statements = this.queue.statements;
    const wait = this.step(
      `${pass}-wait`,
      {
        kind: 'waitQueue',
        wait: {
          jobServices: jobNames.map((n) => n.toString()),
          ...this.passWatch(pass),
          failuresSql: renderFailedPartitions(this.tables, pass),
          queueTable: this.queue.qualifiedName.toString(),
          requeueSql: inlineParams(statements.requeueExpired, { RUN_ID: runVar('RUN_ID') }),
          failExhaustedSql: inlineParams(statements.failExhausted, { RUN_ID: runVar('RUN_ID') }),
          pollSeconds: POLL_SECONDS,
          budgetSeconds: q.budgetSeconds,
        },
      },
      `wait until the ${pass} queue is drained or its ${q.budgetSeconds}s budget ends; re-queue expired leases`,
      [workers],
      [{ id: 'finish-pass', sql: renderFinishPass(this.tables, pass) }],
      {
        timeoutSeconds: q.budgetSeconds + 600,
        allowedFailurePercent: this.allowedFailurePercent,
      },
    );
    return [wait];
  }

  /**
   * How the runner follows a training pass: it polls chunk states and metrics (never the stage),
   * and once the pass has ended refreshes the stage's directory table under the pass's artifacts
   * and verifies them (the runner role's WRITE on the stage allows the refresh).
   */
  private passWatch(pass: PassName): Pick<PassWait, 'progressSql' | 'refreshSql' | 'verifySql' | 'requeueOrphanedSql'> {
    return {
      progressSql: renderPassProgress(this.tables, this.queue.qualifiedName, pass),
      // Run only when none of the pass's job services runs: every claim left is a dead worker's.
      requeueOrphanedSql: renderRequeueOrphaned(this.queue.model, pass),
      refreshSql: renderRefreshPass(this.tables.stage, pass),
      verifySql: renderVerifyPass(this.tables, this.queue.qualifiedName, pass),
    };
  }

  /** The job spec of one worker: the trainer's container with the slot's environment. */
  private workerSpec(slot: WorkerSlot): string {
    const { trainer } = this.worker;
    return renderJobSpec({
      image: trainer.image,
      command: trainer.options.command,
      args: trainer.options.args,
      stage: this.tables.stage,
      env: this.workerEnv(slot),
      resources: { cpu: trainer.options.cpu, memory: trainer.options.memory },
    });
  }

  /** The worker contract's environment (docs/worker-contract.md), the trainer's own first. */
  private workerEnv(s: WorkerSlot): Record<string, string> {
    const { trainer, source } = this.worker;
    return {
      ...(trainer.options.environment ?? {}),
      MM_CONTRACT_VERSION: WORKER_CONTRACT_VERSION,
      MM_MODE: s.mode,
      MM_PASS: s.pass,
      MM_MODEL_SET: s.modelSet,
      MM_TRAINER_IMAGE: trainer.image,
      MM_TRAINING_KEY: this.trainingKey,
      MM_SLOT: String(s.slot),
      MM_SLOTS: String(s.slots),
      MM_CHUNK_SIZE: String(s.chunkSize),
      MM_QUEUE_TABLE: this.queue.qualifiedName.toString(),
      MM_RUNS_TABLE: this.tables.runs.toString(),
      MM_METRICS_TABLE: this.tables.metrics.toString(),
      MM_STAGE: this.tables.stage.toString(),
      MM_MODEL_DIR: MODEL_MOUNT_PATH,
      MM_ARTIFACT_EXT: trainer.artifactExtension,
      MM_SOURCE_TABLE: source.qualifiedName.toString(),
      MM_SOURCE_QUERY: renderChunkReadStatement(sourceOf(source)).sql,
      MM_LEASE_SECONDS: String(this.queue.leaseSeconds),
      MM_MAX_ATTEMPTS: String(this.queue.maxAttempts),
      MM_TIME_BUDGET_SECONDS: String(s.budgetSeconds),
      MM_EMPTY_POLLS: '3',
      MM_HOLDOUT: String(this.worker.holdout),
      MM_SEASON_PERIOD: String(this.worker.period),
      MM_WAREHOUSE: this.warehouse.warehouseName,
      MM_WORKER_CPUS: this.worker.cpus,
    };
  }

  /** Statements the workers issue (for docs/worker-contract.md and tests). */
  workerStatements(): ReturnType<typeof renderWorkerStatements> {
    return renderWorkerStatements(this.tables);
  }
}

type ResolvedStrategy = ReturnType<TrainingStrategy['resolve']>;

/** A step's kind with the wait that kind has. */
type KindAndWait = HookStepSpec extends infer S ? (S extends HookStepSpec ? Pick<S, 'kind' | 'wait'> : never) : never;

/** What every worker of the pipeline shares. */
interface WorkerSettings {
  readonly trainer: Trainer;
  readonly source: ISourceTable;
  readonly holdout: number;
  readonly period: number;
  /** MM_WORKER_CPUS: the trainer's CPU request, else the pool's instance size. */
  readonly cpus: string;
}

/** One job service's place in a pass. */
interface WorkerSlot {
  readonly pass: PassName;
  readonly mode: 'tasks' | 'queue';
  readonly modelSet: string;
  readonly slot: number;
  readonly slots: number;
  readonly budgetSeconds: number;
  readonly chunkSize: number;
}

/** The props checked at construction, with their defaults applied. */
function validateSettings(path: string, prefix: string, props: ManyModelPipelineProps): { strategy: ResolvedStrategy; holdout: number; period: number; allowedFailurePercent: number } {
  if (prefix.length > 150) {
    throw new ValidationError(path, 'namePrefix', `${prefix} is ${prefix.length} characters; derived names add up to 40 more and must stay under 255`, 'Give a shorter namePrefix');
  }
  validateProp(path, 'trainer', () => props.trainer.validate());
  // Checked here, not only by the Queue and Scoring parts, so the error names the pipeline's own prop.
  validateProp(path, 'leaseDuration', () => props.leaseDuration?.validate());
  validateProp(path, 'scoring.schedule', () => props.scoring?.schedule?.validate());
  const strategy = (props.training ?? TrainingStrategy.screenThenRefine()).resolve(path);
  const holdout = wholeNumber(path, 'holdoutSteps', props.holdoutSteps ?? 28, 1, 3660);
  const period = wholeNumber(path, 'seasonPeriod', props.seasonPeriod ?? 7, 1, 366);
  const allowedFailurePercent = props.allowedFailurePercent ?? 0;
  if (!(allowedFailurePercent >= 0 && allowedFailurePercent <= 100)) {
    throw new ValidationError(path, 'allowedFailurePercent', `is ${allowedFailurePercent}; it must be from 0 to 100`, 'Use 0 to fail on any failed partition, or e.g. 2');
  }
  if (props.runVersion !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(props.runVersion)) {
    throw new ValidationError(path, 'runVersion', `${JSON.stringify(props.runVersion)} must be 1-64 letters, digits, . _ or -`, "Use e.g. '2026-11-23' or 'v2'");
  }
  if (!props.database && !props.schema) {
    throw new ValidationError(path, 'database', 'is required when schema is not given', 'Pass database (the pipeline creates its schema there) or schema');
  }
  if (props.schema && props.database && props.schema.databaseName !== props.database.databaseName) {
    throw new ValidationError(path, 'schema', `is in database ${props.schema.databaseName}, not in ${props.database.databaseName}`, 'Pass a schema of the pipeline database, or leave schema unset');
  }
  return { strategy, holdout, period, allowedFailurePercent };
}

/**
 * A digest of what decides the models a run trains besides the image: the trainer's command and
 * environment, the model sets, holdout, season and the source columns. It is a trigger of the
 * first training step, so changing any of them starts a new run instead of mixing models trained
 * under both settings into one. Placement (slots, workers, chunk size, budgets) is left out.
 */
function trainingInputs(w: WorkerSettings, strategy: ResolvedStrategy): string {
  const { command, args, environment } = w.trainer.options;
  return sha256(
    canonicalJson({
      command: command ?? null,
      args: args ?? null,
      environment: environment ?? {},
      artifactExtension: w.trainer.artifactExtension,
      holdout: w.holdout,
      period: w.period,
      source: { ...sourceOf(w.source), table: w.source.qualifiedName.toString() },
      modelSets: [strategy.screen?.modelSet ?? null, strategy.queue?.modelSet ?? null],
    }),
  ).slice(0, 16);
}

function workerCpus(props: ManyModelPipelineProps): string {
  const family = props.computePool.instanceFamily;
  return String(props.trainer.options.cpu ?? (family ? INSTANCE_FAMILY_VCPUS[family] : 1));
}

function sourceOf(s: ISourceTable) {
  return { table: s.qualifiedName, partitionColumn: s.partitionColumn, orderColumn: s.orderColumn, targetColumn: s.targetColumn, covariateColumns: s.covariateColumns };
}

function wholeNumber(path: string, prop: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new ValidationError(path, prop, `is ${v}; it must be a whole number from ${min} to ${max}`, `Set ${prop} within ${min}..${max}`);
  return v;
}

