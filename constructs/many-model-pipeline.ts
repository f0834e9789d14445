import { RetrainLoop } from './retrain-loop';
import { VersionMonitor } from './version-monitor';
import { ChallengerGate, challengerModel } from './challenger-gate';
import { ChallengerSqlModel, renderChallengeOpening } from '../lib/sql/challenger';
import { Annotations } from '../lib/engine';
import { Table, Task } from './resources';
import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError } from '../lib/errors';
import { CustomHookOptions, Hooks, IHookDependable } from '../lib/hooks/hooks';
import { HookStepSpec } from '../lib/hooks/manifest';
import { ObjectName, deriveName, normalizeIdentifier } from '../lib/identifiers';
import { ModelSet, PipelineModel, TasksPassModel } from '../lib/pipeline/model';
import { pipelineAbandon, pipelineSteps, promoteStepId } from '../lib/pipeline/steps';
import { renderStartWorker } from '../lib/pipeline/workers';
import { ORDERING_TASK_BODY, layoutTaskGraph, renderSlotTaskBody } from '../lib/sql/task-graph';
import { METRICS_COLUMNS, RUNS_COLUMNS, renderWorkerStatements } from '../lib/sql/training';
import { FITS_COLUMNS } from '../lib/sql/warehouse';
import { BatchScoringJob, BatchScoringJobProps } from './batch-scoring-job';
import { IComputePool } from './compute-pool';
import { Database, IDatabase, IRole, ISchema, IWarehouse, Role, Schema, Warehouse } from './core';
import { GrantOn, grantPrivileges, grantRole } from './grants';
import { IImageRepository, ImageRepository } from './image-repository';
import { ModelRegistryAggregator, ModelRegistryAggregatorProps } from './model-registry-aggregator';
import { nameDerivedFrom, claimName } from './object-names';
import { MonitoringOptions, PipelineMonitor } from './pipeline-monitor';
import { PIPELINE_CHILD_IDS, pipelineModel } from './pipeline-model';
import { snowflakeProviderOf } from './provider';
import { QueueTable } from './queue-table';
import { ISourceTable } from './source-table';
import { columnTable, ensureLedger } from './tables';
import { Trainer } from './trainer';
import { TrainingStrategy } from './training-strategy';
import { dependOn } from './depends';

/**
 * Scoring settings of a pipeline (its `scoring` prop and `addScoringJob`): the props of
 * `BatchScoringJob` the pipeline does not supply itself (source, aggregator, schema, warehouse,
 * run group and the steps it waits for are the pipeline's).
 */
export interface PipelineScoringOptions
  extends Pick<BatchScoringJobProps, 'horizon' | 'schedule' | 'resultsTableName' | 'after' | 'modelVersionOrAlias' | 'scoreAfterDeploy' | 'timeout'> {}

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
  /**
   * Compute pool running the training job services (may be shared by several pipelines).
   * @default - none; required unless the training strategy is TrainingStrategy.warehouse()
   */
  readonly computePool?: IComputePool;
  /** Warehouse for source reads, tasks and scoring. @default - a new X-Small warehouse, auto-suspended after 60 s */
  readonly warehouse?: IWarehouse;
  /**
   * Warehouse the consumer role may use to call predict (USAGE is granted on it). To share the
   * pipeline's own warehouse instead, call `pipeline.warehouse.grantUsage(pipeline.consumerRole)`.
   * @default - none: the consumer role gets no warehouse from the pipeline, so consumers' queries
   * never queue behind training on the pipeline's warehouse; grant it one of your own
   */
  readonly consumerWarehouse?: IWarehouse;
  /**
   * The training container.
   * @default - none; required unless the training strategy is TrainingStrategy.warehouse(), which trains with the built-in forecasting core
   */
  readonly trainer?: Trainer;
  /** How partitions are trained. @default TrainingStrategy.screenThenRefine() */
  readonly training?: TrainingStrategy;
  /** Registry settings. @default - see PipelineRegistryOptions */
  readonly registry?: PipelineRegistryOptions;
  /** Batch scoring. @default - no scoring job */
  readonly scoring?: PipelineScoringOptions;
  /** Roles. @default - see PipelineRoles */
  readonly roles?: PipelineRoles;
  /**
   * Last steps of each series held out to score the model contest.
   * @default - 28 (four weeks of daily data); the reference worker uses each series' own
   * frequency's instead: 13 weeks, 18 months, 8 quarters, 6 years
   */
  readonly holdoutSteps?: number;
  /**
   * Season length in steps (7 for weekly seasonality of daily data, 12 for yearly seasonality of
   * monthly data).
   * @default - 7 (a week of daily data); the reference worker uses each series' own frequency's
   * instead, read from its dates: 52 for weekly, 12 monthly, 4 quarterly, none for annual series
   */
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

