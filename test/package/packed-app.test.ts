/**
 * The package as its users get it: `npm run build` and `npm pack`, then
 * a project outside the source tree installs the tarball with cdktf, constructs and the provider
 * bindings (its peer dependencies; in CI's CDK Terrain run, cdktn under the name cdktf), compiles
 * the docs' composition example (examples/composition/app.ts) against the package's types, and
 * synthesizes it.
 *
 * Slow: a build and an `npm install` (from npm's cache when it has the packages, `--prefer-offline`).
 * It writes nothing into the source tree but dist/ (ignored by git); the tarball, the project and
 * npm's temporary files are under the test's temporary directory.
 */
import { SpawnSyncOptions, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../tmp';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 10 * 60 * 1000, ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return String(r.stdout);
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

describe('the packed package in a project of its own', () => {
  let work: string;
  let app: string;
  let npmEnv: NodeJS.ProcessEnv;
  let installLog: string;

  beforeAll(
    () => {
      work = tempDir('mm-packed-');
      // npm's own temporary files go with the test's directory.
      fs.mkdirSync(path.join(work, 'npm-tmp'));
      npmEnv = { ...process.env, TMPDIR: path.join(work, 'npm-tmp'), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

      // What prepack does on `npm pack`, run here on its own so that its output stays out of pack's JSON.
      run(npm, ['run', 'build'], { cwd: root, env: npmEnv });
      const packed = JSON.parse(run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, env: npmEnv })) as {
        filename: string;
        files: { path: string }[];
      }[];
      const tarball = path.join(work, packed[0].filename);
      expect(fs.existsSync(tarball)).toBe(true);

      app = path.join(work, 'platform-app');
      fs.mkdirSync(app);
      run(npm, ['init', '-y'], { cwd: app, env: npmEnv });
      // The package and its peers at the versions this checkout pins. On CDK Terrain under the name
      // cdktf (scripts/engine-tree.js), the app also declares the override that lets the bindings'
      // peer dependency on cdktf ^0.21.0 take it, as docs/engines.md tells users to.
      const appPkg = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
      appPkg.dependencies = {
        'cdktf-snowflake-many-model': `file:${tarball}`,
        ...Object.fromEntries(['cdktf', 'constructs', '@cdktf/provider-snowflake'].map((name) => [name, pkg.devDependencies[name]])),
      };
      if (pkg.overrides) appPkg.overrides = pkg.overrides;
      fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify(appPkg, null, 2));
      const install = spawnSync(npm, ['install', '--prefer-offline'], { cwd: app, env: npmEnv, encoding: 'utf8', timeout: 10 * 60 * 1000 });
      installLog = `${install.stdout}\n${install.stderr}`;
      if (install.status !== 0) throw new Error(`npm install exited ${install.status}:\n${installLog}`);

      // The docs' composition, compiled as a user's TypeScript app: strict, against the package's
      // .d.ts (Node's types from this checkout: the app itself installs only what it runs).
      fs.copyFileSync(path.join(root, 'examples', 'composition', 'app.ts'), path.join(app, 'app.ts'));
      fs.writeFileSync(
        path.join(app, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: 'commonjs',
              moduleResolution: 'node',
              strict: true,
              skipLibCheck: true,
              typeRoots: [path.join(root, 'node_modules', '@types')],
              types: ['node'],
            },
            files: ['app.ts'],
          },
          null,
          2,
        ),
      );
      run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app });
    },
    15 * 60 * 1000,
  );

  test('installs without the local server packages, and without an engine warning', () => {
    for (const name of ['@duckdb', '@polyglot-sql']) expect(fs.existsSync(path.join(app, 'node_modules', name))).toBe(false);
    expect(installLog).not.toContain('EBADENGINE');
    const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'cdktf-snowflake-many-model', 'package.json'), 'utf8'));
    // What the CLI needs at run time: its parser, connections.toml, the Snowflake driver.
    expect(Object.keys(installed.dependencies).sort()).toEqual(['commander', 'smol-toml', 'snowflake-sdk']);
    // What the package ships beside dist/: the license, and what the docs tell users to open.
    for (const f of [
      'LICENSE',
      'README.md',
      'docs/constructs.md',
      'examples/composition/app.ts',
      'worker/Dockerfile',
      'dist/index.d.ts',
      'dist/worker/main.js',
    ]) {
      expect({ file: f, shipped: fs.existsSync(path.join(app, 'node_modules', 'cdktf-snowflake-many-model', f)) }).toEqual({ file: f, shipped: true });
    }
  });

  test('synthesizes the two-stack composition: its Terraform JSON and hook manifests', () => {
    run(process.execPath, ['app.js'], { cwd: app });
    const stack = (id: string) => {
      const dir = path.join(app, 'cdktf.out', 'stacks', id);
      return {
        tf: JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')),
        hooks: JSON.parse(fs.readFileSync(path.join(dir, 'hooks.json'), 'utf8')),
      };
    };
    const retail = stack('retail');
    const ops = stack('operations');
    // retail: one shared pool, two pipelines' registration procedures, nothing created for the
    // imported database, warehouse and role.
    expect(Object.keys(retail.tf.resource.snowflake_compute_pool)).toHaveLength(1);
    expect(Object.keys(retail.tf.resource.snowflake_procedure_python)).toHaveLength(2);
    expect(retail.tf.resource.snowflake_database).toBeUndefined();
    expect(retail.tf.resource.snowflake_warehouse).toBeUndefined();
    const steps = retail.hooks.steps.map((s: { id: string }) => s.id);
    expect(steps).toEqual(expect.arrayContaining(['retail/StoreDemand/screen-train', 'retail/SkuDemand/refine-workers', 'retail/NewStoreForecast/batchScore']));
    // operations: its own database and pool, a queue pass.
    expect(Object.keys(ops.tf.resource.snowflake_database)).toHaveLength(1);
    expect(Object.keys(ops.tf.resource.snowflake_compute_pool)).toHaveLength(1);
    expect(ops.hooks.steps.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining(['operations/SensorLoad/screen-workers', 'operations/SensorLoad/screen-wait']),
    );
    // The state file as cdktf keeps it (the project root), spelled relative to the stack's directory.
    expect(retail.tf.terraform.backend).toEqual({ local: { path: '../../../terraform.retail.tfstate' } });
  });

  test('a copy of the app at another path synthesizes byte-identical files', () => {
    const other = path.join(tempDir('mm-packed-copy-'), 'elsewhere');
    fs.mkdirSync(other);
    fs.copyFileSync(path.join(app, 'app.js'), path.join(other, 'app.js'));
    fs.symlinkSync(path.join(app, 'node_modules'), path.join(other, 'node_modules'));
    run(process.execPath, ['app.js'], { cwd: other });
    const files = listFiles(path.join(app, 'cdktf.out'));
    expect(listFiles(path.join(other, 'cdktf.out'))).toEqual(files);
    for (const f of files) {
      const same = fs.readFileSync(path.join(app, 'cdktf.out', f)).equals(fs.readFileSync(path.join(other, 'cdktf.out', f)));
      expect({ file: f, same }).toEqual({ file: f, same: true });
    }
  });

  test('the installed CLI synthesizes the app, and says what to install for a TypeScript app and for local-server', () => {
    const bin = path.join(app, 'node_modules', '.bin', 'many-model');
    const synth = spawnSync(bin, ['synth', '--app', 'app.js', '--out', 'cli.out'], { cwd: app, encoding: 'utf8', timeout: 120000 });
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    expect(synth.stdout).toContain('stack retail');
    expect(synth.stdout).toContain('stack operations');

    // The TypeScript source needs a loader the package does not bring (tsx is a devDependency).
    const ts = spawnSync(bin, ['synth', '--app', 'app.ts', '--out', 'cli.out'], { cwd: app, encoding: 'utf8', timeout: 120000 });
    expect(ts.status).toBe(2);
    expect(ts.stderr).toContain(
      'app.ts is TypeScript, and neither this CLI nor your project has a TypeScript loader. Install one (npm install --save-dev tsx)',
    );

    const server = spawnSync(bin, ['local-server'], { cwd: app, encoding: 'utf8', timeout: 120000 });
    expect(server.status).toBe(2);
    const specs = ['@duckdb/node-api', '@polyglot-sql/sdk', 'yaml']
      .filter((name) => !fs.existsSync(path.join(app, 'node_modules', name)))
      .map((name) => `${name}@${pkg.devDependencies[name]}`);
    expect(server.stderr).toContain('many-model local-server needs @duckdb/node-api');
    expect(server.stderr).toContain(`npm install --save-dev ${specs.join(' ')}`);
  });
});
