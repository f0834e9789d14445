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

  test('step fingerprints change only with what runs: how the runner polls, verifies or recovers is left out', () => {
    // Issue #23 split the pass's poll (progressSql, now without the stage) from its verification
    // (verifySql, the former progressSql, run after refreshSql) without changing these. Issue #14
    // changed them once, on purpose: the first step's 'trainer' trigger (a run id belongs to one
    // set of trainer settings) and MM_TRAINER_IMAGE in the worker specs (lineage); its recovery
    // statement (requeueOrphanedSql) is watch-only; and scoring, which now resolves the alias to
    // the version it scores with and records it (re-scores once, retrains nothing). A change here makes every existing
    // deployment retrain: only for a change of what runs.
    const fingerprints = Object.fromEntries(readSynthOutput(outdir)[0].manifest!.steps.map((s) => [s.id, s.fingerprint]));
    expect(fingerprints).toEqual({
      'forecast/Forecast/screen-start': 'ebfcb9d8501c7fe6567b94629bd1b027850d0f6c72d552b2f5cfc90a135e65d9',
      'forecast/Forecast/screen-train': '86dd6ce22b96fb713bee3396e85f1ed1016d95aab1ea2f5f1a3e92a3d325b0fe',
      'forecast/Forecast/refine-start': '38faa7ebd51ff10231cbe00fa185649f414f384741da77ec54821650bb38c318',
      'forecast/Forecast/refine-workers': '4bb17ce4cb32026468a288d0de3fb971ae7f0934d7717c1dfadb3217ca58c711',
      'forecast/Forecast/refine-wait': '5d3977482909855cfbf0fdb26e1694e7f60097b9f6ed3fc2ebb9e4da29b321de',
      'forecast/Forecast/buildModelIndex': '01b645f660267e640dc483a4275f9b0bd7b229e525c183eeafd8324a180ff842',
      'forecast/Forecast/registerAggregator': '5331c721063211141364b5ef6f997d9806a39f3ed37363ef8112d7019c86208d',
      'forecast/Forecast/promote': '7c8e231aa18f894f691ffe5a91b9fa80e109612fceeeee4b27e9089b9b767ae0',
      'forecast/Forecast/Scoring/batchScore': '89e09cf9f867dac20a0f6c7bc085cbad16157c10089a5218599ca2e7d9f3a689',
    });
  });
});
