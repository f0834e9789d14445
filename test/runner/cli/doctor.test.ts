import * as fs from 'fs';
import * as path from 'path';
import { TerraformJson } from '../../../runner/bootstrap/bootstrap';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { provisionLocally } from '../../../runner/demo/provision';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { buildApp } from '../../../stacks/main';
import { tempDir } from '../../tmp';
import { cliProcess } from './cli-process';
import { createExampleSourceAsDataTeam } from '../../fixtures/example-source';

const cli = cliProcess;
const envOf = (server: LocalSnowflakeServer, password = 'test') => server.connectionEnv({ password });

describe('many-model doctor', () => {
  const out = tempDir('mm-doctor-cli-');
  let server: LocalSnowflakeServer;
  beforeAll(async () => {
    buildApp(out).synth();
    server = await startLocalServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test('usage errors exit 2: no synthesis, an unknown stack, no connection, a refused login', async () => {
    const missing = await cli(['doctor', '--out', path.join(out, 'missing')], envOf(server));
    expect([missing.status, missing.stderr]).toEqual([2, expect.stringContaining("Run 'many-model synth'")]);
    const unknown = await cli(['doctor', '--out', out, '--stack', 'nope'], envOf(server));
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining("no stack 'nope'")]);
    const none = await cli(['doctor', '--out', out]);
    expect([none.status, none.stderr]).toEqual([2, expect.stringContaining('no Snowflake connection')]);
    const refused = await cli(['doctor', '--out', out], envOf(server, 'wrong'));
    expect(refused.status).toBe(2);
  });

  test('a fresh account exits 1 with the bootstrap statements as fixes; once provisioned every check passes and it exits 0', async () => {
    const fresh = await cli(['doctor', '--out', out], envOf(server));
    expect(fresh.status).toBe(1);
    expect(fresh.stdout).toMatch(/^ {2}FAIL {2}deploy-role {6}deploy role MANY_MODEL_DEPLOYER does not exist/m);
    expect(fresh.stdout).toContain('fix: GRANT CREATE COMPUTE POOL ON ACCOUNT TO ROLE "MANY_MODEL_DEPLOYER";');
    expect(fresh.stdout).toMatch(/^ {2}skip {2}runner-role/m);

    const openAs = (role?: string) => SnowflakeSession.open(resolveConnection({ env: { ...envOf(server), ...(role ? { SNOWFLAKE_ROLE: role } : {}) } }));
    const admin = await openAs();
    try {
      await createExampleSourceAsDataTeam(admin);
      const tf = JSON.parse(fs.readFileSync(readSynthOutput(out)[0].terraformFile, 'utf8')) as TerraformJson;
      await provisionLocally(admin, tf, { user: 'test', openAs });
    } finally {
      await admin.close();
    }
    const ready = await cli(['doctor', '--out', out, '--stack', 'forecast'], { ...envOf(server), SNOWFLAKE_ROLE: 'MANY_MODEL_DEPLOYER' });
    expect(ready.stderr).toBe('');
    expect(ready.status).toBe(0);
    expect(
      ready.stdout
        .split('\n')
        .filter((l) => /^ {2}(ok|FAIL|skip) /.test(l))
        .map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['ok deploy-role', 'ok runner-role', 'ok hybrid-tables', 'ok image-repository', 'ok packages', 'ok compute-pool']);
  });
});
