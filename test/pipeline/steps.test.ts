import { HookStepSpec, MANIFEST_SCHEMA_VERSION, finalizeSteps, serializeManifest } from '../../lib/hooks/manifest';
import { parseManifest } from '../../lib/hooks/validate';
import { ObjectName } from '../../lib/identifiers';
import { ModelSet, PipelineModel, QueuePassModel, TasksPassModel, trainingKey } from '../../lib/pipeline/model';
import { pipelineAbandon, pipelineSteps, promoteStepId } from '../../lib/pipeline/steps';
import { Pass, PassName } from '../../lib/sql/training';

// Models written out by hand: the steps are a function of the model alone, no stack involved.
const schema = ObjectName.of('DB', 'ML');
const services = (pass: PassName, n: number) => Array.from({ length: n }, (_, k) => schema.child(`DEMAND_${pass.toUpperCase()}_W${k}`));

const screenOnGraph = (slots = 2): TasksPassModel => ({
  mode: 'tasks',
  pass: Pass.SCREEN,
  slots,
  chunkSize: 50,
  modelSet: ModelSet.SCREEN,
  timeoutSeconds: 7200,
  rootTask: schema.child('DEMAND_SCREEN_ROOT'),
  jobServices: services(Pass.SCREEN, slots),
});

const onQueue = (pass: PassName, workers = 3, extra: Partial<QueuePassModel> = {}): QueuePassModel => ({
  mode: 'queue',
  pass,
  workers,
  chunkSize: 10,
  modelSet: ModelSet.REFINE,
  timeBudgetSeconds: 900,
  jobServices: services(pass, workers),
  ...extra,
});

function model(passes: PipelineModel['passes'], extra: Partial<PipelineModel> = {}): PipelineModel {
  return {
    path: 'app/Demand',
    namePrefix: 'DEMAND',
    schema,
    warehouse: ObjectName.of('DEMAND_WH'),
    computePool: ObjectName.of('POOL'),
    source: { table: ObjectName.of('DB', 'RAW', 'SALES'), partitionColumn: 'STORE', orderColumn: 'DAY', targetColumn: 'UNITS', covariateColumns: [] },
    trainer: { image: '/db/ml/images/worker:1.0.0', environment: {}, artifactExtension: 'json' },
    workerCpus: 3,
    tables: { metrics: schema.child('DEMAND_TRAINING_METRICS'), runs: schema.child('DEMAND_TRAINING_RUNS'), stage: schema.child('DEMAND_MODELS') },
    queue: { table: schema.child('DEMAND_QUEUE'), leaseSeconds: 600, maxAttempts: 3 },
    passes,
    holdoutSteps: 28,
    seasonPeriod: 7,
    allowedFailurePercent: 2,
    registry: { model: schema.child('DEMAND_MODEL'), procedure: schema.child('DEMAND_AGGREGATOR_REGISTER'), versionPrefix: 'V_', alias: 'PRODUCTION' },
    ...extra,
  };
}

const queueOnly = model([onQueue(Pass.SCREEN)]);
const screenThenRefine = model([screenOnGraph(), onQueue(Pass.REFINE, 3, { refineTopPercent: 15 })]);

const chain = (steps: HookStepSpec[]) =>
  steps.map((s) => `${s.id.replace('app/Demand/', '')}:${s.kind}<-${s.dependsOn.map((d) => d.replace('app/Demand/', '')).join(',')}`);

/** The step `name` of `steps`, which must be of `kind`. */
function stepOf<K extends HookStepSpec['kind']>(steps: HookStepSpec[], name: string, kind: K): HookStepSpec & { kind: K } {
  const step = steps.find((s) => s.id === `app/Demand/${name}`);
  expect(step?.kind).toBe(kind);
  return step as HookStepSpec & { kind: K };
}

