import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AGGREGATOR_PLACEHOLDERS,
  REGISTER_PROCEDURE_PLACEHOLDERS,
  RegisterProcedureOptions,
  TEMPLATE_DIR,
  fillTemplate,
  placeholdersOf,
  renderAggregatorModelSource,
  renderRegisterProcedureSource,
} from '../../lib/registry/python/render';
import { ForecastModel, predictFromModel, prepareSeries, selectBest } from '../../worker/forecast/index';
import { DEFAULT_INPUT_COLUMNS, DEFAULT_OUTPUT_COLUMNS } from '../../constructs/model-registry-aggregator';
import { artifactPath, artifactShard } from '../../lib/sql/training';
import { registrationStandInFromDefinition } from '../../local-server/forecast-standins';
import { rows, trendSeason } from '../worker/series-helpers';

const opts: RegisterProcedureOptions = {
  modelName: 'ANALYTICS.FORECAST.FORECAST_MODEL',
  stageName: 'ANALYTICS.FORECAST.FORECAST_MODELS',
  metricsTable: 'ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS',
  inputColumns: DEFAULT_INPUT_COLUMNS,
  outputColumns: DEFAULT_OUTPUT_COLUMNS,
  targetPlatform: 'WAREHOUSE',
  condaDependencies: ['pandas'],
  pipRequirements: [],
  pythonVersion: '3.11',
};
const FIXTURES = path.join(__dirname, 'fixtures');

