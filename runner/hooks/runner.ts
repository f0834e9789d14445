/**
 * Runs a stack's hook steps in dependency order through snowflake-sdk, recording every attempt in
 * the ledger. Re-running after a crash resumes: finished steps are skipped (planner), enqueues
 * and registrations are idempotent, job services and task graphs are re-attached by name.
 */
import { randomBytes } from 'crypto';
import { ObjectName } from '../../lib/identifiers';
import { parseServiceName, renderDescribeService, renderDropService, renderServiceLogsQuery } from '../../lib/sql/services';
import { ROLLBACK, opensTransaction } from '../../lib/sql/session';
import { RUN_VARIABLES } from '../../lib/sql/statement';
import { SnowflakeError, SnowflakeSession } from '../snowflake/session';
import { sleep } from '../snowflake/retry';
import { GraphRunState, graphRunEnded, graphRunListed, readGraphRun } from './graph-run';
import { DEFAULT_STALE_LOCK_SECONDS, Ledger, heartbeatSeconds } from './ledger';
import { HookManifest, HookStatement, HookStep, PassVerification, PassWait, StatementCapture, TaskGraphWait } from '../../lib/hooks/manifest';
import { GroupPlan, PlanError, PlanOptions, planRun, unfinishedRuns } from './planner';

/** A step failure that names the step, the statement and the Snowflake code. */
export class HookError extends Error {
  constructor(
    readonly stepId: string,
    readonly statementId: string | undefined,
    readonly code: string | undefined,
    message: string,
  ) {
    super(`step ${stepId}${statementId ? `, statement ${statementId}` : ''}${code ? ` (Snowflake ${code})` : ''}: ${message}`);
    this.name = 'HookError';
  }
}

export interface RunLog {
  info(line: string): void;
  progress(line: string): void;
}

export interface RunOptions extends PlanOptions {
  readonly dryRun?: boolean;
  /** Identifies this runner in the ledger and the lock. @default random */
  readonly runnerId?: string;
  /** Seconds without a heartbeat after which another runner's lock is a dead runner's. @default 60 */
  readonly staleLockSeconds?: number;
  /** Poll interval override (tests). @default the step's pollSeconds */
  readonly pollMs?: number;
  readonly log: RunLog;
  /** Injected clock (tests). */
  readonly now?: () => number;
  /** Called as each step that runs starts and ends (benchmarks measure per step). @default none */
  readonly onStep?: (event: StepEvent) => void;
}

/** A step that runs starting (before its ledger attempt) or ending (after its outcome is recorded). */
export interface StepEvent {
  readonly stepId: string;
  readonly kind: HookStep['kind'];
  readonly phase: 'start' | 'end';
  /** The step's outcome (at `end`). */
  readonly status?: StepOutcome['status'];
  /** The runner's statements and polls so far (RunResult's counters). */
  readonly statements: number;
  readonly polls: number;
}

export interface StepOutcome {
  readonly stepId: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'GATED' | 'SKIPPED' | 'DRY_RUN';
  readonly reason: string;
  readonly runId?: string;
  readonly error?: string;
}

export interface RunResult {
  readonly outcomes: StepOutcome[];
  readonly failed: boolean;
  /** Set when another runner holds the stack's lock. */
  readonly lockedBy?: string;
  /** Statements issued, polls included (for benchmarks). */
  readonly statements: number;
  readonly polls: number;
}

/**
 * Replaces `{{NAME}}` placeholders with validated run variables. With `leaveUnknown` (a dry run),
 * a known variable without a value yet (one a statement captures at run time) stays as it is.
 */
export function substitute(sql: string, vars: Readonly<Record<string, string>>, leaveUnknown = false): string {
  return sql.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
    const pattern = (RUN_VARIABLES as Record<string, RegExp>)[name];
    const value = vars[name];
    if (pattern && value === undefined && leaveUnknown) return whole;
    if (!pattern || value === undefined) throw new Error(`unknown placeholder {{${name}}}`);
    if (!pattern.test(value)) throw new Error(`value of {{${name}}} does not match ${pattern}`);
    return value;
  });
}

interface Ctx {
  readonly session: SnowflakeSession;
  readonly step: HookStep;
  readonly vars: Record<string, string>;
  readonly queryIds: string[];
  readonly opts: RunOptions;
  readonly ledger: Ledger;
  readonly runnerId: string;
  readonly counters: { statements: number; polls: number };
  readonly details: Record<string, unknown>;
  /** The step has an earlier attempt in this run: work it started may still be running. */
  readonly resumed: boolean;
  /** Set by the heartbeat when another runner took the lock over. */
  readonly lock: { lost: boolean };
  /** The last state reported per job service, so each change is logged once. */
  readonly serviceReports: Map<string, string>;
}

