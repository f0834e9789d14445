import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../tmp';

const root = path.resolve(__dirname, '..', '..');

/** A copy of the checkout's files (tracked and new, as git lists them) at another path, sharing node_modules. */
function cloneAt(dir: string): string {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const f of files) {
    // Skip files deleted but not yet committed, and a node_modules symlink (a git worktree's).
    if (f === 'node_modules' || !fs.existsSync(path.join(root, f))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

/** Every file of two synthesized directories must be byte-identical, and name neither clone's location. */
function expectIdentical(a: string, b: string, clones: string[]): string[] {
  const files = listFiles(a);
  expect(listFiles(b)).toEqual(files);
  for (const f of files) {
    const [x, y] = [fs.readFileSync(path.join(a, f)), fs.readFileSync(path.join(b, f))];
    expect({ file: f, identical: x.equals(y) }).toEqual({ file: f, identical: true });
    for (const dir of clones) expect(x.toString('utf8')).not.toContain(dir);
  }
  return files;
}

describe('synthesis does not depend on where the project is checked out', () => {
  test('two clones at different paths synthesize the example app and the composition example into byte-identical files', () => {
    const clones = [cloneAt(path.join(tempDir('mm-clone-a-'), 'project')), cloneAt(path.join(tempDir('mm-clone-b-'), 'checkout', 'many-model'))];
    for (const dir of clones) {
      // `many-model synth` in each clone: the example app (cdktf.json's app) into cdktf.out/, and
      // the docs' two-stack composition (examples/composition/app.ts) into composition.out/.
      for (const args of [['synth'], ['synth', '--app', 'examples/composition/app.ts', '--out', 'composition.out']]) {
        execFileSync(process.execPath, [path.join(dir, 'bin', 'many-model.js'), ...args], { cwd: dir, stdio: 'pipe' });
      }
    }
    const example = expectIdentical(path.join(clones[0], 'cdktf.out'), path.join(clones[1], 'cdktf.out'), clones);
    expect(example).toEqual(
      expect.arrayContaining(['manifest.json', path.join('stacks', 'forecast', 'cdk.tf.json'), path.join('stacks', 'forecast', 'hooks.json')]),
    );
    const composition = expectIdentical(path.join(clones[0], 'composition.out'), path.join(clones[1], 'composition.out'), clones);
    expect(composition).toEqual(expect.arrayContaining([path.join('stacks', 'retail', 'cdk.tf.json'), path.join('stacks', 'operations', 'cdk.tf.json')]));
    // The state stays where cdktf keeps it by default: terraform.<stack>.tfstate in the project root.
    const tf = JSON.parse(fs.readFileSync(path.join(clones[0], 'cdktf.out', 'stacks', 'forecast', 'cdk.tf.json'), 'utf8'));
    expect(tf.terraform.backend).toEqual({ local: { path: '../../../terraform.forecast.tfstate' } });
  });
});
