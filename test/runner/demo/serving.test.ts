/**
 * End to end on the local server (issue #19 part 2): the example stack with an inference service,
 * provisioned as an account would be, its hooks run as the runner role (train, register, promote,
 * deploy the service), then REST calls through the gateway as an application holding the endpoint
 * role; a second training run promotes a new version and the same URL answers with it; a re-run
 * duplicates nothing. What runs Snowflake-side is the local server's stand-ins (docs/local-server.md).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdktf';
import { InferenceService, PolicySuppressions, Role, ServiceIngress, TrainingStrategy, ComputePool, InstanceFamily } from '../../../index';
import { HookManifest } from '../../../lib/hooks/manifest';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { pipelineServerOptions } from '../../../local-server/forecast-standins';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { localConnection, loadSource } from '../../../runner/demo/run-demo';
import { provisionLocally } from '../../../runner/demo/provision';
import { RunResult, runHooks } from '../../../runner/hooks/runner';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { EXAMPLE, ForecastStack } from '../../../stacks/forecast-stack';
import { tempDir } from '../../tmp';

const log = {
  lines: [] as string[],
  info(l: string) {
    this.lines.push(l);
  },
  progress(l: string) {
    this.lines.push(l);
  },
};
const GATEWAY = 'ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE';

let server: LocalSnowflakeServer;
let admin: SnowflakeSession;
let runner: SnowflakeSession;
let manifest: HookManifest;
let service: InferenceService;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-serving-e2e-'));
const runs: RunResult[] = [];

/** A REST call of the online method through the gateway, as a user's programmatic access token. */
async function predictRows(token: string, rows: [string, number][]): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/ingress/${GATEWAY}/predict-rows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Snowflake Token="${token}"` },
    body: JSON.stringify({ dataframe_split: { index: rows.map((_, i) => i), columns: ['PARTITION_KEY', 'STEP'], data: rows } }),
  });
  return { status: r.status, body: await r.json() };
}

/** What batch scoring wrote for a run: the forecasts PREDICT made with the version the run promoted. */
async function scored(runId: string, key: string, step: number): Promise<number> {
  const r = await admin.query<{ FORECAST: number }>(
    'SELECT FORECAST FROM ANALYTICS.FORECAST.FORECAST_RESULTS WHERE RUN_ID = ? AND PARTITION_KEY = ? AND STEP = ?',
    [runId, key, step],
  );
  return Number(r.rows[0].FORECAST);
}

const inferenceServices = () => [...server.objects.services.values()].filter((s) => s.inference);
const runIdOf = (r: RunResult) => r.outcomes.find((o) => o.runId)!.runId!;

beforeAll(async () => {
  const outdir = tempDir('mm-serving-e2e-out-');
  const app = new App({ outdir });
  const stack = new ForecastStack(app, 'forecast', { training: TrainingStrategy.tasks({ slots: 2, chunkSize: 4 }) });
  const pool = new ComputePool(stack, 'ServingPool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 2 });
  service = stack.pipeline.aggregator.addInferenceService('Online', { computePool: pool, minInstances: 1, ingress: ServiceIngress.PUBLIC });
  PolicySuppressions.add(service, [{ id: 'MM-SV1', reason: 'the store app calls the forecasts from outside Snowflake' }]);
  service.grantInvoke(Role.fromName(stack, 'StoreApp', 'STORE_APP'));
  app.synth();
  const [synth] = readSynthOutput(outdir);
  manifest = synth.manifest as HookManifest;
  const tf = JSON.parse(fs.readFileSync(synth.terraformFile, 'utf8'));

  server = await startLocalServer({
    dataDir,
    users: [
      { name: 'test', password: 'test' },
      { name: 'store', pat: 'PAT-STORE', roles: ['STORE_APP'] },
      { name: 'intruder', pat: 'PAT-INTRUDER', roles: ['ANALYSTS'] },
    ],
    ...pipelineServerOptions(),
  });
  admin = await SnowflakeSession.open(localConnection(server));
  await admin.query('USE ROLE SYSADMIN');
  await loadSource(admin, EXAMPLE.sourceTable, 8, 200);
  await admin.query('USE ROLE ACCOUNTADMIN');
  await provisionLocally(admin, tf, { user: 'test', openAs: (role) => SnowflakeSession.open(localConnection(server, role)) });
  runner = await SnowflakeSession.open(localConnection(server, 'FORECAST_RUNNER', 'FORECAST_WH'));
  runs.push(await runHooks(manifest, runner, { log, pollMs: 300 }));
}, 240000);

afterAll(async () => {
  await runner?.close();
  await admin?.close();
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('a pipeline with an inference service on the local server', () => {
  test('the hooks train, register, promote, then deploy the promoted version behind the gateway, as the runner', () => {
    try {
      expect(runs[0].failed).toBe(false);
      const deploy = runs[0].outcomes.find((o) => o.stepId === service.hookStepIds[0]);
      expect(deploy).toMatchObject({ status: 'SUCCEEDED' });
      const services = inferenceServices();
      expect(services.map((s) => [s.inference!.version, s.owner, s.pool, s.inference!.ingress])).toEqual([
        [`V_${runIdOf(runs[0])}`, 'FORECAST_RUNNER', 'SERVING_POOL', true],
      ]);
      expect(server.objects.serving.gateways.get(GATEWAY)?.targets.map((t) => t.service)).toEqual([services[0].name]);
    } catch (e) {
      console.error(log.lines.join('\n'));
      throw e;
    }
  });

  test('an application holding the endpoint role calls the online method over HTTP and gets what batch scoring made with the same version', async () => {
    const r = await predictRows('PAT-STORE', [
      ['U0001', 1],
      ['U0003', 7],
    ]);
    expect(r.status).toBe(200);
    expect(r.body.data.map((d: [number, { PARTITION_KEY: string; STEP: number }]) => [d[0], d[1].PARTITION_KEY, d[1].STEP])).toEqual([
      [0, 'U0001', 1],
      [1, 'U0003', 7],
    ]);
    const run = runIdOf(runs[0]);
    expect(r.body.data[0][1].FORECAST).toBeCloseTo(await scored(run, 'U0001', 1), 9);
    expect(r.body.data[1][1].FORECAST).toBeCloseTo(await scored(run, 'U0003', 7), 9);
  });

  test('a role without the endpoint role is refused', async () => {
    expect((await predictRows('PAT-INTRUDER', [['U0001', 1]])).status).toBe(403);
  });

  test('a new training run promotes a new version: the same URL answers with it, and the old service is gone', async () => {
    const before = await predictRows('PAT-STORE', [['U0001', 1]]);
    // New data (the source moved up by 1000), and a forced first step: a new run in which every step runs.
    await admin.query('USE ROLE SYSADMIN');
    await admin.query(`UPDATE ${EXAMPLE.sourceTable} SET Y = Y + 1000`);
    await admin.query('USE ROLE ACCOUNTADMIN');
    runs.push(await runHooks(manifest, runner, { log, pollMs: 300, force: [manifest.steps[0].id] }));
    expect(runs[1].failed).toBe(false);
    const run = runIdOf(runs[1]);
    expect(run).not.toBe(runIdOf(runs[0]));
    const services = inferenceServices();
    expect(services.map((s) => s.inference!.version)).toEqual([`V_${run}`]);
    expect(server.objects.serving.gateways.get(GATEWAY)?.targets.map((t) => t.service)).toEqual([services[0].name]);
    const after = await predictRows('PAT-STORE', [['U0001', 1]]);
    expect(after.status).toBe(200);
    expect(after.body.data[0][1].FORECAST).toBeCloseTo(await scored(run, 'U0001', 1), 9);
    expect(after.body.data[0][1].FORECAST - before.body.data[0][1].FORECAST).toBeGreaterThan(500);
  }, 240000);

  test('running the hooks again changes nothing; re-running the deploy step alone creates no second service', async () => {
    const idle = await runHooks(manifest, runner, { log, pollMs: 300 });
    expect(idle.failed).toBe(false);
    expect(idle.outcomes.every((o) => o.status === 'SKIPPED')).toBe(true);
    const names = inferenceServices().map((s) => s.name);
    const again = await runHooks(manifest, runner, { log, pollMs: 300, force: [service.hookStepIds[0]] });
    expect(again.outcomes.filter((o) => o.status === 'SUCCEEDED').map((o) => o.stepId)).toEqual([service.hookStepIds[0]]);
    expect(inferenceServices().map((s) => s.name)).toEqual(names);
    expect(server.objects.serving.gateways.size).toBe(1);
  }, 60000);
});
