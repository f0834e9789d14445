/**
 * Gives the test run a temporary directory of its own (TMPDIR, inherited by jest's workers and
 * every process the tests start), so global-teardown.ts can tell what the tests left behind from
 * what other programs on the machine put in /tmp.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export default function globalSetup(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-jest-run-'));
  process.env.MM_JEST_RUN_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
