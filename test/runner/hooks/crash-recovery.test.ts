/**
 * The kill matrix of issue #14: the runner, a real process, is killed with SIGKILL at every step
 * boundary and inside each long step, for a plain run, a forced run and a run whose image changed;
 * a second runner then finishes, and the test checks what a user relies on: one version per run,
 * every partition's artifact from that run and its image, results once per partition and step, no
 * chunk left CLAIMED, and a ledger that tells the truth.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { demoServerOptions, loadSource } from '../../../runner/demo/run-demo';
import { applyAsDeployRole, provisionLocally } from '../../../runner/demo/provision';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { HookManifest } from '../../../lib/hooks/manifest';
import { runHooks } from '../../../runner/hooks/runner';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { EXAMPLE } from '../../../stacks/forecast-stack';
import { buildApp } from '../../../stacks/main';
import { crashApp } from './fixtures/crash-app';
import { env, memoryLog } from './fixtures';

const IMAGE_OLD = '/analytics/ml/images/forecast-worker:1.4.2';
const IMAGE_NEW = '/analytics/ml/images/forecast-worker:1.4.3';
const SERIES = 10;
const HORIZON = 28;
const T = 'ANALYTICS.FORECAST';

interface World {
  readonly dir: string;
  /** The server when it runs in this process (faults can be injected); absent when it is a process of its own. */
  readonly server?: LocalSnowflakeServer;
  port: number;
  session: SnowflakeSession;
  readonly stageDir: () => string;
  out: string;
  manifest: HookManifest;
}

/** Synthesizes the example with a small, fast training setup for `image` into a fresh directory. */
function synth(dir: string, image: string): { out: string; manifest: HookManifest; tf: unknown; app: ReturnType<typeof buildApp> } {
  const out = fs.mkdtempSync(path.join(dir, 'out-'));
  const app = crashApp(out, image);
  app.synth();
  const [stack] = readSynthOutput(out);
  return { out, manifest: stack.manifest as HookManifest, tf: JSON.parse(fs.readFileSync(stack.terraformFile, 'utf8')), app };
}

/** The pipeline's runner role and warehouse: every runner here, in this process or its own, runs as it (docs/roles.md). */
const RUNNER_ROLE = 'FORECAST_RUNNER';
const RUNNER_WAREHOUSE = 'FORECAST_WH';

/** Opens a session of the test user with `role` (its default, ACCOUNTADMIN, when none). */
const openAs = (port: number, role?: string) =>
  SnowflakeSession.open(
    resolveConnection({
      env: {
        ...env({ port } as LocalSnowflakeServer),
        ...(role ? { SNOWFLAKE_ROLE: role } : {}),
        ...(role === RUNNER_ROLE ? { SNOWFLAKE_WAREHOUSE: RUNNER_WAREHOUSE } : {}),
      },
    }),
  );

/**
 * The source as the data team's (SYSADMIN), then the account set up as on Snowflake: bootstrap
 * as ACCOUNTADMIN and the apply as the deploy role (runner/demo/provision.ts). Returns the runner's session.
 */
async function provision(port: number, tf: unknown): Promise<SnowflakeSession> {
  const admin = await openAs(port);
  try {
    await admin.query('USE ROLE SYSADMIN');
    await loadSource(admin, EXAMPLE.sourceTable, SERIES, 200);
    await admin.query('USE ROLE ACCOUNTADMIN');
    await provisionLocally(admin, tf as never, { user: 'test', openAs: (role) => openAs(port, role) });
  } finally {
    await admin.close();
  }
  return openAs(port, RUNNER_ROLE);
}

async function newWorld(image: string): Promise<World> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-crash-'));
  const s = synth(dir, image);
  const server = await startLocalServer(demoServerOptions(path.join(dir, 'data')));
  const session = await provision(server.port, s.tf);
  return { dir, server, port: server.port, session, stageDir: () => server.engine.stages.get(`${T}.FORECAST_MODELS`)!, out: s.out, manifest: s.manifest };
}