function python(args: string[], input?: string) {
  // No __pycache__ beside the sources under test.
  return spawnSync('python3', args, { encoding: 'utf8', input, timeout: 30000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
}

/** Parses `source` as Python 3.9 (the oldest runtime Snowflake offers) and byte-compiles it. */
function expectValidPython(source: string, file: string): void {
  fs.writeFileSync(file, source);
  const r = python([
    '-c',
    'import ast, sys, py_compile; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 9)); py_compile.compile(sys.argv[1], doraise=True)',
    file,
  ]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('template rendering', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-py-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('python3 is available (the CI machine image ships it)', () => {
    expect(python(['--version']).status).toBe(0);
  });

  test('each template has exactly its documented placeholders', () => {
    const read = (f: string) => fs.readFileSync(path.join(TEMPLATE_DIR, f), 'utf8');
    expect(placeholdersOf(read('aggregator_model.py.tmpl')).sort()).toEqual([...AGGREGATOR_PLACEHOLDERS].sort());
    expect(placeholdersOf(read('register_procedure.py.tmpl')).sort()).toEqual([...REGISTER_PROCEDURE_PLACEHOLDERS].sort());
    expect(placeholdersOf(read('predict_core.py'))).toEqual([]);
  });

  test('the local server knows the rendered procedure by its body and reads its model, stage and metrics table from it; any other body gets no stand-in', () => {
    const src = renderRegisterProcedureSource(opts);
    expect(registrationStandInFromDefinition(src)).toBeInstanceOf(Function);
    expect(registrationStandInFromDefinition(`\n${src}`)).toBeInstanceOf(Function);
    expect(registrationStandInFromDefinition(src.replace(/^STAGE_NAME = .*$/m, ''))).toBeUndefined();
    expect(registrationStandInFromDefinition('def main(session):\n    return "ok"\n')).toBeUndefined();
  });

  test('the rendered procedure is valid Python 3.9 with the settings inlined as literals and no placeholder left', () => {
    const src = renderRegisterProcedureSource(opts);
    expect(src).toContain('MODEL_NAME = "ANALYTICS.FORECAST.FORECAST_MODEL"');
    expect(src).toContain('INPUT_COLUMNS = [("PARTITION_KEY", "VARCHAR"), ("STEP", "NUMBER(10,0)")]');
    expect(src).toContain('def main(session, run_id, version_name, index_path):');
    expect(src).toContain('@custom_model.partitioned_api');
    expect(src).toContain('def predict_from_model(model, horizon):');
    expect(src).not.toMatch(/\{\{[A-Z_]+\}\}/);
    expectValidPython(src, path.join(dir, 'register.py'));
  });

  test('the aggregator module alone is valid Python 3.9 and declares the outputs', () => {
    const src = renderAggregatorModelSource({ outputColumns: DEFAULT_OUTPUT_COLUMNS });
    expect(src).toContain(
      'OUTPUT_COLUMNS = [("PARTITION_KEY", "VARCHAR"), ("STEP", "NUMBER(10,0)"), ("DS", "DATE"), ("FORECAST", "FLOAT"), ("LOWER", "FLOAT"), ("UPPER", "FLOAT")]',
    );
    expect(src).toMatch(/class ManyModelAggregator\(custom_model\.CustomModel\):/);
    expectValidPython(src, path.join(dir, 'aggregator.py'));
  });

  test('string settings reach Python exactly, whatever their characters', () => {
    const tricky = ['a"b', 'c\\d', "e'f", 'g\nh', 'é€', '{{MODEL_NAME}}'];
    const src = renderRegisterProcedureSource({ ...opts, condaDependencies: tricky });
    const line = src.split('\n').find((l) => l.startsWith('CONDA_DEPENDENCIES = '))!;
    const r = python(['-c', 'import ast, json, sys; print(json.dumps(ast.literal_eval(sys.stdin.read().split(" = ", 1)[1])))'], line);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(tricky);
  });

  test('a bring-your-own aggregator is inlined with the predict core and must define ManyModelAggregator', () => {
    const mine = 'class ManyModelAggregator(custom_model.CustomModel):\n    pass\n';
    const src = renderRegisterProcedureSource({ ...opts, aggregatorSource: mine });
    expect(src).toContain(mine.trim());
    expect(src).toContain('def predict_from_model(model, horizon):');
    expectValidPython(src, path.join(dir, 'byo.py'));
    expect(() => renderAggregatorModelSource({ ...opts, aggregatorSource: 'class Other: pass' })).toThrow(/must define class ManyModelAggregator/);
  });

  test('fillTemplate refuses missing and unused values and never expands a placeholder inside a value', () => {
    expect(() => fillTemplate('a {{X}} b', {}, 't')).toThrow('t: placeholder {{X}} has no value');
    expect(() => fillTemplate('a', { Y: '1' }, 't')).toThrow('t: values without a placeholder: Y');
    expect(fillTemplate('{{X}} {{Y}}', { X: '{{Y}}', Y: 'y' }, 't')).toBe('{{Y}} y');
  });

  test('the renderer rejects settings it cannot render', () => {
    expect(() => renderRegisterProcedureSource({ ...opts, targetPlatform: 'GPU' as never })).toThrow(
      'targetPlatform must be WAREHOUSE or SNOWPARK_CONTAINER_SERVICES, got "GPU"',
    );
    expect(() => renderRegisterProcedureSource({ ...opts, pythonVersion: 'latest' })).toThrow('pythonVersion must look like 3.11, got "latest"');
    expect(() => renderRegisterProcedureSource({ ...opts, modelName: 'MODEL' })).toThrow('modelName must be DATABASE.SCHEMA.NAME, got "MODEL"');
    expect(() => renderAggregatorModelSource({ outputColumns: [] })).toThrow('outputColumns must be a non-empty list of columns');
    expect(() => renderAggregatorModelSource({ outputColumns: [{ name: 'FORECAST', type: 'FLOAT' }] })).toThrow('outputColumns must include PARTITION_KEY');
  });
});

describe('the registration procedure and the aggregator it logs (run against fakes of pandas and snowflake-ml-python)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-reg-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const procFile = path.join(dir, 'register.py');
  fs.writeFileSync(procFile, renderRegisterProcedureSource(opts));

  const fitted = (seed: number, refine: boolean) =>
    selectBest(prepareSeries(rows((t) => trendSeason(120, { level: 50 + seed, slope: 0.1, amp: 2, noise: 0.5, seed })[t], 120)), { refine }).model;
  // Screen and refine artifacts share base names in two pass directories, each under its shard
  // directory (worker contract 2): the index picks refine for A. D is a contract-1 (flat) artifact.
  const path1 = (pass: string, key: string) => artifactPath('R1', pass, key, 'json');
  const artifacts: Record<string, ForecastModel> = {
    [path1('screen', 'A')]: fitted(1, false),
    [path1('refine', 'A')]: fitted(2, true),
    [path1('screen', 'B/C')]: fitted(3, false),
    'models/R1/screen/D.json': fitted(4, false),
  };
  const index = {
    format: 'many-model-index',
    formatVersion: 1,
    runId: 'R1',
    partitions: { A: path1('refine', 'A'), 'B/C': path1('screen', 'B/C'), D: 'models/R1/screen/D.json' },
  };
  const metricsRow = { TRAINED: 2, FAILED: 1, MEDIAN_MAPE: 0.042, MEAN_RMSE: 1.5 };

  function stage(name: string, files: Record<string, unknown>): string {
    const root = path.join(dir, name);
    for (const [rel, body] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), JSON.stringify(body));
    }
    return root;
  }

  function run(job: object) {
    const r = python(
      [path.join(FIXTURES, 'registration_driver.py'), procFile, path.join(FIXTURES, 'fakes')],
      JSON.stringify({ metrics_row: metricsRow, ...job }),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  }

  const calls = [
    { run_id: 'R1', version_name: 'V_R1', index_path: 'models/R1/model_index.json' },
    { run_id: 'R1', version_name: 'V_R1', index_path: 'models/R1/model_index.json' },
  ];
  const out = run({
    stage_dir: stage('stage1', { ...artifacts, 'models/R1/model_index.json': index }),
    calls,
    predict: {
      model: 'FORECAST_MODEL',
      version: 'V_R1',
      batches: [
        [
          { PARTITION_KEY: 'A', STEP: 3 },
          { PARTITION_KEY: 'A', STEP: 1 },
          { PARTITION_KEY: 'A', STEP: 2 },
          { PARTITION_KEY: 'A', STEP: 1 },
        ],
        [{ PARTITION_KEY: 'B/C', STEP: 28 }],
        [{ PARTITION_KEY: 'UNKNOWN', STEP: 1 }],
        [{ PARTITION_KEY: 'A', STEP: 0 }],
      ],
    },
  });

  test('logs ONE version, then returns it as it is on the second call (versions are immutable)', () => {
    expect(out.results.map((r: { status: string }) => r.status)).toEqual(['registered', 'exists']);
    expect(out.log).toHaveLength(1);
    expect(out.results[1]).toEqual({
      status: 'exists',
      model: 'ANALYTICS.FORECAST.FORECAST_MODEL',
      version: 'V_R1',
      metrics: expect.objectContaining({ partitions_trained: 2 }),
    });
  });

  test('artifacts live in shard directories of their pass', () => {
    expect(index.partitions.A).toBe(`models/R1/refine/${artifactShard('A')}/A.json`);
    expect(index.partitions['B/C']).toMatch(/^models\/R1\/screen\/[0-9a-f]{2}\/B%2FC\.json$/);
    expect(artifactShard('A')).not.toBe(artifactShard('B/C'));
  });

  test('reads the run with one GET for the index and one per pass directory (not per shard), and one metrics query per call', () => {
    expect(out.gets).toEqual([
      '@"ANALYTICS"."FORECAST"."FORECAST_MODELS"/models/R1/model_index.json',
      '@"ANALYTICS"."FORECAST"."FORECAST_MODELS"/models/R1/refine/',
      '@"ANALYTICS"."FORECAST"."FORECAST_MODELS"/models/R1/screen/',
    ]);
    expect(out.sql).toHaveLength(2);
    expect(out.sql[0].sql).toContain('FROM "ANALYTICS"."FORECAST"."FORECAST_TRAINING_METRICS" WHERE RUN_ID = ?');
    expect(out.sql[0].params).toEqual(['R1']);
  });

  test('log_model gets a TABLE_FUNCTION, the typed signature, the platform and the metrics with lineage', () => {
    const log = out.log[0];
    expect(log).toMatchObject({
      model_name: 'FORECAST_MODEL',
      version_name: 'V_R1',
      options: { function_type: 'TABLE_FUNCTION' },
      target_platforms: ['WAREHOUSE'],
      python_version: '3.11',
      conda_dependencies: ['pandas'],
      artifacts: ['model_index', 'partition_models'],
      comment: 'many-model aggregator for run R1: 3 partitions',
    });
    expect(log.metrics).toEqual({
      partitions_trained: 2,
      partitions_failed: 1,
      median_mape: 0.042,
      mean_rmse: 1.5,
      lineage: { run_id: 'R1', stage: 'ANALYTICS.FORECAST.FORECAST_MODELS', index_path: 'models/R1/model_index.json', partitions: 3 },
    });
    expect(log.signature_inputs).toEqual([
      { name: 'PARTITION_KEY', dtype: 'STRING' },
      { name: 'STEP', dtype: 'INT64' },
    ]);
    expect(log.signature_outputs.map((f: { dtype: string }) => f.dtype)).toEqual(['STRING', 'INT64', 'TIMESTAMP_NTZ', 'DOUBLE', 'DOUBLE', 'DOUBLE']);
  });

  test('the logged version predicts each partition from its own artifact (relocated by the registry), as the TypeScript predict does', () => {
    const [a, bc, unknown, bad] = out.predictions;
    const tsA = predictFromModel(artifacts[path1('refine', 'A')], 3);
    expect(a.columns).toEqual(['PARTITION_KEY', 'STEP', 'DS', 'FORECAST', 'LOWER', 'UPPER']);
    expect(a.rows).toEqual(
      tsA.map((s) => ({ PARTITION_KEY: 'A', STEP: s.step, DS: `${s.date}T00:00:00`, FORECAST: s.forecast, LOWER: s.lower, UPPER: s.upper })),
    );
    const tsBC = predictFromModel(artifacts[path1('screen', 'B/C')], 28)[27];
    expect(bc.rows).toEqual([{ PARTITION_KEY: 'B/C', STEP: 28, DS: `${tsBC.date}T00:00:00`, FORECAST: tsBC.forecast, LOWER: tsBC.lower, UPPER: tsBC.upper }]);
    expect(unknown).toEqual({ columns: ['PARTITION_KEY', 'STEP', 'DS', 'FORECAST', 'LOWER', 'UPPER'], rows: [] });
    expect(bad).toEqual({ error: 'ValueError: STEP must be a positive integer, got 0' });
  });

  test('completes the metrics of a version that exists without them (a registration interrupted after log_model)', () => {
    const o = run({ stage_dir: stage('stage2', {}), calls: [calls[0]], preexisting: [{ model: 'FORECAST_MODEL', version: 'V_R1' }] });
    expect(o.results[0].status).toBe('exists');
    expect(o.log).toEqual([]);
    expect(o.gets).toEqual([]);
    expect(o.versions['FORECAST_MODEL/V_R1']).toEqual({ partitions_trained: 2, partitions_failed: 1, median_mape: 0.042, mean_rmse: 1.5 });
  });

  test('refuses an empty index, a missing artifact and an unsafe path, registering nothing', () => {
    const o = run({
      stage_dir: stage('stage3', {
        'models/E/model_index.json': { ...index, runId: 'E', partitions: {} },
        'models/M/model_index.json': { ...index, runId: 'M', partitions: { A: 'models/M/screen/A.json', B: 'models/M/screen/B.json' } },
        'models/M/screen/A.json': artifacts[path1('screen', 'A')],
        'models/U/model_index.json': { ...index, runId: 'U', partitions: { A: '../secrets/A.json' } },
      }),
      calls: [
        { run_id: 'E', version_name: 'V_E', index_path: 'models/E/model_index.json' },
        { run_id: 'M', version_name: 'V_M', index_path: 'models/M/model_index.json' },
        { run_id: 'U', version_name: 'V_U', index_path: 'models/U/model_index.json' },
        { run_id: 'X', version_name: 'V_X', index_path: 'models/X/model_index.json' },
      ],
    });
    expect(o.results).toEqual([
      { error: 'ValueError: the index of run E lists no trained partition: nothing to register' },
      { error: 'ValueError: 1 artifacts named in the index of run M are missing on the stage, e.g. models/M/screen/B.json' },
      { error: "ValueError: index entry 'A' has an unsafe artifact path '../secrets/A.json'" },
      { error: 'ValueError: the index of run X was not found at @"ANALYTICS"."FORECAST"."FORECAST_MODELS"/models/X/model_index.json' },
    ]);
    expect(o.log).toEqual([]);
  });
});
