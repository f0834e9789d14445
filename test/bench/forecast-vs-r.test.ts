/**
 * The comparison with R (`npm run bench:forecast-vs-r`) needs Rscript; nothing in the test suite
 * does. Without Rscript on the PATH the script says so and exits non-zero, having measured
 * nothing and written nothing.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');

test('the R comparison says plainly that Rscript is missing and exits with status 2', () => {
  const tsx = path.dirname(require.resolve('tsx/package.json'));
  const r = spawnSync(
    process.execPath,
    [
      '--require',
      path.join(tsx, 'dist', 'preflight.cjs'),
      '--import',
      `file://${path.join(tsx, 'dist', 'loader.mjs')}`,
      path.join(root, 'bench', 'forecast-vs-r.ts'),
    ],
    {
      cwd: root,
      encoding: 'utf8',
      // No directory that could hold Rscript.
      env: { ...process.env, PATH: '/nonexistent', MM_BENCH_RESULTS: '0' },
    },
  );
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('Rscript was not found on the PATH');
  expect(r.stdout).toBe('');
}, 60000);
