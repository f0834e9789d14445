import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { serializeManifest } from '../../../lib/hooks/manifest';
import { env, manifestOf, prepareAccount } from './fixtures';
import { tempDir } from '../../tmp';
import { ObjectName, sqlString } from '../../../lib/identifiers';
import { TaskRunLedgerModel, renderTaskRunFinish, renderTaskRunStart } from '../../../lib/sql/ledger';

const root = path.resolve(__dirname, '..', '..', '..');
const CANARY = 'canary-pw-51e0c7d2';
let server: LocalSnowflakeServer;
let out: string;

beforeAll(async () => {
  server = await startLocalServer({ users: [{ name: 'test', password: CANARY }] });
  await prepareAccount(server);
});
afterAll(async () => server.close());
beforeEach(async () => {
  server.faults.reset();
  await server.engineQuery('DELETE FROM OPS.HOOKS.HOOK_RUNS');
  await server.engineQuery('DELETE FROM OPS.HOOKS.EVENTS');
  out = tempDir('mm-hooks-cli-');
  const m = manifestOf((h) => {
    const a = h.add({ id: 'a', statements: ["INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'a')"], runGroup: 'g' });
    // Idempotent, as pipeline steps are: a resumed run inserts nothing twice.
    const slow = h.add({
      id: 'slow',
      statements: [
        "INSERT INTO OPS.HOOKS.EVENTS SELECT '{{RUN_ID}}', 'slow' WHERE NOT EXISTS (SELECT 1 FROM OPS.HOOKS.EVENTS WHERE RUN_ID = '{{RUN_ID}}' AND WHAT = 'slow')",
      ],
      runAfter: [a],
      runGroup: 'g',
    });
    h.add({ id: 'c', statements: ["INSERT INTO OPS.HOOKS.EVENTS VALUES ('{{RUN_ID}}', 'c')"], runAfter: [slow], runGroup: 'g' });
  });
  fs.mkdirSync(path.join(out, 'stacks', 'app'), { recursive: true });
  fs.writeFileSync(path.join(out, 'stacks', 'app', 'cdk.tf.json'), '{}');
  fs.writeFileSync(path.join(out, 'stacks', 'app', 'hooks.json'), serializeManifest(m));
});