/**
 * Runs one statement of the step, retrying transient errors (step.retry) with a log line each time.
 * `poll` marks a statement that is safe to run twice (a progress or verification query, a
 * directory refresh, the lease upkeep): it is also retried after an internal error (000603),
 * which a statement with effects is not (runner/snowflake/retry.ts).
 */
async function exec(ctx: Ctx, st: HookStatement | { id: string; sql: string }, poll = false): Promise<Record<string, unknown>[]> {
  const sql = substitute(st.sql, ctx.vars);
  if (poll) ctx.counters.polls++;
  else ctx.counters.statements++;
  try {
    const r = await ctx.session.queryWithRetry(
      sql,
      undefined,
      ctx.step.retry,
      (attempt, err, wait) =>
        ctx.opts.log.info(
          `  [${ctx.step.id}] ${st.id}: transient error ${err.code ?? ''} ${err.message}; retry ${attempt} of ${ctx.step.retry.maxAttempts - 1} in ${wait} ms`,
        ),
      { idempotent: poll },
    );
    if (r.queryId) ctx.queryIds.push(r.queryId);
    return r.rows;
  } catch (e) {
    const err = e as SnowflakeError;
    const allow = (st as HookStatement).allowError;
    if (allow && new RegExp(allow.messagePattern, 'i').test(err.message)) {
      ctx.opts.log.info(`  [${ctx.step.id}] ${st.id}: tolerated (${allow.reason})`);
      return [];
    }
    throw new HookError(ctx.step.id, st.id, err.code, err.message);
  }
}

const num = (row: Record<string, unknown> | undefined, k: string) => Number(row?.[k] ?? 0);

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Polls the pass's progress until every chunk is DONE or FAILED, or a deadline. */
async function waitForPass(ctx: Ctx, w: PassWait, startedAt: number, deadline: number, onPoll?: () => Promise<void>): Promise<Record<string, unknown>> {
  const now = ctx.opts.now ?? Date.now;
  const pollMs = ctx.opts.pollMs ?? w.pollSeconds * 1000;
  for (;;) {
    if (onPoll) await onPoll();
    const [p] = await exec(ctx, { id: 'progress', sql: w.progressSql }, true);
    const chunks = num(p, 'CHUNKS');
    const done = num(p, 'CHUNKS_DONE');
    const failed = num(p, 'CHUNKS_FAILED');
    const elapsed = now() - startedAt;
    const finished = done + failed;
    const eta = finished > 0 && finished < chunks ? fmtDuration((elapsed / finished) * (chunks - finished)) : '-';
    ctx.opts.log.progress(
      `  [${ctx.step.id}] chunks ${finished}/${chunks} (failed ${failed}), partitions ok ${num(p, 'PARTITIONS_OK')}/${num(p, 'PARTITIONS')}, elapsed ${fmtDuration(elapsed)}, ETA ${eta}`,
    );
    if (chunks > 0 && finished >= chunks) return p ?? {};
    if (now() >= deadline) return { ...(p ?? {}), TIMED_OUT: true };
    await keepLock(ctx);
    await sleep(pollMs);
  }
}

/** Renews the lock; stops the step when another runner has taken it over. */
async function keepLock(ctx: Ctx): Promise<void> {
  if (ctx.lock.lost || !(await ctx.ledger.renewLock(ctx.runnerId))) {
    ctx.lock.lost = true;
    throw new HookError(
      ctx.step.id,
      'lock',
      undefined,
      `another runner took over the stack's lock (this runner's heartbeat was missed for too long); stopping so two runners never drive one run`,
    );
  }
}

/**
 * Checks a pass once it has ended: the stage's directory table is refreshed (it changes only then)
 * and one query counts chunks, partitions and OK metrics rows whose artifact is not on the stage;
 * then artifacts must all be present and the failure share within the allowance.
 */
