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
    // the version it scores with and records it (re-scores once, retrains nothing). Issue #17's
    // leftovers changed them once more, on purpose: every job service is given its run (worker
    // contract 3, MM_RUN_ID in the worker specs, EXECUTE TASK ... USING CONFIG for the screen
    // graph), so an image of contract 2 no longer runs. A change here makes every existing
    // deployment retrain: only for a change of what runs.
    const fingerprints = Object.fromEntries(readSynthOutput(outdir)[0].manifest!.steps.map((s) => [s.id, s.fingerprint]));
    expect(fingerprints).toEqual({
      'forecast/Forecast/screen-start': '3901fa170798af4114f915be301eb2d529b2bc510c243c3c594a54183b4fc4b6',
      'forecast/Forecast/screen-train': '5053c8cfa33baaec025015f529f3c8783b8bb07e9f4250455f258cdd9a8cd219',
      'forecast/Forecast/refine-start': '4e62c4ab328f11e9799980e46e62335e0b336ee8be03363b0433b6123b5aba3b',
      'forecast/Forecast/refine-workers': 'e8aec11923f9a28587770df2b9a707e7179923db147c7890f4396f6ca46ad95e',
      'forecast/Forecast/refine-wait': '0c9f73fa9a53f1925128aaf71c5503d6440ae75f28db8dd3beeceb6d8c418a8f',
      'forecast/Forecast/buildModelIndex': 'a8b54de0049de2f71bc71d097244279d217466248435106419ae8172ab75243a',
      'forecast/Forecast/registerAggregator': 'ab45e0871fea46281c3fc321b1a4c02da5de64c90ae0becc6f693d5cfee4f988',
      'forecast/Forecast/promote': 'b5282b712a4e8b8999f62e1b163fa299f0fb3a313f58e96d3541fe01a2754fa9',
      'forecast/Forecast/Scoring/batchScore': '0d16e2534882999182459481a7c7d57d28b153e91c36a084489b4897f652c80c',
    });
  });
});
