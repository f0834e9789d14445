import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadSource } from '../../../runner/demo/run-demo';
import { startLocalServer } from '../../../local-server';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { App } from 'cdktf';
import { EXAMPLE, ForecastStack } from '../../../stacks/forecast-stack';
import { tempDir } from '../../tmp';
import { startCli, stopCli } from './local-server-process';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'bin', 'many-model.js');
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 240000, env: { ...process.env, CI: 'true', ...env } });

/** A data directory whose server holds the example's source table (the data team's, SYSADMIN), as a user loads it first. */
async function dataWithSource(): Promise<string> {
  const data = tempDir('mm-deploy-local-data-');
  const server = await startLocalServer({ dataDir: data });
  const session = await SnowflakeSession.open(
    resolveConnection({
      env: {
        SNOWFLAKE_ACCOUNT: 'local',
        SNOWFLAKE_USER: 'test',
        SNOWFLAKE_PASSWORD: 'test',
        SNOWFLAKE_HOST: '127.0.0.1',
        SNOWFLAKE_PORT: String(server.port),
        SNOWFLAKE_PROTOCOL: 'http',
      },
    }),
  );
  await session.query('USE ROLE SYSADMIN');
  await loadSource(session, EXAMPLE.sourceTable, 20, 200);
  await session.close();
  await server.close();
  return data;
}

describe('many-model deploy --local', () => {
  test('applies the app to the local server as the deploy role and runs its hooks as the runner role; a second deploy finds nothing to do', async () => {
    const data = await dataWithSource();
    const out = tempDir('mm-deploy-local-out-');
    const first = cli(['deploy', '--local', '--data', data, '--out', out]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`image ${EXAMPLE.image} runs the reference worker locally`);
    expect(first.stdout).toMatch(/bootstrap: \d+ statements as ACCOUNTADMIN; apply: \d+ statements as MANY_MODEL_DEPLOYER/);
    expect(first.stdout).toContain('hooks run as FORECAST_RUNNER on warehouse FORECAST_WH');
    expect(first.stdout).toMatch(/done: 9 succeeded, 0 gated, 0 failed, 0 skipped/);
    // The state is kept: bootstrap and apply are idempotent, and every step is up to date.
    const second = cli(['deploy', '--local', '--data', data, '--out', out]);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/done: 0 succeeded, 0 gated, 0 failed, 9 skipped/);
  }, 300000);

  test('deploys to a running many-model local-server (--port) that never saw the app: its registration and PREDICT stand-ins come from the created procedure', async () => {
    const dir = tempDir('mm-deploy-local-running-');
    const pw = path.join(dir, 'ops.pw');
    fs.writeFileSync(pw, 'ops-secret-5d1e\n', { mode: 0o600 });
    const server = await startCli(['--user', 'ops', '--password-file', pw]);
    try {
      expect(server.output()).toContain(`many-model deploy --local --port ${server.port} --user ops`);
      const conn = (role?: string) =>
        resolveConnection({
          env: {
            SNOWFLAKE_ACCOUNT: 'local',
            SNOWFLAKE_USER: 'ops',
            SNOWFLAKE_PASSWORD: 'ops-secret-5d1e',
            SNOWFLAKE_HOST: '127.0.0.1',
            SNOWFLAKE_PORT: String(server.port),
            SNOWFLAKE_PROTOCOL: 'http',
            ...(role ? { SNOWFLAKE_ROLE: role } : {}),
          },
        });
      // Before the data is loaded the deploy is refused, saying where to load it.
      const early = cli(['deploy', '--local', '--port', String(server.port), '--user', 'ops', '--password-file', pw, '--out', path.join(dir, 'out')]);
      expect(early.status).toBe(2);
      expect(early.stderr).toContain(`through any Snowflake client connected to 127.0.0.1:${server.port}`);
      const loader = await SnowflakeSession.open(conn());
      await loader.query('USE ROLE SYSADMIN');
      await loadSource(loader, EXAMPLE.sourceTable, 12, 200);
      await loader.close();
      const r = cli(['deploy', '--local', '--port', String(server.port), '--user', 'ops', '--password-file', pw, '--out', path.join(dir, 'out')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`local Snowflake-protocol server on 127.0.0.1:${server.port} as ops`);
      expect(r.stdout).toMatch(/done: 9 succeeded, 0 gated, 0 failed, 0 skipped/);
      // The aggregator version the stand-in registered answers PREDICT for every loaded series.
      const admin = await SnowflakeSession.open(conn());
      await admin.query('USE WAREHOUSE FORECAST_WH');
      const results = new ForecastStack(new App(), 'Forecast').pipeline.scoring!.qualifiedName.quoted;
      const scored = await admin.query<{ N: number }>(`SELECT COUNT(DISTINCT PARTITION_KEY) AS N FROM ${results}`);
      await admin.close();
      expect(Number(scored.rows[0].N)).toBe(12);
      expect(server.output()).not.toContain('ops-secret-5d1e');
    } finally {
      expect(await stopCli(server)).toBe(0);
    }
  }, 300000);

  test('a source table the local server does not hold is a usage error naming it and how to load it (exit 2)', () => {
    const r = cli(['deploy', '--local', '--data', tempDir('mm-deploy-local-empty-'), '--out', tempDir('mm-deploy-local-out-')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the stack reads ANALYTICS.RAW.SERIES_EVENTS, which the local server does not hold');
    expect(r.stderr).toContain("start 'many-model local-server --data DIR'");
  }, 120000);

  test('a bad --images file and flags that belong to the other mode are usage errors (exit 2)', () => {
    const dir = tempDir('mm-deploy-local-images-');
    const images = path.join(dir, 'images.json');
    fs.writeFileSync(images, JSON.stringify({ '/analytics/ml/images/forecast-worker': { command: [] } }));
    const bad = cli(['deploy', '--local', '--data', dir, '--images', images, '--out', path.join(dir, 'out')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('needs a command: a non-empty array of strings');
    const mixed = cli(['deploy', '--data', dir]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain('--data: belongs to deploy --local');
    const both = cli(['deploy', '--local', '--port', '8123', '--data', dir]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('give --data and --images to many-model local-server');
  }, 120000);
});
