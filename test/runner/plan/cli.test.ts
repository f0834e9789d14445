import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { startLocalServer } from '../../../local-server';
import { renderLedgerDdl } from '../../../lib/sql/ledger';
import { ObjectName } from '../../../lib/identifiers';
import { readSynthesis } from '../../../runner/plan/read-synthesis';
import { env as connectionEnv } from '../hooks/fixtures';
import { synthVariant } from './apps';
import { tempDir } from '../../tmp';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'bin', 'many-model.js');

function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [CLI, 'plan', ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, MANY_MODEL_ALLOW_DESTRUCTIVE: '', ...opts.env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let base: string;
let head: string;
beforeAll(() => {
  base = synthVariant({ extra: ['Old'] });
  head = synthVariant({});
});

/** An address of the head synthesis with the given construct path. */
function addressOf(dir: string, constructPath: string): string {
  for (const [type, byId] of Object.entries(readSynthesis(dir).stacks.get('forecast')!.terraform.resource ?? {})) {
    for (const [id, cfg] of Object.entries(byId)) if ((cfg['//'] as { metadata: { path: string } }).metadata.path === constructPath) return `${type}.${id}`;
  }
  throw new Error(`no resource at ${constructPath}`);
}

describe('many-model plan (CLI)', () => {
  test('--fail-on destructive exits 3 and names what it refuses; an allow list in the environment lets it pass', () => {
    const refused = cli(['--base', base, '--head', head, '--fail-on', 'destructive']);
    expect(refused.code).toBe(3);
    expect(refused.out).toContain('🔴');
    expect(refused.err).toMatch(/refusing \d+ destructive changes \(forecast:snowflake_/);
    const allowed = cli(['--base', base, '--head', head, '--fail-on', 'destructive'], { env: { MANY_MODEL_ALLOW_DESTRUCTIVE: 'forecast/Old' } });
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain('(all allowed)');
    expect(cli(['--base', base, '--head', head]).code).toBe(0);
  });

  test('usage errors exit 2', () => {
    expect(cli(['--head', head]).code).toBe(2);
    expect(cli(['--base', base, '--head', head, '--format', 'yaml']).err).toContain('--format yaml: use markdown or json');
    const outside = tempDir('mm-nogit-');
    const notRef = cli(['--base', 'origin/nope', '--head', head], { cwd: outside });
    expect(notRef.code).toBe(2);
    expect(notRef.err).toContain('not a git repository');
  });

  test('a terraform show -json plan is the truth for Terraform actions, and each line says its source', () => {
    const table = addressOf(head, 'forecast/Forecast/MetricsTable');
    const pool = addressOf(head, 'forecast/Pool/Resource');
    const planFile = path.join(tempDir('mm-tfplan-'), 'plan.json');
    // The shape `terraform show -json` writes (format_version 1.x; only the fields we read are filled).
    fs.writeFileSync(
      planFile,
      JSON.stringify({
        format_version: '1.2',
        terraform_version: '1.9.8',
        planned_values: { root_module: {} },
        resource_changes: [
          {
            address: table,
            mode: 'managed',
            type: 'snowflake_table',
            name: table.split('.')[1],
            provider_name: 'registry.terraform.io/snowflake-labs/snowflake',
            change: {
              actions: ['delete', 'create'],
              before: { name: 'METRICS', schema: 'A' },
              after: { name: 'METRICS', schema: 'B' },
              after_unknown: { id: true },
              replace_paths: [['schema']],
            },
            action_reason: 'replace_because_cannot_update',
          },
          {
            address: pool,
            mode: 'managed',
            type: 'snowflake_compute_pool',
            name: pool.split('.')[1],
            change: { actions: ['update'], before: { max_nodes: 4, min_nodes: 1 }, after: { max_nodes: 6, min_nodes: 1 }, after_unknown: {} },
          },
          { address: 'snowflake_warehouse.X', mode: 'managed', type: 'snowflake_warehouse', name: 'X', change: { actions: ['no-op'], before: {}, after: {} } },
          { address: 'data.snowflake_database.d', mode: 'data', type: 'snowflake_database', name: 'd', change: { actions: ['read'], before: null, after: {} } },
        ],
      }),
    );
    const r = cli(['--base', head, '--head', head, '--terraform-plan', `forecast=${planFile}`, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const s = report.stacks[0];
    expect(s.resourceSource).toBe('terraform plan');
    expect(s.resources).toEqual([
      expect.objectContaining({
        address: pool,
        action: 'update',
        attributes: ['max_nodes'],
        source: 'terraform plan',
        constructPath: 'forecast/Pool/Resource',
      }),
      expect.objectContaining({
        address: table,
        action: 'replace',
        replacedBecause: ['schema'],
        source: 'terraform plan',
        constructPath: 'forecast/Forecast/MetricsTable',
        destructive: expect.stringMatching(/^replaced: a table/),
      }),
    ]);
    expect(report.destructive).toHaveLength(1);
    // The synthesized diff (no change between the same directories) is not used for that stack.
    expect(report.totals).toMatchObject({ create: 0, update: 1, replace: 1, delete: 0 });

    fs.writeFileSync(planFile, JSON.stringify({ format_version: '2.0', resource_changes: [] }));
    const bad = cli(['--base', head, '--head', head, '--terraform-plan', planFile]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('format_version 2.0; this version reads 1.x');
  });

  test('--base as a git ref synthesizes the app as it is at that commit', () => {
    const repo = tempDir('mm-gitref-');
    const git = (...args: string[]) => {
      const r = spawnSync('git', args, {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
      });
      if (r.status !== 0) throw new Error(r.stderr);
    };
    const appSource = (image: string) =>
      `import { buildVariantApp } from ${JSON.stringify(path.join(__dirname, 'apps'))};\nexport const buildApp = (outdir: string) => buildVariantApp(outdir, { image: ${JSON.stringify(image)} });\n`;
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'app.ts'), appSource('/db/s/r/worker:1.0'));
    git('add', 'app.ts');
    git('commit', '-qm', 'base');
    fs.writeFileSync(path.join(repo, 'app.ts'), appSource('/db/s/r/worker:2.0'));
    const r = cli(['--base', 'HEAD', '--app', 'app.ts', '--out', path.join(repo, 'out'), '--format', 'json'], { cwd: repo });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.base).toBe('HEAD');
    const first = report.stacks[0].hooks.find((h: { stepId: string }) => h.stepId === 'forecast/Forecast/screen-start');
    expect(first).toMatchObject({
      action: 'run',
      reason: 'fingerprint changed',
      details: expect.arrayContaining(['trigger image: /db/s/r/worker:1.0 -> /db/s/r/worker:2.0']),
    });
  });
});

describe('many-model plan: the cost estimate (CLI)', () => {
  // `head` is the unchanged app; this one only changes the scoring horizon.
  let horizon: string;
  beforeAll(() => {
    horizon = synthVariant({ horizon: 14 });
  });
  /** No connection configured, whatever the machine running the tests has. */
  const noConnection = () => ({ SNOWFLAKE_ACCOUNT: '', SNOWFLAKE_USER: '', SNOWFLAKE_HOME: tempDir('mm-nosf-') });

  test('--max-credits exits 3 when the change is estimated over it, and says so on stderr; within it, 0', () => {
    const over = cli(['--base', head, '--head', horizon, '--max-credits', '0.05']);
    expect(over.code).toBe(3);
    expect(over.out).toMatch(/over --max-credits 0\.05 — refused/);
    expect(over.err).toMatch(/^many-model plan: estimated [0-9.]+ credits in this change's first month, over --max-credits 0\.05 — refused$/m);
    const within = cli(['--base', head, '--head', horizon, '--max-credits', '1']);
    expect(within.code).toBe(0);
    expect(within.err).toBe('');
  });

  test('--credit-price and --partitions reach the estimate; the JSON carries them', () => {
    const r = cli(['--base', head, '--head', horizon, '--format', 'json', '--credit-price', '3', '--partitions', '2000'], { env: noConnection() });
    expect(r.code).toBe(0);
    const cost = JSON.parse(r.out).cost;
    expect(cost).toMatchObject({ basis: 'defaults', creditPrice: 3, refused: false });
    expect(cost.costs.change).toBeCloseTo(cost.changeCredits * 3, 3);
    expect(cost.stacks[0].partitions).toEqual([{ runGroup: 'forecast/Forecast', partitions: 2000, source: 'option' }]);
    expect(cost.stacks[0].deploy.steps[0]).toMatchObject({ stepId: 'forecast/Forecast/Scoring/batchScore', seconds: 1030 });
  });

  test('--pool-rate prices compute pool node-hours that credit-rates.ts leaves unpriced; a bad one is a usage error', () => {
    const withPipeline = synthVariant({ extra: ['New'] });
    const unpriced = JSON.parse(cli(['--base', head, '--head', withPipeline, '--format', 'json'], { env: noConnection() }).out).cost;
    expect(unpriced.unpriced).toEqual(expect.arrayContaining([expect.stringMatching(/node-hours on compute pool POOL \(CPU_X64_S; no rate/)]));
    const r = cli(['--base', head, '--head', withPipeline, '--format', 'json', '--pool-rate', 'cpu_x64_s=0.5'], { env: noConnection() });
    expect(r.code).toBe(0);
    const priced = JSON.parse(r.out).cost;
    expect(priced.unpriced.filter((u: string) => /node-hours/.test(u))).toEqual([]);
    expect(priced.changeCredits).toBeGreaterThan(unpriced.changeCredits);
    expect(cli(['--base', head, '--head', withPipeline, '--pool-rate', 'CPU_X64_HUGE=1']).err).toContain('CPU_X64_HUGE is not an instance family');
    expect(cli(['--base', head, '--head', withPipeline, '--pool-rate', 'CPU_X64_S']).code).toBe(2);
  });

  test('bad cost flags are usage errors; --ledger without a connection too', () => {
    expect(cli(['--base', head, '--head', horizon, '--max-credits', 'lots']).err).toContain('--max-credits lots: must be a number of credits');
    expect(cli(['--base', head, '--head', horizon, '--partitions', '0']).code).toBe(2);
    const none = cli(['--base', head, '--head', horizon, '--ledger'], { env: noConnection() });
    expect(none.code).toBe(2);
    expect(none.err).toContain('no Snowflake connection');
  });

  test("--ledger reads the last successful durations from the stack's HOOK_RUNS (local server, through the driver)", async () => {
    const password = 'pw-cost-7f3a';
    const server = await startLocalServer({ users: [{ name: 'test', password }] });
    try {
      for (const sql of [
        'CREATE DATABASE IF NOT EXISTS ANALYTICS',
        'CREATE SCHEMA IF NOT EXISTS ANALYTICS.FORECAST',
        renderLedgerDdl(ObjectName.of('ANALYTICS', 'FORECAST', 'HOOK_RUNS')),
      ])
        await server.engineQuery(sql);
      await server.engineQuery(
        "INSERT INTO ANALYTICS.FORECAST.HOOK_RUNS (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, STARTED_AT, ENDED_AT) VALUES ('forecast', 'forecast/Forecast/Scoring/batchScore', 'R1', 'f', 1, 'SUCCEEDED', '2026-11-20 07:00:00', '2026-11-20 07:04:00')",
      );
      // The server answers in this process: the CLI runs as a child without blocking it.
      const child = spawn(process.execPath, [CLI, 'plan', '--base', head, '--head', horizon, '--format', 'json', '--ledger'], {
        cwd: ROOT,
        env: { ...process.env, ...connectionEnv(server, password) },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      expect(err).toMatch(/^reading the hooks ledgers as /);
      expect(err).not.toContain(password);
      const cost = JSON.parse(out).cost;
      expect(cost.basis).toBe('ledger');
      expect(cost.stacks[0].ledger).toEqual({ table: 'ANALYTICS.FORECAST.HOOK_RUNS', stepsWithHistory: 1 });
      expect(cost.stacks[0].deploy.steps[0]).toMatchObject({ stepId: 'forecast/Forecast/Scoring/batchScore', basis: 'ledger', seconds: 240 });
    } finally {
      await server.close();
    }
  });
});
