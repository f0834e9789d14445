import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { env, prepareAccount } from './fixtures';
import { tempDir } from '../../tmp';

const root = path.resolve(__dirname, '..', '..', '..');
let server: LocalSnowflakeServer;
beforeAll(async () => {
  server = await startLocalServer();
  await prepareAccount(server);
});
afterAll(async () => server.close());

function fakeTerraform(dir: string, applyExit: number): string {
  const bin = path.join(dir, 'terraform');
  fs.writeFileSync(bin, `#!/bin/sh\necho "fake terraform $@" >> "${dir}/calls.log"\nif [ "$1" = "apply" ]; then exit ${applyExit}; fi\nexit 0\n`);
  fs.chmodSync(bin, 0o755);
  return bin;
}

function deploy(dir: string, terraform: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin', 'many-model.js'),
      'deploy',
      '--app',
      path.join(__dirname, 'fixtures', 'deploy-app.ts'),
      '--out',
      path.join(dir, 'out'),
      '--terraform',
      terraform,
    ],
    { cwd: root, env: { ...process.env, ...env(server), CI: 'true' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('many-model deploy', () => {
  test('a failed terraform apply runs no hooks and exits 1', async () => {
    const dir = tempDir('mm-deploy-');
    const r = await deploy(dir, fakeTerraform(dir, 1));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('terraform apply failed (exit 1); no hooks were run');
    expect(fs.readFileSync(path.join(dir, 'calls.log'), 'utf8')).toMatch(/init.*\n.*apply/);
    expect(await server.engineQuery('SELECT * FROM OPS.HOOKS.EVENTS')).toEqual([]);
  }, 60000);

  test('a successful apply is followed by the stack hooks in the synthesized directory', async () => {
    const dir = tempDir('mm-deploy-');
    const r = await deploy(dir, fakeTerraform(dir, 0));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await server.engineQuery('SELECT WHAT FROM OPS.HOOKS.EVENTS ORDER BY WHAT')).map((x) => x.WHAT)).toEqual(['after', 'deployed']);
    expect(fs.existsSync(path.join(dir, 'out', 'stacks', 'ops', 'hooks.json'))).toBe(true);
  }, 60000);

  test('a missing terraform binary is a usage error', async () => {
    const dir = tempDir('mm-deploy-');
    const r = await deploy(dir, path.join(dir, 'no-such-terraform'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not found on PATH');
  }, 60000);
});
