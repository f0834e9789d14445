/**
 * Model Serving on the local server (docs/local-server.md, "Inference services"): a deploy
 * procedure rendered from the template, CALLed through snowflake-sdk as a narrow runner role,
 * creates a service from a model version, has the deploy role's grant procedure grant its service
 * role and the gateway in the managed-access schema, points the gateway at it and retires the
 * previous one; callers reach it over HTTP with their programmatic access token, as the endpoint
 * role, in Snowflake's REST shapes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { pipelineServerOptions } from '../../local-server/forecast-standins';
import { readRequest } from '../../local-server/model-serving';
import { ObjectName } from '../../lib/identifiers';
import { renderDeployProcedureSource, renderGrantProcedureSource } from '../../lib/registry/python/render';
import {
  InferenceServiceModel,
  deployStatementsByKey,
  gatewayOf,
  grantStatementsByKey,
  serviceMarker,
  serviceNameFor,
  settingsTag,
} from '../../lib/sql/serving';
import { ForecastModel, predictFromModel, prepareSeries, selectBest } from '../../worker/forecast/index';
import { rows, trendSeason } from '../worker/series-helpers';
import { Conn, close, connect, query } from './client';

const m: InferenceServiceModel = {
  path: 'app/Online',
  name: ObjectName.of('APP', 'ML', 'ONLINE'),
  model: ObjectName.of('APP', 'ML', 'FORECASTER'),
  alias: 'PRODUCTION',
  procedure: ObjectName.of('APP', 'ML', 'ONLINE_DEPLOY'),
  computePool: ObjectName.of('SERVING'),
  ingress: 'PUBLIC',
  minInstances: 1,
  maxInstances: 1,
  endpointRole: 'ONLINE_CALLER',
  dependsOn: [],
  runGroup: 'app',
  timeoutSeconds: 3600,
};
const body = renderDeployProcedureSource({
  modelName: m.model.toString(),
  servicePrefix: m.name.toString(),
  settingsTag: settingsTag(m),
  computePool: m.computePool.toString(),
  ingressEnabled: true,
  minInstances: 1,
  maxInstances: 1,
  gateway: gatewayOf(m)!.toString(),
  serviceMarker: serviceMarker(m),
  statements: deployStatementsByKey(m),
});
const grantBody = renderGrantProcedureSource({ servicePrefix: m.name.toString(), statements: grantStatementsByKey(m) });

let server: LocalSnowflakeServer;
let admin: Conn;
let deployer: Conn;
let runner: Conn;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-serving-'));
const fitted = (level: number): ForecastModel =>
  selectBest(prepareSeries(rows((t) => trendSeason(120, { level, slope: 0.1, amp: 2, noise: 0.5, seed: 3 })[t], 120)), { refine: false }).model;
const models: Record<string, ForecastModel> = { V_R1: fitted(50), V_R2: fitted(500) };
const failure = (p: Promise<unknown>) =>
  p.then(
    () => 'succeeded',
    (e) => `${e.code}: ${e.message}`,
  );

/** A version registered as the runner's, with its artifacts, logged with predict_rows or not. */
function addVersion(version: string, online = true): void {
  const root = path.join(dir, version);
  fs.mkdirSync(path.join(root, 'models'), { recursive: true });
  fs.writeFileSync(path.join(root, 'models', 'A.json'), JSON.stringify(models[version] ?? models.V_R1));
  fs.writeFileSync(path.join(root, 'index.json'), JSON.stringify({ partitions: { A: 'models/A.json' } }));
  const isNew = !server.objects.models.models.has('APP.ML.FORECASTER');
  server.objects.models.addVersion(
    'APP.ML.FORECASTER',
    version,
    { indexPath: 'index.json', ...(online ? { onlineMethods: [{ name: 'predict_rows', inputs: ['PARTITION_KEY', 'STEP'] }] } : {}) },
    root,
  );
  if (isNew) server.engine.access.created('MODEL', 'APP.ML.FORECASTER', 'RUNNER');
}

