/**
 * A pipeline's post-deploy steps as a pure function of its model: the training passes, the model
 * index, the registration of one aggregator version and its promotion (docs/hooks-manifest.md,
 * "Steps of a pipeline"). Scoring steps are the scoring jobs' own (lib/pipeline/scoring.ts): they
 * run after the promotion.
 */
import {
  DEFAULT_RETRY,
  HookStatement,
  HookStepSpec,
  PassWait,
  RunWorkersStepSpec,
  StatementStepSpec,
  TaskGraphStepSpec,
  WaitQueueStepSpec,
  WarehousePassStepSpec,
} from '../hooks/manifest';
import { renderGraphRunQuery } from '../sql/graph-run';
import { renderAbandonChunks, renderEnqueue, renderQueueStatements, renderRequeueOrphaned } from '../sql/queue';
import { renderBuildModelIndex, renderGateQuery, renderPromote, renderRegisterCall } from '../sql/registry';
import { renderDropService } from '../sql/services';
import { inlineParams, runVar } from '../sql/statement';
import { renderExecuteTaskForRun } from '../sql/task-graph';
import {
  renderAbandonPasses,
  renderAllKeysQuery,
  renderFailedPartitions,
  renderFinishPass,
  renderPassProgress,
  renderPendingChunks,
  renderRefreshPass,
  renderRefreshStage,
  renderStartPass,
  renderVerifyPass,
  renderWorstKeysQuery,
} from '../sql/training';
import {
  WarehousePassSql,
  renderClearFits,
  renderClearPassMetrics,
  renderCreateWarehouseFunction,
  renderInsertPassMetrics,
  renderRemovePassArtifacts,
  renderUnloadArtifacts,
  renderVerifyWarehousePass,
  renderWarehouseFit,
} from '../sql/warehouse';
import { JobPassModel, PipelineModel, QueuePassModel, TasksPassModel, WarehousePassModel, trainingKey, trainingTriggers } from './model';
import { renderStartWorker } from './workers';

/** Seconds between the runner's polls of a pass. */
const POLL_SECONDS = 10;

/** A step's time limit unless its pass sets one. */
const STEP_TIMEOUT_SECONDS = 3600;

/** How long a queue pass's wait outlasts its budget: workers finish the chunks they hold. */
const QUEUE_WAIT_GRACE_SECONDS = 600;

/**
 * The pipeline's steps in order: each pass's steps after the previous pass's, then index,
 * register and promote. The first step carries the triggers (image, runVersion, trainer
 * settings); the others re-run through their dependencies.
 */
export function pipelineSteps(m: PipelineModel): HookStepSpec[] {
  const steps: HookStepSpec[] = [];
  const last = () => (steps.length > 0 ? [steps[steps.length - 1].id] : []);
  for (const p of m.passes) {
    steps.push(
      ...(p.mode === 'tasks' ? taskGraphPassSteps(m, p, last()) : p.mode === 'queue' ? queuePassSteps(m, p, last()) : [warehousePassStep(m, p, last())]),
    );
  }
  steps.push(...registrationSteps(m, last()));
  return steps;
}

/** The id of the step after which a run's version is promoted: what scoring runs after. */
export function promoteStepId(m: PipelineModel): string {
  return stepId(m, 'promote');
}

/**
 * How the runner abandons an unfinished run (docs/hooks-manifest.md, "Run identity"): its
 * passes stop being RUNNING, its open chunks close, and the queue workers it started are dropped.
 * The screen pass's job services belong to the task owner, which the runner is not (DROP SERVICE
 * needs OWNERSHIP: https://docs.snowflake.com/en/sql-reference/sql/drop-service): with no RUNNING
 * pass and no open chunk they find nothing to claim and end after their empty polls, a fit in
 * progress loses its lease and writes nothing, and the next graph run's slot task drops them first.
 */
export function pipelineAbandon(m: PipelineModel): HookStatement[] {
  const runnerServices = m.passes.filter((p) => p.mode === 'queue').flatMap((p) => p.jobServices);
  // Passes in the warehouse have no queue table and no worker: marking the run is all there is.
  const queued = m.passes.some((p) => p.mode !== 'warehouse');
  return [
    { id: 'abandon-passes', sql: renderAbandonPasses(m.tables) },
    ...(queued ? [{ id: 'abandon-chunks', sql: renderAbandonChunks(m.queue) }] : []),
    ...runnerServices.map((name, i) => ({ id: `drop-service-${i}`, sql: renderDropService(name) })),
  ];
}

function stepId(m: PipelineModel, name: string): string {
  return `${m.path}/${name}`;
}

/** What every step of the pipeline has besides its kind, statements and wait. */
function common(m: PipelineModel, name: string, description: string, dependsOn: string[]) {
  return {
    id: stepId(m, name),
    description,
    dependsOn,
    runGroup: m.path,
    timeoutSeconds: STEP_TIMEOUT_SECONDS,
    retry: DEFAULT_RETRY,
    triggers: dependsOn.length === 0 ? trainingTriggers(m) : {},
    executeOnChange: true,
  };
}

