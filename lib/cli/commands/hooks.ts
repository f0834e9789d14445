/**
 * `many-model hooks plan|run`: reads a stack's hooks.json and the ledger, then prints the plan or
 * runs the steps through snowflake-sdk.
 *
 *   many-model hooks plan [--stack S] [--out DIR] [--connection NAME] [--force STEP]... [--from STEP] [--only STEP]...
 *   many-model hooks run  [same flags] [--dry-run] [--lock-timeout SECONDS]
 *   many-model hooks abandon [--stack S] [--out DIR] [--connection NAME] [--run RUN_ID]
 */
import * as fs from 'fs';
import * as path from 'path';
import { MANIFEST_FILE_NAME } from '../../hooks/manifest';
import { HookManifest } from '../../hooks/manifest';
import { Ledger } from '../../hooks/ledger';
import { GroupPlan, PlanError, planRun } from '../../hooks/planner';
import { HookError, RunLog, abandonUnfinished, runHooks } from '../../hooks/runner';
import { ManifestError, parseManifest } from '../../hooks/validate';
import { CURRENT_ROLE_QUERY } from '../../sql/session';
import { ConnectionConfigError, ConnectionSettings, describeConnection, resolveConnection } from '../../snowflake/connection';
import { ConnectionFailedError, SnowflakeSession } from '../../snowflake/session';
import { CommandHelp, UsageError, formatHelp, parseFlags, wantsHelp } from '../args';
import { EXIT } from '../exit-codes';

const FLAGS = { stack: 'string', out: 'string', connection: 'string', force: 'list', from: 'string', only: 'list', 'dry-run': 'boolean', 'lock-timeout': 'string', run: 'string' } as const;

export const HELP: CommandHelp = {
  usage: [
    'hooks plan [--stack S] [--out DIR] [--connection NAME] [--force STEP]... [--from STEP] [--only STEP]...',
    'hooks run  [same flags] [--dry-run] [--lock-timeout SECONDS]',
    'hooks abandon [--stack S] [--out DIR] [--connection NAME] [--run RUN_ID] [--lock-timeout SECONDS]',
  ],
  summary:
    'plan: which post-deploy steps of a synthesized stack will run, why, and under which run (resumed, abandoned, new; reads the ledger). ' +
    'run: runs them through snowflake-sdk, recording each attempt; an unfinished run is resumed, or abandoned when its inputs changed. ' +
    'abandon: abandons an unfinished run (stops its workers, closes its chunks, marks it in the ledger). Run identity: docs/hooks-manifest.md.',
  flags: {
    stack: { kind: 'string', value: 'S', help: 'the stack (needed when the synthesis has several)' },
    out: { kind: 'string', value: 'DIR', help: 'the synthesis output directory (default cdktf.out)' },
    connection: { kind: 'string', value: 'NAME', help: 'a connection of ~/.snowflake/connections.toml (default: SNOWFLAKE_* variables)' },
    force: { kind: 'list', value: 'STEP', help: 'run STEP even when it is up to date (steps that depend on it run too)' },
    from: { kind: 'string', value: 'STEP', help: 'skip the steps before STEP (manifest order)' },
    only: { kind: 'list', value: 'STEP', help: 'skip every step but STEP (its dependencies are not pulled in)' },
    'dry-run': { kind: 'boolean', help: 'run: print the steps and their SQL instead of running them' },
    'lock-timeout': { kind: 'string', value: 'SECONDS', help: "run, abandon: take over the lock of a runner whose heartbeat stopped this long ago (default 60)" },
    run: { kind: 'string', value: 'RUN_ID', help: 'abandon: the unfinished run to abandon (default: every run group\'s unfinished run)' },
  },
  exitCodes: {
    0: 'every step succeeded (or the plan was printed)',
    1: 'a step failed, another runner holds the lock, or Snowflake could not be reached (after the connect retries)',
    2: 'usage or configuration: unknown flag, no synthesis or stack, bad manifest, unknown step, no connection, login refused',
  },
  notes: [
    'Connection: --connection NAME, or SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD (or _PRIVATE_KEY_PATH, _TOKEN), SNOWFLAKE_HOST/_PORT/_PROTOCOL.',
    'Connection retries: MANY_MODEL_CONNECT_RETRIES (default 5), MANY_MODEL_CONNECT_RETRY_DELAY_MS (first wait, default 1000; doubles, up to 8x).',
  ],
};