async function call(target: string, p: string, payload: unknown, token?: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/ingress/${target}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Snowflake Token="${token}"` } : {}) },
    body: JSON.stringify(payload),
  });
  return { status: r.status, body: await r.json() };
}

const split = {
  dataframe_split: {
    index: [7, 8],
    columns: ['PARTITION_KEY', 'STEP'],
    data: [
      ['A', 2],
      ['NONE', 1],
    ],
  },
};
const expected = (version: string, step: number) => {
  const f = predictFromModel(models[version], step)[step - 1];
  return { PARTITION_KEY: 'A', STEP: step, DS: f.date, FORECAST: f.forecast, LOWER: f.lower, UPPER: f.upper };
};
const service = (version: string) => serviceNameFor(m, version).toString();
const GATEWAY = 'APP.ML.ONLINE';

beforeAll(async () => {
  server = await startLocalServer({
    users: [
      { name: 'test', password: 'test' },
      { name: 'deployer', password: 'pw', roles: ['DEPLOYER'] },
      { name: 'runner', password: 'pw', roles: ['RUNNER'] },
      { name: 'app', pat: 'PAT-APP', roles: ['STORE_APP'] },
      { name: 'other', pat: 'PAT-OTHER', roles: ['OTHER'] },
    ],
    ...pipelineServerOptions(),
  });
  admin = await connect(server.connectionOptions());
  // As a stack sets it up: the deploy role owns a managed-access schema, the procedures in it, and
  // (the runner role granted to it) what the runner creates.
  for (const sql of [
    'CREATE DATABASE APP',
    'CREATE COMPUTE POOL SERVING MIN_NODES = 1 MAX_NODES = 1 INSTANCE_FAMILY = CPU_X64_XS',
    'GRANT USAGE, CREATE SCHEMA ON DATABASE APP TO ROLE DEPLOYER',
    'GRANT ROLE RUNNER TO ROLE DEPLOYER',
    'CREATE ROLE ONLINE_CALLER',
    'GRANT ROLE ONLINE_CALLER TO ROLE STORE_APP',
    'GRANT USAGE ON DATABASE APP TO ROLE RUNNER',
    'GRANT USAGE ON COMPUTE POOL SERVING TO ROLE RUNNER',
    'GRANT USAGE ON DATABASE APP TO ROLE ONLINE_CALLER',
  ]) {
    await query(admin, sql);
  }
  deployer = await connect(server.connectionOptions({ username: 'deployer', password: 'pw' }));
  for (const sql of [
    'CREATE SCHEMA APP.ML WITH MANAGED ACCESS',
    'GRANT USAGE, CREATE SERVICE, CREATE GATEWAY ON SCHEMA APP.ML TO ROLE RUNNER',
    'GRANT USAGE ON SCHEMA APP.ML TO ROLE ONLINE_CALLER',
    `CREATE PROCEDURE APP.ML.ONLINE_DEPLOY(VERSION_NAME VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' HANDLER = 'main' EXECUTE AS CALLER AS $$${body}$$`,
    `CREATE PROCEDURE APP.ML.ONLINE_GRANT(SERVICE_NAME VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' HANDLER = 'main' EXECUTE AS OWNER AS $$${grantBody}$$`,
    'GRANT USAGE ON PROCEDURE APP.ML.ONLINE_DEPLOY(VARCHAR) TO ROLE RUNNER',
    'GRANT USAGE ON PROCEDURE APP.ML.ONLINE_GRANT(VARCHAR) TO ROLE RUNNER',
  ]) {
    await query(deployer, sql);
  }
  addVersion('V_R1');
  runner = await connect(server.connectionOptions({ username: 'runner', password: 'pw' }));
});