async function closeWorld(w: World): Promise<void> {
  await w.session.close().catch(() => undefined);
  await w.server?.close();
  fs.rmSync(w.dir, { recursive: true, force: true });
}

const connectionEnv = (w: World) => ({ ...env({ port: w.port } as LocalSnowflakeServer), SNOWFLAKE_ROLE: RUNNER_ROLE, SNOWFLAKE_WAREHOUSE: RUNNER_WAREHOUSE });

/** The runner as a process of its own (test/runner/hooks/fixtures/run-hooks.ts). */
function runnerProcess(w: World, force: string[] = []): { child: ChildProcess; output: () => string; done: Promise<number | null> } {
  const script = path.join(__dirname, 'fixtures', 'run-hooks.ts');
  const child = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), script, w.out, ...force.flatMap((f) => ['--force', f])], {
    env: { ...process.env, ...connectionEnv(w), CI: 'true' },
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => text, done };
}

const q = async (w: World, sql: string) => (await w.session.query(sql)).rows as Record<string, unknown>[];
const count = async (w: World, sql: string) => Number((await q(w, sql))[0].N);

/** When to kill: the step's attempt is RUNNING and, for `inside`, a chunk of its pass is done. */
function killPoint(step: string, inside?: 'screen' | 'refine'): (w: World) => Promise<boolean> {
  return async (w) => {
    const running = await count(w, `SELECT COUNT(*) AS N FROM ${T}.HOOK_RUNS WHERE STEP_ID = 'forecast/Forecast/${step}' AND STATUS = 'RUNNING'`);
    if (running === 0 || !inside) return running > 0;
    return (await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_QUEUE WHERE PASS = '${inside}' AND STATUS = 'DONE'`)) > 0;
  };
}

/** Kills the runner at `when`; returns its output and how many attempts it left RUNNING. */
async function runUntilKilled(w: World, when: (w: World) => Promise<boolean>, force: string[] = []): Promise<{ output: string; leftRunning: number }> {
  // Short steps (a CALL, an ALTER MODEL) end within a poll of the ledger: hold each step's first
  // statement for a moment, so "as the step starts" is a point the kill can hit.
  for (const step of w.server ? w.manifest.steps : []) {
    // The whole statement when it has no placeholder (a pass's verification also refreshes the stage).
    const sql = step.statements[0].sql;
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = sql.includes('{{') ? new RegExp('^' + esc(sql.split('{{')[0])) : new RegExp('^' + esc(sql) + '$');
    w.server!.faults.delayStatement({ match, ms: 1500, times: 1 });
  }
  const r = runnerProcess(w, force);
  const end = Date.now() + 120000;
  let killed = false;
  while (Date.now() < end && !killed) {
    if (r.child.exitCode !== null) throw new Error(`the runner ended before the kill point:\n${r.output()}`);
    if (await when(w).catch(() => false)) {
      r.child.kill('SIGKILL');
      killed = true;
    } else await new Promise((res) => setTimeout(res, 50));
  }
  await r.done;
  w.server?.faults.reset();
  if (!killed) throw new Error(`kill point not reached:\n${r.output()}`);
  // Usually the attempt it was in; none when the kill landed between two steps.
  return { output: r.output(), leftRunning: await count(w, `SELECT COUNT(*) AS N FROM ${T}.HOOK_RUNS WHERE STATUS = 'RUNNING'`) };
}

/** A second runner (in this process) that finishes what the killed one left. */
async function resume(w: World) {
  const log = memoryLog();
  for (let i = 0; ; i++) {
    const r = await runHooks(w.manifest, w.session, { log, pollMs: 300, staleLockSeconds: 3 });
    // Right after the kill the dead runner's heartbeat still looks alive: the runner refuses, as
    // it must; a moment later it sees the heartbeat stopped and takes the lock over.
    if (r.lockedBy && i < 10) {
      await new Promise((res) => setTimeout(res, 1000));
      continue;
    }
    return { ...r, log: log.lines };
  }
}

/** What a user relies on after the resume, for the run that finished (`runId`). */
async function expectConsistent(w: World, runId: string, image: string, versions: string[], interrupted: number): Promise<void> {
  const shown = (await q(w, `SHOW VERSIONS IN MODEL ${T}.FORECAST_MODEL`)).map((v) => ({
    name: String(v.name),
    aliases: JSON.parse(String(v.aliases)) as string[],
  }));
  expect(shown.map((v) => v.name).sort()).toEqual(versions.map((v) => `V_${v}`).sort());
  expect(shown.filter((v) => v.aliases.includes('PRODUCTION')).map((v) => v.name)).toEqual([`V_${runId}`]);
  // The index maps every partition to an artifact of this run, each trained by this run's image.
  const stage = w.stageDir();
  const index = JSON.parse(fs.readFileSync(path.join(stage, 'models', runId, 'model_index.json'), 'utf8')) as { partitions: Record<string, string> };
  expect(Object.keys(index.partitions)).toHaveLength(SERIES);
  for (const p of Object.values(index.partitions)) {
    expect(p.startsWith(`models/${runId}/`)).toBe(true);
    expect(fs.existsSync(path.join(stage, p))).toBe(true);
  }
  expect(await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_TRAINING_METRICS WHERE RUN_ID = '${runId}' AND PASS = 'screen' AND STATUS = 'OK'`)).toBe(
    SERIES,
  );
  expect(
    await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_TRAINING_METRICS WHERE RUN_ID = '${runId}' AND TRAINER_IMAGE IS DISTINCT FROM '${image}'`),
  ).toBe(0);
  expect(
    await count(
      w,
      `SELECT COUNT(*) AS N FROM (SELECT PASS, PARTITION_KEY FROM ${T}.FORECAST_TRAINING_METRICS WHERE RUN_ID = '${runId}' GROUP BY 1, 2 HAVING COUNT(*) > 1)`,
    ),
  ).toBe(0);
  // Results: once per partition and step, for this run only, made by (and naming) this run's version.
  expect(await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_RESULTS WHERE RUN_ID = '${runId}'`)).toBe(SERIES * HORIZON);
  expect(await q(w, `SELECT DISTINCT MODEL_VERSION FROM ${T}.FORECAST_RESULTS WHERE RUN_ID = '${runId}'`)).toEqual([{ MODEL_VERSION: `V_${runId}` }]);
  expect(
    await count(
      w,
      `SELECT COUNT(*) AS N FROM (SELECT PARTITION_KEY, STEP FROM ${T}.FORECAST_RESULTS WHERE RUN_ID = '${runId}' GROUP BY 1, 2 HAVING COUNT(*) > 1)`,
    ),
  ).toBe(0);
  // No chunk of any run is left CLAIMED; this run's chunks are all DONE.
  expect(await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_QUEUE WHERE STATUS = 'CLAIMED'`)).toBe(0);
  expect(await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_QUEUE WHERE RUN_ID = '${runId}' AND STATUS <> 'DONE'`)).toBe(0);
  // The ledger: nothing claims to be running, the killed attempt is INTERRUPTED, every step succeeded in this run.
  expect(await count(w, `SELECT COUNT(*) AS N FROM ${T}.HOOK_RUNS WHERE STATUS = 'RUNNING'`)).toBe(0);
  expect(await count(w, `SELECT COUNT(*) AS N FROM ${T}.HOOK_RUNS WHERE STATUS = 'INTERRUPTED'`)).toBe(interrupted);
  const ok = await q(w, `SELECT DISTINCT STEP_ID FROM ${T}.HOOK_RUNS WHERE RUN_ID = '${runId}' AND STATUS IN ('SUCCEEDED', 'GATED')`);
  expect(ok.map((r) => r.STEP_ID).sort()).toEqual(w.manifest.steps.map((s) => s.id).sort());
}

