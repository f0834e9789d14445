import { Duration } from '../lib/duration';
import { ModelSet } from '../lib/pipeline/model';

export { ModelSet };

export interface TasksPassOptions {
  /** Worker tasks in the graph, each one job service taking every slots-th chunk. @default 4 */
  readonly slots?: number;
  /** Partitions per chunk (one bulk source read per chunk). @default 50 */
  readonly chunkSize?: number;
  /** Model families to try. @default ModelSet.SCREEN */
  readonly modelSet?: ModelSet;
  /** Time limit of the whole pass. @default Duration.hours(2) */
  readonly timeout?: Duration;
}

export interface QueuePassOptions {
  /** Job-service workers draining the queue in parallel. @default 4 */
  readonly workers?: number;
  /** Partitions per queue row. @default 10 */
  readonly chunkSize?: number;
  /** Model families to try. @default ModelSet.REFINE */
  readonly modelSet?: ModelSet;
  /** Workers stop claiming new chunks after this; chunks not done by then are reported. @default Duration.minutes(30) */
  readonly timeBudget?: Duration;
}

/** A pass in the pipeline's warehouse: one statement fits every partition through a JavaScript UDTF. */
export interface WarehousePassOptions {
  /** Model families to try. @default ModelSet.SCREEN */
  readonly modelSet?: ModelSet;
  /** Time limit of the pass's step (the fitting statement runs within it). @default Duration.hours(1) */
  readonly timeout?: Duration;
}

export interface ScreenThenRefineOptions {
  /** Share of partitions, worst by holdout MAPE (plus all that failed), that the refine pass retrains. @default 10 */
  readonly refineTopPercent?: number;
  /** Time budget of the refine pass. @default Duration.minutes(30) */
  readonly timeBudget?: Duration;
  /** The screen (task graph) pass. @default - TasksPassOptions defaults */
  readonly screen?: TasksPassOptions;
  /** The refine (queue) pass; its timeBudget is `timeBudget`. @default - QueuePassOptions defaults */
  readonly refine?: Omit<QueuePassOptions, 'timeBudget'>;
  /**
   * Screen in the pipeline's warehouse instead of on a task graph (then `screen` must be left out):
   * every partition fitted by one statement, the worst refined on the queue.
   * @default - the screen pass runs on a task graph
   */
  readonly screenInWarehouse?: WarehousePassOptions;
}

/** A strategy as it was chosen: the factory and its options as written. */
export type TrainingChoice =
  | { readonly mode: 'tasks'; readonly options: TasksPassOptions }
  | { readonly mode: 'queue'; readonly options: QueuePassOptions }
  | { readonly mode: 'screenThenRefine'; readonly options: ScreenThenRefineOptions }
  | { readonly mode: 'warehouse'; readonly options: WarehousePassOptions };

/**
 * How partitions are trained: a full pass on a task graph, an elastic time-boxed queue pass, or
 * both chained (screen everything cheaply, then refine the worst N %). The factories keep the
 * options as written; the pipeline applies the defaults and checks them, with its other props
 * (constructs/pipeline-model.ts).
 */
export class TrainingStrategy {
  /** One full pass: a task graph of `slots` job services over all partitions. */
  static tasks(options: TasksPassOptions = {}): TrainingStrategy {
    return new TrainingStrategy({ mode: 'tasks', options });
  }

  /** One elastic pass: `workers` job services claim chunks from the hybrid-table queue until done or out of budget. */
  static queue(options: QueuePassOptions = {}): TrainingStrategy {
    return new TrainingStrategy({ mode: 'queue', options });
  }

  /** Screen all partitions on a task graph, then refine the worst `refineTopPercent` % on the queue. */
  static screenThenRefine(options: ScreenThenRefineOptions = {}): TrainingStrategy {
    return new TrainingStrategy({ mode: 'screenThenRefine', options });
  }

  /**
   * One pass in the pipeline's warehouse, no compute pool, queue or job service: a JavaScript UDTF
   * built from the reference worker's forecasting core fits every partition in one statement
   * (`OVER (PARTITION BY key)`, spread over the warehouse's nodes), and the artifacts, metrics,
   * index, version and scoring are those of the other strategies. For accounts without Snowpark
   * Container Services or hybrid tables, and for cheap models (docs/constructs.md).
   */
  static warehouse(options: WarehousePassOptions = {}): TrainingStrategy {
    return new TrainingStrategy({ mode: 'warehouse', options });
  }

  private constructor(
    /** The factory and its options as written. */
    public readonly choice: TrainingChoice,
  ) {}

  /** `tasks`, `queue`, `screenThenRefine` or `warehouse`. */
  get mode(): TrainingChoice['mode'] {
    return this.choice.mode;
  }
}
