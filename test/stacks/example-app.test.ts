import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../../stacks/main';
import { formatSummary, readSynthOutput } from '../../lib/cli/synth-app';

describe('example app', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-example-'));
  beforeAll(() => buildApp(outdir).synth());
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('synthesizes the forecast stack with Terraform JSON and a hook manifest side by side', () => {
    const [stack] = readSynthOutput(outdir);
    expect(stack.name).toBe('forecast');
    expect(path.dirname(stack.manifestFile!)).toBe(path.dirname(stack.terraformFile));
    expect(stack.resourceCounts).toMatchObject({
      snowflake_compute_pool: 1,
      snowflake_stage: 1,
      snowflake_procedure_python: 1,
      snowflake_execute: 1,
      snowflake_table: 4, // metrics, runs, ledger, FORECAST_RESULTS
      snowflake_task: 10, // root + 8 slots + daily scoring
    });
    expect(stack.manifest!.steps.map((s) => s.kind)).toEqual([
      'startPass', 'executeTaskGraph', 'startPass', 'runWorkers', 'waitQueue', 'buildModelIndex', 'registerAggregator', 'promote', 'batchScore',
    ]);
  });

  test('the daily scoring task writes FORECAST_RESULTS and the provider enables the needed preview features', () => {
    const tf = JSON.parse(fs.readFileSync(readSynthOutput(outdir)[0].terraformFile, 'utf8'));
    const tasks = Object.values(tf.resource.snowflake_task) as any[];
    const scoring = tasks.find((t) => t.schedule)!;
    expect(scoring.schedule.using_cron).toBe('0 6 * * * UTC');
    expect(scoring.sql_statement).toContain('"ANALYTICS"."FORECAST"."FORECAST_RESULTS"');
    expect(tf.provider.snowflake[0].preview_features_enabled).toEqual(['snowflake_procedure_python_resource', 'snowflake_stage_resource', 'snowflake_table_resource']);
  });

  test('the summary says where the files are and lists every step', () => {
    const text = formatSummary(readSynthOutput(outdir), outdir);
    expect(text).toContain('Terraform JSON   stacks/forecast/cdk.tf.json');
    expect(text).toContain('hook manifest    stacks/forecast/hooks.json  (schema v1, 9 steps, ledger ANALYTICS.FORECAST.HOOK_RUNS)');
    expect(text.split('\n').filter((l) => /^    \S+ +forecast\/Forecast\//.test(l))).toHaveLength(9);
  });
});