/** Marks the pass running (for the trainer's training key) and enqueues its partitions in chunks, in one step. */
function startPassStep(m: PipelineModel, p: JobPassModel, dependsOn: string[]): StatementStepSpec {
  const refine = p.mode === 'queue' ? p.refineTopPercent : undefined;
  const keysQuery = refine !== undefined ? renderWorstKeysQuery(m.tables, refine) : renderAllKeysQuery(m.source);
  const description =
    p.mode === 'tasks'
      ? `mark the ${p.pass} pass running and enqueue all partitions in chunks (one statement)`
      : refine !== undefined
        ? `mark the ${p.pass} pass running and enqueue the worst ${refine} % of partitions (plus failed ones)`
        : `mark the ${p.pass} pass running and enqueue all partitions`;
  return {
    ...common(m, `${p.pass}-start`, description, dependsOn),
    kind: 'startPass',
    statements: [
      { id: 'start-pass', sql: renderStartPass(m.tables, p.pass, trainingKey(m)) },
      { id: 'enqueue', sql: renderEnqueue(m.queue, p.pass, p.chunkSize, { keysQuery }) },
    ],
  };
}

/**
 * How the runner follows a training pass: it polls chunk states and metrics (never the stage),
 * keeps the queue's leases (expired ones re-queued, exhausted chunks failed; every claim once
 * none of the pass's job services runs), and once the pass has ended refreshes the stage's
 * directory table under the pass's artifacts and verifies them (the runner role's WRITE on the
 * stage allows the refresh).
 */
function passWait(m: PipelineModel, p: JobPassModel): PassWait {
  const queue = renderQueueStatements(m.queue);
  return {
    jobServices: p.jobServices.map((n) => n.toString()),
    progressSql: renderPassProgress(m.tables, m.queue.table, p.pass),
    requeueOrphanedSql: renderRequeueOrphaned(m.queue, p.pass),
    refreshSql: renderRefreshPass(m.tables.stage, p.pass),
    verifySql: renderVerifyPass(m.tables, m.queue.table, p.pass),
    failuresSql: renderFailedPartitions(m.tables, p.pass),
    queueTable: m.queue.table.toString(),
    requeueSql: inlineParams(queue.requeueExpired, { RUN_ID: runVar('RUN_ID') }),
    failExhaustedSql: inlineParams(queue.failExhausted, { RUN_ID: runVar('RUN_ID') }),
    pollSeconds: POLL_SECONDS,
  };
}

/** start → run the task graph (EXECUTE TASK its root, follow the graph run, verify). */
function taskGraphPassSteps(m: PipelineModel, p: TasksPassModel, after: string[]): HookStepSpec[] {
  const start = startPassStep(m, p, after);
  const train: TaskGraphStepSpec = {
    ...common(
      m,
      `${p.pass}-train`,
      `run task graph ${p.rootTask.name} (${p.slots} job services on ${m.computePool?.name}), wait, verify every chunk's artifacts`,
      [start.id],
    ),
    kind: 'executeTaskGraph',
    statements: [
      // The run id travels in the graph run's configuration to the slot tasks, which give it to their workers.
      { id: 'execute-task', sql: renderExecuteTaskForRun(p.rootTask) },
      { id: 'finish-pass', sql: renderFinishPass(m.tables, p.pass) },
    ],
    timeoutSeconds: p.timeoutSeconds,
    allowedFailurePercent: m.allowedFailurePercent,
    wait: {
      ...passWait(m, p),
      rootTask: p.rootTask.toString(),
      graphRunSql: renderGraphRunQuery(p.rootTask),
      // Chunks waiting to be claimed once the graph run has ended: the graph is executed again for them.
      pendingSql: renderPendingChunks(m.queue.table, p.pass),
    },
  };
  return [start, train];
}

/** start → start the workers → wait for the queue within the budget (then verify). */
function queuePassSteps(m: PipelineModel, p: QueuePassModel, after: string[]): HookStepSpec[] {
  const start = startPassStep(m, p, after);
  const workers: RunWorkersStepSpec = {
    ...common(m, `${p.pass}-workers`, `start ${p.workers} queue workers on ${m.computePool?.name} (re-attached by name when already running)`, [start.id]),
    kind: 'runWorkers',
    statements: p.jobServices.map((_, k) => ({ id: `start-worker-${k}`, sql: renderStartWorker(m, p, k) })),
    wait: { jobServices: p.jobServices.map((n) => n.toString()), pollSeconds: POLL_SECONDS },
  };
  const wait: WaitQueueStepSpec = {
    ...common(m, `${p.pass}-wait`, `wait until the ${p.pass} queue is drained or its ${p.timeBudgetSeconds}s budget ends; re-queue expired leases`, [
      workers.id,
    ]),
    kind: 'waitQueue',
    statements: [{ id: 'finish-pass', sql: renderFinishPass(m.tables, p.pass) }],
    timeoutSeconds: p.timeBudgetSeconds + QUEUE_WAIT_GRACE_SECONDS,
    allowedFailurePercent: m.allowedFailurePercent,
    wait: { ...passWait(m, p), budgetSeconds: p.timeBudgetSeconds },
  };
  return [start, workers, wait];
}

