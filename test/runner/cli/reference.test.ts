import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cliReference, referenceIn } from '../../../runner/cli/reference';

const root = path.resolve(__dirname, '..', '..', '..');

describe('docs/cli.md', () => {
  test("holds every command's help as the command definitions print it", () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'cli.md'), 'utf8');
    // On a mismatch: `npm run docs:cli` writes the reference again.
    expect(referenceIn(doc)).toBe(cliReference());
  });

  test('is what the CLI prints for --help', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'many-model.js'), 'hooks', 'run', '--help'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(cliReference()).toContain(`### \`many-model hooks run\`\n\n\`\`\`text\n${r.stdout}\`\`\`\n`);
  });
});
