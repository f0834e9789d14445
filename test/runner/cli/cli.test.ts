import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../../tmp';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'bin', 'many-model.js');

function cli(args: string[], cwd = root) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120000 });
}

describe('many-model CLI', () => {
  test('synth writes the example app to --out and prints the summary', () => {
    const out = tempDir('mm-cli-');
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
    const dir = tempDir('mm-app-');
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(app, 'module.exports = {};\n');
    const r = cli(['synth', '--app', app, '--out', path.join(dir, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('must export buildApp(outdir)');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

const COMMANDS = ['synth', 'demo', 'hooks', 'plan', 'bootstrap', 'doctor', 'deploy', 'local-server'];
/** Every command that runs, `hooks` by its subcommands (each has its own flags and help). */
const LEAVES = ['synth', 'demo', 'hooks plan', 'hooks run', 'hooks abandon', 'plan', 'bootstrap', 'doctor', 'deploy', 'local-server'];

describe('many-model help and version', () => {
  test('--help lists every command and the exit codes, and exits 0', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    expect(r.stdout).toContain('exit codes: 0 ok, 1 a step');
    expect(r.stdout).toContain('many-model <command> --help');
  });

  test('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`many-model ${JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version}\n`);
  });

  test('no command is a usage error that prints the usage on stderr', () => {
    const r = cli([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: many-model <command>');
  });

  test.each(LEAVES)('%s --help prints usage, one line per flag, the exit codes, and exits 0 without doing anything', (command) => {
    const words = command.split(' ');
    const r = cli([...words, '--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: many-model ${command}\\b`));
    expect(r.stdout).toContain('\nflags:\n');
    expect(r.stdout).toMatch(/\nexit codes:\n  0  .+\n  1  .+\n  2  .+/);
    // Every flag the parser accepts is documented: the parser's own list (from an unknown flag).
    const known = /known: (.*)$/m.exec(cli([...words, '--no-such-flag']).stderr)?.[1].split(', ') ?? [];
    expect(known.length).toBeGreaterThan(0);
    const documented = [...r.stdout.matchAll(/^  (--[a-z-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');
    expect(documented.sort()).toEqual(known.sort());
  });

  test('hooks --help lists its subcommands and their exit codes', () => {
    const r = cli(['hooks', '--help']);
    expect(r.status).toBe(0);
    for (const sub of ['plan', 'run', 'abandon']) expect(r.stdout).toMatch(new RegExp(`^  ${sub} +\\S`, 'm'));
    expect(r.stdout).toMatch(/\nexit codes:\n  0  .+\n  1  .+\n  2  .+/);
  });

  test('--help after a subcommand and -h after other flags also print the help', () => {
    expect(cli(['hooks', 'run', '--help']).stdout).toMatch(/^usage: many-model hooks run/);
    expect(cli(['hooks', 'help', 'run']).stdout).toMatch(/^usage: many-model hooks run/);
    expect(cli(['synth', '--out', 'x', '-h']).status).toBe(0);
  });
});

test('help piped into a reader that has gone (| head -1 after its line) ends quietly, exit 0', async () => {
  const child = spawn(process.execPath, [bin, 'plan', '--help'], { cwd: root });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // The reader is gone before the help is written, so every write fails with EPIPE.
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(stderr).not.toContain('EPIPE');
  expect(code).toBe(0);
}, 60000);

describe('many-model usage errors exit 2 with a message naming the flag', () => {
  test.each<[string, string[], RegExp]>([
    ['a missing --app file (synth)', ['synth', '--app', 'no/such/app.ts'], /^many-model synth: --app no\/such\/app\.ts: no such file$/m],
    ['a missing --app file (deploy)', ['deploy', '--app', 'no/such/app.ts'], /^many-model deploy: --app no\/such\/app\.ts: no such file$/m],
    ['a missing --app file (plan)', ['plan', '--base', '.', '--app', 'no/such/app.ts'], /^many-model plan: --app no\/such\/app\.ts: no such file$/m],
    [
      '--out whose parent does not exist (synth)',
      ['synth', '--out', '/no/such/dir/out'],
      /--out \/no\/such\/dir\/out: the directory \/no\/such\/dir does not exist/,
    ],
    [
      '--out whose parent does not exist (deploy)',
      ['deploy', '--out', '/no/such/dir/out'],
      /--out \/no\/such\/dir\/out: the directory \/no\/such\/dir does not exist/,
    ],
    [
      '--output whose directory does not exist (plan)',
      ['plan', '--base', '.', '--head', '.', '--output', '/no/such/dir/plan.md'],
      /--output \/no\/such\/dir\/plan\.md: the directory \/no\/such\/dir does not exist/,
    ],
    ['--port 99999', ['local-server', '--port', '99999'], /--port 99999 is not a TCP port/],
    ['--port that is not a number', ['local-server', '--port', 'eighty'], /--port eighty is not a TCP port/],
    [
      '--data whose parent does not exist',
      ['local-server', '--data', '/no/such/dir/state'],
      /--data \/no\/such\/dir\/state: the directory \/no\/such\/dir does not exist/,
    ],
    ['a flag without its value', ['synth', '--out'], /--out needs a value/],
    ['a flag followed by another flag instead of its value', ['synth', '--out', '--app', 'x'], /--out needs a value/],
    ['a value given to a switch', ['hooks', 'run', '--dry-run=yes'], /--dry-run takes no value/],
    ['a stray argument', ['synth', 'stacks/main.ts'], /unexpected argument 'stacks\/main\.ts'/],
    ['an unknown flag (plan)', ['plan', '--bogus'], /unknown flag --bogus; known: --base/],
    ['an unknown flag (local-server)', ['local-server', '--bogus'], /unknown flag --bogus; known: --port/],
    ['a non-number --series', ['demo', '--series', 'ten'], /--series ten: must be a positive whole number/],
    ['--lock-timeout that is not a number', ['hooks', 'run', '--lock-timeout', 'soon'], /--lock-timeout must be a positive number of seconds/],
    ['an unknown hooks subcommand', ['hooks', 'apply'], /unknown subcommand 'apply'/],
    ['a flag of another subcommand', ['hooks', 'plan', '--dry-run'], /^many-model hooks plan: unknown flag --dry-run; known: --stack/m],
    ['a flag given twice', ['synth', '--out', 'a', '--out', 'b'], /--out given twice/],
    ['an empty value', ['synth', '--out', ''], /--out needs a non-empty value/],
    ['a value not among the choices', ['plan', '--base', '.', '--fail-on', 'always'], /--fail-on always: use destructive or never/],
    ['a missing required flag', ['plan', '--head', '.'], /^many-model plan: --base is required: a synthesized directory/m],
  ])('%s', (_what, args, message) => {
    const r = cli(args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });

  test('a default is checked as a given value is: synth where there is no stacks/main.ts', () => {
    const r = cli(['synth'], tempDir('mm-cli-cwd-'));
    expect(r.stderr).toMatch(/^many-model synth: --app stacks\/main\.ts: no such file$/m);
    expect(r.status).toBe(2);
  });
});