/**
 * The many-model pattern: per-partition training on Snowpark Container Services (task graph,
 * queue, or screen-then-refine), artifacts on a stage, ONE aggregator model version per run,
 * promotion and batch scoring; with least-privilege roles and the post-deploy hook steps that run
 * the work after `cdktf deploy`.
 *
 * Props become a validated model (constructs/pipeline-model.ts); the construct creates its
 * resources from the model and registers the steps `pipelineSteps(model)` renders from it
 * (lib/pipeline/steps.ts).
 */
export class ManyModelPipeline extends Construct implements IHookDependable {
  /** The database of the pipeline's objects (`database`, or the database of `schema`). */
  readonly database: IDatabase;
  readonly schema: ISchema;
  readonly warehouse: IWarehouse;
  /** The compute pool of the training job services; undefined when every pass runs in the warehouse. */
  readonly computePool?: IComputePool;
  readonly source: ISourceTable;
  /** The repository of the trainer image (the trainer's `repository`, else imported from the image path); undefined without a trainer. */
  readonly imageRepository?: IImageRepository;
  readonly metricsTable: Table;
  readonly runsTable: Table;
  /** The work queue (a hybrid table); undefined when no pass runs on the queue or a task graph. */
  readonly queue?: QueueTable;
  /** The fits tables of the passes that run in the warehouse (TrainingStrategy.warehouse), by pass. */
  readonly fitsTables: Readonly<Record<string, Table>> = {};
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
  /** The props, checked and with their defaults: what the resources are named after and the steps rendered from. */
  private readonly model: PipelineModel;
  /** The steps of `pipelineSteps(model)`, as registered. */
  private readonly steps: HookStepSpec[] = [];