async function verifyPass(ctx: Ctx, w: Pick<PassVerification, 'refreshSql' | 'verifySql' | 'failuresSql'>): Promise<void> {
  await exec(ctx, { id: 'refresh-stage', sql: w.refreshSql }, true);
  const [p] = await exec(ctx, { id: 'verify', sql: w.verifySql }, true);
  const partitions = num(p, 'PARTITIONS');
  const ok = num(p, 'PARTITIONS_OK');
  const missing = num(p, 'ARTIFACTS_MISSING');
  const failedShare = partitions > 0 ? (100 * (partitions - ok)) / partitions : 0;
  Object.assign(ctx.details, { partitions, partitionsOk: ok, partitionsFailed: partitions - ok, artifactsMissing: missing });
  if (w.failuresSql && ok < partitions) {
    const rows = await exec(ctx, { id: 'failures', sql: w.failuresSql }, true);
    for (const r of rows) ctx.opts.log.info(`  [${ctx.step.id}] failed partition ${String(r.PARTITION_KEY)}: ${String(r.ERROR_MSG ?? 'no error recorded')}`);
    if (partitions - ok > rows.length)
      ctx.opts.log.info(`  [${ctx.step.id}] ... and ${partitions - ok - rows.length} more partitions without a successful model`);
  }
  if (missing > 0)
    throw new HookError(ctx.step.id, 'verify', undefined, `${missing} partitions are recorded as trained but their artifacts are not on the stage`);
  const allowed = ctx.step.allowedFailurePercent ?? 0;
  if (failedShare > allowed) {
    throw new HookError(
      ctx.step.id,
      'verify',
      undefined,
      `${partitions - ok} of ${partitions} partitions failed (${failedShare.toFixed(1)} %), over allowedFailurePercent ${allowed}`,
    );
  }
}

/**
 * What the runner can tell of a job service: its status (PENDING, RUNNING, DONE, FAILED, ...), or
 * NOT_VISIBLE when Snowflake answers 002003 ("does not exist or not authorized"): the service is
 * gone (dropped, or its metadata expired) or the runner's role holds neither OWNERSHIP nor MONITOR
 * on it, which is how a job a task started (owned by the task owner) looks to a runner without
 * MONITOR. The two cannot be told apart; docs/hooks-manifest.md says what each step does with it.
 */
type ServiceState = { readonly status: string } | 'NOT_VISIBLE';

/** The manifest's name of a job service, checked (lib/sql/services.ts), or the step fails naming it. */
function serviceName(ctx: Ctx, name: string): ObjectName {
  try {
    return parseServiceName(name);
  } catch (e) {
    throw new HookError(ctx.step.id, 'service-status', undefined, (e as Error).message);
  }
}

/** Job-service status by `DESCRIBE SERVICE` (its `status` column: renderDescribeService). */
async function serviceState(ctx: Ctx, name: string): Promise<ServiceState> {
  const service = serviceName(ctx, name);
  try {
    const rows = await ctx.session.query<Record<string, unknown>>(renderDescribeService(service));
    ctx.counters.polls++;
    const row = rows.rows[0] ?? {};
    const status = row[Object.keys(row).find((k) => k.toLowerCase() === 'status') ?? 'status'];
    if (status === undefined || status === null) return 'NOT_VISIBLE';
    return { status: String(status).toUpperCase() };
  } catch (e) {
    if (e instanceof SnowflakeError && (e.code === '2003' || e.code === '002003' || /does not exist/i.test(e.message))) return 'NOT_VISIBLE';
    throw new HookError(ctx.step.id, 'service-status', (e as SnowflakeError).code, (e as Error).message);
  }
}

const isLive = (s: ServiceState) => s !== 'NOT_VISIBLE' && (s.status === 'RUNNING' || s.status === 'PENDING');

/**
 * An executeTaskGraph step: EXECUTE TASK the root (or re-attach to a run in progress), follow the
 * graph run through wait.graphRunSql while the chunks drain, re-execute for chunks a dead worker
 * left behind once the run has ended, then verify the pass (docs/hooks-manifest.md).
 */