const STEPS = [
  'screen-start',
  'screen-train',
  'refine-start',
  'refine-workers',
  'refine-wait',
  'buildModelIndex',
  'registerAggregator',
  'promote',
  'Scoring/batchScore',
];
const CASES: [string, (w: World) => Promise<boolean>][] = [
  ...STEPS.map((s): [string, (w: World) => Promise<boolean>] => [`as ${s} starts`, killPoint(s)]),
  ['inside screen-train, chunks done and chunks claimed', killPoint('screen-train', 'screen')],
  ['inside refine-wait, chunks done and chunks claimed', killPoint('refine-wait', 'refine')],
];

describe('a plain run killed (SIGKILL) and resumed', () => {
  test.each(CASES)(
    '%s: the resumed run finishes the same run, nothing mixed, duplicated or left claimed',
    async (_name, when) => {
      const w = await newWorld(IMAGE_OLD);
      try {
        const killed = await runUntilKilled(w, when);
        const r = await resume(w);
        if (r.failed)
          throw new Error(
            `resume failed:\n${r.log.join('\n')}\n--- killed runner:\n${killed.output}\n${JSON.stringify(await q(w, `SELECT * FROM ${T}.FORECAST_TRAINING_METRICS WHERE PASS = 'refine'`))}\n${JSON.stringify(await q(w, `SELECT * FROM ${T}.FORECAST_QUEUE WHERE PASS = 'refine'`))}`,
          );
        const runIds = new Set(r.outcomes.filter((o) => o.runId).map((o) => o.runId));
        expect(runIds.size).toBe(1);
        const [runId] = [...runIds] as string[];
        expect(r.log).toContain(`forecast/Forecast: resuming unfinished run ${runId}`);
        await expectConsistent(w, runId, IMAGE_OLD, [runId], killed.leftRunning);
      } finally {
        await closeWorld(w);
      }
    },
    180000,
  );
});

