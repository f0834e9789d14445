/**
 * The job services that train: each one's specification and the statement that starts it. The
 * screen pass's slot tasks (Terraform) and the queue pass's runWorkers step (hooks.json) start
 * workers with the same rendering.
 */
import { MODEL_MOUNT_PATH, WORKER_CONTRACT_VERSION, renderExecuteJobService, renderJobSpec } from '../sql/job-spec';
import { runVar } from '../sql/statement';
import { renderChunkReadStatement } from '../sql/training';
import { JobPassModel, PipelineModel, trainingKey } from './model';

/** The contract variable of each setting a pipeline may leave to the worker's per-frequency defaults. */
export const GIVEN_SETTING_VARIABLES = { holdoutSteps: 'MM_HOLDOUT', seasonPeriod: 'MM_SEASON_PERIOD' } as const;

/** Seconds a pass's worker keeps claiming chunks: a task-graph pass's timeout, a queue pass's budget. */
export function workerBudgetSeconds(p: JobPassModel): number {
  return p.mode === 'tasks' ? p.timeoutSeconds : p.timeBudgetSeconds;
}

/** The worker contract's environment (docs/worker-contract.md) of slot `slot` of pass `p`, the trainer's own first. */
export function workerEnv(m: PipelineModel, p: JobPassModel, slot: number): Record<string, string> {
  const { trainer } = m;
  return {
    ...trainer.environment,
    MM_CONTRACT_VERSION: WORKER_CONTRACT_VERSION,
    MM_MODE: p.mode,
    MM_PASS: p.pass,
    MM_MODEL_SET: p.modelSet,
    MM_TRAINER_IMAGE: trainer.image,
    MM_TRAINING_KEY: trainingKey(m),
    // The run this worker works for, and no other: `{{RUN_ID}}` is filled in by the runner (queue
    // workers), by the slot task from its graph run's configuration (task-graph passes) and by the
    // closed loop's worker task (its run id). An env value of the job specification
    // ("Service specification reference", spec.containers.env:
    // https://docs.snowflake.com/en/developer-guide/snowpark-container-services/specification-reference).
    MM_RUN_ID: runVar('RUN_ID'),
    MM_SLOT: String(slot),
    MM_SLOTS: String(p.jobServices.length),
    MM_CHUNK_SIZE: String(p.chunkSize),
    MM_QUEUE_TABLE: m.queue.table.toString(),
    MM_RUNS_TABLE: m.tables.runs.toString(),
    MM_METRICS_TABLE: m.tables.metrics.toString(),
    MM_STAGE: m.tables.stage.toString(),
    MM_MODEL_DIR: MODEL_MOUNT_PATH,
    MM_ARTIFACT_EXT: trainer.artifactExtension,
    MM_SOURCE_TABLE: m.source.table.toString(),
    MM_SOURCE_QUERY: renderChunkReadStatement(m.source).sql,
    MM_LEASE_SECONDS: String(m.queue.leaseSeconds),
    MM_MAX_ATTEMPTS: String(m.queue.maxAttempts),
    MM_TIME_BUDGET_SECONDS: String(workerBudgetSeconds(p)),
    MM_EMPTY_POLLS: '3',
    MM_HOLDOUT: String(m.holdoutSteps),
    MM_SEASON_PERIOD: String(m.seasonPeriod),
    // Only when the props set them: a pipeline that sets neither keeps its job specification.
    ...(m.givenSettings?.length ? { MM_GIVEN_SETTINGS: m.givenSettings.map((k) => GIVEN_SETTING_VARIABLES[k]).join(',') } : {}),
    MM_WAREHOUSE: m.warehouse.name,
    MM_WORKER_CPUS: String(m.workerCpus),
  };
}

/**
 * `EXECUTE JOB SERVICE` of slot `slot` of pass `p`: the trainer's container with the slot's
 * environment, under the slot's deterministic name. A task-graph slot runs synchronously (its
 * task ends with the job); a queue worker is asynchronous (the runner follows it by name).
 */
export function renderStartWorker(m: PipelineModel, p: JobPassModel, slot: number): string {
  const { trainer, computePool } = m;
  // The pipeline's model has a pool whenever a pass runs job services (constructs/pipeline-model.ts).
  if (!computePool) throw new Error(`${m.path}: a ${p.mode} pass needs a compute pool`);
  const spec = renderJobSpec({
    image: trainer.image,
    command: trainer.command,
    args: trainer.args,
    stage: m.tables.stage,
    env: workerEnv(m, p, slot),
    resources: { cpu: trainer.cpu, memory: trainer.memory },
  });
  return renderExecuteJobService({ computePool, name: p.jobServices[slot], warehouse: m.warehouse, spec, async: p.mode === 'queue' });
}
