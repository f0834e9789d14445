#!/usr/bin/env node
// A copy of this checkout that runs on another CDK engine: `node scripts/engine-tree.js cdktn DIR`
// (or `cdktf DIR`, or `cdktn-native DIR`). CI runs the test suite in the cdktn copy (.ci/run);
// test/engine/cross-engine.test.ts synthesizes in all three and compares.
//
// DIR gets the checkout's files (what git lists: tracked and new), a package.json whose
// devDependencies pin the engine (and `overrides`, as an app on that engine declares them), and a
// node_modules in which the engine's three packages are installed on their own (DIR/.engine,
// pinned, from npm's cache when it has them) and everything else is a link to this checkout's
// node_modules. Node follows the links to the real files, so the library, the tests and the
// bindings all load the one engine copy in DIR/.engine.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

/**
 * The engine packages of each setup, as an app pins them (docs/engines.md):
 * - cdktf: CDK for Terraform 0.21.0 (this checkout's devDependencies);
 * - cdktn: CDK Terrain 0.24.0 under the name cdktf, with constructs 10.7.2 (cdktn 0.24.0 peers on
 *   constructs >=10.6.0 <10.8.0) and the same @cdktf/provider-snowflake 15.9.1 bindings, whose
 *   peer dependency on cdktf ^0.21.0 the override points at the alias.
 */
const ENGINES = {
  // The checkout's own devDependencies (test/engine/engine.test.ts checks they agree), written out
  // because a copy built for another engine has its devDependencies rewritten.
  cdktf: {
    dependencies: { cdktf: '0.21.0', constructs: '10.8.1', '@cdktf/provider-snowflake': '15.9.1' },
  },
  cdktn: {
    dependencies: { cdktf: 'npm:cdktn@0.24.0', constructs: '10.7.2', '@cdktf/provider-snowflake': '15.9.1' },
    overrides: { cdktf: '$cdktf' },
  },
  // CDK Terrain under its own name with bindings built on it, as an app that has moved to cdktn's
  // own bindings has them: no cdktf and no @cdktf/provider-snowflake in node_modules. The prebuilt
  // @cdktn/provider-snowflake is not in the registry this project reaches, so the copy gets a
  // stand-in made from the checkout's @cdktf/provider-snowflake (provider 2.11): the modules the
  // library loads, importing cdktn instead of cdktf. For synthesis only: the tests import cdktf.
  'cdktn-native': {
    dependencies: { cdktn: '0.24.0', constructs: '10.7.2' },
    remove: ['cdktf', '@cdktf/provider-snowflake'],
    standInBindings: '@cdktn/provider-snowflake',
  },
};

/**
 * Writes `name`, a copy of the checkout's @cdktf/provider-snowflake that imports cdktn, into
 * `nodeModules`: package.json and the binding modules constructs/resources.ts loads.
 */
function writeStandInBindings(name, nodeModules) {
  const from = path.dirname(require.resolve('@cdktf/provider-snowflake/package.json', { paths: [root] }));
  const to = path.join(nodeModules, name);
  const pkg = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8'));
  const standIn = {
    name,
    version: pkg.version,
    description: `stand-in for ${name}: ${pkg.name} ${pkg.version} importing cdktn (scripts/engine-tree.js)`,
    main: 'lib/index.js',
    peerDependencies: { cdktn: '^0.24.0', constructs: pkg.peerDependencies.constructs },
    cdktn: pkg.cdktf,
  };
  fs.mkdirSync(to, { recursive: true });
  fs.writeFileSync(path.join(to, 'package.json'), `${JSON.stringify(standIn, null, 2)}\n`);
  const resources = fs.readFileSync(path.join(root, 'constructs', 'resources.ts'), 'utf8');
  const dirs = [...resources.matchAll(/load<[^>]+>\('([^']+)'\)/g)].map((m) => m[1]);
  if (dirs.length === 0) throw new Error('constructs/resources.ts loads no binding module');
  for (const dir of dirs) {
    fs.mkdirSync(path.join(to, 'lib', dir), { recursive: true });
    for (const file of ['index.js', 'index.d.ts']) {
      const text = fs.readFileSync(path.join(from, 'lib', dir, file), 'utf8');
      fs.writeFileSync(path.join(to, 'lib', dir, file), text.replace(/require\("cdktf"\)/g, 'require("cdktn")').replace(/from 'cdktf'/g, "from 'cdktn'"));
    }
  }
}

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
}