describe('a forced run and a run whose image changed, killed and resumed', () => {
  test.each([
    ['inside screen-train', killPoint('screen-train', 'screen')],
    ['as registerAggregator starts', killPoint('registerAggregator')],
  ])(
    'a forced run killed %s is finished by the next plain run, not dropped',
    async (_name, when) => {
      const w = await newWorld(IMAGE_OLD);
      try {
        const first = await resume(w);
        expect(first.failed).toBe(false);
        const firstRun = first.outcomes[0].runId!;
        const killed = await runUntilKilled(w, when, ['forecast/Forecast/screen-start']);
        const r = await resume(w);
        expect(r.failed).toBe(false);
        const forcedRun = r.outcomes.find((o) => o.runId)!.runId!;
        expect(forcedRun).not.toBe(firstRun);
        expect(r.log).toContain(`forecast/Forecast: resuming unfinished run ${forcedRun}`);
        await expectConsistent(w, forcedRun, IMAGE_OLD, [firstRun, forcedRun], killed.leftRunning);
        // Run again: nothing is left to do.
        const again = await resume(w);
        expect(again.outcomes.every((o) => o.status === 'SKIPPED' && o.reason === 'up to date')).toBe(true);
      } finally {
        await closeWorld(w);
      }
    },
    180000,
  );

  test('a run killed mid-training whose image then changes is abandoned; the new run trains every partition with the new image', async () => {
    const w = await newWorld(IMAGE_OLD);
    try {
      const killed = await runUntilKilled(w, killPoint('screen-train', 'screen'));
      const oldRun = String((await q(w, `SELECT RUN_ID FROM ${T}.HOOK_RUNS WHERE STEP_ID = 'forecast/Forecast/screen-start'`))[0].RUN_ID);
      // The new image is synthesized and applied (the tasks' specs change) before the hooks run.
      const next = synth(w.dir, IMAGE_NEW);
      await applyAsDeployRole(next.tf as never, (role) => openAs(w.port, role));
      w.out = next.out;
      w.manifest = next.manifest;
      const r = await resume(w);
      expect(r.failed).toBe(false);
      const newRun = r.outcomes.find((o) => o.runId)!.runId!;
      expect(newRun).not.toBe(oldRun);
      expect(r.log.find((l) => l.startsWith(`abandon run ${oldRun} of forecast/Forecast: its inputs changed`))).toBeDefined();
      await expectConsistent(w, newRun, IMAGE_NEW, [newRun], killed.leftRunning);
      // The old run is marked abandoned and never registered.
      expect(await q(w, `SELECT STATUS FROM ${T}.HOOK_RUNS WHERE STEP_ID = '__run__' AND RUN_ID = '${oldRun}'`)).toEqual([{ STATUS: 'ABANDONED' }]);
      expect(await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_TRAINING_RUNS WHERE RUN_ID = '${oldRun}' AND STATUS = 'RUNNING'`)).toBe(0);
    } finally {
      await closeWorld(w);
    }
  }, 180000);
});

/** The demo's server in a process of its own (test/runner/hooks/fixtures/demo-server.ts). */
async function serverProcess(image: string, dataDir: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), path.join(__dirname, 'fixtures', 'demo-server.ts'), image, dataDir, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listening = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      text += d;
      const m = /listening (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on('data', (d) => (text += d));
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
  });
  return { child, port: listening };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('the server killed (SIGKILL) mid-training and started again on its data', () => {
  test('the run is finished with nothing mixed, duplicated or left claimed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-crash-server-'));
    const dataDir = path.join(dir, 'data');
    const s = synth(dir, IMAGE_OLD);
    let server = await serverProcess(IMAGE_OLD, dataDir, 0);
    const open = () => openAs(server.port, RUNNER_ROLE);
    const w: World = {
      dir,
      port: server.port,
      session: await provision(server.port, s.tf),
      stageDir: () => path.join(dataDir, 'stages', `${T}.FORECAST_MODELS`),
      out: s.out,
      manifest: s.manifest,
    };
    try {
      const runner = runnerProcess(w);
      const until = Date.now() + 120000;
      // Workers have begun (a fit is short: a claim may be over before a poll sees it); the crash cuts the rest off.
      const claimed = async () => (await count(w, `SELECT COUNT(*) AS N FROM ${T}.FORECAST_QUEUE WHERE PASS = 'screen' AND STATUS IN ('CLAIMED', 'DONE')`)) > 0;
      while (!(await claimed())) {
        if (Date.now() > until || runner.child.exitCode !== null) throw new Error(`kill point not reached:\n${runner.output()}`);
        await sleep(50);
      }
      server.child.kill('SIGKILL');
      await new Promise((res) => server.child.once('exit', res));
      await w.session.close().catch(() => undefined);
      await sleep(1000);
      server = await serverProcess(IMAGE_OLD, dataDir, w.port);
      w.session = await open();
      // The runner rides over the restart or fails; either way the next runner finishes the run.
      const code = await Promise.race([runner.done, sleep(240000).then(() => 'timeout' as const)]);
      if (code === 'timeout') runner.child.kill('SIGKILL');
      await runner.done;
      const leftRunning = await count(w, `SELECT COUNT(*) AS N FROM ${T}.HOOK_RUNS WHERE STATUS = 'RUNNING'`);
      if (code !== 0) {
        const r = await resume(w);
        if (r.failed) throw new Error(`resume failed:\n${r.log.join('\n')}\n--- first runner:\n${runner.output()}`);
      }
      const runId = String((await q(w, `SELECT RUN_ID FROM ${T}.HOOK_RUNS WHERE STEP_ID = 'forecast/Forecast/screen-start'`))[0].RUN_ID);
      await expectConsistent(w, runId, IMAGE_OLD, [runId], leftRunning);
    } finally {
      await w.session.close().catch(() => undefined);
      server.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 420000);
});