/** What a warehouse pass's statements name. */
export function warehousePassSql(m: PipelineModel, p: WarehousePassModel): WarehousePassSql {
  const given = new Set(m.givenSettings ?? []);
  return {
    function: p.function,
    fits: p.fits,
    tables: m.tables,
    source: m.source,
    pass: p.pass,
    // As a worker reads MM_GIVEN_SETTINGS: a setting the props left out is each series' frequency's.
    ...(given.has('holdoutSteps') ? { holdout: m.holdoutSteps } : {}),
    ...(given.has('seasonPeriod') ? { period: m.seasonPeriod } : {}),
    refine: p.modelSet === 'refine',
    ...(p.refineTopPercent !== undefined ? { keysQuery: renderWorstKeysQuery(m.tables, p.refineTopPercent) } : {}),
  };
}

/**
 * A pass in the warehouse, as ONE step: mark it running, create the UDTF, fit every partition in
 * one statement, unload the artifacts with one COPY, refresh the pass's directory, record the
 * metrics from the fits and the files found, finish; then the runner verifies it as any pass
 * (failed share within allowedFailurePercent, no OK row without its file). Every statement is
 * idempotent for the run, so a retried or resumed step starts again from the top.
 */
function warehousePassStep(m: PipelineModel, p: WarehousePassModel, dependsOn: string[]): WarehousePassStepSpec {
  const w = warehousePassSql(m, p);
  const scope = p.refineTopPercent !== undefined ? `the worst ${p.refineTopPercent} % of partitions (plus failed ones)` : 'every partition';
  return {
    ...common(
      m,
      `${p.pass}-train`,
      `fit ${scope} in warehouse ${m.warehouse.name} with one statement through ${p.function.name}, unload the artifacts, record the metrics`,
      dependsOn,
    ),
    kind: 'warehousePass',
    timeoutSeconds: p.timeoutSeconds,
    allowedFailurePercent: m.allowedFailurePercent,
    statements: [
      { id: 'start-pass', sql: renderStartPass(m.tables, p.pass, trainingKey(m)) },
      { id: 'create-function', sql: renderCreateWarehouseFunction(p.function) },
      { id: 'clear-fits', sql: renderClearFits(w) },
      { id: 'fit', sql: renderWarehouseFit(w) },
      { id: 'remove-artifacts', sql: renderRemovePassArtifacts(w) },
      { id: 'unload-artifacts', sql: renderUnloadArtifacts(w) },
      { id: 'refresh-stage', sql: renderRefreshPass(m.tables.stage, p.pass) },
      { id: 'clear-metrics', sql: renderClearPassMetrics(w) },
      { id: 'insert-metrics', sql: renderInsertPassMetrics(w) },
      { id: 'finish-pass', sql: renderFinishPass(m.tables, p.pass) },
    ],
    wait: {
      refreshSql: renderRefreshPass(m.tables.stage, p.pass),
      verifySql: renderVerifyWarehousePass(w),
      failuresSql: renderFailedPartitions(m.tables, p.pass),
    },
  };
}

/** Index the run's artifacts, register ONE version of the aggregator, move the alias to it (gated). */
function registrationSteps(m: PipelineModel, after: string[]): HookStepSpec[] {
  const { registry, tables } = m;
  const index: StatementStepSpec = {
    ...common(m, 'buildModelIndex', `write model_index.json for the run from one DIRECTORY(@${tables.stage}) query`, after),
    kind: 'buildModelIndex',
    statements: [
      { id: 'refresh-stage', sql: renderRefreshStage(tables.stage) },
      { id: 'copy-index', sql: renderBuildModelIndex(tables) },
    ],
  };
  const register: StatementStepSpec = {
    ...common(m, 'registerAggregator', `register ONE version ${registry.versionPrefix}<run id> of ${registry.model}`, [index.id]),
    kind: 'registerAggregator',
    statements: [{ id: 'call-register', sql: renderRegisterCall(registry.procedure, registry.versionPrefix) }],
  };
  const { alias, gate } = registry;
  const promote = renderPromote(registry.model, alias, registry.versionPrefix);
  const description = gate ? `move ${alias} to the new version if ${gate.metric} <= ${gate.threshold}` : `move ${alias} to the new version (no gate)`;
  const promoteStep: StatementStepSpec = {
    ...common(m, 'promote', description, [register.id]),
    kind: 'promote',
    statements: [
      ...(gate ? [{ id: 'gate', sql: renderGateQuery(tables, gate.metric, gate.threshold), gateColumn: 'PASSED' }] : []),
      {
        id: 'unset-alias',
        sql: promote.unsetAlias,
        allowError: { messagePattern: 'does not exist|not found|no version', reason: `no version holds ${alias} yet (first promotion)` },
      },
      { id: 'set-alias', sql: promote.setAlias },
      { id: 'set-default', sql: promote.setDefault },
    ],
  };
  return [index, register, promoteStep];
}
