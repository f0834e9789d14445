/**
 * `many-model plan --base <dir|git-ref> [--head DIR] [--app FILE] [--out DIR]
 *   [--format markdown|json] [--fail-on destructive|never] [--terraform-plan [STACK=]FILE]...
 *   [--allow ADDRESS|PATH]... [--force STEP]... [--output FILE]
 *   [--max-credits N] [--credit-price P] [--partitions N] [--pool-rate FAMILY=CREDITS ...] [--ledger] [--connection NAME]`
 *
 * Compares the head synthesis (the app synthesized now, or `--head DIR`) with the base (a
 * synthesized directory, or a git ref whose app is synthesized in a temporary checkout) and prints
 * the pull-request plan. Exit 3 when `--fail-on destructive` and a destructive change is not
 * allowed (`--allow`, or MANY_MODEL_ALLOW_DESTRUCTIVE, comma- or newline-separated), or when the
 * change's estimated credits exceed `--max-credits`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError, checkAppFile, checkOutputDir, parsePoolRates } from '../args';
import { DOCUMENTED_INSTANCE_FAMILIES } from '../../../lib/snowflake-facts';
import { withSession } from '../connect';
import { ALLOW_ENV } from '../environment';
import { EXIT } from '../exit-codes';
import { readCostHistory } from '../../plan/ledger-history';
import { synthApp } from './synth';
import { Synthesis, buildPlan } from '../../plan/plan';
import { readSynthesis } from '../../plan/read-synthesis';
import { costGateLine, renderMarkdown } from '../../plan/render-markdown';
import { ResourceChange, constructPaths } from '../../plan/resource-diff';
import { readTerraformPlan } from '../../plan/terraform-plan';

/**
 * Synthesizes `app` as it is at `ref` in a temporary export of the repository and reads the
 * result; the temporary directory is removed before returning, whatever happens.
 */