/** Finds and loads the manifest of `--stack` (or the only stack) under the synth output. */
export function loadStackManifest(out: string, stack?: string): HookManifest {
  const stacksDir = path.join(out, 'stacks');
  if (!fs.existsSync(stacksDir)) throw new UsageError(`no synthesized stacks under ${out}/. Run 'many-model synth' (or cdktf synth) first`);
  const stacks = fs.readdirSync(stacksDir).filter((d) => fs.existsSync(path.join(stacksDir, d, 'cdk.tf.json')));
  const name = stack ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (!name) throw new UsageError(`several stacks under ${out}/ (${stacks.join(', ')}): choose one with --stack`);
  if (!stacks.includes(name)) throw new UsageError(`no stack '${name}' under ${out}/; stacks: ${stacks.join(', ') || 'none'}`);
  const file = path.join(stacksDir, name, MANIFEST_FILE_NAME);
  if (!fs.existsSync(file)) throw new UsageError(`stack ${name} has no ${MANIFEST_FILE_NAME}: it declares no post-deploy steps`);
  const manifest = parseManifest(fs.readFileSync(file, 'utf8'), file);
  // A manifest copied from another stack would train into that stack's tables under this one's
  // ledger key: refused.
  if (manifest.stack !== name) throw new UsageError(`${file} belongs to stack '${manifest.stack}', not to stack '${name}' whose directory holds it. Synthesize again rather than copying manifests between stacks`);
  return manifest;
}

