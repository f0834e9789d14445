import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LOCAL_SERVER_PACKAGES, localServerInstallMessage, missingLocalServerPackages, testedVersions } from '../../../runner/cli/local-server-packages';
import { tempDir } from '../../tmp';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/**
 * Runs the CLI with the local server's packages made unresolvable, as in a project that installed
 * the package without them (a preload script refuses to resolve them).
 */
function cliWithoutServerPackages(args: string[], cwd = root) {
  const dir = tempDir('mm-nopkgs-');
  const hide = path.join(dir, 'hide.js');
  fs.writeFileSync(
    hide,
    `const Module = require('module');
const hidden = ${JSON.stringify(LOCAL_SERVER_PACKAGES)};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.some((n) => request === n || request.startsWith(n + '/'))) {
    const e = new Error("Cannot find module '" + request + "'");
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  return resolve.call(this, request, ...rest);
};
`,
  );
  return spawnSync(process.execPath, ['--require', hide, path.join(root, 'bin', 'many-model.js'), ...args], { cwd, encoding: 'utf8', timeout: 120000 });
}

describe("the local server's packages are an optional install", () => {
  test('they are devDependencies, not dependencies, and the message pins the versions the package was tested with', () => {
    for (const name of LOCAL_SERVER_PACKAGES) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(pkg.devDependencies[name]).toMatch(/^\d/);
    }
    expect(testedVersions()).toEqual(pkg.devDependencies);
  });

  test('the message names what is missing and the one command that installs it', () => {
    const msg = localServerInstallMessage(
      'many-model local-server',
      ['@duckdb/node-api', '@polyglot-sql/sdk'],
      { '@duckdb/node-api': '1.5.6-r.1', '@polyglot-sql/sdk': '0.12.1' },
      '22.3.0',
    );
    expect(msg).toBe(
      'many-model local-server needs @duckdb/node-api and @polyglot-sql/sdk, which cdktf-snowflake-many-model does not install: only the local Snowflake-protocol server uses them (its engine and SQL transpiler, about 94 MB). Install them in your project:\n' +
        '  npm install --save-dev @duckdb/node-api@1.5.6-r.1 @polyglot-sql/sdk@0.12.1',
    );
  });

  test("on Node 20 the message says npm's EBADENGINE warning for @polyglot-sql/sdk is expected", () => {
    expect(localServerInstallMessage('many-model demo', ['@polyglot-sql/sdk'], {}, '20.20.2')).toContain(
      '@polyglot-sql/sdk declares Node >= 22, so npm warns EBADENGINE on Node 20.20.2; the local server runs on Node 20 all the same',
    );
    expect(localServerInstallMessage('many-model demo', ['yaml'], {}, '20.20.2')).not.toContain('EBADENGINE');
  });

  test('a checkout has them all', () => {
    expect(missingLocalServerPackages()).toEqual([]);
    expect(missingLocalServerPackages((id) => (id === 'yaml' ? id : require.resolve(`${id}-not-installed`)))).toEqual([
      '@duckdb/node-api',
      '@polyglot-sql/sdk',
    ]);
  });

  test.each([
    ['local-server', ['local-server', '--port', '0'], 'many-model local-server'],
    ['deploy --local', ['deploy', '--local'], 'many-model deploy --local'],
    ['demo', ['demo'], 'many-model demo'],
  ])('without them, %s says what to install and exits 2 before starting anything', (_name, args, command) => {
    const cwd = tempDir('mm-nopkgs-cwd-');
    // deploy needs an app to get past its flag checks; the example app does (it is never synthesized).
    const r = cliWithoutServerPackages(args[0] === 'deploy' ? [...args, '--app', path.join(root, 'stacks', 'main.ts')] : args, cwd);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const specs = LOCAL_SERVER_PACKAGES.map((n) => `${n}@${pkg.devDependencies[n]}`).join(' ');
    expect(r.stderr).toContain(`${command} needs @duckdb/node-api, @polyglot-sql/sdk and yaml, which cdktf-snowflake-many-model does not install`);
    expect(r.stderr).toContain(`\n  npm install --save-dev ${specs}\n`);
    // Nothing was synthesized or started.
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  test('the library entry and the commands that do not start the server never load them', () => {
    const loaded: string[] = [];
    for (const name of LOCAL_SERVER_PACKAGES) {
      jest.doMock(name, () => {
        loaded.push(name);
        throw new Error(`${name} must not be loaded`);
      });
    }
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      require('../../../index');
      for (const c of ['synth', 'hooks', 'plan', 'bootstrap', 'doctor', 'deploy', 'local-server', 'demo']) require(`../../../runner/cli/commands/${c}`);
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    expect(loaded).toEqual([]);
  });
});
