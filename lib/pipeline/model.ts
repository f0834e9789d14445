/**
 * A many-model pipeline as validated settings with every default applied: what its post-deploy
 * steps (./steps.ts) and its workers' job specifications (./workers.ts) are rendered from.
 *
 * The flow is props → model → steps → runner: `ManyModelPipeline` turns its props into this model
 * in one function (constructs/pipeline-model.ts), creates its resources from it and registers the
 * steps `pipelineSteps(model)` returns; the runner reads only hooks.json. The model is plain data
 * (names, numbers, strings), so the steps are unit-tested without a stack.
 */
import { canonicalJson, sha256 } from '../hooks/manifest';
import { ObjectName } from '../identifiers';
import { QueueModel } from '../sql/queue';
import { GateMetricName } from '../sql/registry';
import { PassName, SourceModel, TrainingTablesModel } from '../sql/training';

/** Which model families a pass tries (docs/forecast-models.md). */
export enum ModelSet {
  /** Cheap contest: seasonal naive, linear trend, Holt-Winters. */
  SCREEN = 'screen',
  /** Richer contest with more variants; slower per partition. */
  REFINE = 'refine',
}

/**
 * A pass on a task graph: a suspended root task the runner EXECUTEs, and one task per slot that
 * runs the slot's job service; the worker in slot k takes every slots-th chunk.
 */
export interface TasksPassModel {
  readonly mode: 'tasks';
  readonly pass: PassName;
  readonly slots: number;
  /** Partitions per chunk (one bulk source read per chunk). */
  readonly chunkSize: number;
  readonly modelSet: ModelSet;
  /** Time limit of the whole pass (`timeout`). */
  readonly timeoutSeconds: number;
  readonly rootTask: ObjectName;
  /** One job service per slot, by deterministic name (unquoted: EXECUTE JOB SERVICE takes no quoted names). */
  readonly jobServices: readonly ObjectName[];
}

/** A pass on the queue: `workers` job services the runner starts claim chunks until done or out of budget. */
export interface QueuePassModel {
  readonly mode: 'queue';
  readonly pass: PassName;
  readonly workers: number;
  /** Partitions per queue row. */
  readonly chunkSize: number;
  readonly modelSet: ModelSet;
  /** Workers stop claiming after this (`timeBudget`). */
  readonly timeBudgetSeconds: number;
  /** Set for the refine pass of screen-then-refine: the share of worst partitions (plus failed ones) it retrains. */
  readonly refineTopPercent?: number;
  /** One job service per worker, by deterministic name. */
  readonly jobServices: readonly ObjectName[];
}

/**
 * A pass in the pipeline's warehouse: the runner creates the UDTF and fits every partition with
 * one statement into the fits table, unloads the artifacts and records the metrics
 * (lib/sql/warehouse.ts). No job service runs.
 */
export interface WarehousePassModel {
  readonly mode: 'warehouse';
  readonly pass: PassName;
  readonly modelSet: ModelSet;
  /** Time limit of the pass's step (`timeout`). */
  readonly timeoutSeconds: number;
  /** Set for a refine pass: the share of worst partitions (plus failed ones) it retrains. */
  readonly refineTopPercent?: number;
  /** The JavaScript UDTF the runner creates. */
  readonly function: ObjectName;
  /** The table the UDTF's rows go to. */
  readonly fits: ObjectName;
  /** None: the pass runs in the warehouse. */
  readonly jobServices: readonly ObjectName[];
}

export type PassModel = TasksPassModel | QueuePassModel | WarehousePassModel;

/** A pass whose workers are job services on the compute pool. */
export type JobPassModel = TasksPassModel | QueuePassModel;

/** The training container, as its options were given (the environment defaults to none). */
export interface TrainerModel {
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** Extension of the per-partition artifacts. */
  readonly artifactExtension: string;
  /** vCPUs requested per worker container. */
  readonly cpu?: number;
  /** Memory requested per worker container. */
  readonly memory?: string;
}

/** The rule a run's metric must pass before the alias moves to its version. */
export interface PromotionGateModel {
  readonly metric: GateMetricName;
  readonly threshold: number;
}

