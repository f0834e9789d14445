import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readSynthesis } from '../../lib/plan/read-synthesis';
import { synthVariant } from './apps';
import { tempDir } from '../tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'many-model.js');

function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [CLI, 'plan', ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, MANY_MODEL_ALLOW_DESTRUCTIVE: '', ...opts.env } });
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
    fs.writeFileSync(planFile, JSON.stringify({
      format_version: '1.2',
      terraform_version: '1.9.8',
      planned_values: { root_module: {} },
      resource_changes: [
        { address: table, mode: 'managed', type: 'snowflake_table', name: table.split('.')[1], provider_name: 'registry.terraform.io/snowflake-labs/snowflake', change: { actions: ['delete', 'create'], before: { name: 'METRICS', schema: 'A' }, after: { name: 'METRICS', schema: 'B' }, after_unknown: { id: true }, replace_paths: [['schema']] }, action_reason: 'replace_because_cannot_update' },
        { address: pool, mode: 'managed', type: 'snowflake_compute_pool', name: pool.split('.')[1], change: { actions: ['update'], before: { max_nodes: 4, min_nodes: 1 }, after: { max_nodes: 6, min_nodes: 1 }, after_unknown: {} } },
        { address: 'snowflake_warehouse.X', mode: 'managed', type: 'snowflake_warehouse', name: 'X', change: { actions: ['no-op'], before: {}, after: {} } },
        { address: 'data.snowflake_database.d', mode: 'data', type: 'snowflake_database', name: 'd', change: { actions: ['read'], before: null, after: {} } },
      ],
    }));
    const r = cli(['--base', head, '--head', head, '--terraform-plan', `forecast=${planFile}`, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const s = report.stacks[0];
    expect(s.resourceSource).toBe('terraform plan');
    expect(s.resources).toEqual([
      expect.objectContaining({ address: pool, action: 'update', attributes: ['max_nodes'], source: 'terraform plan', constructPath: 'forecast/Pool/Resource' }),
      expect.objectContaining({ address: table, action: 'replace', replacedBecause: ['schema'], source: 'terraform plan', constructPath: 'forecast/Forecast/MetricsTable', destructive: expect.stringMatching(/^replaced: a table/) }),
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
      const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
      if (r.status !== 0) throw new Error(r.stderr);
    };
    const appSource = (image: string) =>
      `import { buildVariantApp } from ${JSON.stringify(path.join(ROOT, 'test', 'plan', 'apps'))};\nexport const buildApp = (outdir: string) => buildVariantApp(outdir, { image: ${JSON.stringify(image)} });\n`;
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
    expect(first).toMatchObject({ action: 'run', reason: 'fingerprint changed', details: expect.arrayContaining(['trigger image: /db/s/r/worker:1.0 -> /db/s/r/worker:2.0']) });
  });
});