/** Copies the checkout's files (tracked and new, as git lists them) into `dir`. */
function copyCheckout(dir) {
  const files = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], root).split('\0').filter(Boolean);
  for (const f of files) {
    // Skip files deleted but not yet committed, and a node_modules symlink (a git worktree's).
    if (f === 'node_modules' || !fs.existsSync(path.join(root, f))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(dir, f));
  }
  // A repository of its own, so that what lists the checkout's files (git ls-files) works there.
  run('git', ['init', '-q'], dir);
  fs.appendFileSync(path.join(dir, '.git', 'info', 'exclude'), '.engine/\n');
}

/**
 * Links every entry of `from` into `to`, the entries of `over` (scoped ones one level down) instead
 * of `from`'s, and none of the packages named in `remove`.
 */
function overlay(from, over, to, remove = [], scope = '') {
  fs.mkdirSync(to, { recursive: true });
  const entries = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((e) => e === '.bin' || !e.startsWith('.')) : []);
  const names = [...new Set([...entries(from), ...entries(over)])].sort();
  for (const name of names) {
    const mine = path.join(over, name);
    if (remove.includes(scope + name)) continue;
    if (name.startsWith('@') && ((fs.existsSync(mine) && fs.existsSync(path.join(from, name))) || remove.some((r) => r.startsWith(`${name}/`)))) {
      overlay(path.join(from, name), mine, path.join(to, name), remove, `${name}/`);
      if (fs.readdirSync(path.join(to, name)).length === 0) fs.rmdirSync(path.join(to, name));
    } else {
      // The checkout's tools (.bin: jest, tsx, tsc) stay; the engine's packages replace the checkout's.
      fs.symlinkSync(name !== '.bin' && fs.existsSync(mine) ? mine : path.join(from, name), path.join(to, name));
    }
  }
}

/** Builds the tree in `dir` (which must not exist) for `engine` and returns `dir`. */
function buildEngineTree(engine, dir) {
  const spec = ENGINES[engine];
  if (!spec) throw new Error(`engine must be one of ${Object.keys(ENGINES).join(', ')}, not ${engine}`);
  if (fs.existsSync(dir)) throw new Error(`${dir} exists`);
  fs.mkdirSync(dir, { recursive: true });
  copyCheckout(dir);

  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const name of spec.remove ?? []) delete pkg.devDependencies[name];
  Object.assign(pkg.devDependencies, spec.dependencies);
  if (spec.overrides) pkg.overrides = { ...pkg.overrides, ...spec.overrides };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  const engineDir = path.join(dir, '.engine');
  fs.mkdirSync(engineDir);
  fs.writeFileSync(
    path.join(engineDir, 'package.json'),
    `${JSON.stringify({ name: 'engine', private: true, dependencies: spec.dependencies, overrides: spec.overrides }, null, 2)}\n`,
  );
  run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-package-lock'], engineDir);
  if (spec.standInBindings) writeStandInBindings(spec.standInBindings, path.join(engineDir, 'node_modules'));

  overlay(fs.realpathSync(path.join(root, 'node_modules')), path.join(engineDir, 'node_modules'), path.join(dir, 'node_modules'), spec.remove);
  return dir;
}

module.exports = { ENGINES, buildEngineTree };

if (require.main === module) {
  const [engine, dir] = process.argv.slice(2);
  if (!engine || !dir) {
    process.stderr.write('usage: node scripts/engine-tree.js cdktf|cdktn DIR\n');
    process.exit(2);
  }
  buildEngineTree(engine, path.resolve(dir));
  const as = fs.existsSync(path.join(dir, 'node_modules', 'cdktf')) ? 'cdktf' : 'cdktn';
  const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', as, 'package.json'), 'utf8'));
  process.stdout.write(`${dir}: ${installed.name} ${installed.version} as ${as}\n`);
}