/** The aggregator model the pipeline registers a version of per run, and how it promotes it. */
export interface RegistryModel {
  readonly model: ObjectName;
  /** The registration procedure (`CALL`ed by the registerAggregator step). */
  readonly procedure: ObjectName;
  /** A version is `<versionPrefix><run id>`. */
  readonly versionPrefix: string;
  /** The alias promotion moves. */
  readonly alias: string;
  /** No gate: every registered version is promoted. */
  readonly gate?: PromotionGateModel;
}

export interface PipelineModel {
  /** The pipeline's construct path: its steps' ids start with it and it is their run group. */
  readonly path: string;
  /** The prefix of the names the pipeline derives (`namePrefix`). */
  readonly namePrefix: string;
  /** The schema of the pipeline's objects. */
  readonly schema: ObjectName;
  /** Warehouse for source reads, tasks and scoring. */
  readonly warehouse: ObjectName;
  /** The compute pool of the job services; absent when every pass runs in the warehouse. */
  readonly computePool?: ObjectName;
  readonly source: SourceModel;
  readonly trainer: TrainerModel;
  /** vCPUs a worker may use (MM_WORKER_CPUS): the trainer's CPU request, else the pool's instance size. */
  readonly workerCpus: number;
  /** The metrics and runs tables and the artifacts stage. */
  readonly tables: TrainingTablesModel;
  readonly queue: QueueModel;
  /** The training passes in order: the screen pass, then the refine pass of screen-then-refine. */
  readonly passes: readonly PassModel[];
  /** Last steps of each series held out to score the model contest. */
  readonly holdoutSteps: number;
  /** Season length in steps. */
  readonly seasonPeriod: number;
  /**
   * Which of holdoutSteps and seasonPeriod the props set. The others hold the daily defaults (28,
   * 7), which a worker may replace by a series' own frequency's (MM_GIVEN_SETTINGS). Absent: neither.
   */
  readonly givenSettings?: readonly ('holdoutSteps' | 'seasonPeriod')[];
  /** Share of partitions allowed to fail before a training step fails, 0-100. */
  readonly allowedFailurePercent: number;
  /** A user value whose change alone retrains. */
  readonly runVersion?: string;
  readonly registry: RegistryModel;
}

/**
 * A digest of what decides the models a run trains besides the image: the trainer's command and
 * environment, the model sets, holdout, season and the source columns. It is a trigger of the
 * first training step, so changing any of them starts a new run instead of mixing models trained
 * under both settings into one. Placement (slots, workers, chunk size, budgets) is left out.
 */
export function trainerDigest(m: PipelineModel): string {
  const { command, args, environment, artifactExtension } = m.trainer;
  const modelSetOf = (mode: PassModel['mode']) => m.passes.find((p) => p.mode === mode)?.modelSet ?? null;
  return sha256(
    canonicalJson({
      command: command ?? null,
      args: args ?? null,
      environment,
      artifactExtension,
      // Keys as first hashed: renaming them would start a new run of every pipeline.
      holdout: m.holdoutSteps,
      period: m.seasonPeriod,
      // Only when some are given, so that a pipeline that sets neither keeps its key.
      ...(m.givenSettings?.length ? { given: [...m.givenSettings] } : {}),
      source: { ...m.source, table: m.source.table.toString() },
      modelSets: [modelSetOf('tasks'), modelSetOf('queue')],
      // Only for pipelines with a warehouse pass, so that the others keep their key.
      ...(modelSetOf('warehouse') ? { warehouseModelSet: modelSetOf('warehouse') } : {}),
    }),
  ).slice(0, 16);
}

/** The trainer's identity (image and settings): runs are started for it and workers join only its runs. */
export function trainingKey(m: PipelineModel): string {
  return sha256(`${m.trainer.image}\n${trainerDigest(m)}`).slice(0, 16);
}

/** What re-runs the pipeline's first step when it changes: the image, the user's runVersion, the trainer's settings. */
export function trainingTriggers(m: PipelineModel): Record<string, string> {
  return { image: m.trainer.image, runVersion: m.runVersion ?? '', trainer: trainerDigest(m) };
}
