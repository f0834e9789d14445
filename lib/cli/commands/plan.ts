/**
 * `many-model plan --base <dir|git-ref> [--head DIR] [--app FILE] [--out DIR]
 *   [--format markdown|json] [--fail-on destructive|never] [--terraform-plan [STACK=]FILE]...
 *   [--allow ADDRESS|PATH]... [--force STEP]... [--output FILE]
 *   [--max-credits N] [--credit-price P] [--partitions N] [--ledger] [--connection NAME]`
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
import { CommandHelp, UsageError, checkAppFile, checkInputDir, checkOutputDir, checkOutputFile, flagSpec, formatHelp, parseFlags, parsePositiveInt, wantsHelp } from '../args';
import { EXIT } from '../exit-codes';
import { ConnectionConfigError } from '../../snowflake/connection';
import { ConnectionFailedError } from '../../snowflake/session';
import { loadCostHistory } from '../../plan/ledger-history';
import { synthApp } from './synth';
import { Synthesis, buildPlan } from '../../plan/plan';
import { readSynthesis } from '../../plan/read-synthesis';
import { costGateLine, renderMarkdown } from '../../plan/render-markdown';
import { ResourceChange, constructPaths } from '../../plan/resource-diff';
import { TerraformPlanError, readTerraformPlan } from '../../plan/terraform-plan';

export const ALLOW_ENV = 'MANY_MODEL_ALLOW_DESTRUCTIVE';

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
    out.set(stack, readTerraformPlan(fs.readFileSync(file, 'utf8'), file, (address) => paths.get(address)));
  }
  return out;
}

const FLAGS = {
  base: { kind: 'string', value: 'DIR|REF', help: 'required: a synthesized directory (a cdktf.out of the target branch) or a git ref (origin/main)' },
  head: { kind: 'string', value: 'DIR', help: 'an already synthesized head (default: synthesize --app now)' },
  app: { kind: 'string', value: 'FILE', help: 'the app module exporting buildApp(outdir) (default stacks/main.ts)' },
  out: { kind: 'string', value: 'DIR', help: "where the head is synthesized; its parent must exist (default cdktf.out)" },
  format: { kind: 'string', value: 'markdown|json', help: 'output format (default markdown)' },
  'fail-on': { kind: 'string', value: 'destructive|never', help: 'exit 3 when a destructive change is not allowed (default never)' },
  'terraform-plan': { kind: 'list', value: '[STACK=]FILE', help: "a 'terraform show -json' plan: the truth for Terraform actions" },
  allow: { kind: 'list', value: 'ADDRESS|PATH', help: 'allow a destructive change (also MANY_MODEL_ALLOW_DESTRUCTIVE, comma- or newline-separated)' },
  force: { kind: 'list', value: 'STEP', help: "a hook step the plan should show as forced (as 'hooks run --force')" },
  output: { kind: 'string', value: 'FILE', help: 'also write the plan to FILE; its directory must exist' },
  'max-credits': { kind: 'string', value: 'N', help: "exit 3 when the change's estimated first-month credits exceed N" },
  'credit-price': { kind: 'string', value: 'P', help: 'the price of one credit: costs beside credits (no currency without it)' },
  partitions: { kind: 'string', value: 'N', help: 'partitions per pipeline for the cost estimate (default: the ledger\'s, else 1000)' },
  ledger: { kind: 'boolean', help: "read step durations from the stacks' HOOK_RUNS ledgers (--connection, or SNOWFLAKE_* variables)" },
  connection: { kind: 'string', value: 'NAME', help: 'a connection of ~/.snowflake/connections.toml to read the ledgers with (implies --ledger)' },
} as const;

export const HELP: CommandHelp = {
  usage: [
    'plan --base <DIR|REF> [--head DIR | --app FILE --out DIR] [--format markdown|json] [--fail-on destructive|never]',
    '     [--terraform-plan [STACK=]FILE]... [--allow ADDRESS|PATH]... [--force STEP]... [--output FILE]',
    '     [--max-credits N] [--credit-price P] [--partitions N] [--ledger] [--connection NAME]',
  ],
  summary: 'The pull-request plan: Terraform changes, hook steps that will run and why, what they cost in credits, and destructive changes to stateful objects, head against base (docs/gitops.md).',
  flags: FLAGS,
  exitCodes: {
    0: 'planned (destructive changes shown but allowed or not gated)',
    1: "the app failed to synthesize (head or base), or --ledger's account could not be reached",
    2: 'usage: unknown flag, missing --base, bad value, no such file, output directory missing, unreadable Terraform plan, --ledger without a connection or with a refused login',
    3: '--fail-on destructive and a destructive change is not allowed, or the estimated credits exceed --max-credits',
  },
};

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(formatHelp(HELP));
    return EXIT.OK;
  }
  let flags;
  try {
    flags = parseFlags(argv, flagSpec(FLAGS));
    if (!flags.base) throw new UsageError('--base is required: a synthesized directory (e.g. a cdktf.out of the target branch) or a git ref (e.g. origin/main)');
    if (flags.head) checkInputDir('--head', flags.head);
    else {
      checkAppFile('--app', flags.app ?? 'stacks/main.ts');
      checkOutputDir('--out', flags.out ?? 'cdktf.out');
    }
    if (flags.output) checkOutputFile('--output', flags.output);
    if (flags.format && !['markdown', 'json'].includes(flags.format)) throw new UsageError(`--format ${flags.format}: use markdown or json`);
    if (flags['fail-on'] && !['destructive', 'never'].includes(flags['fail-on'])) throw new UsageError(`--fail-on ${flags['fail-on']}: use destructive or never`);
    if (flags.partitions !== undefined) parsePositiveInt('--partitions', flags.partitions);
    for (const f of ['max-credits', 'credit-price'] as const) {
      if (flags[f] !== undefined && !/^\d+(\.\d+)?$/.test(flags[f]!)) throw new UsageError(`--${f} ${flags[f]}: must be a number of credits, 0 or more`);
    }
  } catch (e) {
    process.stderr.write(`many-model plan: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }
  const app = flags.app ?? 'stacks/main.ts';
  let report;
  try {
    let headDir = flags.head;
    if (!headDir) {
      headDir = flags.out ?? 'cdktf.out';
      await synthApp(app, headDir);
    }
    const head = readSynthesis(headDir);
    const baseIsDir = fs.existsSync(path.join(flags.base, 'manifest.json'));
    const base = baseIsDir ? readSynthesis(flags.base) : synthesizeGitRef(flags.base, app);
    // Construct paths for plan lines come from the syntheses' metadata.
    const pathsOf = (stack: string) => constructPaths(base.stacks.get(stack)?.terraform, head.stacks.get(stack)?.terraform);
    const terraformPlans = parseTerraformPlans(flags['terraform-plan'] ?? [], [...head.stacks.keys()], pathsOf);
    const allow = [...(flags.allow ?? []), ...(process.env[ALLOW_ENV] ?? '').split(/[,\n]/)].map((s) => s.trim()).filter(Boolean);
    // Durations for the cost estimate, from the ledgers, only when asked: a PR job need not connect.
    const history = flags.ledger || flags.connection ? await loadCostHistory(flags.connection, head, (line) => process.stderr.write(`${line}\n`)) : undefined;
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const cost = { history, maxCredits: num(flags['max-credits']), creditPrice: num(flags['credit-price']), partitions: num(flags.partitions) };
    report = buildPlan(base, head, { terraformPlans, allow, failOn: (flags['fail-on'] as 'destructive' | 'never' | undefined) ?? 'never', force: flags.force, cost });
  } catch (e) {
    process.stderr.write(`many-model plan: ${(e as Error).message}\n`);
    const usage = e instanceof UsageError || e instanceof TerraformPlanError || e instanceof ConnectionConfigError || (e instanceof ConnectionFailedError && e.reason === 'rejected');
    return usage ? EXIT.USAGE : EXIT.STEP_FAILED;
  }
  const text = (flags.format ?? 'markdown') === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderMarkdown(report);
  if (flags.output) fs.writeFileSync(flags.output, text);
  process.stdout.write(text);
  if (report.refused) {
    const blocked = report.destructive.filter((d) => !d.allowed).map((d) => `${d.stack}:${d.address}`);
    process.stderr.write(`many-model plan: refusing ${blocked.length} destructive change${blocked.length === 1 ? '' : 's'} (${blocked.slice(0, 5).join(', ')}${blocked.length > 5 ? ', …' : ''}); allow them with --allow or ${ALLOW_ENV}\n`);
  }
  if (report.cost.refused) process.stderr.write(`many-model plan: ${costGateLine(report.cost)}\n`);
  return report.refused || report.cost.refused ? EXIT.DESTRUCTIVE_REFUSED : EXIT.OK;
}
