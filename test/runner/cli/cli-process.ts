import { spawn } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'bin', 'many-model.js');

/**
 * `many-model` in its own process, asynchronous (a local server in the test's process answers it),
 * with no SNOWFLAKE_* variable of the caller's and no connections.toml: only `env` configures it.
 */
export function cliProcess(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SNOWFLAKE_')));
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...clean, SNOWFLAKE_HOME: path.join(root, 'no-such-dir'), MANY_MODEL_CONNECT_RETRIES: '0', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