  // The constructor reads as the pipeline's outline; each part is a method of its own.
  constructor(scope: Construct, id: string, props: ManyModelPipelineProps) {
    super(scope, id);
    const model = pipelineModel(this, props);
    this.model = model;
    const p = model.namePrefix;
    this.database = props.database ?? Database.fromName(this, 'Database', model.schema.parts[0]);
    this.attributeDerivedNames(props);
    this.source = props.source;
    this.computePool = props.computePool;
    const trainer = props.trainer;
    this.imageRepository = trainer
      ? (trainer.options.repository ?? ImageRepository.fromName(this, 'ImageRepository', trainer.repositoryName.toString()))
      : undefined;
    this.schema = props.schema ?? new Schema(this, 'Schema', { database: this.database, name: model.schema.name, comment: 'many-model pipeline objects' });
    this.consumerWarehouse = props.consumerWarehouse;
    this.warehouse = props.warehouse ?? new Warehouse(this, 'Warehouse', { name: model.warehouse.name, comment: 'many-model pipeline warehouse' });
    // Tables: metrics (one row per partition and pass) and runs (workers find their run here).
    this.metricsTable = columnTable(
      this,
      'MetricsTable',
      this.schema,
      model.tables.metrics.name,
      METRICS_COLUMNS,
      'Per-partition training metrics, one row per run, pass and partition',
    );
    this.runsTable = columnTable(
      this,
      'RunsTable',
      this.schema,
      model.tables.runs.name,
      RUNS_COLUMNS,
      'Training runs and passes; workers read the active run here',
    );
    // A hybrid table only where a pass claims chunks from it: none for passes in the warehouse.
    if (model.passes.some((pass) => pass.mode !== 'warehouse')) {
      this.queue = new QueueTable(this, PIPELINE_CHILD_IDS.queue, {
        schema: this.schema,
        name: model.queue.table.name,
        leaseDuration: props.leaseDuration,
        maxAttempts: props.maxAttempts,
      });
    }
    for (const pass of model.passes) {
      if (pass.mode !== 'warehouse') continue;
      const fits = columnTable(
        this,
        `${pass.pass === 'screen' ? 'Screen' : 'Refine'}FitsTable`,
        this.schema,
        pass.fits.name,
        FITS_COLUMNS,
        "Per-partition fits of a training pass in the warehouse (the UDTF's rows), one row per run, pass and partition",
      );
      (this.fitsTables as Record<string, Table>)[pass.pass] = fits;
    }
    this.aggregator = this.createAggregator(props.registry);
    // Roles (least privilege), granted to the owner role so it manages what they create.
    this.runnerRole = props.roles?.runner ?? new Role(this, 'RunnerRole', { name: `${p}_RUNNER`, comment: 'Runs the many-model hooks and training workers' });
    this.consumerRole = props.roles?.consumer ?? new Role(this, 'ConsumerRole', { name: `${p}_CONSUMER`, comment: 'May call predict on the aggregator model' });
    const owner = props.roles?.owner ?? this.defaultOwnerRole();
    this.grantRolesTo(owner);
    // An inference service of the aggregator (addInferenceService) follows this pipeline's promotion.
    this.aggregator.bindPipeline({
      promoteStepId: promoteStepId(model),
      runGroup: model.path,
      runnerRole: this.runnerRole,
      ownerRole: owner,
      addStepIds: (ids) => this.hookStepIds.push(...ids),
      onServed: (method) => this.registerServedMethod(method),
    });
    const ledger = ensureLedger(this, this.schema);
    for (const pass of model.passes) if (pass.mode === 'tasks') this.rootTask = this.createTaskGraph(pass);
    this.registerSteps();
    if (props.scoring) this.scoring = this.newScoringJob('Scoring', { ...props.scoring, resultsTableName: props.scoring.resultsTableName ?? `${p}_RESULTS` });
    this.grantRunner(this.database, ledger);
    this.warnOnPoolCapacity();
  }

  /**
   * The objects this pipeline's children create under names derived from `namePrefix`: a clash
   * over one of them names the pipeline and `namePrefix` (or the prop that set the name), the
   * prop a user changes, rather than the child construct (./object-names.ts).
   */
  private attributeDerivedNames(props: ManyModelPipelineProps): void {
    const { namePrefix: p, schema, tables, queue, registry } = this.model;
    if (!props.schema) nameDerivedFrom(this, 'namePrefix', 'SCHEMA', schema);
    if (!props.warehouse) nameDerivedFrom(this, 'namePrefix', 'WAREHOUSE', this.model.warehouse);
    if (!props.roles?.runner) nameDerivedFrom(this, 'namePrefix', 'ROLE', ObjectName.of(`${p}_RUNNER`));
    if (!props.roles?.consumer) nameDerivedFrom(this, 'namePrefix', 'ROLE', ObjectName.of(`${p}_CONSUMER`));
    const fits = this.model.passes.flatMap((pass) => (pass.mode === 'warehouse' ? [pass.fits] : []));
    const ownTables = [tables.metrics, tables.runs, queue.table, ...fits];
    for (const t of ownTables) nameDerivedFrom(this, 'namePrefix', 'TABLE', t);
    nameDerivedFrom(this, 'namePrefix', 'STAGE', tables.stage);
    nameDerivedFrom(this, props.registry?.modelName ? 'registry.modelName' : 'namePrefix', 'MODEL', registry.model);
    if (props.scoring) {
      const results = props.scoring.resultsTableName ? normalizeIdentifier(props.scoring.resultsTableName) : `${p}_RESULTS`;
      if (ownTables.some((t) => t.name === results)) {
        throw new ValidationError(
          this.node.path,
          'scoring.resultsTableName',
          `${results} is the name of this pipeline's ${results
            .slice(p.length + 1)
            .toLowerCase()
            .replace(/_/g, ' ')} table`,
          `Choose another name, e.g. '${p}_RESULTS'`,
        );
      }
      nameDerivedFrom(this, props.scoring.resultsTableName ? 'scoring.resultsTableName' : 'namePrefix', 'TABLE', schema.child(results));
    }
  }

