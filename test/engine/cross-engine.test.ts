/**
 * CDK for Terraform 0.21.0 and CDK Terrain 0.24.0 synthesize the same stacks from the same app:
 * two copies of this checkout, one on each engine (scripts/engine-tree.js), synthesize the example
 * app and the docs' composition, and their outputs are compared file by file.
 *
 * Slow-ish: each copy installs its engine's three packages (from npm's cache when it has them).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildPlan, readSynthesis } from '../../index';
import { tempDir } from '../tmp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildEngineTree } = require('../../scripts/engine-tree.js') as { buildEngineTree: (engine: string, dir: string) => string };

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

describe('the same app on CDK for Terraform and on CDK Terrain', () => {
  const trees: Record<'cdktf' | 'cdktn', string> = { cdktf: '', cdktn: '' };
  const outputs = ['cdktf.out', 'composition.out'];

  beforeAll(() => {
    const work = tempDir('mm-engines-');
    for (const engine of ['cdktf', 'cdktn'] as const) {
      trees[engine] = buildEngineTree(engine, path.join(work, engine, 'project'));
      // The example app (cdktf.json's app) into cdktf.out/, the composition into composition.out/.
      for (const args of [['synth'], ['synth', '--app', 'examples/composition/app.ts', '--out', 'composition.out']]) {
        execFileSync(process.execPath, [path.join(trees[engine], 'bin', 'many-model.js'), ...args], { cwd: trees[engine], stdio: 'pipe' });
      }
    }
  }, 5 * 60 * 1000);

  test('each copy runs the engine it was built for', () => {
    const engineOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'cdktf', 'package.json'), 'utf8'));
    expect(engineOf(trees.cdktf)).toMatchObject({ name: 'cdktf', version: '0.21.0' });
    expect(engineOf(trees.cdktn)).toMatchObject({ name: 'cdktn', version: '0.24.0' });
    for (const out of outputs) {
      expect(JSON.parse(fs.readFileSync(path.join(trees.cdktf, out, 'manifest.json'), 'utf8')).version).toBe('0.21.0');
      expect(JSON.parse(fs.readFileSync(path.join(trees.cdktn, out, 'manifest.json'), 'utf8')).version).toBe('0.24.0');
    }
  });

  test('write the same files, and the same hook manifests and policy reports byte for byte', () => {
    for (const out of outputs) {
      const files = listFiles(path.join(trees.cdktf, out));
      expect(listFiles(path.join(trees.cdktn, out))).toEqual(files);
      const hooks = files.filter((f) => path.basename(f) === 'hooks.json');
      expect(hooks.length).toBeGreaterThan(0);
      for (const f of files.filter((f) => !/(^|\/)(cdk\.tf|manifest)\.json$/.test(f))) {
        const same = fs.readFileSync(path.join(trees.cdktf, out, f)).equals(fs.readFileSync(path.join(trees.cdktn, out, f)));
        expect({ file: path.join(out, f), same }).toEqual({ file: path.join(out, f), same: true });
      }
    }
  });

  test('synthesize the same Terraform: cdk.tf.json differs only in the engine version in its "//" comment block and the spelling of {}', () => {
    for (const out of outputs) {
      for (const f of listFiles(path.join(trees.cdktf, out)).filter((f) => /(^|\/)(cdk\.tf|manifest)\.json$/.test(f))) {
        const [a, b] = [trees.cdktf, trees.cdktn].map((t) => fs.readFileSync(path.join(t, out, f), 'utf8'));
        expect({ file: path.join(out, f), text: withoutEngineStamp(b) }).toEqual({ file: path.join(out, f), text: withoutEngineStamp(a) });
      }
    }
  });

  test('many-model plan from one engine to the other changes no resource and runs no hook', () => {
    for (const out of outputs) {
      const report = buildPlan(readSynthesis(path.join(trees.cdktf, out), 'cdktf 0.21.0'), readSynthesis(path.join(trees.cdktn, out), 'cdktn 0.24.0'));
      expect(report.stacks.length).toBeGreaterThan(0);
      expect(report.destructive).toEqual([]);
      expect(report.totals).toEqual({ create: 0, update: 0, replace: 0, delete: 0, hooksToRun: 0 });
    }
  });
});
