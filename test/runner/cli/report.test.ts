import * as fs from 'fs';
import * as path from 'path';
import { TerraformJson } from '../../../runner/bootstrap/bootstrap';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { provisionLocally } from '../../../runner/demo/provision';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { App } from '../../../lib/engine';
import { MonitorSpec } from '../../../lib/hooks/manifest';
import { ObjectName, sqlString } from '../../../lib/identifiers';
import { renderCarryOver, renderEnqueueRetrain } from '../../../lib/sql/retrain';
import { PipelineMonitor } from '../../../constructs/pipeline-monitor';
import { ForecastStack } from '../../../stacks/forecast-stack';
import { renderInChromium } from '../report/chromium';
import { tempDir } from '../../tmp';
import { cliProcess } from './cli-process';
import { addVersionStatements, createModelStatements } from '../../fixtures/model-files';
import { createExampleSourceAsDataTeam } from '../../fixtures/example-source';

/**
 * `many-model report` end to end: the example stack with monitoring, set up on the local server as
 * on an account; actuals and forecasts loaded, the monitoring refresh and the closed loop's enqueue
 * and carry-over run as rendered; then the CLI, in its own process as the deploy role, writes the
 * page, and headless Chromium loads it: no console message, and the numbers computed by hand.
 */
const cli = cliProcess;

const HOSTILE = `<script>alert("x")</script>&'`;
const KEYS = ['A', 'B', 'C', 'D', HOSTILE];
/** Forecast and interval per partition for the champion (actuals are 100 every day). */
const CHAMPION: Record<string, [number, number, number]> = {
  A: [100, 90, 110],
  B: [150, 140, 160],
  C: [110, 100, 120],
  D: [100, 90, 110],
  [HOSTILE]: [120, 110, 130],
};

let server: LocalSnowflakeServer;
let out: string;
let spec: MonitorSpec;
const sessions: SnowflakeSession[] = [];
const envOf = (role: string) => server.connectionEnv({ role, warehouse: 'FORECAST_WH' });
const openAs = async (role?: string) => {
  const s = await SnowflakeSession.open(resolveConnection({ env: { ...envOf(role ?? ''), ...(role ? {} : { SNOWFLAKE_ROLE: '', SNOWFLAKE_WAREHOUSE: '' }) } }));
  sessions.push(s);
  return s;
};
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `2026-01-${String(from + i).padStart(2, '0')}`);