describe('pipelineSteps', () => {
  test('a queue pipeline starts the pass, starts the workers, waits for the queue, then indexes, registers and promotes, each after the one before', () => {
    expect(chain(pipelineSteps(queueOnly))).toEqual([
      'screen-start:startPass<-',
      'screen-workers:runWorkers<-screen-start',
      'screen-wait:waitQueue<-screen-workers',
      'buildModelIndex:buildModelIndex<-screen-wait',
      'registerAggregator:registerAggregator<-buildModelIndex',
      'promote:promote<-registerAggregator',
    ]);
    expect(promoteStepId(queueOnly)).toBe('app/Demand/promote');
  });

  test('screen-then-refine runs the task-graph screen pass, then the queue refine pass of the worst partitions', () => {
    const steps = pipelineSteps(screenThenRefine);
    expect(chain(steps)).toEqual([
      'screen-start:startPass<-',
      'screen-train:executeTaskGraph<-screen-start',
      'refine-start:startPass<-screen-train',
      'refine-workers:runWorkers<-refine-start',
      'refine-wait:waitQueue<-refine-workers',
      'buildModelIndex:buildModelIndex<-refine-wait',
      'registerAggregator:registerAggregator<-buildModelIndex',
      'promote:promote<-registerAggregator',
    ]);
    const refine = stepOf(steps, 'refine-start', 'startPass');
    expect(refine.description).toBe('mark the refine pass running and enqueue the worst 15 % of partitions (plus failed ones)');
    expect(refine.statements.find((s) => s.id === 'enqueue')!.sql).toContain('"DB"."ML"."DEMAND_TRAINING_METRICS"');
    expect(stepOf(steps, 'screen-start', 'startPass').statements.find((s) => s.id === 'enqueue')!.sql).toContain('"DB"."RAW"."SALES"');
  });

  test("every step runs in the pipeline's run group, and only the first carries the triggers", () => {
    const steps = pipelineSteps(screenThenRefine);
    expect(new Set(steps.map((s) => s.runGroup))).toEqual(new Set(['app/Demand']));
    expect(steps[0].triggers).toEqual({ image: '/db/ml/images/worker:1.0.0', runVersion: '', trainer: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(steps.slice(1).every((s) => Object.keys(s.triggers).length === 0)).toBe(true);
  });

  test('the task-graph wait follows the root task and carries the pass timeout, the poll interval and the queue upkeep', () => {
    const train = stepOf(pipelineSteps(screenThenRefine), 'screen-train', 'executeTaskGraph');
    expect(train.timeoutSeconds).toBe(7200);
    expect(train.allowedFailurePercent).toBe(2);
    expect(train.statements.map((s) => s.id)).toEqual(['execute-task', 'finish-pass']);
    expect(train.wait).toMatchObject({
      rootTask: 'DB.ML.DEMAND_SCREEN_ROOT',
      jobServices: ['DB.ML.DEMAND_SCREEN_W0', 'DB.ML.DEMAND_SCREEN_W1'],
      queueTable: 'DB.ML.DEMAND_QUEUE',
      pollSeconds: 10,
    });
    expect(train.wait.graphRunSql).toContain("ROOT_TASK_NAME => 'DEMAND_SCREEN_ROOT'");
    expect(train.wait.pendingSql).toContain("'PENDING'");
    expect(train.wait.requeueSql).toContain("RUN_ID = '{{RUN_ID}}'");
  });

  test('the queue wait carries the budget, a timeout 10 minutes past it and the poll interval; the workers step names one job service per statement', () => {
    const steps = pipelineSteps(queueOnly);
    const wait = stepOf(steps, 'screen-wait', 'waitQueue');
    expect(wait.wait).toMatchObject({
      budgetSeconds: 900,
      pollSeconds: 10,
      jobServices: ['DB.ML.DEMAND_SCREEN_W0', 'DB.ML.DEMAND_SCREEN_W1', 'DB.ML.DEMAND_SCREEN_W2'],
    });
    expect(wait.timeoutSeconds).toBe(1500);
    expect(wait.description).toBe('wait until the screen queue is drained or its 900s budget ends; re-queue expired leases');
    const workers = stepOf(steps, 'screen-workers', 'runWorkers');
    expect(workers.wait).toEqual({ jobServices: wait.wait.jobServices, pollSeconds: 10 });
    expect(workers.statements.map((s) => s.sql.match(/NAME = (\S+)/)![1])).toEqual([
      'DB.ML.DEMAND_SCREEN_W0',
      'DB.ML.DEMAND_SCREEN_W1',
      'DB.ML.DEMAND_SCREEN_W2',
    ]);
    expect(workers.statements[2].sql).toContain("MM_SLOTS: '3'");
    expect(workers.statements[2].sql).toContain("MM_TIME_BUDGET_SECONDS: '900'");
    expect(workers.statements[2].sql).toContain(`MM_TRAINING_KEY: '${trainingKey(queueOnly)}'`);
  });

  test('both kinds of training wait watch a pass the same way: one builder for the progress, refresh, verification and lease upkeep', () => {
    const graph = stepOf(pipelineSteps(model([screenOnGraph()])), 'screen-train', 'executeTaskGraph').wait;
    const queue = stepOf(pipelineSteps(queueOnly), 'screen-wait', 'waitQueue').wait;
    for (const k of [
      'progressSql',
      'refreshSql',
      'verifySql',
      'requeueSql',
      'requeueOrphanedSql',
      'failExhaustedSql',
      'failuresSql',
      'queueTable',
      'pollSeconds',
    ] as const) {
      expect([k, queue[k]]).toEqual([k, graph[k]]);
    }
  });

  test('promotion is gated when the registry has a gate, and moves the alias unconditionally when it has none', () => {
    const gated = stepOf(
      pipelineSteps(model([onQueue(Pass.SCREEN)], { registry: { ...queueOnly.registry, gate: { metric: 'MEDIAN_MAPE', threshold: 0.2 } } })),
      'promote',
      'promote',
    );
    expect(gated.statements.map((s) => s.id)).toEqual(['gate', 'unset-alias', 'set-alias', 'set-default']);
    expect(gated.description).toBe('move PRODUCTION to the new version if MEDIAN_MAPE <= 0.2');
    const open = stepOf(pipelineSteps(queueOnly), 'promote', 'promote');
    expect(open.statements.map((s) => s.id)).toEqual(['unset-alias', 'set-alias', 'set-default']);
    expect(open.description).toBe('move PRODUCTION to the new version (no gate)');
  });

  test('a placement change (workers, chunk size) keeps the trainer trigger; a change of what trains (holdout) starts a new run', () => {
    const trigger = (m: PipelineModel) => pipelineSteps(m)[0].triggers.trainer;
    expect(trigger(model([onQueue(Pass.SCREEN, 8, { chunkSize: 3 })]))).toBe(trigger(queueOnly));
    expect(trigger(model([onQueue(Pass.SCREEN)], { holdoutSteps: 14 }))).not.toBe(trigger(queueOnly));
  });

  test("abandoning a run drops the queue workers the runner started, not the task graph's job services", () => {
    const abandon = pipelineAbandon(screenThenRefine);
    expect(abandon.map((s) => s.id)).toEqual(['abandon-passes', 'abandon-chunks', 'drop-service-0', 'drop-service-1', 'drop-service-2']);
    expect(abandon.slice(2).map((s) => s.sql)).toEqual(services(Pass.REFINE, 3).map((n) => `DROP SERVICE IF EXISTS ${n}`));
  });

  test('the steps make a manifest the validator accepts', () => {
    const steps = finalizeSteps(pipelineSteps(screenThenRefine));
    const text = serializeManifest({
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      stack: 'app',
      ledger: { database: 'DB', schema: 'ML', table: 'HOOK_RUNS' },
      steps,
    });
    expect(parseManifest(text).steps.map((s) => s.kind)).toEqual(steps.map((s) => s.kind));
  });
});