async function runTaskGraphStep(ctx: Ctx, w: TaskGraphWait, started: number, deadline: number): Promise<'SUCCEEDED'> {
  const { step } = ctx;
  const [execute, ...rest] = step.statements;
  const services = w.jobServices ?? [];
  const { graphRunSql, progressSql } = w;
  const graph = async () => readGraphRun((await exec(ctx, { id: 'graph-run', sql: graphRunSql }, true))[0]);
  // The server's clock just before EXECUTE TASK marks the graph run it starts (graphRunEnded).
  let since: number | undefined;
  const executeGraph = async (g: GraphRunState) => {
    since = g.nowMs;
    await exec(ctx, execute);
  };
  // Re-attach when resuming: a graph run in progress, or job services one started, is this run's
  // and is waited on, not started again. A step new to this run waits for a run of the graph it
  // did not start (an abandoned run's) to end first: Snowflake skips an EXECUTE that overlaps.
  let first = await graph();
  let attachedToGraph = false;
  if (ctx.resumed && (first.running > 0 || (await anyRunning(ctx, services)))) {
    attachedToGraph = first.running > 0;
    ctx.opts.log.info(`  [${step.id}] task graph already running for this run: re-attaching`);
  } else {
    if (first.running > 0) {
      ctx.opts.log.info(`  [${step.id}] a run of the task graph this run did not start is in progress: waiting for it to end before executing`);
      while (first.running > 0) {
        if ((ctx.opts.now ?? Date.now)() >= deadline)
          throw new HookError(
            step.id,
            'wait',
            undefined,
            `a run of ${w.rootTask ?? 'the task graph'} that this run did not start was still in progress after ${step.timeoutSeconds}s`,
          );
        await keepLock(ctx);
        await sleep(ctx.opts.pollMs ?? w.pollSeconds * 1000);
        first = await graph();
      }
    }
    // No worker of this step runs: chunks still CLAIMED belong to dead workers of an earlier
    // attempt and go back to the queue now, not when their leases expire.
    await releaseOrphanedChunks(ctx, w);
    await executeGraph(first);
  }
  // A slot whose worker died leaves its chunks behind: once the graph run has ended and no job
  // service runs, expired leases are re-queued and the graph is executed again (bounded by the
  // retry attempts). Never earlier: a second EXECUTE's DROP SERVICE would stop live workers.
  let rounds = 1;
  let reported = false;
  // Whether any run of the graph was ever listed: if none is, the role cannot see them.
  let seen = attachedToGraph;
  const result = await waitForPass(ctx, w, started, deadline, async () => {
    const g = await graph();
    seen ||= graphRunListed(g, since);
    if (!graphRunEnded(g, since) || (await anyRunning(ctx, services))) return;
    if (!reported) {
      reported = true;
      const last = since !== undefined || attachedToGraph ? g.lastCompleted : undefined;
      ctx.opts.log.info(`  [${step.id}] task graph run ended${last ? ` ${last.state}${last.error ? ` (first error in ${last.error})` : ''}` : ''}`);
    }
    if (!w.requeueSql) return;
    await releaseOrphanedChunks(ctx, w);
    const [p] = await exec(ctx, { id: 'progress', sql: progressSql }, true);
    const open = num(p, 'CHUNKS') - num(p, 'CHUNKS_DONE') - num(p, 'CHUNKS_FAILED');
    if (open === 0) return;
    const pending = await pendingChunks(ctx, w);
    if (pending === 0) return; // live leases: their chunks are re-queued once they expire
    // Rounds used up: fail now rather than poll until the step's timeout; a re-run of the
    // hooks resumes this run (its done chunks stay done) with fresh rounds.
    if (rounds >= step.retry.maxAttempts) {
      throw new HookError(
        step.id,
        'wait',
        undefined,
        `the task graph ran ${rounds} time(s) (retry.maxAttempts) and ${open} chunks are still not done, ${pending} of them waiting to be claimed; see the graph's first error above and the job services' logs, then run the hooks again to resume`,
      );
    }
    rounds++;
    reported = false;
    ctx.opts.log.info(`  [${step.id}] ${open} chunks left after the graph ended: executing it again (round ${rounds})`);
    await executeGraph(g);
  });
  if (result.TIMED_OUT) {
    const unseen = seen
      ? ''
      : `; no run of ${w.rootTask ?? 'its root task'} was ever listed by CURRENT_TASK_GRAPHS or COMPLETE_TASK_GRAPHS, so the runner could not tell when it ended: the runner's role needs MONITOR on the root task`;
    throw new HookError(step.id, 'wait', undefined, `task graph did not finish within ${step.timeoutSeconds}s${unseen}`);
  }
  await verifyPass(ctx, w);
  for (const st of rest) await exec(ctx, st);
  return 'SUCCEEDED';
}

