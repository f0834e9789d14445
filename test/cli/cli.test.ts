import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'many-model.js');

function cli(args: string[], cwd = root) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120000 });
}

describe('many-model CLI', () => {
  test('synth writes the example app to --out and prints the summary', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-cli-'));
    const r = cli(['synth', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Synthesized stacks/main.ts into');
    expect(fs.existsSync(path.join(out, 'stacks', 'forecast', 'hooks.json'))).toBe(true);
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('an unknown command or flag exits 2 with usage', () => {
    const a = cli(['nope']);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("unknown command 'nope'");
    const b = cli(['synth', '--bogus']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('unknown flag --bogus');
  });

  test('an app module without buildApp is a usage error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-app-'));
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(app, 'module.exports = {};\n');
    const r = cli(['synth', '--app', app, '--out', path.join(dir, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('must export buildApp(outdir)');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
