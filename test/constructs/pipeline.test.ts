import 'cdktf/lib/testing/adapters/jest';
import * as fs from 'fs';
import * as path from 'path';
import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import {
  ComputePool,
  Database,
  Duration,
  Hooks,
  InstanceFamily,
  ManyModelPipeline,
  ManyModelPipelineProps,
  Role,
  Schedule,
  Schema,
  SourceTable,
  Trainer,
  TrainingStrategy,
  ValidationError,
  Warehouse,
} from '../../index';
import { errorOf, newStack, resources, synthJson } from './helpers';
import { HookStep, StepKind } from '../../lib/hooks/manifest';

function pipeline(scope: Construct, id = 'Forecast', overrides: Partial<ManyModelPipelineProps> = {}, pool?: ComputePool): ManyModelPipeline {
  return new ManyModelPipeline(scope, id, {
    database: Database.fromName(scope, `${id}Db`, 'ANALYTICS'),
    source: SourceTable.fromName(scope, `${id}Src`, 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    computePool: pool ?? new ComputePool(scope, `${id}Pool`, { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 }),
    trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
    scoring: { horizon: 28 },
    ...overrides,
  });
}

const stepNames = (stack: TerraformStack) =>
  Hooks.of(stack)
    .manifest()
    .steps.map((s) => s.id);

/** The step whose id ends with `suffix`, which must be of `kind`. */
function stepOf<K extends StepKind>(stack: TerraformStack, suffix: string, kind: K): HookStep & { kind: K } {
  const step = Hooks.of(stack)
    .manifest()
    .steps.find((s) => s.id.endsWith(suffix))!;
  expect(step.kind).toBe(kind);
  return step as HookStep & { kind: K };
}

describe('ManyModelPipeline', () => {
  test('screen-then-refine adds the hook steps of the design in dependency order', () => {
    const stack = newStack();
    pipeline(stack);
    expect(stepNames(stack)).toEqual([
      'test/Forecast/screen-start',
      'test/Forecast/screen-train',
      'test/Forecast/refine-start',
      'test/Forecast/refine-workers',
      'test/Forecast/refine-wait',
      'test/Forecast/buildModelIndex',
      'test/Forecast/registerAggregator',
      'test/Forecast/promote',
      'test/Forecast/Scoring/batchScore',
    ]);
    const steps = Hooks.of(stack).manifest().steps;
    expect(steps.find((s) => s.id.endsWith('promote'))!.dependsOn).toEqual(['test/Forecast/registerAggregator']);
    expect(steps.find((s) => s.id.endsWith('batchScore'))!.dependsOn).toEqual(['test/Forecast/promote']);
    expect(new Set(steps.map((s) => s.runGroup))).toEqual(new Set(['test/Forecast']));
  });

  test('the screen pass is a task graph: a suspended root and one started job-service task per slot', () => {
    const stack = newStack();
    pipeline(stack, 'Forecast', { training: TrainingStrategy.screenThenRefine({ screen: { slots: 3 } }) });
    const tasks = resources(synthJson(stack), 'snowflake_task');
    const byName = Object.fromEntries(Object.values(tasks).map((t: any) => [t.name, t]));
    expect(byName.FORECAST_SCREEN_ROOT.started).toBe(false);
    for (const k of [0, 1, 2]) {
      const t = byName[`FORECAST_SCREEN_SLOT_${k}`];
      expect(t.started).toBe(true);
      expect(t.after).toEqual(['"ANALYTICS"."FORECAST"."FORECAST_SCREEN_ROOT"']);
      expect(t.sql_statement).toContain(`DROP SERVICE IF EXISTS ANALYTICS.FORECAST.FORECAST_SCREEN_W${k};`);
      expect(t.sql_statement).toContain(`NAME = ANALYTICS.FORECAST.FORECAST_SCREEN_W${k}\n`);
      expect(t.sql_statement).toContain('IN COMPUTE POOL "FORECAST_POOL"');
      // The specification is a string constant of the block (run as EXECUTE IMMEDIATE with the graph run's run id in it).
      expect(t.sql_statement).toContain(`MM_SLOT: ''${k}''`);
      expect(t.sql_statement).toContain("MM_SLOTS: ''3''");
      expect(t.sql_statement).toContain("MM_RUN_ID: ''{{RUN_ID}}''");
      expect(t.sql_statement).toContain("SYSTEM$GET_TASK_GRAPH_CONFIG('RUN_ID')");
    }
  });

  test("the task-graph step follows the root task's graph runs", () => {
    const stack = newStack();
    pipeline(stack);
    const train = stepOf(stack, 'screen-train', 'executeTaskGraph');
    expect(train.wait.rootTask).toBe('ANALYTICS.FORECAST.FORECAST_SCREEN_ROOT');
    expect(train.wait.graphRunSql).toContain(`"ANALYTICS".INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_NAME => 'FORECAST_SCREEN_ROOT')`);
    expect(train.wait.graphRunSql).toContain("WHERE DATABASE_NAME = 'ANALYTICS' AND SCHEMA_NAME = 'FORECAST'");
  });

  test('more than 100 slots fan out so no task has more than 100 children', () => {
    const stack = newStack();
    pipeline(stack, 'Forecast', { training: TrainingStrategy.tasks({ slots: 250 }) });
    const tasks = Object.values(resources(synthJson(stack), 'snowflake_task')) as any[];
    const children = new Map<string, number>();
    for (const t of tasks) for (const a of t.after ?? []) children.set(a, (children.get(a) ?? 0) + 1);
    expect(Math.max(...children.values())).toBeLessThanOrEqual(100);
    expect(tasks.filter((t) => /_SCREEN_FAN_/.test(t.name))).toHaveLength(3);
    expect(tasks.filter((t) => /_SCREEN_SLOT_/.test(t.name))).toHaveLength(250);
  });

  test('the queue-only strategy starts N workers with deterministic names and waits within its budget', () => {
    const stack = newStack();
    pipeline(stack, 'Forecast', { training: TrainingStrategy.queue({ workers: 2, timeBudget: Duration.minutes(5) }) });
    const steps = Hooks.of(stack).manifest().steps;
    const workers = steps.find((s) => s.id.endsWith('screen-workers'))!;
    expect(workers.statements.map((s) => s.sql.match(/NAME = (\S+)/)![1])).toEqual([
      'ANALYTICS.FORECAST.FORECAST_SCREEN_W0',
      'ANALYTICS.FORECAST.FORECAST_SCREEN_W1',
    ]);
    expect(workers.statements[0].sql).toContain('ASYNC = TRUE');
    const wait = stepOf(stack, 'screen-wait', 'waitQueue');
    expect(wait.wait.budgetSeconds).toBe(300);
    expect(wait.wait.requeueSql).toContain("RUN_ID = '{{RUN_ID}}'");
    expect(Object.keys(resources(synthJson(stack), 'snowflake_task'))).toHaveLength(0);
  });

  test('the promotion gate, alias move and default version are rendered', () => {
    const stack = newStack();
    const { PromotionGate, GateMetric } = require('../../index');
    pipeline(stack, 'Forecast', { registry: { promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.2) } });
    const promote = Hooks.of(stack)
      .manifest()
      .steps.find((s) => s.id.endsWith('promote'))!;
    expect(promote.statements.map((s) => s.id)).toEqual(['gate', 'unset-alias', 'set-alias', 'set-default']);
    expect(promote.statements[0].gateColumn).toBe('PASSED');
    expect(promote.statements[0].sql).toContain('VALUE <= 0.2');
    expect(promote.statements[2].sql).toBe('ALTER MODEL "ANALYTICS"."FORECAST"."FORECAST_MODEL" VERSION V_{{RUN_ID}} SET ALIAS = PRODUCTION');
    expect(promote.statements[1].allowError?.reason).toMatch(/first promotion/);
  });

  test('two pipelines share one compute pool and one ledger without name clashes', () => {
    const stack = newStack();
    const pool = new ComputePool(stack, 'Shared', { maxNodes: 8 });
    pipeline(stack, 'Demand', {}, pool);
    pipeline(stack, 'Returns', {}, pool);
    const json = synthJson(stack);
    expect(Object.keys(resources(json, 'snowflake_compute_pool'))).toHaveLength(1);
    const names = (type: string) => Object.values(resources(json, type)).map((r: any) => `${r.database ?? ''}.${r.schema ?? ''}.${r.name}`);
    for (const type of [
      'snowflake_table',
      'snowflake_task',
      'snowflake_stage',
      'snowflake_procedure_python',
      'snowflake_account_role',
      'snowflake_schema',
      'snowflake_warehouse',
    ]) {
      const n = names(type);
      expect(new Set(n).size).toBe(n.length);
    }
    expect(names('snowflake_table').filter((n) => n.endsWith('.HOOK_RUNS'))).toHaveLength(1);
    const manifest = Hooks.of(stack).manifest();
    expect(manifest.ledger).toEqual({ database: 'ANALYTICS', schema: 'DEMAND', table: 'HOOK_RUNS' });
    expect(new Set(manifest.steps.map((s) => s.id)).size).toBe(manifest.steps.length);
  });

  test('works with imported schema, warehouse, pool and roles and creates none of them', () => {
    const stack = newStack();
    const runner = Role.fromName(stack, 'Runner', 'ML_RUNNER');
    pipeline(
      stack,
      'Forecast',
      {
        schema: Schema.fromName(stack, 'Sch', 'ANALYTICS.ML'),
        warehouse: Warehouse.fromName(stack, 'Wh', 'ML_WH'),
        roles: { runner, consumer: Role.fromName(stack, 'Cons', 'ANALYSTS') },
      },
      ComputePool.fromName(stack, 'Pool', 'TEAM_POOL') as ComputePool,
    );
    const json = synthJson(stack);
    for (const type of ['snowflake_schema', 'snowflake_warehouse', 'snowflake_compute_pool', 'snowflake_account_role', 'snowflake_grant_account_role']) {
      expect(Object.keys(resources(json, type))).toHaveLength(0);
    }
    const grants = Object.values(resources(json, 'snowflake_grant_privileges_to_account_role')) as any[];
    expect(grants.filter((g) => g.account_role_name === 'ML_RUNNER').length).toBeGreaterThan(5);
    expect(grants.find((g) => g.on_account_object?.object_type === 'COMPUTE POOL' && g.privileges.includes('USAGE'))!.on_account_object.object_name).toBe(
      '"TEAM_POOL"',
    );
    expect(Object.values(resources(json, 'snowflake_task')).every((t: any) => t.warehouse === 'ML_WH')).toBe(true);
  });

  test('the consumer role gets predict only; the runner never gets OWNERSHIP or ALL', () => {
    const stack = newStack();
    pipeline(stack);
    const grants = Object.values(resources(synthJson(stack), 'snowflake_grant_privileges_to_account_role')) as any[];
    const consumer = grants.filter((g) => g.account_role_name === 'FORECAST_CONSUMER');
    expect(consumer.flatMap((g) => g.privileges)).toEqual(['USAGE', 'USAGE', 'USAGE']);
    for (const g of grants) {
      expect(g.privileges).not.toContain('OWNERSHIP');
      expect(g.all_privileges).toBeUndefined();
    }
  });

  test('a new image tag changes the fingerprint of every training step; a new horizon only scoring', () => {
    const fps = (overrides: Partial<ManyModelPipelineProps>) => {
      const stack = newStack();
      pipeline(stack, 'Forecast', overrides);
      return Object.fromEntries(
        Hooks.of(stack)
          .manifest()
          .steps.map((s) => [s.id.split('/').pop(), s.fingerprint]),
      );
    };
    const base = fps({});
    const image = fps({ trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.5.0') });
    const horizon = fps({ scoring: { horizon: 14 } });
    for (const k of Object.keys(base)) expect(image[k]).not.toBe(base[k]);
    expect(horizon['promote']).toBe(base['promote']);
    expect(horizon['batchScore']).not.toBe(base['batchScore']);
  });

  test('addHook runs a user step after the pipeline, in its run group', () => {
    const stack = newStack();
    const p = pipeline(stack);
    const id = p.addHook({ id: 'notify', statements: ["INSERT INTO OPS.PUB.EVENTS VALUES ('{{RUN_ID}}')"], triggers: { channel: 'ml' } });
    const step = Hooks.of(stack)
      .manifest()
      .steps.find((s) => s.id === id)!;
    expect(id).toBe('test/Forecast/notify');
    expect(step.dependsOn).toEqual(expect.arrayContaining(['test/Forecast/Scoring/batchScore', 'test/Forecast/promote']));
    expect(step.runGroup).toBe('test/Forecast');
  });

  test.each<[string, Partial<ManyModelPipelineProps>, string]>([
    [
      'chunk size 0',
      { training: TrainingStrategy.tasks({ chunkSize: 0 }) },
      'test/Forecast: training.chunkSize is 0; it must be a whole number from 1 to 10000',
    ],
    [
      'too many slots',
      { training: TrainingStrategy.tasks({ slots: 2000 }) },
      'test/Forecast: training.slots is 2000; it must be a whole number from 1 to 989. A task graph holds at most 1000 tasks',
    ],
    [
      'refine share 0',
      { training: TrainingStrategy.screenThenRefine({ refineTopPercent: 0 }) },
      'test/Forecast: training.refineTopPercent is 0; it must be above 0 and at most 100',
    ],
    ['no queue workers', { training: TrainingStrategy.queue({ workers: 0 }) }, 'test/Forecast: training.workers is 0'],
    [
      'an image without a tag',
      { trainer: Trainer.fromImage('/a/b/c/worker') },
      'test/Forecast: trainer image "/a/b/c/worker" is not an SPCS image path with a tag or digest',
    ],
    [
      'the latest tag',
      { trainer: Trainer.fromImage('/a/b/c/worker:latest') },
      'test/Forecast: trainer image "/a/b/c/worker:latest" uses the mutable tag \'latest\'',
    ],
    [
      'a secret in the env',
      { trainer: Trainer.fromImage('/a/b/c/w:1', { environment: { DB_PASSWORD: 'x' } }) },
      'test/Forecast: trainer environment variable DB_PASSWORD looks like a secret',
    ],
    ['a reserved env name', { trainer: Trainer.fromImage('/a/b/c/w:1', { environment: { MM_PASS: 'x' } }) }, 'reserved MM_ prefix'],
    ['a bad runVersion', { runVersion: 'v 2; drop' }, 'test/Forecast: runVersion "v 2; drop" must be 1-64 letters'],
    ['a negative failure share', { allowedFailurePercent: -1 }, 'test/Forecast: allowedFailurePercent is -1'],
    ['a zero horizon', { scoring: { horizon: 0 } }, 'test/Forecast/Scoring: horizon is 0'],
    ['a bad name prefix', { namePrefix: 'fc;drop' }, 'test/Forecast: namePrefix "fc;drop" is not a valid Snowflake identifier'],
    ['holdout 0', { holdoutSteps: 0 }, 'test/Forecast: holdoutSteps is 0'],
    [
      'an unknown scoring time zone',
      { scoring: { horizon: 28, schedule: Schedule.cron('0 6 * * *', 'Mars/Phobos') } },
      'test/Forecast: scoring.schedule time zone "Mars/Phobos" is not an IANA time zone name',
    ],
    ['a negative lease', { leaseDuration: Duration.minutes(-1) }, 'test/Forecast: leaseDuration Duration.minutes(-1) is not a finite, non-negative duration'],
    [
      'a negative time budget',
      { training: TrainingStrategy.queue({ timeBudget: Duration.hours(-1) }) },
      'test/Forecast: training.timeBudget Duration.hours(-1) is not a finite, non-negative duration',
    ],
    [
      'a NaN screen timeout',
      { training: TrainingStrategy.screenThenRefine({ screen: { timeout: Duration.seconds(NaN) } }) },
      'test/Forecast: training.screen.timeout Duration.seconds(NaN) is not a finite, non-negative duration',
    ],
  ])('rejects %s', (_what, overrides, message) => {
    expect(errorOf((s) => pipeline(s, 'Forecast', overrides))).toContain(message);
  });

  test('an invalid scoring schedule is reported with the pipeline path and the prop it was given as', () => {
    expect(errorOf((s) => pipeline(s, 'Forecast', { scoring: { horizon: 28, schedule: Schedule.cron('99 25 * * *') } }))).toBe(
      'test/Forecast: scoring.schedule cron expression "99 25 * * *": minute 99 is outside 0-59, hour 25 is outside 0-23. Write each field as a value in its range, *, a list (1,15), a range (1-5) or a step (*/15, 1-5/2)',
    );
  });

  test("the error is the package root's ValidationError, carrying the path and the prop", () => {
    let caught: unknown;
    try {
      pipeline(newStack(), 'Forecast', { scoring: { horizon: 28, schedule: Schedule.cron('0 6 * * *', 'Mars/Phobos') } });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ path: 'test/Forecast', prop: 'scoring.schedule', problem: 'time zone "Mars/Phobos" is not an IANA time zone name' });
  });

  test('rejects a hook timeout that is not a duration, naming the hook', () => {
    const message = errorOf((s) => pipeline(s).addHook({ id: 'notify', statements: ['SELECT 1'], timeout: Duration.minutes(-10) }));
    expect(message).toBe(
      "test/ManyModelHooks: hook 'test/Forecast/notify' timeout Duration.minutes(-10) is not a finite, non-negative duration. Use Duration.seconds/minutes/hours with a value >= 0",
    );
  });

  test('rejects a schema from another database', () => {
    expect(errorOf((s) => pipeline(s, 'Forecast', { schema: Schema.fromName(s, 'Other', 'OTHERDB.ML') }))).toBe(
      'test/Forecast: schema is in database OTHERDB, not in ANALYTICS. Pass a schema of the pipeline database, or leave schema unset',
    );
  });

  test('rejects a database whose name is not a literal unquoted identifier: job service names must be unquoted', () => {
    const message = errorOf((s) => {
      const name = new TerraformVariable(s, 'DbName', { type: 'string' }).stringValue;
      pipeline(s, 'Forecast', { database: Database.fromName(s, 'TokenDb', name) });
    });
    expect(message).toMatch(
      /^test\/Forecast: database "\$\{TfToken\[TOKEN\.\d+\]\}" \(of the job service .*_SCREEN_W0\) is not an unquoted Snowflake identifier .* EXECUTE JOB SERVICE does not support quoted names\. Use a database and schema with plain literal names/,
    );
  });

  test('rejects a name prefix that is a token: it ends up in the job service names', () => {
    const message = errorOf((s) => pipeline(s, 'Forecast', { namePrefix: new TerraformVariable(s, 'Prefix', { type: 'string' }).stringValue }));
    expect(message).toMatch(/^test\/Forecast: namePrefix .* is not an unquoted Snowflake identifier .*Give a namePrefix of letters, digits and _/);
  });

  test('warns when training asks for more concurrent jobs than the pool has nodes', () => {
    const stack = newStack();
    pipeline(stack, 'Forecast', { training: TrainingStrategy.tasks({ slots: 20 }) });
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
    expect(warnings.find((w) => w.includes('asks for 20 concurrent job services'))).toBeDefined();
  });

  test('writes hooks.json beside cdk.tf.json, byte-identical across synths, without credentials', () => {
    process.env.SNOWFLAKE_PASSWORD = 'canary-secret-8d1f';
    const outputs = [0, 1].map(() => {
      const stack = newStack('forecast');
      pipeline(stack);
      const dir = Testing.fullSynth(stack);
      const stackDir = path.join(dir, 'stacks', 'forecast');
      return { tf: fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'), hooks: fs.readFileSync(path.join(stackDir, 'hooks.json'), 'utf8') };
    });
    expect(outputs[0].hooks).toBe(outputs[1].hooks);
    expect(outputs[0].tf).toBe(outputs[1].tf);
    const manifest = JSON.parse(outputs[0].hooks);
    expect(manifest.schemaVersion).toBe(1);
    expect(manifest.steps).toHaveLength(9);
    for (const text of [outputs[0].tf, outputs[0].hooks]) {
      expect(text).not.toContain('canary-secret-8d1f');
      expect(text).not.toMatch(/"password"/i);
    }
    delete process.env.SNOWFLAKE_PASSWORD;
  });
});
