import { createHash } from 'crypto';
import { TerraformStack } from '../lib/engine';
import { Construct } from 'constructs';
import { Hooks } from '../lib/hooks/hooks';
import { Task } from './resources';
import { ValidationError } from '../lib/errors';
import { ObjectName } from '../lib/identifiers';
import { Pass } from '../lib/sql/training';
import { PassModel, PipelineModel, TasksPassModel, WarehousePassModel, trainingKey } from '../lib/pipeline/model';
import { renderStartWorker } from '../lib/pipeline/workers';
import { RetrainLoopModel, renderRetrainFinishBody, renderRetrainStartBody, renderRetrainWorkerBody } from '../lib/sql/retrain';
import { ChallengeOpening } from '../lib/sql/challenger';
import { MonitoringSqlModel } from '../lib/sql/monitoring';
import { MAX_CHILDREN_PER_TASK } from '../lib/sql/task-graph';
import { claimName } from './object-names';
import { dependOn } from './depends';

/** The closed loop of a pipeline's monitoring (`addMonitoring({ retrain: {} })`). */
/** The step id (after the pipeline's path) under which the loop's runs are recorded in the ledger. */
export const RETRAIN_LOOP_STEP = 'retrain-loop';

export interface RetrainOptions {
  /** Job services that retrain the degraded partitions in parallel, one worker task each (at most 100: a task's children). @default 2 */
  readonly workers?: number;
}

/** What the loop is built from (the pipeline supplies it). */
export interface RetrainLoopProps extends RetrainOptions {
  readonly pipeline: PipelineModel;
  readonly monitoring: MonitoringSqlModel;
  /** The monitoring task: the loop's graph runs after it (it becomes the graph's root). */
  readonly monitorTask: Task;
  readonly monitorTaskName: ObjectName;
  /** With a champion/challenger policy: the finish task opens a challenge instead of moving the alias (lib/sql/challenger.ts). */
  readonly challenge?: ChallengeOpening;
}

/**
 * The closed loop (issue #17, slice 4): a task graph after the monitoring task, owned like it by
 * the deploy role. `…_RETRAIN_START` enqueues the degraded partitions as a refine pass of the run
 * `M<YYYYMMDD>` and carries every other partition's current artifact over; `…_RETRAIN_W<k>` run
 * the pipeline's trainer as synchronous job services on its pool (none when nothing is degraded);
 * `…_RETRAIN_FINISH` keeps the queue's leases and attempt caps, verifies, indexes, registers ONE
 * version and promotes it through the pipeline's gate. The bodies are lib/sql/retrain.ts's.
 *
 * A graph's tasks share one schema and one owner, and a task has at most 100 children
 * ("Task graphs", https://docs.snowflake.com/en/user-guide/tasks-graphs); a task started by a graph
 * runs with its owner's privileges, so the deploy role must hold (or inherit through the runner
 * role, which the pipeline grants it) what the runner's steps use: docs/roles.md.
 */
export class RetrainLoop extends Construct {
  readonly startTask: Task;
  readonly workerTasks: Task[];
  readonly finishTask: Task;
  /** `DB.SCHEMA.NAME` of the finish task (what the challenger's decision runs after). */
  readonly finishTaskName: ObjectName;
  /** The job services the worker tasks run, by deterministic name. */
  readonly jobServices: readonly ObjectName[];

