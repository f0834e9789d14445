import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_INPUT_COLUMNS, DEFAULT_OUTPUT_COLUMNS } from '../../constructs/model-registry-aggregator';
import { RegisterProcedureOptions, renderRegisterProcedureSource } from '../../lib/registry/python/render';
import { artifactPath } from '../../lib/sql/training';
import { ForecastModel, predictFromModel, prepareSeries, selectBest } from '../../worker/forecast/index';
import { rows, trendSeason } from '../worker/series-helpers';

const FIXTURES = path.join(__dirname, 'fixtures');
const opts: RegisterProcedureOptions = {
  modelName: 'ANALYTICS.FORECAST.FORECAST_MODEL',
  stageName: 'ANALYTICS.FORECAST.FORECAST_MODELS',
  metricsTable: 'ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS',
  inputColumns: DEFAULT_INPUT_COLUMNS,
  outputColumns: DEFAULT_OUTPUT_COLUMNS,
  targetPlatform: 'WAREHOUSE',
  condaDependencies: [],
  pipRequirements: [],
  pythonVersion: '3.11',
  online: true,
};

describe("a served aggregator's online method predict_rows (registration procedure run against the fakes)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-online-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fitted = (seed: number) =>
    selectBest(prepareSeries(rows((t) => trendSeason(120, { level: 50 + seed, slope: 0.1, amp: 2, noise: 0.5, seed })[t], 120)), { refine: false }).model;
  const artifacts: Record<string, ForecastModel> = {
    [artifactPath('R1', 'screen', 'A', 'json')]: fitted(1),
    [artifactPath('R1', 'screen', 'B', 'json')]: fitted(2),
  };
  const index = {
    format: 'many-model-index',
    formatVersion: 1,
    runId: 'R1',
    partitions: { A: artifactPath('R1', 'screen', 'A', 'json'), B: artifactPath('R1', 'screen', 'B', 'json') },
  };
  const stageDir = path.join(dir, 'stage');
  for (const [rel, body] of Object.entries({ ...artifacts, 'models/R1/model_index.json': index })) {
    fs.mkdirSync(path.dirname(path.join(stageDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(stageDir, rel), JSON.stringify(body));
  }
  const procFile = path.join(dir, 'register.py');
  fs.writeFileSync(procFile, renderRegisterProcedureSource(opts));
  const batch = [
    { PARTITION_KEY: 'B', STEP: 2 },
    { PARTITION_KEY: 'A', STEP: 1 },
    { PARTITION_KEY: 'NONE', STEP: 1 },
    { PARTITION_KEY: 'A', STEP: 3 },
    { PARTITION_KEY: 'B', STEP: 2 },
  ];
  const r = spawnSync('python3', [path.join(FIXTURES, 'registration_driver.py'), procFile, path.join(FIXTURES, 'fakes')], {
    encoding: 'utf8',
    timeout: 30000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    input: JSON.stringify({
      stage_dir: stageDir,
      metrics_row: { TRAINED: 2, FAILED: 0, MEDIAN_MAPE: 0.05, MEAN_RMSE: 1 },
      calls: [{ run_id: 'R1', version_name: 'V_R1', index_path: 'models/R1/model_index.json' }],
      predict: { model: 'FORECAST_MODEL', version: 'V_R1', method: 'predict_rows', batches: [batch, [{ PARTITION_KEY: 'A', STEP: 0 }]] },
    }),
  });
  const out = JSON.parse(r.stdout || '{}');

  test('the procedure ran', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(out.results[0].status).toBe('registered');
  });

  test('the version is logged with both methods, the online one a FUNCTION, for the warehouse and Snowpark Container Services', () => {
    expect(out.log[0]).toMatchObject({
      signature_methods: ['predict', 'predict_rows'],
      options: { function_type: 'TABLE_FUNCTION', method_options: { predict_rows: { function_type: 'FUNCTION' } } },
      target_platforms: ['WAREHOUSE', 'SNOWPARK_CONTAINER_SERVICES'],
    });
  });

  test('one output row per input row, in order, across partitions, each as the TypeScript predict computes it; a partition without a model gets NULL forecasts', () => {
    const ts = (key: string, step: number) => predictFromModel(artifacts[index.partitions[key as 'A']], step)[step - 1];
    const expected = batch.map(({ PARTITION_KEY: key, STEP: step }) => {
      if (key === 'NONE') return { PARTITION_KEY: key, STEP: step, DS: null, FORECAST: null, LOWER: null, UPPER: null };
      const f = ts(key, step);
      return { PARTITION_KEY: key, STEP: step, DS: `${f.date}T00:00:00`, FORECAST: f.forecast, LOWER: f.lower, UPPER: f.upper };
    });
    expect(out.predictions[0]).toEqual({ columns: ['PARTITION_KEY', 'STEP', 'DS', 'FORECAST', 'LOWER', 'UPPER'], rows: expected });
  });

  test('a step that is not a positive integer is refused, as the partitioned predict refuses it', () => {
    expect(out.predictions[1]).toEqual({ error: 'ValueError: STEP must be a positive integer, got 0' });
  });
});
