import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { close, connect, query } from '../../local-server/client';
import { tempDir } from '../../tmp';
import { startCli, stopCli } from './local-server-process';

const root = path.resolve(__dirname, '..', '..', '..');
const SECRET = 'canary-local-pw-3f9c2e71';

function options(port: number, user: string, password: string): Record<string, unknown> {
  return { account: 'local', username: user, password, host: '127.0.0.1', port, protocol: 'http', accessUrl: `http://127.0.0.1:${port}` };
}

describe('many-model local-server: the password stays off the command line', () => {
  test('from MANY_MODEL_LOCAL_SERVER_PASSWORD: that user logs in with it, others do not, and it is never printed', async () => {
    const s = await startCli(['--user', 'alice'], { MANY_MODEL_LOCAL_SERVER_PASSWORD: SECRET });
    try {
      const c = await connect(options(s.port, 'alice', SECRET));
      expect((await query(c, 'SELECT 1 AS X')).rows).toEqual([{ X: 1 }]);
      await close(c);
      await expect(connect(options(s.port, 'alice', 'test'))).rejects.toMatchObject({ code: '390100' });
    } finally {
      expect(await stopCli(s)).toBe(0);
    }
    expect(s.output()).not.toContain(SECRET);
  }, 90000);

  test('from --password-file (mode 0600, first line)', async () => {
    const file = path.join(tempDir('mm-pwfile-'), 'pw');
    fs.writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
    const s = await startCli(['--user', 'bob', '--password-file', file]);
    try {
      const c = await connect(options(s.port, 'bob', SECRET));
      expect((await query(c, 'SELECT 2 AS X')).rows).toEqual([{ X: 2 }]);
      await close(c);
    } finally {
      expect(await stopCli(s)).toBe(0);
    }
  }, 90000);

  test.each<[string, (dir: string) => string[], NodeJS.ProcessEnv, RegExp]>([
    [
      'a password file others can read',
      (dir) => {
        const f = path.join(dir, 'pw');
        fs.writeFileSync(f, SECRET, { mode: 0o644 });
        fs.chmodSync(f, 0o644);
        return ['--password-file', f];
      },
      {},
      /password file .* is accessible by group or others \(mode 0644\)\. Run: chmod 0600/,
    ],
    ['a missing password file', (dir) => ['--password-file', path.join(dir, 'nope')], {}, /--password-file .*nope: no such file/],
    [
      '--user without any password',
      () => ['--user', 'carol'],
      { MANY_MODEL_LOCAL_SERVER_PASSWORD: '' },
      /--user carol needs a password: --password-file FILE or MANY_MODEL_LOCAL_SERVER_PASSWORD/,
    ],
    [
      'two password sources on the command line',
      (dir) => {
        const f = path.join(dir, 'pw');
        fs.writeFileSync(f, SECRET, { mode: 0o600 });
        return ['--password-file', f, '--password', 'x'];
      },
      {},
      /give the password once/,
    ],
  ])(
    '%s is a usage error (exit 2)',
    async (_what, args, env, message) => {
      const dir = tempDir('mm-pwbad-');
      const child = spawn(process.execPath, [path.join(root, 'bin', 'many-model.js'), 'local-server', '--port', '0', ...args(dir)], {
        cwd: root,
        env: { ...process.env, ...env },
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.on('data', () => undefined);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(err).toMatch(message);
      expect(err).not.toContain(SECRET);
      expect(code).toBe(2);
    },
    60000,
  );
});