export function synthesizeGitRef(ref: string, app: string, repoDir = process.cwd()): Synthesis {
  const git = (args: string[]) => spawnSync('git', args, { cwd: repoDir, encoding: 'utf8' });
  const top = git(['rev-parse', '--show-toplevel']);
  if (top.error || top.status !== 0) throw new UsageError(`--base ${ref}: not a directory with a synthesized app, and ${repoDir} is not a git repository`);
  const root = top.stdout.trim();
  const commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (commit.status !== 0) throw new UsageError(`--base ${ref}: neither a synthesized directory (with manifest.json) nor a git ref of ${root}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'many-model-base-'));
  try {
    const tar = path.join(tmp, 'src.tar');
    const archive = spawnSync('git', ['archive', '--format=tar', '-o', tar, commit.stdout.trim()], { cwd: root, encoding: 'utf8' });
    if (archive.status !== 0) throw new Error(`git archive ${ref} failed: ${archive.stderr.trim()}`);
    const src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    const untar = spawnSync('tar', ['-xf', tar, '-C', src], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`unpacking ${ref} failed: ${untar.stderr.trim()}`);
    // The base is built with the head's installed dependencies (the lock file may differ: said in the plan).
    const modules = path.join(root, 'node_modules');
    if (fs.existsSync(modules) && !fs.existsSync(path.join(src, 'node_modules'))) fs.symlinkSync(modules, path.join(src, 'node_modules'), 'dir');
    const appRel = path.relative(root, path.resolve(app));
    const outdir = path.join(tmp, 'cdktf.out');
    const cli = path.join(__dirname, '..', '..', '..', 'bin', 'many-model.js');
    const r = spawnSync(process.execPath, [cli, 'synth', '--app', appRel, '--out', outdir], { cwd: src, encoding: 'utf8', env: process.env });
    if (r.status !== 0) throw new Error(`synthesizing ${appRel} at ${ref} failed:\n${(r.stderr || r.stdout).trim()}`);
    return readSynthesis(outdir, ref);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function parseTerraformPlans(entries: string[], stacks: string[], pathsOf: (stack: string) => Map<string, string>): Map<string, ResourceChange[]> {
  const out = new Map<string, ResourceChange[]>();
  for (const entry of entries) {
    const m = /^([^=]+)=(.+)$/.exec(entry);
    let stack: string;
    let file: string;
    if (m && !fs.existsSync(entry)) [stack, file] = [m[1], m[2]];
    else if (stacks.length === 1) [stack, file] = [stacks[0], entry];
    else throw new UsageError(`--terraform-plan ${entry}: the head has several stacks (${stacks.join(', ')}); write STACK=FILE`);
    if (!fs.existsSync(file)) throw new UsageError(`--terraform-plan: no file ${file}`);
    const paths = pathsOf(stack);
    out.set(
      stack,
      readTerraformPlan(fs.readFileSync(file, 'utf8'), file, (address) => paths.get(address)),
    );
  }
  return out;
}

export interface PlanOptions {
  /** A synthesized directory or a git ref; required. */
  readonly base?: string;
  /** An already synthesized head; without it the app is synthesized now. */
  readonly head?: string;
  readonly app?: string;
  readonly out?: string;
  readonly format: 'markdown' | 'json';
  readonly failOn: 'destructive' | 'never';
  /** `terraform show -json` plans, `[STACK=]FILE`. */
  readonly terraformPlan?: string[];
  readonly allow?: string[];
  readonly force?: string[];
  /** Also write the plan here. */
  readonly output?: string;
  /** Exit 3 when the change's estimated first-month credits exceed this. */
  readonly maxCredits?: number;
  /** The price of one credit, for costs beside credits. */
  readonly creditPrice?: number;
  /** Partitions per pipeline for the cost estimate. */
  readonly partitions?: number;
  /** `FAMILY=CREDITS` per node-hour of compute pool instance families. */
  readonly poolRate?: string[];
  /** Read step durations from the stacks' ledgers. */
  readonly ledger?: boolean;
  /** The connection to read the ledgers with (implies ledger). */
  readonly connection?: string;
}

export async function plan(opts: PlanOptions): Promise<number> {
  // Checked here rather than by commander, which would report a missing --base before an unknown flag.
  if (!opts.base) throw new UsageError('--base is required: a synthesized directory (e.g. a cdktf.out of the target branch) or a git ref (e.g. origin/main)');
  const app = opts.app ?? 'stacks/main.ts';
  let headDir = opts.head;
  if (!headDir) {
    headDir = opts.out ?? 'cdktf.out';
    // The flags checked the values given; the defaults are checked here, where they are used.
    if (opts.app === undefined) checkAppFile('--app', app);
    if (opts.out === undefined) checkOutputDir('--out', headDir);
    await synthApp(app, headDir);
  }
  const head = readSynthesis(headDir);
  const baseIsDir = fs.existsSync(path.join(opts.base, 'manifest.json'));
  const base = baseIsDir ? readSynthesis(opts.base) : synthesizeGitRef(opts.base, app);
  // Construct paths for plan lines come from the syntheses' metadata.
  const pathsOf = (stack: string) => constructPaths(base.stacks.get(stack)?.terraform, head.stacks.get(stack)?.terraform);
  const terraformPlans = parseTerraformPlans(opts.terraformPlan ?? [], [...head.stacks.keys()], pathsOf);
  const allow = [...(opts.allow ?? []), ...(process.env[ALLOW_ENV] ?? '').split(/[,\n]/)].map((s) => s.trim()).filter(Boolean);
  // Durations for the cost estimate, from the ledgers, only when asked: a PR job need not connect.
  // Progress goes to stderr: stdout is the plan (JSON with --format json).
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const history =
    opts.ledger || opts.connection
      ? await withSession({ connection: opts.connection, say, announce: 'reading the hooks ledgers as' }, (session) => readCostHistory(session, head))
      : undefined;
  const rates = { computePool: parsePoolRates('--pool-rate', opts.poolRate ?? [], DOCUMENTED_INSTANCE_FAMILIES) };
  const cost = { history, maxCredits: opts.maxCredits, creditPrice: opts.creditPrice, partitions: opts.partitions, rates };
  const report = buildPlan(base, head, { terraformPlans, allow, failOn: opts.failOn, force: opts.force, cost });
  const text = opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderMarkdown(report);
  if (opts.output) fs.writeFileSync(opts.output, text);
  process.stdout.write(text);
  if (report.refused) {
    const blocked = report.destructive.filter((d) => !d.allowed).map((d) => `${d.stack}:${d.address}`);
    process.stderr.write(
      `many-model plan: refusing ${blocked.length} destructive change${blocked.length === 1 ? '' : 's'} (${blocked.slice(0, 5).join(', ')}${blocked.length > 5 ? ', …' : ''}); allow them with --allow or ${ALLOW_ENV}\n`,
    );
  }
  if (report.cost.refused) process.stderr.write(`many-model plan: ${costGateLine(report.cost)}\n`);
  return report.refused || report.cost.refused ? EXIT.DESTRUCTIVE_REFUSED : EXIT.OK;
}
