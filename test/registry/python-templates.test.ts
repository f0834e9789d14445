import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fillTemplate, renderAggregatorModelSource, renderRegisterProcedureSource, RegisterProcedureOptions, TEMPLATE_DIR } from '../../lib/registry/python/render';
import { DEFAULT_INPUT_COLUMNS, DEFAULT_OUTPUT_COLUMNS } from '../../constructs/model-registry-aggregator';

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

function python(args: string[], input?: string) {
  return spawnSync('python3', args, { encoding: 'utf8', input, timeout: 30000 });
}

describe('registration procedure and aggregator sources', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-py-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('python3 is available (the CI machine image ships it)', () => {
    expect(python(['--version']).status).toBe(0);
  });

  test('the rendered procedure is valid Python with the settings inlined as literals', () => {
    const src = renderRegisterProcedureSource(opts);
    expect(src).toContain('MODEL_NAME = "ANALYTICS.FORECAST.FORECAST_MODEL"');
    expect(src).toContain('def main(session, run_id, version_name, index_path):');
    expect(src).not.toMatch(/\{\{[A-Z_]+\}\}/);
    const file = path.join(dir, 'register.py');
    fs.writeFileSync(file, src);
    const r = python(['-m', 'py_compile', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('a bring-your-own aggregator is inlined and must define ManyModelAggregator', () => {
    const mine = 'class ManyModelAggregator(custom_model.CustomModel):\n    pass\n';
    const src = renderRegisterProcedureSource({ ...opts, aggregatorSource: mine });
    expect(src).toContain(mine.trim());
    const file = path.join(dir, 'byo.py');
    fs.writeFileSync(file, src);
    expect(python(['-m', 'py_compile', file]).status).toBe(0);
    expect(() => renderAggregatorModelSource({ ...opts, aggregatorSource: 'class Other: pass' })).toThrow(/must define class ManyModelAggregator/);
  });

  test('fillTemplate refuses missing and unused values', () => {
    expect(() => fillTemplate('a {{X}} b', {}, 't')).toThrow('t: placeholder {{X}} has no value');
    expect(() => fillTemplate('a', { Y: '1' }, 't')).toThrow('t: values without a placeholder: Y');
  });

  test('the predict core routes each partition to its own model and forecasts with intervals', () => {
    const models = {
      'models/R1/screen/A.json': { format: 'many-model-forecast', formatVersion: 1, family: 'linear_trend', period: 7, lastDate: '2026-01-31', state: { intercept: 10, slope: 2, t0: 100 }, sigma: 1, z: 2 },
      'models/R1/screen/B.json': { format: 'many-model-forecast', formatVersion: 1, family: 'seasonal_naive', period: 3, lastDate: '2026-02-28', state: { season: [5, 6, 7] }, sigma: 0 },
    };
    const index = { format: 'many-model-index', formatVersion: 1, runId: 'R1', partitions: { A: 'models/R1/screen/A.json', B: 'models/R1/screen/B.json' } };
    const driver = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(TEMPLATE_DIR)})`,
      'from predict_core import route_predict',
      'd = json.load(sys.stdin)',
      'print(json.dumps([route_predict(d["index"], d["models"], rows) for rows in d["batches"]]))',
    ].join('\n');
    const batches = [
      [{ PARTITION_KEY: 'A', STEP: 1 }, { PARTITION_KEY: 'A', STEP: 4 }],
      [{ PARTITION_KEY: 'B', STEP: 1 }, { PARTITION_KEY: 'B', STEP: 2 }, { PARTITION_KEY: 'B', STEP: 4 }],
      [{ PARTITION_KEY: 'UNKNOWN', STEP: 1 }],
    ];
    const r = python(['-c', driver], JSON.stringify({ index, models, batches }));
    expect(r.stderr).toBe('');
    const [a, b, unknown] = JSON.parse(r.stdout);
    expect(a).toEqual([
      { PARTITION_KEY: 'A', STEP: 1, DS: '2026-02-01', FORECAST: 212, LOWER: 210, UPPER: 214 },
      { PARTITION_KEY: 'A', STEP: 4, DS: '2026-02-04', FORECAST: 218, LOWER: 214, UPPER: 222 },
    ]);
    expect(b.map((x: any) => [x.STEP, x.DS, x.FORECAST])).toEqual([[1, '2026-03-01', 5], [2, '2026-03-02', 6], [4, '2026-03-04', 5]]);
    expect(unknown).toEqual([]);
  });
});
