import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The four deliverables and which way they may depend (docs/architecture.md, "Layout"): the
 * construct library (constructs/ and lib/) is synth-time and shared code, and depends on none of
 * the others; the reference worker uses the library's SQL and nothing else; the local server may
 * run the worker but knows nothing of the runner; the runner and CLI load the local server only in
 * the commands that start it, after checking that its packages resolve.
 */
const root = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The repository folder each value import of a file lands in (type-only imports are erased). */
function importedFolders(file: string): { folder: string; line: string }[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const found: { folder: string; line: string }[] = [];
  const spec = /(?:^|\n)\s*(import(?!\s+type)[^;]*?from\s*|export[^;]*?from\s*|[^\n]*?require\(\s*)'(\.{1,2}\/[^']*)'/g;
  for (const m of text.matchAll(spec)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[2]));
    found.push({ folder: target.split('/')[0], line: m[0].trim() });
  }
  return found;
}

function violations(folders: string[], allowed: (folder: string, file: string) => boolean): string[] {
  return folders.flatMap(sources).flatMap((file) =>
    importedFolders(file)
      .filter(({ folder }) => !allowed(folder, file))
      .map(({ folder, line }) => `${file} -> ${folder}/: ${line}`),
  );
}

describe('the layout keeps its deliverables apart', () => {
  test('the construct library (constructs/, lib/) imports nothing of the runner, the local server or the worker', () => {
    expect(violations(['constructs', 'lib'], (f) => f === 'constructs' || f === 'lib')).toEqual([]);
  });

  test("the reference worker imports only itself and the library's shared code (lib/)", () => {
    expect(violations(['worker'], (f) => f === 'worker' || f === 'lib')).toEqual([]);
  });

  test('the local server imports no runner code and no construct', () => {
    expect(violations(['local-server'], (f) => !['runner', 'constructs', 'stacks'].includes(f))).toEqual([]);
  });

  test('the runner loads the local server only in the commands that start it, and the demo they load', () => {
    const starters = (file: string) =>
      ['runner/cli/commands/deploy-local.ts', 'runner/cli/commands/local-server.ts'].includes(file) || file.startsWith('runner/demo/');
    expect(violations(['runner'], (f, file) => f !== 'local-server' || starters(file))).toEqual([]);
  });

  test('the demo is loaded only by the commands that start the local server', () => {
    const loaders = sources('runner').filter(
      (file) => !file.startsWith('runner/demo/') && fs.readFileSync(path.join(root, file), 'utf8').match(/^(?!\s*\*)[^\n]*'(\.\.\/)+demo\//m),
    );
    expect(loaders.sort()).toEqual(['runner/cli/commands/demo.ts', 'runner/cli/commands/deploy-local.ts']);
  });

  test('loading the package root loads only the library: no runner, local server or worker module, and no CLI or driver package', () => {
    const probe = `
      require(${JSON.stringify(path.join(root, 'index.ts'))});
      const loaded = Object.keys(require.cache).map((f) => require('path').relative(${JSON.stringify(root)}, f).split(require('path').sep).join('/'));
      console.log(JSON.stringify(loaded));`;
    const r = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', probe], { cwd: root, encoding: 'utf8', timeout: 120000 });
    expect(r.stderr).toBe('');
    const loaded: string[] = JSON.parse(r.stdout);
    expect(loaded).toContain('constructs/many-model-pipeline.ts');
    const ours = loaded.filter((f) => /^(runner|local-server|worker)\//.test(f));
    const packages = ['snowflake-sdk', 'commander', 'smol-toml', '@duckdb', '@polyglot-sql', 'yaml'];
    const theirs = loaded.filter((f) => packages.some((p) => f.startsWith(`node_modules/${p}/`)));
    expect({ ours, theirs }).toEqual({ ours: [], theirs: [] });
  });
});
