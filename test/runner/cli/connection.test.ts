import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { startLocalServer } from '../../../local-server';
import { serializeManifest } from '../../../lib/hooks/manifest';
import { env as serverEnv, manifestOf, prepareAccount } from '../hooks/fixtures';
import { tempDir } from '../../tmp';

const root = path.resolve(__dirname, '..', '..', '..');

/** A synthesis directory with one stack whose hooks are one statement. */
function synthesis(): string {
  const out = tempDir('mm-conn-cli-');
  fs.mkdirSync(path.join(out, 'stacks', 'app'), { recursive: true });
  fs.writeFileSync(path.join(out, 'stacks', 'app', 'cdk.tf.json'), '{}');
  fs.writeFileSync(path.join(out, 'stacks', 'app', 'hooks.json'), serializeManifest(manifestOf((h) => void h.add({ id: 'a', statements: ['SELECT 1'] }))));
  return out;
}

function hooks(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStdout?: (text: string) => void,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [path.join(root, 'bin', 'many-model.js'), 'hooks', ...args], {
    cwd: root,
    env: { ...process.env, CI: 'true', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    onStdout?.(stdout);
  });
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })));
}

async function freePort(): Promise<number> {
  const s = await startLocalServer();
  const port = s.port;
  await s.close();
  return port;
}

const PW = 'canary-conn-pw-77a1d0';

describe('many-model hooks against a server that cannot be reached', () => {
  test('a refused port: each retry is reported, then a clear failure and exit 1, within a bounded time', async () => {
    const port = await freePort();
    const env = {
      SNOWFLAKE_ACCOUNT: 'local',
      SNOWFLAKE_USER: 'test',
      SNOWFLAKE_PASSWORD: PW,
      SNOWFLAKE_HOST: '127.0.0.1',
      SNOWFLAKE_PORT: String(port),
      SNOWFLAKE_PROTOCOL: 'http',
      MANY_MODEL_CONNECT_RETRIES: '2',
      MANY_MODEL_CONNECT_RETRY_DELAY_MS: '100',
    };
    for (const sub of ['run', 'plan']) {
      const r = await hooks([sub, '--out', synthesis()], env);
      expect(r.stdout).toContain(`cannot reach 127.0.0.1:${port} (ECONNREFUSED): retry 1 of 2 in 100 ms`);
      expect(r.stdout).toContain(`cannot reach 127.0.0.1:${port} (ECONNREFUSED): retry 2 of 2 in 200 ms`);
      expect(r.stderr).toContain(`many-model hooks ${sub}: cannot connect: cannot reach 127.0.0.1:${port} (ECONNREFUSED) after 3 attempts`);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(PW);
      // The driver alone spent ~173 s here; process start and tsx take a few seconds.
      expect(r.ms).toBeLessThan(45000);
    }
  }, 120000);

  test('bad retry settings are a configuration error (exit 2)', async () => {
    const r = await hooks(['run', '--out', synthesis()], {
      SNOWFLAKE_ACCOUNT: 'local',
      SNOWFLAKE_USER: 'test',
      SNOWFLAKE_PASSWORD: PW,
      MANY_MODEL_CONNECT_RETRIES: 'many',
    });
    expect(r.stderr).toContain('MANY_MODEL_CONNECT_RETRIES=many must be a whole number from 0 to 100');
    expect(r.code).toBe(2);
  }, 60000);

  test('a server that stops during a step and does not come back: the loss and the retries are reported, the step fails, exit 1', async () => {
    const server = await startLocalServer();
    let closing: Promise<void> | undefined;
    try {
      await prepareAccount(server);
      const out = tempDir('mm-conn-cli-');
      fs.mkdirSync(path.join(out, 'stacks', 'app'), { recursive: true });
      fs.writeFileSync(path.join(out, 'stacks', 'app', 'cdk.tf.json'), '{}');
      fs.writeFileSync(
        path.join(out, 'stacks', 'app', 'hooks.json'),
        serializeManifest(manifestOf((h) => void h.add({ id: 'slow', statements: ["INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'slow')"] }))),
      );
      server.faults.delayStatement({ match: /'slow'\)$/ }); // held until the server closes
      const port = server.port;
      const slowRunning = async () =>
        (await server.engineQuery("SELECT COUNT(*) AS N FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = 'slow' AND STATUS = 'RUNNING'"))[0].N === '1';
      const r = await hooks(
        ['run', '--out', out],
        { ...serverEnv(server), MANY_MODEL_CONNECT_RETRIES: '2', MANY_MODEL_CONNECT_RETRY_DELAY_MS: '100' },
        (text) => {
          // Once the step's ledger row is written, its statement is next, held by the server.
          if (closing || !text.includes('run slow')) return;
          closing = (async () => {
            for (let i = 0; i < 400 && !(await slowRunning()); i++) await new Promise((w) => setTimeout(w, 50));
            await new Promise((w) => setTimeout(w, 500));
            await server.close();
          })();
        },
      );
      // Usually the held statement is reset ('transient error 401001 socket hang up; retry 1 in
      // ... ms') and its retry finds the port closed; on a busy machine it may be sent only after
      // the close. Either way:
      expect(r.stdout).toMatch(new RegExp(`connection to 127\\.0\\.0\\.1:${port} lost \\(ECONNREFUSED`));
      expect(r.stdout).toContain(`cannot reach 127.0.0.1:${port} (ECONNREFUSED): retry 2 of 2 in 200 ms`);
      expect(r.stdout).toMatch(
        new RegExp(`FAILED step slow, statement s1 \\(Snowflake 401001\\): cannot reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\) after 3 attempts`),
      );
      expect(r.stdout).toContain('done: 0 succeeded, 0 gated, 1 failed');
      expect(r.code).toBe(1);
      // The step's own retries (waits up to 1, 2, 4, 8 s) and the connect retries, not minutes.
      expect(r.ms).toBeLessThan(60000);
    } finally {
      await (closing ?? server.close());
    }
  }, 120000);
});