  /** Adds a user hook step that runs after this pipeline's steps (shares its run id). */
  addHook(options: CustomHookOptions): string {
    const id = Hooks.of(this).add({ ...options, id: `${this.node.path}/${options.id}`, runAfter: options.runAfter ?? [this], runGroup: this.model.path });
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
    return this.newScoringJob(id, { ...options, resultsTableName: options.resultsTableName ?? `${this.model.namePrefix}_${deriveName([id])}_RESULTS` });
  }

  /**
   * Adds monitoring of this pipeline's scoring job (`scoring`): a scheduled task inside Snowflake
   * that writes realized accuracy per partition and version, and drift per partition, into two
   * tables its consumer role (or `readers`) may read; the runner role may run it on demand
   * (`EXECUTE TASK`). See docs/constructs.md, "Monitoring".
   */
  addMonitoring(options: MonitoringOptions = {}): PipelineMonitor {
    if (!this.scoring) {
      throw new ValidationError(
        this.node.path,
        'scoring',
        "is not set, and monitoring compares the scoring job's forecasts with the actuals",
        'Set scoring: { horizon: 28 } on the pipeline before calling addMonitoring()',
      );
    }
    if (this.node.tryFindChild('Monitoring')) {
      throw new ValidationError(
        this.node.path,
        'addMonitoring',
        'was called twice; a pipeline has one monitor',
        'Call addMonitoring() once with all its options',
      );
    }
    // The pipeline's derived names are attributed to its namePrefix (./object-names.ts), so a clash
    // with one of them is reported here, naming the monitor's prop the user wrote.
    const { tables, queue } = this.model;
    const own: [string, ObjectName][] = [
      ['metrics', tables.metrics],
      ['runs', tables.runs],
      ['queue', queue.table],
      ['results', this.scoring.qualifiedName],
    ];
    for (const prop of ['accuracyTableName', 'driftTableName'] as const) {
      const given = options[prop];
      const clash = given !== undefined && own.find(([, n]) => n.name === given.toUpperCase());
      if (clash)
        throw new ValidationError(
          `${this.node.path}/Monitoring`,
          prop,
          `is ${clash[1].name}, the name of this pipeline's ${clash[0]} table`,
          `Choose another name, e.g. '${this.model.namePrefix}_${prop === 'accuracyTableName' ? 'ACCURACY' : 'DRIFT'}'`,
        );
    }
    const monitor = new PipelineMonitor(this, 'Monitoring', {
      ...options,
      readers: options.readers ?? [this.consumerRole],
      source: this.source,
      scoringJob: this.scoring,
      schema: this.schema,
      warehouse: this.warehouse,
      operator: this.runnerRole,
    });
    // `many-model report` finds the monitor's tables and the pipeline's model in hooks.json.
    const m = monitor.sqlModel;
    const { registry } = this.model;
    const challenge = options.challenger && this.challengerModel(monitor, options);
    // Only when asked: a monitor without `retrain` synthesizes as before.
    if (options.retrain) {
      this.retrainLoop = new RetrainLoop(monitor, 'Retrain', {
        ...options.retrain,
        pipeline: this.model,
        monitoring: monitor.sqlModel,
        monitorTask: monitor.task,
        monitorTaskName: monitor.taskName,
        ...(challenge ? { challenge: renderChallengeOpening(challenge) } : {}),
      });
    }
    if (challenge && this.retrainLoop) {
      this.challengerGate = new ChallengerGate(monitor, 'Challenger', {
        model: challenge,
        schema: this.schema,
        warehouse: this.model.warehouse,
        after: this.retrainLoop.finishTask,
        afterName: this.retrainLoop.finishTaskName,
        readers: options.readers ?? [this.consumerRole],
      });
    }
    Hooks.of(this).addMonitor({
      path: monitor.node.path,
      accuracyTable: String(m.accuracy),
      driftTable: String(m.drift),
      resultsTable: String(m.results),
      hasInterval: m.hasInterval,
      source: {
        table: String(m.source.table),
        partitionColumn: m.source.partitionColumn,
        orderColumn: m.source.orderColumn,
        targetColumn: m.source.targetColumn,
      },
      windowDays: m.windowDays,
      smapeAbove: m.degradedWhen.smapeAbove,
      metricsTable: String(this.model.tables.metrics),
      queueTable: String(this.model.queue.table),
      model: String(registry.model),
      alias: registry.alias,
      versionPrefix: registry.versionPrefix,
      ...(challenge
        ? {
            challenger: {
              challengesTable: String(challenge.challenges),
              partitionsTable: String(challenge.partitions),
              alias: challenge.challengerAlias,
              windowDays: challenge.windowDays,
            },
          }
        : {}),
    });
    if (options.modelMonitor) {
      this.versionMonitor = new VersionMonitor(monitor, 'VersionMonitor', {
        ...options.modelMonitor,
        aggregator: this.aggregator,
        scoringJob: this.scoring,
        source: monitor.sqlModel.source,
        pipelineWarehouse: this.warehouse,
      });
    }
    return monitor;
  }

