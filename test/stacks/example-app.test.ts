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

  test('step fingerprints are those of the manifest whose passes polled DIRECTORY(@stage): upgrading re-runs no training', () => {
    // Recorded from the synthesis before issue #23 split the pass's poll (progressSql, now without
    // the stage) from its verification (verifySql, the former progressSql, run after refreshSql).
    // A change here makes every existing deployment retrain: only for a change of what runs.
    const fingerprints = Object.fromEntries(readSynthOutput(outdir)[0].manifest!.steps.map((s) => [s.id, s.fingerprint]));
    expect(fingerprints).toEqual({
      'forecast/Forecast/screen-start': '7eff3e49c7dbd33a5836a5fe8ea69d13032831e63ea14c788528072a7851e9f4',
      'forecast/Forecast/screen-train': 'f6655736cb2b9a3c8daa480dd88aabe94d76ae7de09445854c383f99801036ac',
      'forecast/Forecast/refine-start': '33f6aa601866d20fe93972e261919e435c836aa7eeecbfbb908cd195717ac4bd',
      'forecast/Forecast/refine-workers': '62d84c6960117f4fb7ac65027bfdb13f5ce886a4583f5452aa0a75351437ffc3',
      'forecast/Forecast/refine-wait': '1c2e5c9dba097b53107cf9e5d556139dd6f2c158f554b9dc169880b4e2a2c2e5',
      'forecast/Forecast/buildModelIndex': '40073803f09c2a3a63d9322dde2ff464a9c87c39c63d9225779371b36fb62a2f',
      'forecast/Forecast/registerAggregator': '94c7151cd3977ef16df4053bb9cac2aef697803b43a49c370e9607dd1b6d5110',
      'forecast/Forecast/promote': '5c7f28f31f217f56f56658bb2bbb394644aa6b91b6b7d605a00d8fc4a5cfd01b',
      'forecast/Forecast/Scoring/batchScore': 'ca6148fca70a65ab66b279bc6c577fd1d97e913c4dbfb4107aed5f6ccf1b31bf',
    });
  });
});