function cli(args: string[], password = CANARY): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'many-model.js'), ...args], {
    cwd: root,
    env: { ...process.env, ...env(server, password), CI: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

async function waitFor(pred: () => Promise<boolean>, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached');
}

describe('many-model hooks (CLI, child process, local server)', () => {
  test('killed with SIGKILL in the middle of a step, a second run resumes without duplicating effects', async () => {
    server.faults.delayStatement({ match: /'slow' WHERE NOT EXISTS/, ms: 2500 });
    const first = cli(['hooks', 'run', '--out', out, '--lock-timeout', '1']);
    await waitFor(
      async () => (await server.engineQuery("SELECT COUNT(*) AS N FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = 'slow' AND STATUS = 'RUNNING'"))[0].N === '1',
    ).catch(async (e) => {
      first.child.kill('SIGKILL');
      const r = await first.done;
      throw new Error(`${e.message}: ${r.stdout} ${r.stderr} ${JSON.stringify(await server.engineQuery('SELECT * FROM OPS.HOOKS.HOOK_RUNS'))}`);
    });
    first.child.kill('SIGKILL');
    await first.done;
    await new Promise((r) => setTimeout(r, 1500)); // the dead runner's lock goes stale
    const second = cli(['hooks', 'run', '--out', out, '--lock-timeout', '1']);
    const r = await second.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('skip a (done in this run)');
    expect(r.stdout).toMatch(/run slow \[sql\] \(resume unfinished run\)/);
    // The killed runner's attempt no longer claims to be running.
    expect(r.stdout).toContain('marked 1 attempt(s) of a runner that stopped as INTERRUPTED');
    const slow = await server.engineQuery("SELECT STATUS, ERROR_MSG FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = 'slow' ORDER BY ATTEMPT");
    expect(slow.map((x) => x.STATUS)).toEqual(['INTERRUPTED', 'SUCCEEDED']);
    expect(String(slow[0].ERROR_MSG)).toMatch(/^runner runner-[0-9a-f]+ stopped before this attempt ended; runner runner-[0-9a-f]+ took over$/);
    const events = await server.engineQuery('SELECT WHAT, COUNT(*) AS N, COUNT(DISTINCT RUN_ID) AS RUNS FROM OPS.HOOKS.EVENTS GROUP BY WHAT ORDER BY WHAT');
    expect(events).toEqual([
      { WHAT: 'a', N: '1', RUNS: '1' },
      { WHAT: 'c', N: '1', RUNS: '1' },
      { WHAT: 'slow', N: '1', RUNS: '1' },
    ]);
    expect((await server.engineQuery('SELECT COUNT(DISTINCT RUN_ID) AS R FROM OPS.HOOKS.EVENTS'))[0].R).toBe('1');
  }, 60000);

  test('exit codes: 0 when all succeed, 1 when a step fails, 2 for bad usage or config', async () => {
    expect((await cli(['hooks', 'run', '--out', out]).done).code).toBe(0);
    await server.engineQuery('DELETE FROM OPS.HOOKS.HOOK_RUNS');
    server.faults.failStatement({ match: /'c'\)$/, code: '002003', message: 'Object does not exist or not authorized.' });
    const failed = await cli(['hooks', 'run', '--out', out]).done;
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAILED step c, statement s1 (Snowflake 002003)');
    expect((await cli(['hooks', 'run', '--out', path.join(out, 'nope')]).done).code).toBe(2);
    expect((await cli(['hooks', 'run', '--out', out, '--only', 'zzz']).done).code).toBe(2);
    expect((await cli(['hooks', 'run', '--out', out], 'wrong-password').done).code).toBe(2);
  }, 60000);

  test('the password never appears in output, errors or the ledger (canary)', async () => {
    server.faults.failStatement({ match: /'a'\)$/, code: '002003', message: 'Object does not exist or not authorized.' });
    const runs = [
      await cli(['hooks', 'run', '--out', out]).done,
      await cli(['hooks', 'plan', '--out', out]).done,
      await cli(['hooks', 'run', '--out', out, '--dry-run']).done,
      await cli(['hooks', 'run', '--out', out], 'wrong').done,
    ];
    for (const r of runs) {
      expect(r.stdout + r.stderr).not.toContain(CANARY);
    }
    const ledgerText = JSON.stringify(await server.engineQuery('SELECT * FROM OPS.HOOKS.HOOK_RUNS'));
    expect(ledgerText).not.toContain(CANARY);
    expect(runs[1].stdout).toMatch(/run\s+a\s+resume unfinished run/);
  }, 60000);

  test('hooks plan warns when the session does not use the role the run group is meant to run as, and is quiet when it does', async () => {
    const write = (role: string) => {
      const m = manifestOf((h) => {
        h.add({ id: 'a', statements: ['SELECT 1'], runGroup: 'g' });
        h.setRunnerRole('g', role);
      });
      fs.writeFileSync(path.join(out, 'stacks', 'app', 'hooks.json'), serializeManifest(m));
    };
    write('G_RUNNER');
    const other = await cli(['hooks', 'plan', '--out', out]).done;
    expect(other.code).toBe(0);
    expect(other.stdout).toContain(
      "warning: the hooks of stack app are meant to run as G_RUNNER; this session's role is ACCOUNTADMIN. What they create (the registered model) will belong to ACCOUNTADMIN. Connect with role G_RUNNER",
    );
    write('ACCOUNTADMIN');
    const same = await cli(['hooks', 'plan', '--out', out]).done;
    expect(same.code).toBe(0);
    expect(same.stdout).not.toContain('warning:');
  });

  test("a manifest in another stack's directory is refused with exit 2, naming both stacks", async () => {
    const text = fs.readFileSync(path.join(out, 'stacks', 'app', 'hooks.json'), 'utf8').replace('"stack": "app"', '"stack": "billing"');
    fs.writeFileSync(path.join(out, 'stacks', 'app', 'hooks.json'), text);
    const r = await cli(['hooks', 'run', '--out', out]).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hooks\.json belongs to stack 'billing', not to stack 'app' whose directory holds it/);
    expect(await server.engineQuery('SELECT * FROM OPS.HOOKS.EVENTS')).toHaveLength(0);
  }, 30000);

  test('a runner killed holding the lock: a re-run at once is refused (exit 1) saying how to take over; once its heartbeat is stale the lock is taken over', async () => {
    server.faults.delayStatement({ match: /'slow' WHERE NOT EXISTS/, ms: 4000 });
    const first = cli(['hooks', 'run', '--out', out]);
    await waitFor(
      async () => (await server.engineQuery("SELECT COUNT(*) AS N FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = 'slow' AND STATUS = 'RUNNING'"))[0].N === '1',
    );
    first.child.kill('SIGKILL');
    await first.done;
    const refused = await cli(['hooks', 'run', '--out', out]).done;
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /runner runner-[0-9a-f]+ is running its hooks \(last heartbeat \d+s ago\); refusing to run them twice\. If that runner was killed, its heartbeat has stopped and its lock is taken over 60s after the last one/,
    );
    expect(refused.stdout).not.toMatch(/^done:/m);
    // With a 3 s window (1 s beats) the dead runner's silence shows after two missed beats: the
    // runner waits it out and takes over.
    await new Promise((r) => setTimeout(r, 2500));
    const taken = await cli(['hooks', 'run', '--out', out, '--lock-timeout', '3']).done;
    if (taken.code !== 0) throw new Error(taken.stdout + taken.stderr);
    expect(taken.stdout).toMatch(/took over the lock of runner runner-[0-9a-f]+, whose heartbeat stopped over 3s ago/);
    expect(taken.stdout).toContain('g: resuming unfinished run');
  }, 60000);

  test('a closed-loop run a task graph records is listed by hooks plan, kept RUNNING by a runner that marks interrupted attempts, and recorded once per attempt', async () => {
    // The rows the loop's start and finish tasks write (lib/sql/retrain.ts), here written directly.
    const loop: TaskRunLedgerModel = {
      table: ObjectName.of('OPS', 'HOOKS', 'HOOK_RUNS'),
      stack: 'app',
      stepId: 'app/Forecast/retrain-loop',
      fingerprint: 'f'.repeat(64),
      task: ObjectName.of('OPS', 'HOOKS', 'FORECAST_MONITORING_RETRAIN_START'),
    };
    const run = sqlString('M20240303');
    const start = () =>
      server.engineQuery(renderTaskRunStart(loop, run, "OBJECT_CONSTRUCT('trigger', 'closed loop', 'fromRun', 'R20240101000000_ABCDEF', 'partitions', 2)"));
    const rows = () =>
      server.engineQuery("SELECT ATTEMPT, STATUS, RUNNER_ID, ERROR_MSG FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = 'app/Forecast/retrain-loop' ORDER BY ATTEMPT");
    await start();
    await start();
    expect(await rows()).toEqual([{ ATTEMPT: '1', STATUS: 'RUNNING', RUNNER_ID: 'task:OPS.HOOKS.FORECAST_MONITORING_RETRAIN_START', ERROR_MSG: null }]);
    // A runner run (which marks a dead runner's RUNNING attempts INTERRUPTED) leaves the loop's row alone.
    const ran = await cli(['hooks', 'run', '--out', out]).done;
    expect(ran.code).toBe(0);
    expect(ran.stdout).not.toContain('INTERRUPTED');
    expect((await rows()).map((x) => x.STATUS)).toEqual(['RUNNING']);
    const plan = await cli(['hooks', 'plan', '--out', out]).done;
    expect(plan.stdout).toMatch(
      /closed loop app\/Forecast\/retrain-loop: run M20240303 RUNNING, started [^;]+; retrained 2 partitions; from run R20240101000000_ABCDEF\n/,
    );
    // A failed attempt ends its row; the graph resuming the run starts attempt 2; a re-run adds nothing.
    await server.engineQuery(renderTaskRunFinish(loop, run, 'FAILED', 'retraining: artifacts of trained partitions are missing on the stage'));
    await server.engineQuery(renderTaskRunFinish(loop, run, 'SUCCEEDED', null));
    await start();
    await start();
    expect((await rows()).map((x) => `${x.ATTEMPT}:${x.STATUS}`)).toEqual(['1:FAILED', '2:RUNNING']);
    await server.engineQuery(
      renderTaskRunFinish(loop, run, 'SUCCEEDED', null, "OBJECT_CONSTRUCT('partitions', 2, 'version', 'V_M20240303', 'promoted', TRUE)"),
    );
    await start();
    expect((await rows()).map((x) => `${x.ATTEMPT}:${x.STATUS}`)).toEqual(['1:FAILED', '2:SUCCEEDED']);
    const after = await cli(['hooks', 'plan', '--out', out]).done;
    expect(after.stdout).toMatch(
      /closed loop app\/Forecast\/retrain-loop: run M20240303 SUCCEEDED \(attempt 2\), started [^;]+; retrained 2 partitions; version V_M20240303 promoted\n/,
    );
  }, 60000);

  test('hooks plan names the unfinished run it would resume; hooks abandon abandons it and the next run starts a new one', async () => {
    server.faults.failStatement({ match: /'c'\)$/, code: '002003', message: 'Object does not exist or not authorized.' });
    expect((await cli(['hooks', 'run', '--out', out]).done).code).toBe(1);
    server.faults.reset();
    const unfinished = String((await server.engineQuery("SELECT RUN_ID FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = 'c'"))[0].RUN_ID);
    const plan = await cli(['hooks', 'plan', '--out', out]).done;
    expect(plan.stdout).toContain(`run group g: resumes unfinished run ${unfinished}`);
    const abandoned = await cli(['hooks', 'abandon', '--out', out]).done;
    expect(abandoned.code).toBe(0);
    expect(abandoned.stdout).toContain(`abandon run ${unfinished} of g: abandoned by hand (many-model hooks abandon)`);
    const marks = await server.engineQuery("SELECT RUN_ID, STATUS FROM OPS.HOOKS.HOOK_RUNS WHERE STEP_ID = '__run__'");
    expect(marks).toEqual([{ RUN_ID: unfinished, STATUS: 'ABANDONED' }]);
    const after = await cli(['hooks', 'plan', '--out', out]).done;
    expect(after.stdout).toMatch(/run group g: starts new run R\d{14}_[0-9A-Z]{6}/);
    expect((await cli(['hooks', 'abandon', '--out', out, '--run', unfinished]).done).code).toBe(2);
  }, 60000);
});