  /** The closed loop's tasks, when addMonitoring({ retrain }) was called. */
  retrainLoop?: RetrainLoop;

  /** The model monitor that follows the promoted version, when addMonitoring({ modelMonitor }) was called. */
  versionMonitor?: VersionMonitor;

  /** The champion/challenger tables and tasks, when addMonitoring({ challenger }) was called. */
  challengerGate?: ChallengerGate;

  /** The challenger's model (constructs/challenger-gate.ts), checked against what the pipeline and its monitor name. */
  private challengerModel(monitor: PipelineMonitor, options: MonitoringOptions): ChallengerSqlModel {
    if (!options.retrain) {
      throw new ValidationError(
        monitor.node.path,
        'challenger',
        'challenges the versions the closed loop trains, and retrain is not set',
        'Set retrain: {} beside challenger (a deploy still promotes its own version through the gate)',
      );
    }
    const { tables, queue } = this.model;
    const m = monitor.sqlModel;
    const taken: [string, ObjectName][] = [
      ['metrics', tables.metrics],
      ['runs', tables.runs],
      ['queue', queue.table],
      ['results', m.results],
      ['accuracy', m.accuracy],
      ['drift', m.drift],
    ];
    return challengerModel(monitor, options.challenger!, { pipeline: this.model, monitoring: m, scoring: this.scoring!.scoringSqlModel, taken });
  }

  /** The monitor addMonitoring() added, if any. */
  get monitor(): PipelineMonitor | undefined {
    return this.node.tryFindChild('Monitoring') as PipelineMonitor | undefined;
  }

