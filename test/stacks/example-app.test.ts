import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../../stacks/main';
import { formatSummary, readSynthOutput } from '../../runner/cli/synth-app';

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
      'startPass',
      'executeTaskGraph',
      'startPass',
      'runWorkers',
      'waitQueue',
      'buildModelIndex',
      'registerAggregator',
      'promote',
      'batchScore',
    ]);
  });

  test('the daily scoring task writes FORECAST_RESULTS and the provider enables the needed preview features', () => {
    const tf = JSON.parse(fs.readFileSync(readSynthOutput(outdir)[0].terraformFile, 'utf8'));
    const tasks = Object.values(tf.resource.snowflake_task) as any[];
    const scoring = tasks.find((t) => t.schedule)!;
    expect(scoring.schedule.using_cron).toBe('0 6 * * * UTC');
    expect(scoring.sql_statement).toContain('"ANALYTICS"."FORECAST"."FORECAST_RESULTS"');
    expect(tf.provider.snowflake[0].preview_features_enabled).toEqual([
      'snowflake_procedure_python_resource',
      'snowflake_stage_resource',
      'snowflake_table_resource',
    ]);
  });

  test('the provider deploys as MANY_MODEL_DEPLOYER with a warehouse of its own, and that role holds the runner and consumer roles', () => {
    const tf = JSON.parse(fs.readFileSync(readSynthOutput(outdir)[0].terraformFile, 'utf8'));
    expect(tf.provider.snowflake[0]).toMatchObject({ role: 'MANY_MODEL_DEPLOYER', warehouse: 'MANY_MODEL_DEPLOY_WH' });
    const parents = Object.values(tf.resource.snowflake_grant_account_role)
      .map((g: any) => `${g.role_name} -> ${g.parent_role_name}`)
      .sort();
    expect(parents).toEqual(['FORECAST_CONSUMER -> MANY_MODEL_DEPLOYER', 'FORECAST_RUNNER -> MANY_MODEL_DEPLOYER']);
    const policy = JSON.parse(fs.readFileSync(path.join(path.dirname(readSynthOutput(outdir)[0].terraformFile), 'policy.json'), 'utf8'));
    expect(policy.findings.filter((f: any) => f.ruleId === 'MM-WH1')).toEqual([]);
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
      'forecast/Forecast/refine-workers': 'e283fa5bfe16ace2d1ccff723d455d34ae55c4864fd50414ce29526bc155b45f',
      'forecast/Forecast/refine-wait': '03be15e87ee7f53bafcd85f2be41f6cd2c1bfbcf4ad14623170c0a63710245f8',
      'forecast/Forecast/buildModelIndex': '79d8bc4bf33d328b7774f037c2016ae654559ed116f030a401bbabda21c91488',
      'forecast/Forecast/registerAggregator': 'e939dd001df47e3096b3817bd0dd6b765037f45fa7904a0df5c82ad3c19926c9',
      'forecast/Forecast/promote': 'b760765b4b59ab33213a7a43a615f59d281b1ac621dbb09672abd98f67f22f1b',
      'forecast/Forecast/Scoring/batchScore': 'adfffd271bf4c7e02eae89de47b118c118470641745622603a054423623135c5',
    });
  });
});
