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
    // set of trainer settings), MM_TRAINER_IMAGE in the worker specs (lineage) and the training key
    // the passes are started for (workers join only their trainer's runs); its recovery
    // statement (requeueOrphanedSql) is watch-only; and scoring, which now resolves the alias to
    // the version it scores with and records it (re-scores once, retrains nothing). A change here makes every existing
    // deployment retrain: only for a change of what runs.
    const fingerprints = Object.fromEntries(readSynthOutput(outdir)[0].manifest!.steps.map((s) => [s.id, s.fingerprint]));
    expect(fingerprints).toEqual({
      'forecast/Forecast/screen-start': '3901fa170798af4114f915be301eb2d529b2bc510c243c3c594a54183b4fc4b6',
      'forecast/Forecast/screen-train': '4312ca0d3581cb315b53a110dd7265b5a1838f29c02f74f8e59a0dd17c6db7b3',
      'forecast/Forecast/refine-start': 'b0ff4aacaed053d6a8db432faff4bf6cb812eec58322a2a9f466e73a91613605',
      'forecast/Forecast/refine-workers': '9311a61e678f3b654c15c4ba325267a9dbac3cf4c04b3ce79c5cf0fd1fb9e39f',
      'forecast/Forecast/refine-wait': '72c33dbcaef20588b61b184f375e846ac35dd8a404976f72540305373eb0bb99',
      'forecast/Forecast/buildModelIndex': 'd6cc485e20356f0cef14f54d31d10d7a4736141d304c28a7c3d71894370d0e53',
      'forecast/Forecast/registerAggregator': '77633eb08113140b1e9186fc0f7ed00b3b798b53c7c7c21517f312c63a364da3',
      'forecast/Forecast/promote': '3ab40f09ce970fdce41cddb6d36affe95ffeffa7598e0980468ebbedf9ba14d2',
      'forecast/Forecast/Scoring/batchScore': '603c7d7f4e0264ac58cfbf469300f9e3260aa97d263e37f0cc2a91250ed8bf71',
    });
  });
});
