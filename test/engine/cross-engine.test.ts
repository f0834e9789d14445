/**
 * CDK for Terraform 0.21.0 and CDK Terrain 0.24.0 synthesize the same stacks from the same app.
 * Three copies of this checkout (scripts/engine-tree.js): on cdktf 0.21.0; on CDK Terrain installed
 * under the name cdktf (how apps move today); and on CDK Terrain under its own name with bindings
 * built on it (a stand-in for @cdktn/provider-snowflake, made from the cdktf bindings), where the
 * composition is the same app importing cdktn. Each synthesizes the example app and the docs'
 * composition, and the outputs are compared file by file.
 *
 * Slow-ish: each copy installs its engine's packages (from npm's cache when it has them).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildPlan } from '../../runner/plan/plan';
import { readSynthesis } from '../../runner/plan/read-synthesis';
import { tempDir } from '../tmp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildEngineTree } = require('../../scripts/engine-tree.js') as { buildEngineTree: (engine: string, dir: string) => string };

type Setup = 'cdktf' | 'cdktn' | 'cdktn-native';
const OTHERS: Setup[] = ['cdktn', 'cdktn-native'];

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

/** What the engines write differently on purpose: their version, and how their serializers spell `{}` and `[]`. */
function withoutEngineStamp(text: string): string {
  const json = JSON.parse(text);
  if (json['//']?.metadata?.version !== undefined) json['//'].metadata.version = '<engine version>';
  if (json.version !== undefined && json.stacks !== undefined) json.version = '<engine version>';
  return JSON.stringify(json, null, 2);
}

const isTerraformOrManifest = (f: string) => /(^|\/)(cdk\.tf|manifest)\.json$/.test(f);

/** The composition as an app on CDK Terrain's own packages writes it (docs/engines.md). */
function compositionOnCdktn(dir: string): string {
  const source = fs.readFileSync(path.join(dir, 'examples', 'composition', 'app.ts'), 'utf8');
  const moved = source.replace(/from 'cdktf'/g, "from 'cdktn'").replace(/'@cdktf\/provider-snowflake\//g, "'@cdktn/provider-snowflake/");
  expect(moved).not.toMatch(/'cdktf'|@cdktf\//);
  fs.writeFileSync(path.join(dir, 'examples', 'composition', 'app-cdktn.ts'), moved);
  return 'examples/composition/app-cdktn.ts';
}

describe('the same app on CDK for Terraform and on CDK Terrain', () => {
  const trees = {} as Record<Setup, string>;
  const outputs = ['cdktf.out', 'composition.out'];

  beforeAll(
    () => {
      const work = tempDir('mm-engines-');
      for (const setup of ['cdktf', ...OTHERS] as Setup[]) {
        const dir = buildEngineTree(setup, path.join(work, setup, 'project'));
        trees[setup] = dir;
        const composition = setup === 'cdktn-native' ? compositionOnCdktn(dir) : 'examples/composition/app.ts';
        // The example app (cdktf.json's app) into cdktf.out/, the composition into composition.out/.
        for (const args of [['synth'], ['synth', '--app', composition, '--out', 'composition.out']]) {
          execFileSync(process.execPath, [path.join(dir, 'bin', 'many-model.js'), ...args], { cwd: dir, stdio: 'pipe' });
        }
      }
    },
    5 * 60 * 1000,
  );

  test('each copy runs the engine it was built for', () => {
    const pkg = (setup: Setup, name: string) => JSON.parse(fs.readFileSync(path.join(trees[setup], 'node_modules', name, 'package.json'), 'utf8'));
    expect(pkg('cdktf', 'cdktf')).toMatchObject({ name: 'cdktf', version: '0.21.0' });
    expect(pkg('cdktn', 'cdktf')).toMatchObject({ name: 'cdktn', version: '0.24.0' });
    expect(pkg('cdktn-native', 'cdktn')).toMatchObject({ name: 'cdktn', version: '0.24.0' });
    expect(pkg('cdktn-native', '@cdktn/provider-snowflake')).toMatchObject({ name: '@cdktn/provider-snowflake', peerDependencies: { cdktn: '^0.24.0' } });
    for (const name of ['cdktf', '@cdktf/provider-snowflake']) expect(fs.existsSync(path.join(trees['cdktn-native'], 'node_modules', name))).toBe(false);
    for (const out of outputs) {
      const version = (setup: Setup) => JSON.parse(fs.readFileSync(path.join(trees[setup], out, 'manifest.json'), 'utf8')).version;
      expect([version('cdktf'), version('cdktn'), version('cdktn-native')]).toEqual(['0.21.0', '0.24.0', '0.24.0']);
    }
  });

  test.each(OTHERS)('on %s: the same files, and the same hook manifests and policy reports byte for byte', (setup) => {
    for (const out of outputs) {
      const files = listFiles(path.join(trees.cdktf, out));
      expect(listFiles(path.join(trees[setup], out))).toEqual(files);
      expect(files.filter((f) => path.basename(f) === 'hooks.json').length).toBeGreaterThan(0);
      for (const f of files.filter((f) => !isTerraformOrManifest(f))) {
        const same = fs.readFileSync(path.join(trees.cdktf, out, f)).equals(fs.readFileSync(path.join(trees[setup], out, f)));
        expect({ file: path.join(out, f), same }).toEqual({ file: path.join(out, f), same: true });
      }
    }
  });

  test.each(OTHERS)('on %s: the same Terraform, cdk.tf.json differing only in the engine version in its "//" comment block and the spelling of {}', (setup) => {
    for (const out of outputs) {
      for (const f of listFiles(path.join(trees.cdktf, out)).filter(isTerraformOrManifest)) {
        const [a, b] = [trees.cdktf, trees[setup]].map((t) => fs.readFileSync(path.join(t, out, f), 'utf8'));
        expect({ file: path.join(out, f), text: withoutEngineStamp(b) }).toEqual({ file: path.join(out, f), text: withoutEngineStamp(a) });
      }
    }
  });

  test.each(OTHERS)('many-model plan from cdktf to %s changes no resource and runs no hook', (setup) => {
    for (const out of outputs) {
      const report = buildPlan(readSynthesis(path.join(trees.cdktf, out), 'cdktf'), readSynthesis(path.join(trees[setup], out), setup));
      expect(report.stacks.length).toBeGreaterThan(0);
      expect(report.destructive).toEqual([]);
      expect(report.totals).toEqual({ create: 0, update: 0, replace: 0, delete: 0, hooksToRun: 0 });
    }
  });

  test("an app on CDK Terrain's own packages type-checks against the library with the tsconfig paths docs/engines.md gives", () => {
    const dir = trees['cdktn-native'];
    const docs = fs.readFileSync(path.join(dir, 'docs', 'engines.md'), 'utf8');
    const paths = JSON.parse(`{${/"paths": (\{[^}]*\})/.exec(docs)![0]}}`).paths as Record<string, string[]>;
    expect(Object.keys(paths)).toEqual(['cdktf', 'cdktf/*', '@cdktf/provider-snowflake/lib/*']);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.cdktn.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { types: ['node'], paths: { ...paths, 'cdktf-snowflake-many-model': ['./index.ts'] } },
        include: [],
        files: ['examples/composition/app-cdktn.ts'],
      }),
    );
    execFileSync(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.cdktn.json', '--noEmit'], {
      cwd: dir,
      stdio: 'pipe',
    });
  }, 120000);
});
