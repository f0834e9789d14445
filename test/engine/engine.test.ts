import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { BINDINGS, ENGINE, ENGINE_DIR, ENGINE_ENV, ENGINE_PACKAGE, chooseEngine } from '../../lib/engine';
import { SNOWFLAKE_BINDINGS } from '../../constructs/resources';
import { Database } from '../../index';
import { forecastPipeline, newStack } from '../constructs/helpers';

/** A resolver that finds exactly `installed`. */
const installed =
  (...ids: string[]) =>
  (id: string) =>
    ids.includes(id) ? `/app/node_modules/${id}` : undefined;

describe('choosing the engine', () => {
  test('takes cdktf with the @cdktf bindings, which import it', () => {
    expect(chooseEngine({}, installed('@cdktf/provider-snowflake/package.json', 'cdktf'))).toEqual({
      module: 'cdktf',
      bindings: '@cdktf/provider-snowflake',
      reason: '@cdktf/provider-snowflake is installed',
    });
  });

  test('takes cdktn with the @cdktn bindings, also when another package brought cdktf along', () => {
    expect(chooseEngine({}, installed('@cdktn/provider-snowflake/package.json', 'cdktn', 'cdktf')).module).toBe('cdktn');
  });

  test('takes cdktf over cdktn when both bindings or neither are installed', () => {
    expect(chooseEngine({}, installed('@cdktf/provider-snowflake/package.json', '@cdktn/provider-snowflake/package.json', 'cdktf', 'cdktn')).module).toBe(
      'cdktf',
    );
    expect(chooseEngine({}, installed('cdktf', 'cdktn')).module).toBe('cdktf');
    expect(chooseEngine({}, installed('cdktn'))).toEqual({ module: 'cdktn', bindings: '@cdktn/provider-snowflake', reason: 'cdktn is installed' });
  });

  test(`follows ${ENGINE_ENV} over what is installed`, () => {
    expect(chooseEngine({ [ENGINE_ENV]: 'cdktn' }, installed('@cdktf/provider-snowflake/package.json', 'cdktf', 'cdktn'))).toEqual({
      module: 'cdktn',
      bindings: '@cdktn/provider-snowflake',
      reason: `${ENGINE_ENV}=cdktn`,
    });
  });

  test(`rejects a ${ENGINE_ENV} that names no engine`, () => {
    expect(() => chooseEngine({ [ENGINE_ENV]: 'cdk8s' }, installed('cdktf'))).toThrow(`${ENGINE_ENV} must be cdktf or cdktn, not "cdk8s"`);
  });

  test('says what to install when there is no engine', () => {
    expect(() => chooseEngine({}, installed())).toThrow('npm install cdktf@0.21.0 constructs@10.8.1 @cdktf/provider-snowflake@15.9.1');
  });
});

describe('the engine this checkout loads', () => {
  test('is the copy the app gets by importing cdktf, with the bindings built on it', () => {
    expect(ENGINE.module).toBe(process.env[ENGINE_ENV] || 'cdktf');
    expect(ENGINE.bindings).toBe(BINDINGS[ENGINE.module]);
    // cdktf 0.21.0, or CDK Terrain installed under the name cdktf (the CI's second run).
    expect(ENGINE_PACKAGE).toEqual({ name: require('cdktf/package.json').name, version: require('cdktf/package.json').version });
    expect(ENGINE_DIR).toBe(path.dirname(require.resolve('cdktf/package.json')));
    expect(SNOWFLAKE_BINDINGS).toMatchObject({
      package: '@cdktf/provider-snowflake',
      providerSource: 'registry.terraform.io/snowflakedb/snowflake',
      providerVersion: '2.11.0',
    });
  });
});

describe('the copies of the checkout on other engines (scripts/engine-tree.js)', () => {
  test("pin the engine this checkout's package.json pins, for the engine it runs on", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ENGINES } = require('../../scripts/engine-tree.js') as { ENGINES: Record<string, { dependencies: Record<string, string> }> };
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
    const setup = ENGINE_PACKAGE.name === 'cdktn' ? 'cdktn' : 'cdktf';
    for (const [name, spec] of Object.entries(ENGINES[setup].dependencies)) expect({ name, spec: pkg.devDependencies[name] }).toEqual({ name, spec });
  });
});

describe('an app on another copy of the engine', () => {
  test('is refused at the first construct, with what was loaded and how to fix it', () => {
    // A second copy of cdktf, as an app gets when it imports cdktn while the library loaded cdktf.
    let other: typeof import('cdktf') | undefined;
    jest.isolateModules(() => {
      other = require('cdktf');
    });
    const stack = new other!.TerraformStack(new other!.App(), 'foreign');
    expect(() => new Database(stack, 'Db')).toThrow(
      /^foreign: this stack comes from another copy of cdktf\/cdktn than the one cdktf-snowflake-many-model loaded \(.* as 'cdktf' from .*\)\. Install one engine .* or set MANY_MODEL_CDK_ENGINE/,
    );
  });

  test('whose Snowflake provider comes from other bindings gets told so at synth', () => {
    let OtherProvider: typeof import('@cdktf/provider-snowflake/lib/provider').SnowflakeProvider | undefined;
    jest.isolateModules(() => {
      OtherProvider = require('@cdktf/provider-snowflake/lib/provider').SnowflakeProvider;
    });
    const stack = newStack();
    // Only the stack's own provider is removed from the picture: the other copy's stands in.
    const own = stack.node.tryFindChild('snowflake');
    expect(own).toBeDefined();
    stack.node.tryRemoveChild('snowflake');
    new OtherProvider!(stack, 'snowflake-other', {});
    forecastPipeline(stack);
    expect(() => Testing.synth(stack, true)).toThrow(
      /test\/snowflake-other: this SnowflakeProvider comes from other Snowflake bindings than the ones cdktf-snowflake-many-model loaded \(@cdktf\/provider-snowflake 15\.9\.1/,
    );
  });
});

describe('one place loads the engine', () => {
  const root = path.resolve(__dirname, '..', '..');
  const sources = (dir: string): string[] =>
    !fs.existsSync(path.join(root, dir))
      ? []
      : fs
          .readdirSync(path.join(root, dir), { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

  test('no module of the package imports cdktf or the bindings but lib/engine.ts and constructs/resources.ts, and those only for types', () => {
    const files = ['index.ts', ...['constructs', 'lib', 'runner', 'local-server', 'worker', 'stacks'].flatMap(sources)];
    expect(files.length).toBeGreaterThan(50);
    const offending: string[] = [];
    for (const f of files) {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      const allowed = f === path.join('lib', 'engine.ts') || f === path.join('constructs', 'resources.ts');
      for (const m of text.matchAll(/^import (type )?.*from '(cdktf|cdktn|@cdktf\/[^']*|@cdktn\/[^']*)(\/[^']*)?';$/gm)) {
        if (!(allowed && m[1])) offending.push(`${f}: ${m[0]}`);
      }
      if (/require\(['`](cdktf|cdktn|@cdktf|@cdktn)/.test(text)) offending.push(`${f}: require`);
    }
    expect(offending).toEqual([]);
  });
});
