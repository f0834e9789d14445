import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { ObjectName, UNQUOTED_UPPER_IDENTIFIER, normalizeIdentifier } from '../lib/identifiers';
import { ModelSet, PassModel, PipelineModel, QueuePassModel, TasksPassModel, TrainerModel, WarehousePassModel } from '../lib/pipeline/model';
import { WAREHOUSE_TRAINER_IMAGE } from '../lib/sql/warehouse';
import { maxSlots } from '../lib/sql/task-graph';
import { Pass, PassName, SourceModel } from '../lib/sql/training';
import { INSTANCE_FAMILY_VCPUS } from './compute-pool';
import type { ManyModelPipelineProps } from './many-model-pipeline';
import { aggregatorSettings } from './model-registry-aggregator';
import { nameFromPath } from './names';
import { checkQueueOptions } from './queue-table';
import { ISourceTable } from './source-table';
import { QueuePassOptions, TasksPassOptions, TrainingStrategy, WarehousePassOptions } from './training-strategy';

/**
 * The ids of the children the pipeline creates from the model: the model derives their names, and
 * reports their props' errors, as these children do.
 */
export const PIPELINE_CHILD_IDS = { queue: 'Queue', aggregator: 'Aggregator' } as const;

/** A task-graph pass's defaults, as TasksPassOptions documents them. */
const TASKS_PASS_DEFAULTS = { slots: 4, chunkSize: 50, modelSet: ModelSet.SCREEN, timeout: Duration.hours(2) };

/** A queue pass's defaults, as QueuePassOptions documents them. */
const QUEUE_PASS_DEFAULTS = { workers: 4, chunkSize: 10, modelSet: ModelSet.REFINE, timeBudget: Duration.minutes(30) };

/** A warehouse pass's defaults, as WarehousePassOptions documents them. */
const WAREHOUSE_PASS_DEFAULTS = { modelSet: ModelSet.SCREEN, timeout: Duration.hours(1) };

/** ScreenThenRefineOptions.refineTopPercent's default. */
const REFINE_TOP_PERCENT_DEFAULT = 10;

/**
 * The pipeline `pipeline`'s model from its props: every prop checked (errors name the pipeline's
 * path and the prop as the user wrote it, or the path of the child that owns the prop), every
 * default applied, every name derived. The pipeline creates its resources from it and registers
 * `pipelineSteps(model)`; nothing else reads the props' defaults.
 */