export function consoleLog(): RunLog {
  const tty = process.stdout.isTTY === true;
  let lastWasProgress = false;
  return {
    info(line) {
      if (tty && lastWasProgress) process.stdout.write('\n');
      process.stdout.write(line + '\n');
      lastWasProgress = false;
    },
    progress(line) {
      // On a terminal progress rewrites one line; in CI every poll is its own log line.
      if (tty) process.stdout.write('\r\x1b[2K' + line);
      else process.stdout.write(line + '\n');
      lastWasProgress = tty;
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (wantsHelp(argv)) {
    process.stdout.write(formatHelp(HELP));
    return EXIT.OK;
  }
  if (sub !== 'plan' && sub !== 'run' && sub !== 'abandon') {
    process.stderr.write(`many-model hooks: ${sub === undefined ? 'plan, run or abandon?' : `unknown subcommand '${sub}'`}\n${formatHelp(HELP)}`);
    return EXIT.USAGE;
  }
  let flags;
  let manifest: HookManifest;
  let settings: ConnectionSettings;
  try {
    flags = parseFlags(rest, FLAGS);
    if (sub !== 'run' && flags['dry-run']) throw new UsageError('--dry-run belongs to hooks run');
    if (sub === 'plan' && flags['lock-timeout'] !== undefined) throw new UsageError('--lock-timeout belongs to hooks run and hooks abandon');
    if (flags['lock-timeout'] !== undefined && !(Number(flags['lock-timeout']) > 0)) throw new UsageError('--lock-timeout must be a positive number of seconds');
    if (sub !== 'abandon' && flags.run !== undefined) throw new UsageError('--run belongs to hooks abandon');
    if (sub === 'abandon' && (flags.force?.length || flags.only?.length || flags.from !== undefined)) throw new UsageError('hooks abandon takes no step selection: it abandons unfinished runs (--run chooses one)');
    manifest = loadStackManifest(flags.out ?? 'cdktf.out', flags.stack);
    settings = resolveConnection({ connectionName: flags.connection });
  } catch (e) {
    if (e instanceof UsageError || e instanceof ManifestError || e instanceof ConnectionConfigError) {
      process.stderr.write(`many-model hooks ${sub}: ${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
  const log = consoleLog();
  log.info(`stack ${manifest.stack}: ${manifest.steps.length} steps; connecting as ${describeConnection(settings)}`);
  let session: SnowflakeSession;
  try {
    // Retries, lost sessions and re-logins are reported as they happen (lib/snowflake/session.ts).
    session = await SnowflakeSession.open(settings, { onProgress: (line) => log.info(line) });
  } catch (e) {
    process.stderr.write(`many-model hooks ${sub}: cannot connect: ${(e as Error).message}\n`);
    // An unreachable server is not a usage error; a refused login or bad options are configuration.
    return e instanceof ConnectionFailedError && e.reason === 'unreachable' ? EXIT.STEP_FAILED : EXIT.USAGE;
  }
  try {
    await warnOnRole(manifest, session, log);
    const selection = { force: flags.force, from: flags.from, only: flags.only };
    // Checked before connecting.
    const lockTimeout = flags['lock-timeout'] !== undefined ? Number(flags['lock-timeout']) : undefined;
    if (sub === 'plan') {
      if (!manifest.ledger) {
        log.info('no steps');
        return EXIT.OK;
      }
      const plan = planRun(manifest, await new Ledger(session, manifest.ledger, manifest.stack).state(), selection);
      for (const g of plan.groups) log.info(describeGroup(g));
      for (const p of plan.steps) log.info(`${p.action === 'run' ? 'run ' : 'skip'}  ${p.step.id.padEnd(48)} ${p.reason}${p.action === 'run' ? `  (run ${p.runId}${p.newRun ? ', new' : ''})` : ''}`);
      log.info(`${plan.steps.filter((p) => p.action === 'run').length} to run, ${plan.steps.filter((p) => p.action === 'skip').length} skipped`);
      return EXIT.OK;
    }
    if (sub === 'abandon') {
      const r = await abandonUnfinished(manifest, session, { log, runId: flags.run, staleLockSeconds: lockTimeout });
      if (r.lockedBy) return EXIT.STEP_FAILED;
      log.info(r.abandoned.length > 0 ? `abandoned ${r.abandoned.join(', ')}` : 'no unfinished run to abandon');
      return EXIT.OK;
    }
    const result = await runHooks(manifest, session, { ...selection, dryRun: flags['dry-run'], log, staleLockSeconds: lockTimeout });
    // Refused for the lock: the runner said why and how to take over; nothing ran.
    if (result.lockedBy) return EXIT.STEP_FAILED;
    const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
    log.info(`done: ${count('SUCCEEDED')} succeeded, ${count('GATED')} gated, ${count('FAILED')} failed, ${count('SKIPPED')} skipped${flags['dry-run'] ? `, ${count('DRY_RUN')} shown (dry run)` : ''}`);
    return result.failed ? EXIT.STEP_FAILED : EXIT.OK;
  } catch (e) {
    if (e instanceof HookError && e.stepId === 'abandon') {
      process.stderr.write(`many-model hooks ${sub}: ${e.message}\n`);
      return EXIT.USAGE;
    }
    if (e instanceof PlanError) {
      process.stderr.write(`many-model hooks ${sub}: ${e.message}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(`many-model hooks ${sub}: ${session.redact((e as Error).message)}\n`);
    return EXIT.STEP_FAILED;
  } finally {
    await session.close();
  }
}

/**
 * Says when the session's role is not the one the manifest's run groups are meant to run as: what
 * the steps create (the registered model) would belong to that role, and a later run as the runner
 * role could not move its alias (docs/roles.md). A warning, not a refusal: a role the runner role
 * is granted to can do what it does.
 */
async function warnOnRole(manifest: HookManifest, session: SnowflakeSession, log: RunLog): Promise<void> {
  const roles = [...new Set(Object.values(manifest.runGroups ?? {}).flatMap((g) => (g.runnerRole ? [g.runnerRole] : [])))];
  if (roles.length === 0) return;
  const current = String((await session.query<{ R: string | null }>(CURRENT_ROLE_QUERY)).rows[0]?.R ?? '').toUpperCase();
  if (roles.includes(current)) return;
  log.info(`warning: the hooks of stack ${manifest.stack} are meant to run as ${roles.join(' or ')}; this session's role is ${current || 'none'}. What they create (the registered model) will belong to ${current || 'it'}. Connect with role ${roles[0]} (SNOWFLAKE_ROLE or 'role' in connections.toml)`);
}

/** One line per run group for `hooks plan`: what happens to its runs. */
function describeGroup(g: GroupPlan): string {
  const parts: string[] = [];
  if (g.abandon) parts.push(`abandons unfinished run ${g.abandon.runId} (${g.abandon.reason})`);
  if (g.mode === 'resume') parts.push(`resumes unfinished run ${g.runId}`);
  else if (g.mode === 'within') parts.push(`re-runs changed steps inside run ${g.runId}`);
  else if (g.mode === 'new') parts.push(`starts new run ${g.runId}`);
  else parts.push('nothing to run');
  if (g.current && g.current !== g.runId) parts.push(`run in effect: ${g.current}`);
  return `run group ${g.runGroup}: ${parts.join('; ')}`;
}
