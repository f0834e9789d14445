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
  // From Node 22, TypeScript's tsc (which the packed-app and cross-engine tests run) turns on
  // Node's module compile cache, which writes node-compile-cache/ into the temporary directory;
  // off for the run, so that the check for leftovers holds on Node 22 as on Node 20.
  process.env.NODE_DISABLE_COMPILE_CACHE = '1';
}
