/**
 * The command that runs the reference worker (./main.ts) as a local process: compiled in a package
 * install, through tsx in a checkout. The local server runs it for a job service whose image it
 * does not map to a command of the user's (docs/local-server.md).
 */
import * as fs from 'fs';
import * as path from 'path';

export function referenceWorkerCommand(): string[] {
  const compiled = path.join(__dirname, 'main.js');
  if (fs.existsSync(compiled)) return [process.execPath, compiled];
  return [process.execPath, '-r', require.resolve('tsx/cjs'), path.join(__dirname, 'main.ts')];
}
