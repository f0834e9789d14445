import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../../tmp';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'bin', 'many-model.js');
const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120000 });

describe('many-model bootstrap', () => {
  const out = tempDir('mm-bootstrap-cli-');
  beforeAll(() => expect(cli(['synth', '--out', out]).status).toBe(0));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('prints, per stack, the statements to run as ACCOUNTADMIN, each after the reason for it', () => {
    const r = cli(['bootstrap', '--out', out, '--deploy-role', 'platform_deployer', '--user', 'ci_bot']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^-- stack forecast: \d+ statements\n/);
    expect(r.stdout).toContain('USE ROLE ACCOUNTADMIN;');
    expect(r.stdout).toContain('CREATE ROLE IF NOT EXISTS "PLATFORM_DEPLOYER";');
    expect(r.stdout).toContain('GRANT ROLE "PLATFORM_DEPLOYER" TO USER "CI_BOT";');
    expect(r.stdout).toMatch(/-- the stack creates a compute pool\nGRANT CREATE COMPUTE POOL ON ACCOUNT TO ROLE "PLATFORM_DEPLOYER";/);
  });

  test('an unknown stack or a missing synthesis is a usage error (exit 2)', () => {
    const a = cli(['bootstrap', '--out', out, '--stack', 'nope']);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("no stack 'nope'");
    const b = cli(['bootstrap', '--out', path.join(out, 'missing')]);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("Run 'many-model synth'");
  });
});