export function pipelineModel(pipeline: Construct, props: ManyModelPipelineProps): PipelineModel {
  const path = pipeline.node.path;
  const namePrefix = validateProp(path, 'namePrefix', () => normalizeIdentifier(props.namePrefix ?? nameFromPath(pipeline), 'name prefix'));
  if (namePrefix.length > 150) {
    throw new ValidationError(
      path,
      'namePrefix',
      `${namePrefix} is ${namePrefix.length} characters; derived names add up to 40 more and must stay under 255`,
      'Give a shorter namePrefix',
    );
  }
  const passes = trainingPasses(path, props.training ?? TrainingStrategy.screenThenRefine());
  const spcs = passes.some((p) => p.mode !== 'warehouse');
  // A pool and an image only where a pass runs job services (TrainingStrategy.warehouse runs none).
  if (spcs && !props.computePool)
    throw new ValidationError(
      path,
      'computePool',
      'is required: the training strategy runs job services on a compute pool',
      'Pass computePool, or use TrainingStrategy.warehouse() to train in the warehouse',
    );
  if (spcs && !props.trainer)
    throw new ValidationError(
      path,
      'trainer',
      'is required: the training strategy runs a training container',
      "Pass trainer (e.g. Trainer.fromImage('/db/schema/repo/worker:1.0')), or use TrainingStrategy.warehouse()",
    );
  if (!spcs && props.trainer)
    throw new ValidationError(
      path,
      'trainer',
      'is set, but TrainingStrategy.warehouse() trains with the built-in forecasting core in the warehouse and runs no container',
      'Remove trainer, or choose a strategy that runs job services',
    );
  if (!spcs && props.computePool)
    throw new ValidationError(
      path,
      'computePool',
      'is set, but TrainingStrategy.warehouse() runs no job service',
      'Remove computePool (no pool is used or granted), or choose a strategy that runs job services',
    );
  validateProp(path, 'trainer', () => props.trainer?.validate());
  // Checked here, not only by the Queue and Scoring parts, so the error names the pipeline's own prop.
  validateProp(path, 'leaseDuration', () => props.leaseDuration?.validate());
  validateProp(path, 'scoring.schedule', () => props.scoring?.schedule?.validate());
  const holdoutSteps = wholeNumber(path, 'holdoutSteps', props.holdoutSteps ?? 28, 1, 3660);
  const seasonPeriod = wholeNumber(path, 'seasonPeriod', props.seasonPeriod ?? 7, 1, 366);
  const givenSettings = (['holdoutSteps', 'seasonPeriod'] as const).filter((k) => props[k] !== undefined);
  const allowedFailurePercent = props.allowedFailurePercent ?? 0;
  if (!(allowedFailurePercent >= 0 && allowedFailurePercent <= 100)) {
    throw new ValidationError(
      path,
      'allowedFailurePercent',
      `is ${allowedFailurePercent}; it must be from 0 to 100`,
      'Use 0 to fail on any failed partition, or e.g. 2',
    );
  }
  if (props.runVersion !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(props.runVersion)) {
    throw new ValidationError(
      path,
      'runVersion',
      `${JSON.stringify(props.runVersion)} must be 1-64 letters, digits, . _ or -`,
      "Use e.g. '2026-11-23' or 'v2'",
    );
  }
  const schema = schemaName(path, namePrefix, props);
  const name = (suffix: string) => `${namePrefix}_${suffix}`;
  const named = passes.map((p): PassModel => {
    if (p.mode === 'warehouse') {
      const tag = p.pass.toUpperCase();
      return { ...p, function: schema.child(name(`${tag}_FIT`)), fits: schema.child(name(`${tag}_FITS`)), jobServices: [] };
    }
    const jobServices = Array.from({ length: p.mode === 'tasks' ? p.slots : p.workers }, (_, k) =>
      jobServiceName(path, namePrefix, schema.child(name(`${p.pass.toUpperCase()}_W${k}`))),
    );
    return p.mode === 'tasks' ? { ...p, rootTask: schema.child(name(`${p.pass.toUpperCase()}_ROOT`)), jobServices } : { ...p, jobServices };
  });
  const queue = checkQueueOptions(`${path}/${PIPELINE_CHILD_IDS.queue}`, props);
  const registry = aggregatorSettings(pipeline, PIPELINE_CHILD_IDS.aggregator, schema, {
    ...props.registry,
    modelName: props.registry?.modelName ?? name('MODEL'),
    stageName: name('MODELS'),
  });
  return {
    path,
    namePrefix,
    schema,
    warehouse: props.warehouse?.qualifiedName ?? ObjectName.of(name('WH')),
    ...(props.computePool ? { computePool: props.computePool.qualifiedName } : {}),
    source: sourceModel(props.source),
    trainer: trainerModel(props),
    workerCpus: props.trainer?.options.cpu ?? (props.computePool?.instanceFamily ? INSTANCE_FAMILY_VCPUS[props.computePool.instanceFamily] : 1),
    tables: { metrics: schema.child(name('TRAINING_METRICS')), runs: schema.child(name('TRAINING_RUNS')), stage: registry.stageName },
    queue: { table: schema.child(name('QUEUE')), ...queue },
    passes: named,
    holdoutSteps,
    seasonPeriod,
    ...(givenSettings.length > 0 ? { givenSettings } : {}),
    allowedFailurePercent,
    runVersion: props.runVersion,
    registry: {
      model: registry.modelName,
      procedure: registry.procedureName,
      versionPrefix: registry.versionPrefix,
      alias: registry.alias,
      gate: registry.gate,
    },
  };
}

