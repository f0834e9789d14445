#!/usr/bin/env node
// A copy of this checkout that runs on another CDK engine: `node scripts/engine-tree.js cdktn DIR`
// (or `cdktf DIR`). CI runs the test suite in it (.ci/run); test/engine/cross-engine.test.ts
// synthesizes in it and compares with this checkout.
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
const own = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/**
 * The engine packages of each setup, as an app pins them (docs/engines.md):
 * - cdktf: CDK for Terraform 0.21.0 (this checkout's devDependencies);
 * - cdktn: CDK Terrain 0.24.0 under the name cdktf, with constructs 10.7.2 (cdktn 0.24.0 peers on
 *   constructs >=10.6.0 <10.8.0) and the same @cdktf/provider-snowflake 15.9.1 bindings, whose
 *   peer dependency on cdktf ^0.21.0 the override points at the alias.
 */
const ENGINES = {
  cdktf: {
    dependencies: { cdktf: own.devDependencies.cdktf, constructs: own.devDependencies.constructs, '@cdktf/provider-snowflake': own.devDependencies['@cdktf/provider-snowflake'] },
  },
  cdktn: {
    dependencies: { cdktf: 'npm:cdktn@0.24.0', constructs: '10.7.2', '@cdktf/provider-snowflake': own.devDependencies['@cdktf/provider-snowflake'] },
    overrides: { cdktf: '$cdktf' },
  },
};

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
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

/** Links every entry of `from` into `to`, the entries of `over` (scoped ones one level down) instead of `from`'s. */
function overlay(from, over, to) {
  fs.mkdirSync(to, { recursive: true });
  const entries = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((e) => e === '.bin' || !e.startsWith('.')) : []);
  const names = [...new Set([...entries(from), ...entries(over)])].sort();
  for (const name of names) {
    const mine = path.join(over, name);
    if (name.startsWith('@') && fs.existsSync(mine) && fs.existsSync(path.join(from, name))) {
      overlay(path.join(from, name), mine, path.join(to, name));
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
  Object.assign(pkg.devDependencies, spec.dependencies);
  if (spec.overrides) pkg.overrides = { ...pkg.overrides, ...spec.overrides };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  const engineDir = path.join(dir, '.engine');
  fs.mkdirSync(engineDir);
  fs.writeFileSync(path.join(engineDir, 'package.json'), `${JSON.stringify({ name: 'engine', private: true, dependencies: spec.dependencies, overrides: spec.overrides }, null, 2)}\n`);
  run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-package-lock'], engineDir);

  overlay(fs.realpathSync(path.join(root, 'node_modules')), path.join(engineDir, 'node_modules'), path.join(dir, 'node_modules'));
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
  const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'cdktf', 'package.json'), 'utf8'));
  process.stdout.write(`${dir}: ${installed.name} ${installed.version} as cdktf\n`);
}