  private createAggregator(registry: PipelineRegistryOptions | undefined): ModelRegistryAggregator {
    const { tables } = this.model;
    return new ModelRegistryAggregator(this, PIPELINE_CHILD_IDS.aggregator, {
      ...registry,
      schema: this.schema,
      metricsTableName: tables.metrics.toString(),
      modelName: this.model.registry.model.name,
      stageName: tables.stage.name,
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

  /**
   * A service serves the aggregator's versions: they must be registered with its online method, so
   * the registration step's triggers say so. A version already promoted lacks the method, and
   * registration happens once per run: the changed fingerprint starts a new run, which trains and
   * registers a version the service can serve (docs/serving.md).
   */
  private registerServedMethod(method: string): void {
    const register = this.steps.find((s) => s.kind === 'registerAggregator');
    if (register) (register as { triggers: Record<string, string> }).triggers = { ...register.triggers, servedMethod: method };
  }

  /** Registers the model's steps, how the runner abandons a run of them, and the role they run as. */
  private registerSteps(): void {
    const hooks = Hooks.of(this);
    for (const step of pipelineSteps(this.model)) {
      hooks.addStep(step);
      this.steps.push(step);
      this.hookStepIds.push(step.id);
    }
    hooks.setAbandon(this.model.path, pipelineAbandon(this.model));
    hooks.setRunnerRole(this.model.path, this.runnerRole.roleName);
  }

  private newScoringJob(id: string, scoring: PipelineScoringOptions): BatchScoringJob {
    const job = new BatchScoringJob(this, id, {
      ...scoring,
      source: this.source,
      aggregator: this.aggregator,
      schema: this.schema,
      warehouse: this.warehouse,
      runAfter: [promoteStepId(this.model)],
      runGroup: this.model.path,
    });
    this.hookStepIds.push(...job.hookStepIds);
    job.grantWrite(this.runnerRole);
    return job;
  }

  private grantRunner(database: IDatabase, ledger: ReturnType<typeof ensureLedger>): void {
    const runner = this.runnerRole;
    const { tables } = this.model;
    // USAGE on a container is always a grant of its own, so the stack-wide dedupe of
    // SnowflakeObject.grant finds it when the source, the image repository or the ledger share it.
    const jobs = this.model.passes.some((pass) => pass.mode !== 'warehouse');
    database.grant(runner, 'USAGE');
    this.schema.grant(runner, 'USAGE');
    if (jobs) this.schema.grant(runner, 'CREATE SERVICE');
    // A ledger placed in a schema of its own (HooksLedger.place) needs USAGE there too.
    ledger.schema.grant(runner, 'USAGE');
    this.warehouse.grantUsage(runner);
    // USAGE to start queue workers on the pool; nothing the runner runs reads the pool's state.
    this.computePool?.grantUsage(runner);
    this.source.grantRead(runner);
    // The queue workers are job services the runner starts, from the trainer image.
    this.imageRepository?.grantRead(runner);
    this.grantRunnerWarehousePasses(runner);
    // DELETE and UPDATE only where a statement does them: a worker replaces an earlier attempt's
    // metrics rows (renderWorkerStatements: DELETE then INSERT, never UPDATE); the runs table and
    // the ledger are updated in place and never deleted from.
    for (const [table, name, privileges] of [
      [this.metricsTable, tables.metrics, ['DELETE', 'INSERT', 'SELECT']],
      [this.runsTable, tables.runs, ['INSERT', 'SELECT', 'UPDATE']],
      [ledger.table, ledger.name, ['INSERT', 'SELECT', 'UPDATE']],
    ] as const) {
      grantPrivileges(this, runner, GrantOn.schemaObject('TABLE', name.quoted), privileges, [table]);
    }
    this.queue?.grantWorker(runner);
    this.aggregator.grantStageReadWrite(runner);
    this.aggregator.grantRegister(runner);
    this.aggregator.grantPredict(this.consumerRole);
    this.consumerWarehouse?.grantUsage(this.consumerRole);
    const graph = this.model.passes.find((pass) => pass.mode === 'tasks');
    if (this.rootTask && graph?.mode === 'tasks') this.grantRunnerTaskGraph(this.rootTask, graph.rootTask);
  }

  /**
   * A warehouse pass's runner creates its UDTF (CREATE FUNCTION on the schema: "CREATE FUNCTION",
   * https://docs.snowflake.com/en/sql-reference/sql/create-function; as owner it may call it) and
   * replaces its run's rows in the fits table. Unloading, REMOVE and the refresh need WRITE on the
   * stage, which grantStageReadWrite gives.
   */
  private grantRunnerWarehousePasses(runner: IRole): void {
    const passes = this.model.passes.filter((pass) => pass.mode === 'warehouse');
    if (passes.length === 0) return;
    this.schema.grant(runner, 'CREATE FUNCTION');
    for (const pass of passes) {
      grantPrivileges(this, runner, GrantOn.schemaObject('TABLE', pass.fits.quoted), ['DELETE', 'INSERT', 'SELECT'], [this.fitsTables[pass.pass]]);
    }
  }

  /**
   * The caller of EXECUTE TASK needs OWNERSHIP or OPERATE on the task; the global EXECUTE TASK
   * privilege is the task owner's (the deploy role's), which only an account administrator grants
   * (bootstrap does) — https://docs.snowflake.com/en/sql-reference/sql/execute-task
   */
  private grantRunnerTaskGraph(root: Task, rootName: ObjectName): void {
    grantPrivileges(this, this.runnerRole, GrantOn.schemaObject('TASK', rootName.quoted), ['MONITOR', 'OPERATE'], [root]);
    // The job services the slot tasks start are owned by the task owner (the deploy role); the
    // runner watches them with DESCRIBE SERVICE and SHOW SERVICE CONTAINERS IN SERVICE, which
    // need OWNERSHIP or MONITOR. Their names are only created at run time, so a future grant
    // covers them (provider v2.11.0 accepts object_type_plural SERVICES for future grants:
    // pkg/sdk/grants_validations.go, after the GRANT <privileges> page's restrictions).
    const schema = this.schema;
    grantPrivileges(
      this,
      this.runnerRole,
      GrantOn.future('SERVICES', schema.qualifiedName.quoted),
      ['MONITOR'],
      schema instanceof Schema ? [schema.resource] : [],
    );
  }

  // Pool capacity is only a warning: an imported pool's size may be unknown or change.
  private warnOnPoolCapacity(): void {
    const wanted = Math.max(0, ...this.model.passes.map((pass) => pass.jobServices.length));
    const cap = this.computePool?.maxNodes;
    if (cap !== undefined && wanted > cap) {
      Annotations.of(this).addWarning(
        `${this.node.path}: training asks for ${wanted} concurrent job services but compute pool ${this.computePool?.poolName} has maxNodes ${cap}; jobs will queue for nodes. Raise maxNodes or lower training.slots/workers.`,
      );
    }
  }

  /**
   * A task-graph pass's tasks: a suspended root (the runner EXECUTEs it), fan-out tasks, and one
   * task per slot that runs the slot's job service. Returns the root.
   */
  private createTaskGraph(pass: TasksPassModel): Task {
    const model = this.model;
    const schema = model.schema;
    const rootName = pass.rootTask.name;
    const layout = layoutTaskGraph(pass.slots);
    const common = { database: schema.parts[0], schema: schema.parts[1], warehouse: model.warehouse.name };
    // The root stays suspended (it has no schedule; the runner EXECUTEs it), children are resumed:
    // EXECUTE TASK runs a graph whose root is suspended but skips suspended children.
    const fanOutNames = Array.from({ length: layout.fanOuts }, (_, j) => `${model.namePrefix}_SCREEN_FAN_${j}`);
    for (const name of [rootName, ...fanOutNames]) claimName(this, 'namePrefix', 'TASK', schema.child(name));
    const root = new Task(this, 'ScreenRootTask', {
      ...common,
      name: rootName,
      started: false,
      sqlStatement: ORDERING_TASK_BODY,
      comment: 'Root of the screen training pass (run by the hooks runner)',
      userTaskTimeoutMs: pass.timeoutSeconds * 1000,
    });
    const fanOuts = fanOutNames.map(
      (name, j) =>
        new Task(this, `ScreenFanOut${j}`, { ...common, name, started: true, after: [schema.child(rootName).quoted], sqlStatement: ORDERING_TASK_BODY }),
    );
    for (let k = 0; k < pass.slots; k++) {
      const parent = layout.parentOfSlot[k];
      const name = `${model.namePrefix}_SCREEN_SLOT_${k}`;
      claimName(this, 'namePrefix', 'TASK', schema.child(name));
      // A finished job service keeps its name until dropped; the body drops the previous run's first.
      const body = renderSlotTaskBody(pass.jobServices[k], renderStartWorker(model, pass, k));
      const task = new Task(this, `ScreenWorkerTask${k}`, {
        ...common,
        name,
        started: true,
        after: [schema.child(parent < 0 ? rootName : fanOutNames[parent]).quoted],
        sqlStatement: body,
        userTaskTimeoutMs: pass.timeoutSeconds * 1000,
      });
      dependOn(task, parent < 0 ? root : fanOuts[parent]);
    }
    for (const f of fanOuts) dependOn(f, root);
    this.node.addValidation({
      validate: () =>
        layout.totalTasks > 1000
          ? [`${this.node.path}: the screen task graph has ${layout.totalTasks} tasks, over Snowflake's 1000-task limit. Lower training.slots.`]
          : [],
    });
    return root;
  }

  /** The passes that train in the warehouse (TrainingStrategy.warehouse, screenInWarehouse), with their model sets; policy rules read them. */
  get warehousePasses(): readonly { readonly pass: string; readonly modelSet: ModelSet }[] {
    return this.model.passes.flatMap((p) => (p.mode === 'warehouse' ? [{ pass: p.pass, modelSet: p.modelSet }] : []));
  }

  /** Statements the workers issue (for docs/worker-contract.md and tests). */
  workerStatements(): ReturnType<typeof renderWorkerStatements> {
    return renderWorkerStatements(this.model.tables);
  }
}
