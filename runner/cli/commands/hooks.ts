/**
 * `many-model hooks plan|run|abandon`: reads a stack's hooks.json and the ledger, then prints the
 * plan, runs the steps through snowflake-sdk, or abandons an unfinished run. `deploy` runs the
 * hooks through runStackHooks, as `hooks run` does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HookManifest, MANIFEST_FILE_NAME } from '../../../lib/hooks/manifest';
import { Ledger, TaskRunRecord } from '../../hooks/ledger';
import { GroupPlan, planRun } from '../../hooks/planner';
import { RunLog, abandonUnfinished, runHooks } from '../../hooks/runner';
import { parseManifest } from '../../../lib/hooks/validate';
import { CURRENT_ROLE_QUERY } from '../../../lib/sql/session';
import { SnowflakeSession } from '../../snowflake/session';
import { UsageError } from '../args';
import { withSession } from '../connect';
import { EXIT } from '../exit-codes';

export interface HooksOptions {
  /** The synthesis output directory. */
  readonly out: string;
  /** The stack; may be left out when the synthesis has one. */
  readonly stack?: string;
  /** A connection of connections.toml; SNOWFLAKE_* variables without it. */
  readonly connection?: string;
  readonly force?: string[];
  readonly from?: string;
  readonly only?: string[];
  /** run: print the steps and their SQL instead of running them. */
  readonly dryRun?: boolean;
  /** run, abandon: seconds after which a silent runner's lock is taken over. */
  readonly lockTimeout?: number;
  /** abandon: the unfinished run to abandon. */
  readonly run?: string;
}

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
  if (manifest.stack !== name)
    throw new UsageError(
      `${file} belongs to stack '${manifest.stack}', not to stack '${name}' whose directory holds it. Synthesize again rather than copying manifests between stacks`,
    );
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

/** The stack's manifest and a session for it, announced; warns when the session's role is not the runner role. */
async function withStack(opts: HooksOptions, work: (manifest: HookManifest, session: SnowflakeSession, log: RunLog) => Promise<number>): Promise<number> {
  const manifest = loadStackManifest(opts.out, opts.stack);
  const log = consoleLog();
  log.info(`stack ${manifest.stack}: ${manifest.steps.length} steps`);
  return withSession({ connection: opts.connection, say: (line) => log.info(line) }, async (session) => {
    await warnOnRole(manifest, session, log);
    return work(manifest, session, log);
  });
}

/** `hooks plan`: which steps will run, why, and under which run. */
export function planHooks(opts: HooksOptions): Promise<number> {
  return withStack(opts, async (manifest, session, log) => {
    if (!manifest.ledger) {
      log.info('no steps');
      return EXIT.OK;
    }
    const ledger = new Ledger(session, manifest.ledger, manifest.stack);
    const plan = planRun(manifest, await ledger.state(), opts);
    for (const g of plan.groups) log.info(describeGroup(g));
    // Runs the closed loop made inside the account, beside the runner's: the planner never resumes them.
    for (const r of await ledger.taskRuns()) log.info(describeTaskRun(r));
    for (const p of plan.steps)
      log.info(
        `${p.action === 'run' ? 'run ' : 'skip'}  ${p.step.id.padEnd(48)} ${p.reason}${p.action === 'run' ? `  (run ${p.runId}${p.newRun ? ', new' : ''})` : ''}`,
      );
    log.info(`${plan.steps.filter((p) => p.action === 'run').length} to run, ${plan.steps.filter((p) => p.action === 'skip').length} skipped`);
    return EXIT.OK;
  });
}

/**
 * `hooks run`, and `deploy` once its apply succeeded: runs the stack's steps. 1 when a step failed,
 * or when another runner holds the lock (the runner said why and how to take over; nothing ran).
 */
export function runStackHooks(opts: HooksOptions): Promise<number> {
  return withStack(opts, async (manifest, session, log) => {
    const result = await runHooks(manifest, session, {
      force: opts.force,
      from: opts.from,
      only: opts.only,
      dryRun: opts.dryRun,
      log,
      staleLockSeconds: opts.lockTimeout,
    });
    if (result.lockedBy) return EXIT.STEP_FAILED;
    const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
    log.info(
      `done: ${count('SUCCEEDED')} succeeded, ${count('GATED')} gated, ${count('FAILED')} failed, ${count('SKIPPED')} skipped${opts.dryRun ? `, ${count('DRY_RUN')} shown (dry run)` : ''}`,
    );
    return result.failed ? EXIT.STEP_FAILED : EXIT.OK;
  });
}

/** `hooks abandon`: abandons the unfinished run (`--run`), or every run group's. */
export function abandonHooks(opts: HooksOptions): Promise<number> {
  return withStack(opts, async (manifest, session, log) => {
    const r = await abandonUnfinished(manifest, session, { log, runId: opts.run, staleLockSeconds: opts.lockTimeout });
    if (r.lockedBy) return EXIT.STEP_FAILED;
    log.info(r.abandoned.length > 0 ? `abandoned ${r.abandoned.join(', ')}` : 'no unfinished run to abandon');
    return EXIT.OK;
  });
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
  log.info(
    `warning: the hooks of stack ${manifest.stack} are meant to run as ${roles.join(' or ')}; this session's role is ${current || 'none'}. What they create (the registered model) will belong to ${current || 'it'}. Connect with role ${roles[0]} (SNOWFLAKE_ROLE or 'role' in connections.toml)`,
  );
}

/** One line per run a task graph recorded (the closed loop's), for `hooks plan`. */
export function describeTaskRun(r: TaskRunRecord): string {
  const d = r.details;
  const what = [
    d.partitions !== undefined && d.partitions !== null ? `retrained ${String(d.partitions)} partitions` : undefined,
    d.fromRun ? `from run ${String(d.fromRun)}` : undefined,
    d.version ? `version ${String(d.version)}${d.promoted === true ? ' promoted' : d.promoted === false ? ' not promoted' : ''}` : undefined,
    r.error,
  ].filter((x): x is string => x !== undefined);
  return `closed loop ${r.stepId}: run ${r.runId} ${r.status}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}, started ${r.startedAt}${what.length > 0 ? `; ${what.join('; ')}` : ''}`;
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