/** The pipeline's schema: `schema`, else one named after the pipeline in `database`. */
function schemaName(path: string, namePrefix: string, props: ManyModelPipelineProps): ObjectName {
  const { database, schema } = props;
  if (!schema) {
    if (!database)
      throw new ValidationError(path, 'database', 'is required when schema is not given', 'Pass database (the pipeline creates its schema there) or schema');
    return ObjectName.of(database.databaseName, namePrefix);
  }
  if (database && schema.databaseName !== database.databaseName) {
    throw new ValidationError(
      path,
      'schema',
      `is in database ${schema.databaseName}, not in ${database.databaseName}`,
      'Pass a schema of the pipeline database, or leave schema unset',
    );
  }
  return schema.qualifiedName;
}

/** A pass's settings before its objects are named. */
type TasksPassSettings = Omit<TasksPassModel, 'rootTask' | 'jobServices'>;
type QueuePassSettings = Omit<QueuePassModel, 'jobServices'>;
type WarehousePassSettings = Omit<WarehousePassModel, 'function' | 'fits' | 'jobServices'>;
type PassSettings = TasksPassSettings | QueuePassSettings | WarehousePassSettings;

/**
 * The strategy's passes with their defaults, checked against construct `path`. Props are named as
 * the user wrote them: `training.<prop>` for a one-pass strategy, `training.screen.<prop>` and
 * `training.refine.<prop>` for screen-then-refine, whose `timeBudget` and `refineTopPercent` are
 * its own.
 */
function trainingPasses(path: string, strategy: TrainingStrategy): PassSettings[] {
  const c = strategy.choice;
  switch (c.mode) {
    case 'tasks':
      return [tasksPass(path, 'training.', c.options)];
    case 'queue':
      return [queuePass(path, 'training.', Pass.SCREEN, c.options)];
    case 'warehouse':
      return [warehousePass(path, 'training.', c.options)];
    case 'screenThenRefine': {
      const inWarehouse = c.options.screenInWarehouse;
      if (inWarehouse && c.options.screen) {
        throw new ValidationError(
          path,
          'training.screen',
          'is set together with training.screenInWarehouse; the screen pass runs either on a task graph or in the warehouse',
          'Remove one of the two',
        );
      }
      const screen = inWarehouse
        ? warehousePass(path, 'training.screenInWarehouse.', inWarehouse)
        : tasksPass(path, 'training.screen.', c.options.screen ?? {});
      const refine = queuePass(path, 'training.refine.', Pass.REFINE, { ...(c.options.refine ?? {}), timeBudget: c.options.timeBudget });
      const p = c.options.refineTopPercent ?? REFINE_TOP_PERCENT_DEFAULT;
      if (!(typeof p === 'number' && p > 0 && p <= 100)) {
        throw new ValidationError(
          path,
          'training.refineTopPercent',
          `is ${p}; it must be above 0 and at most 100`,
          'Use e.g. 10 to refine the worst 10 % of partitions',
        );
      }
      return [screen, { ...refine, refineTopPercent: p }];
    }
  }
}

function tasksPass(path: string, prefix: string, o: TasksPassOptions): TasksPassSettings {
  const d = TASKS_PASS_DEFAULTS;
  const limit = maxSlots();
  return {
    mode: 'tasks',
    pass: Pass.SCREEN,
    slots: wholeNumber(
      path,
      `${prefix}slots`,
      o.slots ?? d.slots,
      1,
      limit,
      `A task graph holds at most 1000 tasks (root and fan-outs included), so at most ${limit} worker tasks`,
    ),
    chunkSize: wholeNumber(path, `${prefix}chunkSize`, o.chunkSize ?? d.chunkSize, 1, 10000, 'Use a chunk size from 1 to 10000 partitions'),
    modelSet: modelSet(path, `${prefix}modelSet`, o.modelSet ?? d.modelSet),
    timeoutSeconds: positiveSeconds(path, `${prefix}timeout`, o.timeout ?? d.timeout),
  };
}

function warehousePass(path: string, prefix: string, o: WarehousePassOptions): WarehousePassSettings {
  const d = WAREHOUSE_PASS_DEFAULTS;
  return {
    mode: 'warehouse',
    pass: Pass.SCREEN,
    modelSet: modelSet(path, `${prefix}modelSet`, o.modelSet ?? d.modelSet),
    timeoutSeconds: positiveSeconds(path, `${prefix}timeout`, o.timeout ?? d.timeout),
  };
}