beforeAll(async () => {
  out = tempDir('mm-report-');
  const app = new App({ outdir: path.join(out, 'cdktf.out') });
  const stack = new ForecastStack(app, 'forecast');
  const monitor: PipelineMonitor = stack.pipeline.addMonitoring({ windowDays: 7, degradedWhen: { minPoints: 3 }, driftWhen: { minPoints: 3 } });
  app.synth();
  const synthesized = readSynthOutput(path.join(out, 'cdktf.out'))[0];
  spec = synthesized.manifest!.monitors![0];
  const tf = JSON.parse(fs.readFileSync(synthesized.terraformFile, 'utf8')) as TerraformJson;

  server = await startLocalServer();
  const admin = await openAs();
  await createExampleSourceAsDataTeam(admin);
  await provisionLocally(admin, tf, { user: 'test', openAs: (role) => openAs(role) });
  await admin.query('USE WAREHOUSE FORECAST_WH');

  // Actuals: 100 every day from 01-01 to 01-21; D's stop on 01-17 (four days late on 01-21).
  const actuals = KEYS.flatMap((k) => days(1, k === 'D' ? 17 : 21).map((d) => [k, d, 100]));
  await admin.query(`INSERT INTO ${spec.source.table} (UNIT_ID, DATE, Y) VALUES (?, ?, ?)`, actuals);
  // The champion's post-deploy forecasts (run R1) from 01-15 to 01-28; the challenger's (the
  // retraining run's version) for A and B over the window: A exact, B 110.
  const champion = `${spec.versionPrefix}R1`;
  const challenger = `${spec.versionPrefix}M20260121`;
  const rows = [
    ...KEYS.flatMap((k) => days(15, 28).map((d, i) => [k, i + 1, d, ...CHAMPION[k], 'R1', champion, '2026-01-14 06:00:00'])),
    ...['A', 'B'].flatMap((k) => days(15, 21).map((d, i) => [k, i + 1, d, k === 'A' ? 100 : 110, 90, 120, 'R2', challenger, '2026-01-14 07:00:00'])),
  ];
  await admin.query(
    `INSERT INTO ${spec.resultsTable} (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER, RUN_ID, MODEL_VERSION, SCORED_AT) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    rows,
  );
  // The champion's training metrics (run R1), as workers write them.
  await admin.query(
    `INSERT INTO ${spec.metricsTable} (RUN_ID, PASS, PARTITION_KEY, STATUS, MODEL_FAMILY, MAPE, STAGE_PATH, TRAINED_AT) VALUES (?, 'screen', ?, 'OK', 'naive', 0.01, ?, '2026-01-14 05:00:00')`,
    KEYS.map((k) => ['R1', k, `models/R1/screen/${k}.json`]),
  );
  // The model: the champion holds the alias, the challenger is the newest version (the runner owns the model).
  const runner = await openAs('FORECAST_RUNNER');
  const stage = stack.pipeline.aggregator.stageName.quoted;
  for (const sql of createModelStatements(spec.model, champion, stage)) await runner.query(sql);
  await runner.query(`ALTER MODEL ${spec.model} VERSION ${champion} SET ALIAS = ${spec.alias}`);
  await new Promise((r) => setTimeout(r, 20));
  for (const sql of addVersionStatements(spec.model, challenger, stage)) await runner.query(sql);

  // The monitoring refresh, then the closed loop: enqueue the degraded partitions as run M20260121,
  // carry every other over from R1; B is retrained (its metrics row), the hostile key still pending.
  for (const sql of monitor.renderStatements()) await admin.query(sql);
  const queue = { table: ObjectName.parse(spec.queueTable, 3), leaseSeconds: 600, maxAttempts: 3 };
  await admin.query(renderEnqueueRetrain(monitor.sqlModel, queue, 10));
  const metrics = ObjectName.parse(spec.metricsTable, 3);
  await admin.query(renderCarryOver({ metrics, runs: metrics, stage: metrics }, monitor.sqlModel, sqlString('R1')));
  await admin.query(
    `INSERT INTO ${metrics.quoted} (RUN_ID, PASS, PARTITION_KEY, STATUS, MODEL_FAMILY, MAPE, TRAINED_AT) VALUES ('M20260121', 'refine', 'B', 'OK', 'ets', 0.05, '2026-01-21 08:00:00')`,
  );
}, 240000);

afterAll(async () => {
  for (const s of sessions) await s.close();
  await server?.close();
});

describe('many-model report', () => {
  test('the stack names its monitor in hooks.json: tables, source, model and alias', () => {
    expect(spec).toMatchObject({
      path: 'forecast/Forecast/Monitoring',
      accuracyTable: 'ANALYTICS.FORECAST.FORECAST_MONITORING_ACCURACY',
      driftTable: 'ANALYTICS.FORECAST.FORECAST_MONITORING_DRIFT',
      resultsTable: 'ANALYTICS.FORECAST.FORECAST_RESULTS',
      hasInterval: true,
      source: { table: 'ANALYTICS.RAW.SERIES_EVENTS', partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' },
      windowDays: 7,
      smapeAbove: 25,
      alias: 'PRODUCTION',
    });
  });

  test('as the deploy role it writes the page and prints the evaluation; Chromium renders it without a console message and shows the numbers', async () => {
    const file = path.join(out, 'report.html');
    const r = await cli(['report', '--synth', path.join(out, 'cdktf.out'), '--out', file], envOf('MANY_MODEL_DEPLOYER'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'stack forecast: monitor forecast/Forecast/Monitoring (ANALYTICS.FORECAST.FORECAST_MONITORING_ACCURACY, ANALYTICS.FORECAST.FORECAST_MONITORING_DRIFT)',
    );
    // Degraded: B (sMAPE 40 %) and the hostile key (coverage 0: 100 is outside [110, 130]). Drifted: D (late).
    expect(r.stdout).toContain('evaluated 2026-01-21: 5 partitions, 2 degraded, 1 drifted');
    expect(r.stdout).toContain(`wrote ${file}`);

    const page = renderInChromium(file);
    expect(page.console).toEqual([]);
    const dom = page.dom;
    const text = (id: string) => new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(dom)?.[1];
    expect(text('as-of')).toBe('2026-01-21');
    expect(text('window-start')).toBe('2026-01-15');
    expect(text('partitions')).toBe('5');
    expect(text('degraded-count')).toBe('2');
    // sMAPE per partition, by its champion row (R1, though the challenger has as many points for
    // A and B): A 0, B 2*50/250 = 40, C 2*10/210 = 9.52, D 0, hostile 2*20/220 = 18.18.
    expect(text('median-smape')).toBe('9.52 %');
    // The worst partition first, with its sMAPE; the hostile key second, as text.
    const worst = [
      ...dom.matchAll(/<tr><td class="n">(\d+)<\/td><td class="key">([^<]*)<\/td><td class="key">[^<]*<\/td><td class="n smape">([^<]*)<\/td>/g),
    ].map((m) => [m[1], m[2], m[3]]);
    expect(worst.slice(0, 3)).toEqual([
      ['1', 'B', '40.00'],
      ['2', '&lt;script&gt;alert("x")&lt;/script&gt;&amp;\'', '18.18'],
      ['3', 'C', '9.52'],
    ]);
    expect(dom).not.toMatch(/<script/i);
    // Five charts, each with the forecast; the worst has its interval band.
    expect(dom.match(/<polyline class="forecast"/g)).toHaveLength(5);
    expect(dom.match(/<polygon class="band"/g)).toHaveLength(5);
    expect(text('drifted-count')).toBe('1');
    expect(dom).toMatch(/<tr><td class="key">D<\/td><td>2026-01-14<\/td>.*<td>late<\/td><\/tr>/);
    // Champion R1 vs challenger M20260121 over A and B: B improves (40 -> 9.52), A ties.
    expect(text('challenger-better')).toBe('1');
    expect(dom).toMatch(/<th>median sMAPE %<\/th><td class="n">20\.00<\/td><td class="n">4\.76<\/td>/);
    // The retraining run: B and the hostile key enqueued (degraded), B trained, A, C and D carried.
    expect(text('retrain-run')).toBe('M20260121');
    expect(text('retrained-count')).toBe('2');
    expect(dom).toContain(
      'carried 3 over; version FORECAST_V_M20260121, registered, not promoted'.replace('FORECAST_V_M20260121', `${spec.versionPrefix}M20260121`),
    );
  }, 240000);

  test("the browser check catches a page's console errors: a request the page's policy blocks is one", () => {
    const file = path.join(tempDir('mm-report-control-'), 'control.html');
    fs.writeFileSync(file, fs.readFileSync(path.join(out, 'report.html'), 'utf8').replace('</body>', '<img src="http://127.0.0.1:9/x.png"></body>'));
    expect(renderInChromium(file).console).toEqual([expect.stringContaining('violates the following Content Security Policy directive')]);
  }, 120000);

  test('as the consumer role, which reads the monitoring tables but not the source, it fails (exit 1) with the refusal and writes nothing', async () => {
    const file = path.join(tempDir('mm-report-consumer-'), 'r.html');
    const r = await cli(['report', '--synth', path.join(out, 'cdktf.out'), '--out', file], envOf('FORECAST_CONSUMER'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Object 'ANALYTICS.RAW.SERIES_EVENTS' does not exist or not authorized. The report reads the monitoring tables");
    expect(r.stderr).toContain('run it as the deploy role, which holds both (docs/roles.md)');
    expect(fs.existsSync(file)).toBe(false);
  }, 120000);

  test('usage errors exit 2: a stack without monitoring, an unknown --monitor', async () => {
    const bare = tempDir('mm-report-bare-');
    const app = new App({ outdir: bare });
    new ForecastStack(app, 'forecast');
    app.synth();
    const none = await cli(['report', '--synth', bare, '--out', path.join(bare, 'r.html')], envOf('MANY_MODEL_DEPLOYER'));
    expect([none.status, none.stderr.trim()]).toEqual([
      2,
      'many-model report: stack forecast has no monitoring: call pipeline.addMonitoring() in the app and synthesize again',
    ]);
    const unknown = await cli(
      ['report', '--synth', path.join(out, 'cdktf.out'), '--monitor', 'nope', '--out', path.join(bare, 'r.html')],
      envOf('MANY_MODEL_DEPLOYER'),
    );
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--monitor nope: stack forecast has no such monitor; its monitors: forecast/Forecast/Monitoring');
    expect(fs.existsSync(path.join(bare, 'r.html'))).toBe(false);
  }, 120000);
});