async function runStep(ctx: Ctx): Promise<'SUCCEEDED' | 'GATED'> {
  const { step } = ctx;
  const now = ctx.opts.now ?? Date.now;
  const started = now();
  const deadline = started + step.timeoutSeconds * 1000;
  switch (step.kind) {
    case 'executeTaskGraph':
      return runTaskGraphStep(ctx, step.wait, started, deadline);
    case 'runWorkers': {
      for (const [i, st] of step.statements.entries()) {
        const name = step.wait.jobServices[i];
        const state = await serviceState(ctx, name);
        // Only a resumed run's own workers are re-attached; a service running when a run starts
        // is an earlier run's and is replaced.
        if (ctx.resumed && isLive(state)) {
          ctx.opts.log.info(`  [${step.id}] ${name} is ${(state as { status: string }).status}: re-attaching`);
          continue;
        }
        // NOT_VISIBLE: the runner starts its queue workers itself and owns them, so a service it
        // cannot see is not one of its own: it is started (a name another role holds fails the
        // EXECUTE with that error).
        if (state !== 'NOT_VISIBLE') await exec(ctx, { id: `drop-${i}`, sql: renderDropService(serviceName(ctx, name)) });
        await exec(ctx, st);
      }
      return 'SUCCEEDED';
    }
    case 'waitQueue': {
      const w = step.wait;
      const budgetEnd = started + (w.budgetSeconds ?? step.timeoutSeconds) * 1000;
      let idlePolls = 0;
      const result = await waitForPass(ctx, w, started, Math.min(deadline, budgetEnd), async () => {
        // With a worker running only expired leases are re-queued; with none, every claim is orphaned.
        if (!w.requeueOrphanedSql || (await anyRunning(ctx, w.jobServices ?? []))) {
          idlePolls = 0;
          await releaseExpiredLeases(ctx, w);
          return;
        }
        await releaseOrphanedChunks(ctx, w);
        // Twice in a row no worker runs while chunks wait: nothing will drain them in this step.
        if ((await waitingChunks(ctx, w)) > 0 && ++idlePolls >= 2) {
          throw new HookError(
            step.id,
            'wait',
            undefined,
            `no worker of this pass is running and chunks are waiting to be claimed; run the hooks again to restart the workers and resume this run`,
          );
        }
      });
      if (result.TIMED_OUT) ctx.opts.log.info(`  [${step.id}] time budget reached: chunks not done are left to the next run`);
      await verifyPass(ctx, w);
      for (const st of step.statements) await exec(ctx, st);
      return 'SUCCEEDED';
    }
    case 'warehousePass': {
      // Every partition is fitted by one of the statements; the pass is then verified as any pass.
      for (const st of step.statements) await exec(ctx, st);
      await verifyPass(ctx, step.wait);
      return 'SUCCEEDED';
    }
    default: {
      for (const st of step.statements) {
        const rows = await exec(ctx, st);
        if (st.capture) captureVariable(ctx, st.id, st.capture, rows);
        if (st.gateColumn) {
          const row = rows[0] ?? {};
          const passed = row[st.gateColumn] === true || row[st.gateColumn] === 'true' || row[st.gateColumn] === 1;
          ctx.details.gate = { value: row.VALUE ?? null, passed };
          if (!passed) {
            ctx.opts.log.info(`  [${step.id}] gate not passed (value ${String(row.VALUE ?? 'NULL')}): the version stays registered, the alias does not move`);
            return 'GATED';
          }
        }
      }
      return 'SUCCEEDED';
    }
  }
}

