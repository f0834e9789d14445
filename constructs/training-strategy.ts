import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { maxSlots } from '../lib/sql/task-graph';

/** Which model families a pass tries (docs/forecast-models.md). */
export enum ModelSet {
  /** Cheap contest: seasonal naive, linear trend, Holt-Winters. */
  SCREEN = 'screen',
  /** Richer contest with more variants; slower per partition. */
  REFINE = 'refine',
}

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

export interface ScreenThenRefineOptions {
  /** Share of partitions, worst by holdout MAPE (plus all that failed), that the refine pass retrains. @default 10 */
  readonly refineTopPercent?: number;
  /** Time budget of the refine pass. @default Duration.minutes(30) */
  readonly timeBudget?: Duration;
  /** The screen (task graph) pass. @default - TasksPassOptions defaults */
  readonly screen?: TasksPassOptions;
  /** The refine (queue) pass; its timeBudget is `timeBudget`. @default - QueuePassOptions defaults */
  readonly refine?: Omit<QueuePassOptions, 'timeBudget'>;
}

/** The validated settings of a task-graph pass. */
export interface TasksPass {
  readonly slots: number;
  readonly chunkSize: number;
  readonly modelSet: ModelSet;
  readonly timeoutSeconds: number;
}

/** The validated settings of a queue pass. */
export interface QueuePass {
  readonly workers: number;
  readonly chunkSize: number;
  readonly modelSet: ModelSet;
  readonly budgetSeconds: number;
  /** Set for a refine pass: the share of worst partitions it retrains. */
  readonly topPercent?: number;
}

/**
 * How partitions are trained: a full pass on a task graph, an elastic time-boxed queue pass, or
 * both chained (screen everything cheaply, then refine the worst N %).
 */
export class TrainingStrategy {
  /** One full pass: a task graph of `slots` job services over all partitions. */
  static tasks(options: TasksPassOptions = {}): TrainingStrategy {
    return new TrainingStrategy('tasks', options, undefined, undefined);
  }

  /** One elastic pass: `workers` job services claim chunks from the hybrid-table queue until done or out of budget. */
  static queue(options: QueuePassOptions = {}): TrainingStrategy {
    return new TrainingStrategy('queue', undefined, options, undefined);
  }

  /** Screen all partitions on a task graph, then refine the worst `refineTopPercent` % on the queue. */
  static screenThenRefine(options: ScreenThenRefineOptions = {}): TrainingStrategy {
    return new TrainingStrategy('screenThenRefine', options.screen ?? {}, { ...(options.refine ?? {}), timeBudget: options.timeBudget }, options.refineTopPercent ?? 10);
  }

  private constructor(
    /** `tasks`, `queue` or `screenThenRefine`. */
    public readonly mode: 'tasks' | 'queue' | 'screenThenRefine',
    private readonly tasksOptions: TasksPassOptions | undefined,
    private readonly queueOptions: QueuePassOptions | undefined,
    private readonly topPercent: number | undefined,
  ) {}

  /** Validates against construct `path` (props are reported as `training.<prop>`). */
  resolve(path: string): { screen?: TasksPass; queue?: QueuePass } {
    const out: { screen?: TasksPass; queue?: QueuePass } = {};
    const prefix = this.mode === 'screenThenRefine' ? 'training.screen.' : 'training.';
    if (this.tasksOptions) {
      const o = this.tasksOptions;
      const limit = maxSlots();
      out.screen = {
        slots: wholeInRange(path, `${prefix}slots`, o.slots ?? 4, 1, limit, `A task graph holds at most 1000 tasks (root and fan-outs included), so at most ${limit} worker tasks`),
        chunkSize: wholeInRange(path, `${prefix}chunkSize`, o.chunkSize ?? 50, 1, 10000, 'Use a chunk size from 1 to 10000 partitions'),
        modelSet: modelSet(path, `${prefix}modelSet`, o.modelSet ?? ModelSet.SCREEN),
        timeoutSeconds: positiveSeconds(path, `${prefix}timeout`, o.timeout ?? Duration.hours(2)),
      };
    }
    if (this.queueOptions) {
      const o = this.queueOptions;
      const qp = this.mode === 'screenThenRefine' ? 'training.refine.' : 'training.';
      out.queue = {
        workers: wholeInRange(path, `${qp}workers`, o.workers ?? 4, 1, 1000, 'Use 1 to 1000 workers (and a pool with enough nodes)'),
        chunkSize: wholeInRange(path, `${qp}chunkSize`, o.chunkSize ?? 10, 1, 10000, 'Use a chunk size from 1 to 10000 partitions'),
        modelSet: modelSet(path, `${qp}modelSet`, o.modelSet ?? ModelSet.REFINE),
        budgetSeconds: positiveSeconds(path, 'training.timeBudget', o.timeBudget ?? Duration.minutes(30)),
      };
      if (this.topPercent !== undefined) {
        const p = this.topPercent;
        if (!(typeof p === 'number' && p > 0 && p <= 100)) {
          throw new ValidationError(path, 'training.refineTopPercent', `is ${p}; it must be above 0 and at most 100`, 'Use e.g. 10 to refine the worst 10 % of partitions');
        }
        out.queue = { ...out.queue, topPercent: p };
      }
    }
    return out;
  }
}

function wholeInRange(path: string, prop: string, v: number, min: number, max: number, fix: string): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new ValidationError(path, prop, `is ${v}; it must be a whole number from ${min} to ${max}`, fix);
  return v;
}

function positiveSeconds(path: string, prop: string, d: Duration): number {
  const seconds = validateProp(path, prop, () => d.toSeconds());
  if (!(seconds > 0)) throw new ValidationError(path, prop, 'is 0', 'Give a positive duration');
  return seconds;
}

function modelSet(path: string, prop: string, v: ModelSet): ModelSet {
  if (!Object.values(ModelSet).includes(v)) throw new ValidationError(path, prop, `${JSON.stringify(v)} is not a model set`, 'Use ModelSet.SCREEN or ModelSet.REFINE');
  return v;
}