afterAll(async () => {
  await close(runner);
  await close(deployer);
  await close(admin);
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('inference services on the local server', () => {
  test('the runner deploys a version: the service is its own, marked, behind a gateway it owns', async () => {
    const out = JSON.parse((await query(runner, "CALL APP.ML.ONLINE_DEPLOY('V_R1')")).rows[0].ONLINE_DEPLOY);
    expect(out).toEqual({ status: 'created', service: service('V_R1'), version: 'V_R1', gateway: GATEWAY, retired: [] });
    expect(server.engine.access.ownerOf('SERVICE', service('V_R1'))).toBe('RUNNER');
    expect(server.engine.access.ownerOf('GATEWAY', GATEWAY)).toBe('RUNNER');
    const shown = (await query(runner, 'SHOW SERVICES IN SCHEMA APP.ML')).rows;
    expect(shown.map((r) => [r.name, r.status, r.is_job, r.comment])).toEqual([[service('V_R1'), 'RUNNING', 'false', serviceMarker(m)]]);
    const gw = (await query(runner, `DESCRIBE GATEWAY ${GATEWAY}`)).rows[0];
    expect(gw.ingress_url).toBe(`127.0.0.1:${server.port}/ingress/${GATEWAY}`);
    expect(gw.spec).toContain(`value: ${service('V_R1')}!inference`);
  });

  test("in the managed-access schema the runner may not grant on what it owns; the grant procedure (the deploy role's rights) did", async () => {
    expect(await failure(query(runner, `GRANT USAGE ON GATEWAY ${GATEWAY} TO ROLE OTHER`))).toMatch(
      /^003001: .*Insufficient privileges to operate on gateway/s,
    );
    expect(server.engine.access.has('ONLINE_CALLER', 'USAGE', 'GATEWAY', GATEWAY)).toBe(true);
    expect(await failure(query(runner, "CALL APP.ML.ONLINE_GRANT('SOMEONE_ELSES_SERVICE')"))).toMatch(/^100357: .*is not a service of APP.ML.ONLINE/s);
  });

  test('a caller holding the endpoint role gets one answer row per input row, under its index, in the dataframe_split shape', async () => {
    const r = await call(GATEWAY, '/predict-rows', split, 'PAT-APP');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      data: [
        [7, expected('V_R1', 2)],
        [8, { PARTITION_KEY: 'NONE', STEP: 1, DS: null, FORECAST: null, LOWER: null, UPPER: null }],
      ],
    });
  });

  test('the other request shapes Model Serving accepts give the same answers', async () => {
    const want = expected('V_R1', 3);
    expect((await call(GATEWAY, '/predict-rows', { data: [[0, 'A', 3]] }, 'PAT-APP')).body).toEqual({ data: [[0, want]] });
    expect((await call(GATEWAY, '/predict-rows', { data: [[0, { partition_key: 'A', step: 3 }]] }, 'PAT-APP')).body).toEqual({ data: [[0, want]] });
    expect((await call(GATEWAY, '/predict-rows', { dataframe_records: [{ PARTITION_KEY: 'A', STEP: 3 }] }, 'PAT-APP')).body).toEqual({ data: [[0, want]] });
  });

  test('refused: no token (401), a role without the endpoint role (403), the partitioned predict (404, not served), a bad body (400)', async () => {
    expect((await call(GATEWAY, '/predict-rows', split)).status).toBe(401);
    const other = await call(GATEWAY, '/predict-rows', split, 'PAT-OTHER');
    expect(other).toEqual({ status: 403, body: { message: `Role OTHER may not use gateway ${GATEWAY}.` } });
    expect(await call(GATEWAY, '/predict', split, 'PAT-APP')).toEqual({
      status: 404,
      body: { message: 'The service has no method at /predict; it serves /predict-rows.' },
    });
    expect((await call(GATEWAY, '/predict-rows', { dataframe_split: { columns: ['PARTITION_KEY'], data: [['A']] } }, 'PAT-APP')).status).toBe(400);
    expect((await call(GATEWAY, '/predict-rows', { data: [[0, 'A', 0]] }, 'PAT-APP')).body.message).toMatch(/STEP must be a positive integer/);
  });

  test("the service's own public endpoint is the endpoint role's too (its service role); SHOW ENDPOINTS gives its URL", async () => {
    const endpoints = (await query(runner, `SHOW ENDPOINTS IN SERVICE ${service('V_R1')}`)).rows;
    expect(endpoints.map((e) => [e.name, e.is_public, e.ingress_url])).toEqual([['inference', 'true', `127.0.0.1:${server.port}/ingress/${service('V_R1')}`]]);
    expect((await call(service('V_R1'), '/predict-rows', split, 'PAT-APP')).status).toBe(200);
    expect((await call(service('V_R1'), '/predict-rows', split, 'PAT-OTHER')).status).toBe(403);
  });

  test("a promotion re-points the gateway to the new version's service and retires the old one; a re-run changes nothing", async () => {
    addVersion('V_R2');
    const out = JSON.parse((await query(runner, "CALL APP.ML.ONLINE_DEPLOY('V_R2')")).rows[0].ONLINE_DEPLOY);
    expect(out).toEqual({ status: 'created', service: service('V_R2'), version: 'V_R2', gateway: GATEWAY, retired: [service('V_R1').split('.').pop()] });
    expect([...server.objects.services.keys()]).toEqual([service('V_R2')]);
    const r = await call(GATEWAY, '/predict-rows', split, 'PAT-APP');
    expect(r.body.data[0]).toEqual([7, expected('V_R2', 2)]);
    expect(expected('V_R2', 2).FORECAST).not.toBe(expected('V_R1', 2).FORECAST);
    const again = JSON.parse((await query(runner, "CALL APP.ML.ONLINE_DEPLOY('V_R2')")).rows[0].ONLINE_DEPLOY);
    expect(again).toMatchObject({ status: 'exists', retired: [] });
    expect([...server.objects.services.keys()]).toEqual([service('V_R2')]);
  });

  test('a version logged without the online method (before the service was added) is refused with what to do', async () => {
    addVersion('V_OFFLINE', false);
    expect(await failure(query(runner, "CALL APP.ML.ONLINE_DEPLOY('V_OFFLINE')"))).toMatch(
      /^100357: .*version V_OFFLINE of APP.ML.FORECASTER has no predict_rows method \(it was registered before the inference service was added\)/s,
    );
    // create_service's own refusal, when asked anyway.
    expect(() =>
      server.objects.serving.createService({ role: 'RUNNER' } as never, {
        name: 'APP.ML.X',
        model: 'APP.ML.FORECASTER',
        version: 'V_OFFLINE',
        computePool: 'SERVING',
        ingressEnabled: false,
        minInstances: 0,
        maxInstances: 1,
      }),
    ).toThrow(/Online inference services do not support TABLE_FUNCTION methods/);
  });

  test("only the service's owner grants its service role; a public endpoint needs BIND SERVICE ENDPOINT, which PUBLIC holds until revoked", async () => {
    // ACCOUNTADMIN does not inherit the runner's role: it is not the service's owner.
    expect(await failure(query(admin, `GRANT SERVICE ROLE ${service('V_R2')}!ALL_ENDPOINTS_USAGE TO ROLE OTHER`))).toMatch(
      /^002003: .*Service 'APP.ML.ONLINE_.*' does not exist or not authorized/s,
    );
    expect((await call(GATEWAY, '/predict-rows', split, 'PAT-OTHER')).status).toBe(403);
    await query(admin, 'REVOKE BIND SERVICE ENDPOINT ON ACCOUNT FROM ROLE PUBLIC');
    addVersion('V_R3');
    expect(await failure(query(runner, "CALL APP.ML.ONLINE_DEPLOY('V_R3')"))).toMatch(
      /^003001: .*Insufficient privileges to operate on account .*needs BIND SERVICE ENDPOINT/s,
    );
  });

  test('readRequest refuses what it cannot read, naming what is missing', () => {
    expect(() => readRequest({ nothing: 1 }, ['A'])).toThrow('the request body must hold data, dataframe_split or dataframe_records');
    expect(() => readRequest({ data: [[0, 1]] }, ['A', 'B'])).toThrow('each row of data is [index, A, B]');
    expect(() => readRequest({ dataframe_records: [{ A: 1 }] }, ['A', 'B'])).toThrow("the request has no B column; the method's inputs are A, B");
  });
});