  constructor(scope: Construct, id: string, props: RetrainLoopProps) {
    super(scope, id);
    const m = props.pipeline;
    const workers = props.workers ?? 2;
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_CHILDREN_PER_TASK) {
      throw new ValidationError(
        scope.node.path,
        'retrain.workers',
        `is ${workers}; it must be a whole number from 1 to ${MAX_CHILDREN_PER_TASK} (the start task's children)`,
        'Give e.g. 2',
      );
    }
    const schema = props.monitorTaskName.parts.slice(0, 2);
    const named = (suffix: string) => ObjectName.of(schema[0], schema[1], `${props.monitorTaskName.name.replace(/_TASK$/, '')}_RETRAIN_${suffix}`);
    // The loop trains on the pool with the pipeline's refine settings when it refines there, else the screen's.
    const onPool = m.passes.filter((p): p is Exclude<PassModel, WarehousePassModel> => p.mode !== 'warehouse');
    const base = onPool.find((p) => p.pass === Pass.REFINE) ?? onPool[0];
    const computePool = m.computePool;
    if (!base || !computePool) {
      throw new ValidationError(
        scope.node.path,
        'retrain',
        'retrains on the compute pool, and this pipeline trains every pass in the warehouse (TrainingStrategy.warehouse())',
        'Leave retrain out, or refine on a pool: TrainingStrategy.screenThenRefine({ screenInWarehouse: {} })',
      );
    }
    const jobServices = Array.from({ length: workers }, (_, k) => ObjectName.of(...m.schema.parts, `${m.namePrefix}_RETRAIN_W${k}`));
    this.jobServices = jobServices;
    const start = named('START');
    // Tasks mode: each job service is synchronous (its task ends with it) and keeps to its stripe
    // of chunks; a stripe left unfinished (a killed worker) is claimed again by the next run.
    const pass: TasksPassModel = {
      mode: 'tasks',
      pass: Pass.REFINE,
      slots: workers,
      chunkSize: base.chunkSize,
      modelSet: base.modelSet,
      timeoutSeconds: base.mode === 'tasks' ? base.timeoutSeconds : base.timeBudgetSeconds,
      rootTask: start,
      jobServices,
    };
    const loop: RetrainLoopModel = {
      monitoring: props.monitoring,
      tables: m.tables,
      queue: m.queue,
      chunkSize: pass.chunkSize,
      trainingKey: trainingKey(m),
      model: m.registry.model,
      procedure: m.registry.procedure,
      versionPrefix: m.registry.versionPrefix,
      alias: m.registry.alias,
      gate: m.registry.gate,
      allowedFailurePercent: m.allowedFailurePercent,
      ...(props.challenge ? { challenge: props.challenge } : {}),
    };
    const workerBody = (k: number) => renderRetrainWorkerBody(loop, jobServices[k], renderStartWorker(m, pass, k));
    // The loop's runs go to the stack's ledger beside the runner's (the pipeline created it), under
    // a step id of their own; the fingerprint is the loop's definition: its bodies without the ledger.
    const location = Hooks.of(this).ledger;
    const recorded: RetrainLoopModel = location
      ? {
          ...loop,
          ledger: {
            table: ObjectName.of(location.database, location.schema, location.table),
            stack: TerraformStack.of(this).node.id,
            stepId: `${m.path}/${RETRAIN_LOOP_STEP}`,
            fingerprint: createHash('sha256')
              .update([renderRetrainStartBody(loop), ...jobServices.map((_, k) => workerBody(k)), renderRetrainFinishBody(loop)].join('\n'))
              .digest('hex'),
            task: start,
          },
        }
      : loop;
    const common = { database: schema[0], schema: schema[1], warehouse: m.warehouse.name, started: true };
    claimName(this, 'the retraining task names (derived from the monitor: change its id)', 'TASK', start);
    this.startTask = new Task(this, 'StartTask', {
      ...common,
      name: start.name,
      after: [props.monitorTaskName.quoted],
      sqlStatement: renderRetrainStartBody(recorded),
      comment: 'Closed loop: enqueue the degraded partitions, carry the others over',
    });
    dependOn(this.startTask, props.monitorTask);
    this.workerTasks = jobServices.map((_, k) => {
      const name = named(`W${k}`);
      claimName(this, 'the retraining task names (derived from the monitor: change its id)', 'TASK', name);
      const body = workerBody(k);
      const task = new Task(this, `WorkerTask${k}`, {
        ...common,
        name: name.name,
        after: [start.quoted],
        sqlStatement: body,
        userTaskTimeoutMs: pass.timeoutSeconds * 1000,
        comment: `Closed loop: retraining worker ${k} on ${computePool.name}`,
      });
      dependOn(task, this.startTask);
      return task;
    });
    const finish = named('FINISH');
    this.finishTaskName = finish;
    claimName(this, 'the retraining task names (derived from the monitor: change its id)', 'TASK', finish);
    this.finishTask = new Task(this, 'FinishTask', {
      ...common,
      name: finish.name,
      after: this.workerTasks.map((_, k) => named(`W${k}`).quoted),
      sqlStatement: renderRetrainFinishBody(recorded),
      comment: props.challenge
        ? 'Closed loop: verify, index, register one version, make it the challenger through the gate'
        : 'Closed loop: verify, index, register one version, promote through the gate',
    });
    dependOn(this.finishTask, ...this.workerTasks);
  }
}
