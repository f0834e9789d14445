/**
 * Temporary directories for tests, removed after each test file (test/setup.ts registers the
 * afterAll). The whole run's TMPDIR is checked for leftovers at the end (test/global-teardown.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const dirs: string[] = [];

/** A new empty directory under the system temporary directory, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
