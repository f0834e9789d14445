/** Fails the run when tests left files or directories in the run's TMPDIR (global-setup.ts). */
import * as fs from 'fs';

// Not the project's to remove, and removed with the run's directory below: tsx's compile cache
// (the CLI tests' child processes), the output directory cdktf's Testing.app() creates per call
// without an outdir and never removes, and the directory snowflake-sdk 3.3 makes for every GET
// and never removes (file_transfer_agent.js, downloadOneFile: mkdtemp(os.tmpdir() + 'tmp')).
const NOT_OURS = /^(tsx-\d+|cdktf\.outdir\..+|tmp[A-Za-z0-9]{6})$/;

export default function globalTeardown(): void {
  const dir = process.env.MM_JEST_RUN_TMPDIR;
  if (!dir || !fs.existsSync(dir)) return;
  const left = fs.readdirSync(dir).filter((name) => !NOT_OURS.test(name));
  fs.rmSync(dir, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`tests left ${left.length} temporary entr${left.length === 1 ? 'y' : 'ies'} behind: ${left.sort().join(', ')}`);
}