/** Sets the variable statement `statementId` captures (HookStatement.capture) for the step's later statements. */
function captureVariable(ctx: Ctx, statementId: string, c: StatementCapture, rows: Record<string, unknown>[]): void {
  const want = c.match.value.toUpperCase();
  const holds = (v: unknown) => {
    let list: unknown = v;
    if (typeof v === 'string') {
      try {
        list = JSON.parse(v);
      } catch {
        return false;
      }
    }
    return Array.isArray(list) && list.some((x) => String(x).toUpperCase() === want);
  };
  // SHOW output names its columns in lower case ("name", "aliases"); a query may not.
  const col = (r: Record<string, unknown>, name: string) => r[Object.keys(r).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
  const row = rows.find(
    (r) => String(col(r, c.column) ?? '').toUpperCase() === want || (c.match.arrayColumn !== undefined && holds(col(r, c.match.arrayColumn))),
  );
  if (!row) throw new HookError(ctx.step.id, statementId, undefined, c.missing);
  const value = String(col(row, c.column));
  if (!RUN_VARIABLES[c.variable].test(value))
    throw new HookError(ctx.step.id, statementId, undefined, `${c.variable} ${JSON.stringify(value)} does not match ${RUN_VARIABLES[c.variable]}`);
  ctx.vars[c.variable] = value;
  ctx.details[c.variable] = value;
  ctx.opts.log.info(`  [${ctx.step.id}] ${statementId}: ${c.match.value} is ${value}`);
}

/** Re-queues chunks whose leases expired, and fails those that used up their attempts. */
async function releaseExpiredLeases(ctx: Ctx, w: PassWait): Promise<void> {
  if (w.requeueSql) await exec(ctx, { id: 'requeue-expired', sql: w.requeueSql }, true);
  if (w.failExhaustedSql) await exec(ctx, { id: 'fail-exhausted', sql: w.failExhaustedSql }, true);
}

/**
 * Called only when none of the step's job services runs: a chunk still CLAIMED has no live
 * holder, so it is re-queued (or failed, attempts used up) without waiting for its lease.
 */
async function releaseOrphanedChunks(ctx: Ctx, w: PassWait): Promise<void> {
  if (!w.requeueOrphanedSql) return releaseExpiredLeases(ctx, w);
  const rows = await exec(ctx, { id: 'requeue-orphaned', sql: w.requeueOrphanedSql }, true);
  const n = num(rows[0], 'number of rows updated');
  if (n > 0) ctx.opts.log.info(`  [${ctx.step.id}] ${n} chunks held by workers that are gone: back to the queue`);
  if (w.failExhaustedSql) await exec(ctx, { id: 'fail-exhausted', sql: w.failExhaustedSql }, true);
}

async function pendingChunks(ctx: Ctx, w: PassWait): Promise<number> {
  if (!w.pendingSql) return 0;
  const [r] = await exec(ctx, { id: 'pending', sql: w.pendingSql }, true);
  return num(r, 'PENDING');
}

/**
 * Chunks of a queue pass that no worker holds and none has finished, asked right after orphaned
 * chunks were released (so every unfinished chunk waits to be claimed). Queue waits carry no
 * pendingSql in their manifests (only task-graph waits do), so the pass's progress query answers;
 * adding the field would change the wait steps' fingerprints and re-run training on upgrade.
 */
async function waitingChunks(ctx: Ctx, w: PassWait): Promise<number> {
  if (w.pendingSql) return pendingChunks(ctx, w);
  const [p] = await exec(ctx, { id: 'progress', sql: w.progressSql }, true);
  return num(p, 'CHUNKS') - num(p, 'CHUNKS_DONE') - num(p, 'CHUNKS_FAILED');
}

/**
 * Whether any of the step's job services is PENDING or RUNNING. A service the runner cannot see
 * counts as not running, and is said once per step: for queue workers (which the runner starts and
 * owns) it is gone; for the task graph's jobs (owned by the task owner) the graph run decides, as
 * the slot tasks run their jobs synchronously. A FAILED service is reported once with its status.
 */
async function anyRunning(ctx: Ctx, names: readonly string[]): Promise<boolean> {
  let live = false;
  for (const n of names) {
    const s = await serviceState(ctx, n);
    const seen = ctx.serviceReports.get(n);
    if (s === 'NOT_VISIBLE') {
      if (seen !== 'NOT_VISIBLE') {
        const why = ctx.step.kind === 'executeTaskGraph' ? 'following the task graph run instead' : 'counting it as not running';
        ctx.opts.log.info(
          `  [${ctx.step.id}] job service ${n} cannot be seen (002003: it does not exist, or the runner's role has neither OWNERSHIP nor MONITOR on it); ${why}`,
        );
      }
      ctx.serviceReports.set(n, 'NOT_VISIBLE');
      continue;
    }
    if (s.status === 'FAILED' && seen !== 'FAILED')
      ctx.opts.log.info(`  [${ctx.step.id}] job service ${n} is FAILED; its logs: ${renderServiceLogsQuery(serviceName(ctx, n))}`);
    ctx.serviceReports.set(n, s.status);
    if (isLive(s)) live = true;
  }
  return live;
}

/** Plans and runs (or, with dryRun, prints) the steps of one stack. */
export async function runHooks(manifest: HookManifest, session: SnowflakeSession, opts: RunOptions): Promise<RunResult> {
  const counters = { statements: 0, polls: 0 };
  if (!manifest.ledger || manifest.steps.length === 0) {
    opts.log.info(`stack ${manifest.stack}: no hook steps`);
    return { outcomes: [], failed: false, statements: 0, polls: 0 };
  }
  const runnerId = runnerIdOf(opts);
  // The ledger and the lock's heartbeat have a session of their own: a step's statements may hold
  // a transaction open (batchScore), and a heartbeat or an attempt's record must never join it
  // ("A transaction is associated with a single session": https://docs.snowflake.com/en/sql-reference/transactions).
  const ledgerSession = opts.dryRun ? session : await session.sibling();
  try {
    return await runWithLedger(manifest, session, new Ledger(ledgerSession, manifest.ledger, manifest.stack), runnerId, opts, counters);
  } finally {
    if (ledgerSession !== session) await ledgerSession.close().catch(() => undefined);
  }
}

async function runWithLedger(
  manifest: HookManifest,
  session: SnowflakeSession,
  ledger: Ledger,
  runnerId: string,
  opts: RunOptions,
  counters: { statements: number; polls: number },
): Promise<RunResult> {
  const staleSeconds = opts.staleLockSeconds ?? DEFAULT_STALE_LOCK_SECONDS;
  if (!opts.dryRun) {
    const refused = await takeLock(ledger, manifest.stack, runnerId, staleSeconds, opts);
    if (refused) return { outcomes: [], failed: true, lockedBy: refused, statements: 0, polls: 0 };
  }
  const outcomes: StepOutcome[] = [];
  let failed = false;
  // The heartbeat: only a runner that died (or lost its connection) stops renewing the lock.
  const lock = { lost: false };
  const renew = opts.dryRun
    ? undefined
    : setInterval(
        () =>
          void ledger
            .renewLock(runnerId)
            .then((held) => (lock.lost ||= !held))
            .catch(() => undefined),
        Math.max(250, heartbeatSeconds(staleSeconds) * 1000),
      );
  renew?.unref();
  try {
    if (!opts.dryRun) {
      const interrupted = await ledger.markInterrupted(runnerId);
      if (interrupted > 0) opts.log.info(`marked ${interrupted} attempt(s) of a runner that stopped as INTERRUPTED`);
    }
    const plan = planRun(manifest, await ledger.state(), opts);
    for (const g of plan.groups) {
      logGroup(g, opts);
      if (!g.abandon || opts.dryRun || failed) continue;
      try {
        await abandonRun(manifest, session, ledger, g, runnerId);
      } catch (e) {
        opts.log.info(`FAILED ${(e as Error).message}`);
        failed = true;
      }
    }
    for (const p of plan.steps) {
      if (p.action === 'skip') {
        outcomes.push({ stepId: p.step.id, status: 'SKIPPED', reason: p.reason });
        opts.log.info(`skip ${p.step.id} (${p.reason})`);
        continue;
      }
      const vars: Record<string, string> = { RUN_ID: p.runId! };
      if (failed || lock.lost) {
        outcomes.push({ stepId: p.step.id, status: 'SKIPPED', reason: lock.lost ? 'the lock was taken over' : 'an earlier step failed', runId: p.runId });
        continue;
      }
      if (opts.dryRun) {
        opts.log.info(`would run ${p.step.id} [${p.step.kind}] (${p.reason}) as run ${p.runId}${p.newRun ? ' (new)' : ''}`);
        for (const st of p.step.statements)
          opts.log.info(`-- ${st.id}${st.capture ? ` (sets {{${st.capture.variable}}})` : ''}\n${substitute(st.sql, vars, true)};`);
        const step = p.step;
        if (step.kind === 'executeTaskGraph') opts.log.info(`-- follows the task graph's runs with\n${step.wait.graphRunSql};`);
        if (step.kind === 'executeTaskGraph' || step.kind === 'waitQueue') opts.log.info(`-- then polls\n${substitute(step.wait.progressSql, vars)};`);
        outcomes.push({ stepId: p.step.id, status: 'DRY_RUN', reason: p.reason, runId: p.runId });
        continue;
      }
      opts.log.info(`run ${p.step.id} [${p.step.kind}] (${p.reason}) run ${p.runId}: ${p.step.description}`);
      opts.onStep?.({ stepId: p.step.id, kind: p.step.kind, phase: 'start', ...counters });
      const attempt = await ledger.start(p.step.id, p.runId!, p.step.fingerprint, runnerId);
      const ctx: Ctx = {
        session,
        step: p.step,
        vars,
        queryIds: [],
        opts,
        ledger,
        runnerId,
        counters,
        details: {},
        resumed: p.resumed === true,
        lock,
        serviceReports: new Map(),
      };
      try {
        const status = await runStep(ctx);
        await ledger.finish(p.step.id, p.runId!, attempt, status, ctx.queryIds, undefined, ctx.details);
        outcomes.push({ stepId: p.step.id, status, reason: p.reason, runId: p.runId });
      } catch (e) {
        // A step that failed inside a transaction it opened (batchScore) leaves nothing half done.
        if (p.step.statements.some((st) => opensTransaction(st.sql))) await session.query(ROLLBACK).catch(() => undefined);
        const err = e instanceof HookError ? e : new HookError(p.step.id, undefined, undefined, session.redact((e as Error).message));
        await ledger.finish(p.step.id, p.runId!, attempt, 'FAILED', ctx.queryIds, err.message, ctx.details).catch(() => undefined);
        outcomes.push({ stepId: p.step.id, status: 'FAILED', reason: p.reason, runId: p.runId, error: err.message });
        opts.log.info(`FAILED ${err.message}`);
        failed = true;
      }
      opts.onStep?.({ stepId: p.step.id, kind: p.step.kind, phase: 'end', status: outcomes[outcomes.length - 1].status, ...counters });
    }
  } finally {
    if (renew) clearInterval(renew);
    if (!opts.dryRun && !lock.lost) await ledger.releaseLock(runnerId).catch(() => undefined);
  }
  return { outcomes, failed: failed || lock.lost, statements: counters.statements, polls: counters.polls };
}

/**
 * Takes the stack's lock, or says why not. A holder whose heartbeat has stopped for more than two
 * beats is presumed dead: the runner waits (visibly) until its lock is stale and takes it over.
 * A holder with a live heartbeat is another runner at work: refused at once. Returns the holder
 * when refused.
 */
async function takeLock(ledger: Ledger, stack: string, runnerId: string, staleSeconds: number, opts: RunOptions): Promise<string | undefined> {
  const beat = heartbeatSeconds(staleSeconds);
  for (;;) {
    const lock = await ledger.acquireLock(runnerId, staleSeconds);
    if (lock.acquired) {
      if (lock.tookOverFrom)
        opts.log.info(`stack ${stack}: took over the lock of runner ${lock.tookOverFrom}, whose heartbeat stopped over ${staleSeconds}s ago`);
      return undefined;
    }
    const age = lock.heartbeatAgeSeconds ?? 0;
    if (age <= 2 * beat) {
      opts.log.info(
        `stack ${stack}: runner ${lock.holder} is running its hooks (last heartbeat ${age}s ago); refusing to run them twice. ` +
          `If that runner was killed, its heartbeat has stopped and its lock is taken over ${staleSeconds}s after the last one: run again then (--lock-timeout sets that window)`,
      );
      return lock.holder ?? 'another runner';
    }
    const wait = Math.max(1, Math.min(5, staleSeconds - age + 1));
    opts.log.progress(`stack ${stack}: runner ${lock.holder} stopped its heartbeat ${age}s ago; taking its lock over at ${staleSeconds}s (waiting ${wait}s)`);
    await sleep(wait * 1000);
  }
}

/**
 * `hooks abandon`: abandons the unfinished run of each run group (or only `runId`), under the
 * stack's lock. Returns the runs abandoned.
 */
export async function abandonUnfinished(
  manifest: HookManifest,
  session: SnowflakeSession,
  opts: RunOptions & { readonly runId?: string; readonly reason?: string },
): Promise<{ abandoned: string[]; lockedBy?: string }> {
  if (!manifest.ledger) return { abandoned: [] };
  const runnerId = runnerIdOf(opts);
  const ledger = new Ledger(session, manifest.ledger, manifest.stack);
  const staleSeconds = opts.staleLockSeconds ?? DEFAULT_STALE_LOCK_SECONDS;
  const refused = await takeLock(ledger, manifest.stack, runnerId, staleSeconds, opts);
  if (refused) return { abandoned: [], lockedBy: refused };
  try {
    await ledger.markInterrupted(runnerId);
    const abandoned: string[] = [];
    for (const u of unfinishedRuns(manifest, await ledger.state())) {
      if (opts.runId && u.runId !== opts.runId) continue;
      const g: GroupPlan = {
        runGroup: u.runGroup,
        mode: 'none',
        abandon: { runId: u.runId, reason: opts.reason ?? 'abandoned by hand (many-model hooks abandon)' },
      };
      logGroup(g, opts);
      await abandonRun(manifest, session, ledger, g, runnerId);
      abandoned.push(u.runId);
    }
    if (opts.runId && !abandoned.includes(opts.runId)) throw new PlanError(`run ${opts.runId} is not an unfinished run of stack ${manifest.stack}`);
    return { abandoned };
  } finally {
    await ledger.releaseLock(runnerId).catch(() => undefined);
  }
}

const runnerIdOf = (opts: RunOptions) => opts.runnerId ?? `runner-${randomBytes(6).toString('hex')}`;

function logGroup(g: GroupPlan, opts: RunOptions): void {
  if (g.abandon) opts.log.info(`${opts.dryRun ? 'would abandon' : 'abandon'} run ${g.abandon.runId} of ${g.runGroup}: ${g.abandon.reason}`);
  if (g.mode === 'resume') opts.log.info(`${g.runGroup}: resuming unfinished run ${g.runId}`);
  else if (g.mode === 'within') opts.log.info(`${g.runGroup}: re-running changed steps inside run ${g.runId} (the run in effect)`);
  else if (g.mode === 'new') opts.log.info(`${g.runGroup}: new run ${g.runId}${g.current ? ` (the run in effect stays ${g.current} until it finishes)` : ''}`);
}

/** Abandons a run: the group's abandon statements (stop workers, close chunks), then the mark. */
async function abandonRun(manifest: HookManifest, session: SnowflakeSession, ledger: Ledger, g: GroupPlan, runnerId: string): Promise<void> {
  const runId = g.abandon!.runId;
  for (const st of manifest.runGroups?.[g.runGroup]?.abandon ?? []) {
    try {
      await session.queryWithRetry(substitute(st.sql, { RUN_ID: runId }), undefined, { maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 5000 });
    } catch (e) {
      throw new HookError(`${g.runGroup} (abandon run ${runId})`, st.id, (e as SnowflakeError).code, session.redact((e as Error).message));
    }
  }
  await ledger.markAbandoned(runId, g.runGroup, g.abandon!.reason, runnerId);
}