function queuePass(path: string, prefix: string, pass: PassName, o: QueuePassOptions): QueuePassSettings {
  const d = QUEUE_PASS_DEFAULTS;
  return {
    mode: 'queue',
    pass,
    workers: wholeNumber(path, `${prefix}workers`, o.workers ?? d.workers, 1, 1000, 'Use 1 to 1000 workers (and a pool with enough nodes)'),
    chunkSize: wholeNumber(path, `${prefix}chunkSize`, o.chunkSize ?? d.chunkSize, 1, 10000, 'Use a chunk size from 1 to 10000 partitions'),
    modelSet: modelSet(path, `${prefix}modelSet`, o.modelSet ?? d.modelSet),
    // One time budget however the strategy is written (screenThenRefine's is its own, not refine's).
    timeBudgetSeconds: positiveSeconds(path, 'training.timeBudget', o.timeBudget ?? d.timeBudget),
  };
}

/**
 * A job service's name in the pipeline's schema. EXECUTE JOB SERVICE's NAME does not support
 * quoted names (https://docs.snowflake.com/en/sql-reference/sql/execute-job-service), so every
 * part must be a plain upper-case identifier; checked where the name is formed, so the error
 * names the prop to change.
 */
function jobServiceName(path: string, namePrefix: string, full: ObjectName): ObjectName {
  const [db, schema] = full.parts;
  const plain = (p: string) => UNQUOTED_UPPER_IDENTIFIER.test(p);
  const rule =
    'is not an unquoted Snowflake identifier (upper-case letters, digits, _ and $, starting with a letter or _), and the job service names it is part of must be: EXECUTE JOB SERVICE does not support quoted names';
  if (!plain(full.name)) {
    throw new ValidationError(
      path,
      'namePrefix',
      `${JSON.stringify(namePrefix)} (in the job service name ${full.name}) ${rule}`,
      "Give a namePrefix of letters, digits and _, e.g. 'FORECAST'",
    );
  }
  for (const [prop, part] of [
    ['database', db],
    ['schema', schema],
  ] as const) {
    if (!plain(part))
      throw new ValidationError(
        path,
        prop,
        `${JSON.stringify(part)} (of the job service ${full.parts.join('.')}) ${rule}`,
        'Use a database and schema with plain literal names such as ANALYTICS.FORECAST',
      );
  }
  return full;
}

function sourceModel(s: ISourceTable): SourceModel {
  return {
    table: s.qualifiedName,
    partitionColumn: s.partitionColumn,
    orderColumn: s.orderColumn,
    targetColumn: s.targetColumn,
    covariateColumns: s.covariateColumns,
  };
}

function trainerModel(props: ManyModelPipelineProps): TrainerModel {
  const { trainer } = props;
  // No container: the warehouse pass's function is the trainer, named by its core's digest.
  if (!trainer) return { image: WAREHOUSE_TRAINER_IMAGE, environment: {}, artifactExtension: 'json' };
  const { command, args, environment, cpu, memory } = trainer.options;
  return { image: trainer.image, command, args, environment: environment ?? {}, artifactExtension: trainer.artifactExtension, cpu, memory };
}

function wholeNumber(path: string, prop: string, v: number, min: number, max: number, fix = `Set ${prop} within ${min}..${max}`): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new ValidationError(path, prop, `is ${v}; it must be a whole number from ${min} to ${max}`, fix);
  return v;
}

function positiveSeconds(path: string, prop: string, d: Duration): number {
  const seconds = validateProp(path, prop, () => d.toSeconds());
  if (!(seconds > 0)) throw new ValidationError(path, prop, 'is 0', 'Give a positive duration');
  return seconds;
}

function modelSet(path: string, prop: string, v: ModelSet): ModelSet {
  if (!Object.values(ModelSet).includes(v))
    throw new ValidationError(path, prop, `${JSON.stringify(v)} is not a model set`, 'Use ModelSet.SCREEN or ModelSet.REFINE');
  return v;
}
