import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { Hooks, ManyModelPipelineProps, Schema } from '../../index';
import { HookManifest } from '../../lib/hooks/manifest';
import { errorOf, forecastPipeline, newStack, resources, synthJson } from './helpers';

/** The example's pipeline in an existing schema, without `database`. */
const pipeline = (scope: Construct, overrides: Partial<ManyModelPipelineProps> = {}) =>
  forecastPipeline(scope, { database: undefined, schema: Schema.fromName(scope, 'Ml', 'ANALYTICS.ML'), ...overrides });

const manifestOf = (scope: Construct): HookManifest => Hooks.of(scope).manifest();
const step = (m: HookManifest, id: string) => m.steps.find((s) => s.id === id)!;

describe('composing a pipeline', () => {
  test("database may be left out when schema is given: it is the schema's", () => {
    const stack = newStack();
    const p = pipeline(stack);
    expect(p.database.databaseName).toBe('ANALYTICS');
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(errorOf((s) => pipeline(s, { schema: undefined }))).toContain('test/Forecast: database is required when schema is not given. Pass database');
  });

  test("pipeline.addHook steps are among the pipeline's hook steps, so runAfter: [pipeline] waits for them", () => {
    const stack = newStack();
    const p = pipeline(stack);
    const notify = p.addHook({ id: 'notify', statements: ['SELECT 1'] });
    expect(p.hookStepIds).toContain(notify);
    Hooks.of(stack).add({ id: 'dashboard', statements: ['SELECT 2'], runAfter: [p] });
    expect(step(manifestOf(stack), 'dashboard').dependsOn).toContain('test/Forecast/notify');
  });

  test("pipeline.addScoringJob scores with the pipeline's model, source, schema and warehouse, after its promotion, in its run", () => {
    const stack = newStack();
    const p = pipeline(stack, { scoring: { horizon: 28 } });
    const weekly = p.addScoringJob('Weekly', { horizon: 7, modelVersionOrAlias: 'STAGING' });
    expect(weekly.qualifiedName.toString()).toBe('ANALYTICS.ML.FORECAST_WEEKLY_RESULTS');
    expect(p.hookStepIds).toEqual(expect.arrayContaining(weekly.hookStepIds));
    const m = manifestOf(stack);
    const score = step(m, weekly.hookStepIds[0]);
    expect(score.runGroup).toBe('test/Forecast');
    expect(score.dependsOn).toEqual(step(m, p.scoring!.hookStepIds[0]).dependsOn);
    expect(score.description).toContain('ANALYTICS.ML.FORECAST_MODEL@STAGING into ANALYTICS.ML.FORECAST_WEEKLY_RESULTS');
    const grants = Object.values(resources(synthJson(stack), 'snowflake_grant_privileges_to_account_role')) as {
      account_role_name: string;
      privileges: string[];
      on_schema_object?: { object_name?: string };
    }[];
    expect(grants.find((g) => g.on_schema_object?.object_name === '"ANALYTICS"."ML"."FORECAST_WEEKLY_RESULTS"')).toMatchObject({
      account_role_name: 'FORECAST_RUNNER',
      privileges: ['DELETE', 'INSERT', 'SELECT'],
    });
  });

  test("the pipeline's scoring takes after and modelVersionOrAlias as a BatchScoringJob does", () => {
    const stack = newStack();
    const p = pipeline(stack, { scoring: { horizon: 7, after: ['ANALYTICS.RAW.LOAD_TASK'], modelVersionOrAlias: 'STAGING' } });
    const task = Object.values(resources(synthJson(stack), 'snowflake_task')).find((t: any) => t.name === p.scoring!.taskName!.name) as any;
    expect(task.after).toEqual(['"ANALYTICS"."RAW"."LOAD_TASK"']);
    expect(task.sql_statement).toContain('STAGING');
  });

  test("registry options are the aggregator's props: pythonVersion reaches the registration procedure", () => {
    const stack = newStack();
    pipeline(stack, { registry: { pythonVersion: '3.12' } });
    const [proc] = Object.values(resources(synthJson(stack), 'snowflake_procedure_python')) as { runtime_version: string }[];
    expect(proc.runtime_version).toBe('3.12');
  });
});
