/** `many-model local-server` as a child process, as a user starts it. */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');

export interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts `many-model local-server` and waits for its "listening on" line. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'many-model.js'), 'local-server', '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 60 s: ${out}`)), 60000);
    const check = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => out, exit });
      }
    };
    child.stdout!.on('data', check);
    void exit.then((code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

/** Stops the server as Ctrl-C would and waits for its exit code. */
export async function stopCli(s: Started): Promise<number | null> {
  s.child.kill('SIGTERM');
  return s.exit;
}
