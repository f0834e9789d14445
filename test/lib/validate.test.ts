import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseManifest, ManifestError } from '../../lib/hooks/validate';
import { TrainingStrategy } from '../../index';
import { buildApp } from '../../stacks/main';

/** A monitor entry as `addMonitoring()` writes it (lib/hooks/manifest.ts MonitorSpec). */
const MONITOR = {
  path: 'forecast/Forecast/Monitoring',
  accuracyTable: 'ANALYTICS.FORECAST.FORECAST_MONITORING_ACCURACY',
  driftTable: 'ANALYTICS.FORECAST.FORECAST_MONITORING_DRIFT',
  resultsTable: 'ANALYTICS.FORECAST.FORECAST_RESULTS',
  hasInterval: true,
  source: { table: 'ANALYTICS.RAW.SERIES_EVENTS', partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' },
  windowDays: 28,
  smapeAbove: 25,
  metricsTable: 'ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS',
  queueTable: 'ANALYTICS.FORECAST.FORECAST_QUEUE',
  model: 'ANALYTICS.FORECAST.FORECAST_MODEL',
  alias: 'PRODUCTION',
  versionPrefix: 'V_',
};

describe('manifest validation on load', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-validate-'));
  let text = '';
  beforeAll(() => {
    buildApp(outdir).synth();
    text = fs.readFileSync(path.join(outdir, 'stacks', 'forecast', 'hooks.json'), 'utf8');
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('accepts what synth writes', () => {
    expect(parseManifest(text).steps).toHaveLength(9);
  });

  test('a warehouse pass must say how the runner verifies it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-validate-wh-'));
    try {
      buildApp(dir, { training: TrainingStrategy.warehouse() }).synth();
      const wh = fs.readFileSync(path.join(dir, 'stacks', 'forecast', 'hooks.json'), 'utf8');
      expect(parseManifest(wh).steps[0].kind).toBe('warehousePass');
      const m = JSON.parse(wh);
      delete m.steps[0].wait.verifySql;
      expect(() => parseManifest(JSON.stringify(m))).toThrow(
        /steps\[0\] \(forecast\/Forecast\/screen-train\)\.wait\.verifySql is missing: the runner verifies the pass with it/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('accepts a monitor entry', () => {
    const withMonitor = JSON.parse(text);
    withMonitor.monitors = [MONITOR];
    expect(parseManifest(JSON.stringify(withMonitor)).monitors).toEqual([MONITOR]);
  });

  const mutate = (f: (m: any) => void) => {
    const m = JSON.parse(text);
    f(m);
    return JSON.stringify(m);
  };

  test.each<[string, () => string, RegExp]>([
    ['malformed JSON', () => '{"schemaVersion": 1,', /hooks.json: not valid JSON/],
    ['an unknown schema version', () => mutate((m) => (m.schemaVersion = 2)), /schemaVersion 2 is not supported by this runner \(it reads version 1\)/],
    [
      'an unknown step kind',
      () => mutate((m) => (m.steps[0].kind = 'dropEverything')),
      /steps\[0\] \(forecast\/Forecast\/screen-start\)\.kind "dropEverything" is unknown/,
    ],
    [
      'a dependency on a later step',
      () => mutate((m) => (m.steps[0].dependsOn = [m.steps[1].id])),
      /depends on "forecast\/Forecast\/screen-train", which is not an earlier step/,
    ],
    ['a statement without SQL', () => mutate((m) => (m.steps[2].statements[0].sql = '')), /statements\[0\]\.sql must be a non-empty string/],
    ['a bad fingerprint', () => mutate((m) => (m.steps[1].fingerprint = 'abc')), /fingerprint must be a sha256 hex digest/],
    [
      'a task graph step without the graph-run query (an older synth)',
      () => mutate((m) => delete m.steps[1].wait.graphRunSql),
      /steps\[1\] \(forecast\/Forecast\/screen-train\)\.wait\.graphRunSql is missing: the runner follows the task graph's runs with it\. Synthesize again/,
    ],
    [
      'a queue wait step without the stage refresh (an older synth)',
      () => mutate((m) => delete m.steps[4].wait.refreshSql),
      /steps\[4\] \(forecast\/Forecast\/refine-wait\)\.wait\.refreshSql is missing: the runner refreshes the stage's directory table with it before verifying the pass\. Synthesize again/,
    ],
    [
      'a task graph step without the verification query (an older synth)',
      () => mutate((m) => delete m.steps[1].wait.verifySql),
      /steps\[1\] \(forecast\/Forecast\/screen-train\)\.wait\.verifySql is missing: the runner verifies the pass with it\. Synthesize again/,
    ],
    [
      'a workers step naming fewer job services than it starts',
      () => mutate((m) => m.steps[3].wait.jobServices.pop()),
      /steps\[3\] \(forecast\/Forecast\/refine-workers\)\.wait\.jobServices must name one job service per statement \(4\)/,
    ],
    [
      'a wait without its poll interval',
      () => mutate((m) => delete m.steps[4].wait.pollSeconds),
      /steps\[4\] \(forecast\/Forecast\/refine-wait\)\.wait\.pollSeconds must be a number >= 1/,
    ],
    [
      'a lower-case ledger name',
      () => mutate((m) => (m.ledger.table = 'hook_runs; drop')),
      /ledger\.table "hook_runs; drop" is not an upper-case Snowflake identifier/,
    ],
    [
      'a monitor without its accuracy table',
      () => mutate((m) => (m.monitors = [{ ...MONITOR, accuracyTable: '' }])),
      /monitors\[0\]\.accuracyTable must be a non-empty string/,
    ],
    [
      'a monitor whose source names no target column',
      () => mutate((m) => (m.monitors = [{ ...MONITOR, source: { ...MONITOR.source, targetColumn: undefined } }])),
      /monitors\[0\]\.source\.targetColumn must be a non-empty string/,
    ],
  ])('rejects %s', (_what, make, message) => {
    expect(() => parseManifest(make())).toThrow(ManifestError);
    expect(() => parseManifest(make())).toThrow(message);
  });
});
