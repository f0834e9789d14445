/**
 * `many-model hooks plan|run`: reads a stack's hooks.json and the ledger, then prints the plan or
 * runs the steps through snowflake-sdk.
 *
 *   many-model hooks plan [--stack S] [--out DIR] [--connection NAME] [--force STEP]... [--from STEP] [--only STEP]...
 *   many-model hooks run  [same flags] [--dry-run] [--lock-timeout SECONDS]
 */
import * as fs from 'fs';
import * as path from 'path';
import { MANIFEST_FILE_NAME } from '../../hooks/manifest';
import { HookManifest } from '../../hooks/manifest';
import { Ledger } from '../../hooks/ledger';
import { PlanError, planSteps } from '../../hooks/planner';
import { RunLog, runHooks } from '../../hooks/runner';
import { ManifestError, parseManifest } from '../../hooks/validate';
import { ConnectionConfigError, ConnectionSettings, describeConnection, resolveConnection } from '../../snowflake/connection';
import { ConnectionFailedError, SnowflakeSession } from '../../snowflake/session';
import { CommandHelp, UsageError, formatHelp, parseFlags, wantsHelp } from '../args';
import { EXIT } from '../exit-codes';

const FLAGS = { stack: 'string', out: 'string', connection: 'string', force: 'list', from: 'string', only: 'list', 'dry-run': 'boolean', 'lock-timeout': 'string' } as const;

export const HELP: CommandHelp = {
  usage: ['hooks plan [--stack S] [--out DIR] [--connection NAME] [--force STEP]... [--from STEP] [--only STEP]...', 'hooks run  [same flags] [--dry-run] [--lock-timeout SECONDS]'],
  summary: "plan: which post-deploy steps of a synthesized stack will run and why (reads the ledger). run: runs them through snowflake-sdk, recording each attempt in the ledger; a run stopped half-way resumes (docs/hooks-manifest.md).",
  flags: {
    stack: { kind: 'string', value: 'S', help: 'the stack (needed when the synthesis has several)' },
    out: { kind: 'string', value: 'DIR', help: 'the synthesis output directory (default cdktf.out)' },
    connection: { kind: 'string', value: 'NAME', help: 'a connection of ~/.snowflake/connections.toml (default: SNOWFLAKE_* variables)' },
    force: { kind: 'list', value: 'STEP', help: 'run STEP even when it is up to date (steps that depend on it run too)' },
    from: { kind: 'string', value: 'STEP', help: 'skip the steps before STEP (manifest order)' },
    only: { kind: 'list', value: 'STEP', help: 'skip every step but STEP (its dependencies are not pulled in)' },
    'dry-run': { kind: 'boolean', help: 'run: print the steps and their SQL instead of running them' },
    'lock-timeout': { kind: 'string', value: 'SECONDS', help: "run: take over another runner's lock older than this (default 900)" },
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
  return parseManifest(fs.readFileSync(file, 'utf8'), file);
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
  if (sub !== 'plan' && sub !== 'run') {
    process.stderr.write(`many-model hooks: ${sub === undefined ? 'plan or run?' : `unknown subcommand '${sub}'`}\n${formatHelp(HELP)}`);
    return EXIT.USAGE;
  }
  let flags;
  let manifest: HookManifest;
  let settings: ConnectionSettings;
  try {
    flags = parseFlags(rest, FLAGS);
    if (sub === 'plan' && flags['dry-run']) throw new UsageError('--dry-run belongs to hooks run');
    if (sub === 'plan' && flags['lock-timeout'] !== undefined) throw new UsageError('--lock-timeout belongs to hooks run');
    if (flags['lock-timeout'] !== undefined && !(Number(flags['lock-timeout']) > 0)) throw new UsageError('--lock-timeout must be a positive number of seconds');
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
    const selection = { force: flags.force, from: flags.from, only: flags.only };
    if (sub === 'plan') {
      if (!manifest.ledger) {
        log.info('no steps');
        return EXIT.OK;
      }
      const plan = planSteps(manifest, await new Ledger(session, manifest.ledger, manifest.stack).records(), selection);
      for (const p of plan) log.info(`${p.action === 'run' ? 'run ' : 'skip'}  ${p.step.id.padEnd(48)} ${p.reason}${p.action === 'run' ? `  (run ${p.runId}${p.newRun ? ', new' : ''})` : ''}`);
      log.info(`${plan.filter((p) => p.action === 'run').length} to run, ${plan.filter((p) => p.action === 'skip').length} skipped`);
      return EXIT.OK;
    }
    const lockTimeout = flags['lock-timeout'] !== undefined ? Number(flags['lock-timeout']) : undefined;
    if (lockTimeout !== undefined && !(lockTimeout > 0)) {
      process.stderr.write(`many-model hooks run: --lock-timeout must be a positive number of seconds\n`);
      return EXIT.USAGE;
    }
    const result = await runHooks(manifest, session, { ...selection, dryRun: flags['dry-run'], log, staleLockSeconds: lockTimeout });
    const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
    log.info(`done: ${count('SUCCEEDED')} succeeded, ${count('GATED')} gated, ${count('FAILED')} failed, ${count('SKIPPED')} skipped${flags['dry-run'] ? `, ${count('DRY_RUN')} shown (dry run)` : ''}`);
    return result.failed ? EXIT.STEP_FAILED : EXIT.OK;
  } catch (e) {
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
