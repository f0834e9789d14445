/**
 * Decides which steps run, and under which run id: a pure function of the manifest, the ledger
 * and the user's selection. The rules (docs/hooks-manifest.md, "Run identity"):
 *
 * - A run id belongs to one set of inputs. Steps that produce a run's immutable effects
 *   (training passes, registration: `ONCE_PER_RUN`) run to success at most once per run and only
 *   under one fingerprint; steps whose re-run replaces their effects (index, promotion, scoring,
 *   user SQL) may re-run inside a run.
 * - An unfinished run is resumed until it finishes, or abandoned, never silently dropped: it is
 *   abandoned when a step it started now has another fingerprint (a new image), or when a forced
 *   step starts a new run.
 * - A step that re-runs on its own (a new scoring horizon, a forced promotion) runs inside the
 *   latest finished run whose outputs it consumes; when that run cannot host it (a producer must
 *   run again), a new run starts and every step of the group runs in it.
 * - A step never runs on inputs of another run: a selection (--only, --from) that would need a
 *   producer the chosen run lacks is refused.
 */
import { HookManifest, HookStep, StepKind } from '../../lib/hooks/manifest';

export type AttemptStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'GATED' | 'INTERRUPTED';

/** One ledger attempt of a step, as the runner reads it. */
export interface LedgerRecord {
  readonly stepId: string;
  readonly runId: string;
  readonly fingerprint: string;
  readonly status: AttemptStatus;
  /** Milliseconds since the epoch; orders attempts. */
  readonly startedAt: number;
  /** The attempt's number within its step and run; breaks ties of startedAt. */
  readonly attempt?: number;
}

/** What the ledger says about a stack: step attempts and the runs abandoned on purpose. */
export interface LedgerState {
  readonly records: readonly LedgerRecord[];
  /** Run ids marked abandoned (`hooks abandon`, or superseded by an earlier runner). */
  readonly abandoned?: ReadonlySet<string>;
}

export interface PlanOptions {
  /** Step ids to run even when up to date (their dependents re-run too). */
  readonly force?: readonly string[];
  /** Start at this step: steps before it in the order are skipped. */
  readonly from?: string;
  /** Run only these steps (dependencies are not pulled in). */
  readonly only?: readonly string[];
}

export type PlanReason =
  | 'never run'
  | 'fingerprint changed'
  | 'forced'
  | 'dependency re-runs'
  | 'resume unfinished run'
  | 'restart workers of the resumed pass'
  | 'new run: every step runs'
  | 'the abandoned run had moved the alias'
  | 'up to date'
  | 'done in this run'
  | 'not selected (--only)'
  | 'before --from';

export interface PlannedStep {
  readonly step: HookStep;
  readonly action: 'run' | 'skip';
  readonly reason: PlanReason;
  /** The run id the step runs under. Undefined for skipped steps. */
  readonly runId?: string;
  /** True when the run id is new and must be minted. */
  readonly newRun?: boolean;
  /** True when this step has an earlier attempt in the same run (it may re-attach to its work). */
  readonly resumed?: boolean;
}

/** How one run group runs. */
export interface GroupPlan {
  readonly runGroup: string;
  /**
   * `resume`: finish an unfinished run; `within`: re-run replaceable steps inside the latest
   * finished run; `new`: a new run in which every step runs; `none`: nothing to run.
   */
  readonly mode: 'resume' | 'within' | 'new' | 'none';
  readonly runId?: string;
  /** The unfinished run this plan abandons, and why. */
  readonly abandon?: { readonly runId: string; readonly reason: string };
  /** The run whose effects are current (the latest finished one), if any. */
  readonly current?: string;
}

export interface Plan {
  readonly steps: PlannedStep[];
  readonly groups: GroupPlan[];
}

/** A selection (--force, --from, --only, an abandoned run) that the manifest and the ledger cannot satisfy. */
export class PlanError extends Error {
  override name = 'PlanError';
}

/**
 * Kinds whose effects a run keeps once made (queue rows, trained artifacts, a registered
 * version): they succeed at most once per run, under one fingerprint. The other kinds replace
 * their effects when re-run (the index file, the alias, the run's results rows, user SQL).
 */
export const ONCE_PER_RUN: ReadonlySet<StepKind> = new Set<StepKind>(['startPass', 'executeTaskGraph', 'waitQueue', 'warehousePass', 'registerAggregator']);

/** Kinds that start workers another step waits for: they re-run whenever that wait resumes. */
const RESTARTS_WITH_DEPENDENTS: ReadonlySet<StepKind> = new Set<StepKind>(['runWorkers']);

const isSuccess = (s: AttemptStatus) => s === 'SUCCEEDED' || s === 'GATED';

/** One run of a group, as the ledger recorded it. */
class RunRecord {
  readonly attempts = new Map<string, LedgerRecord[]>();
  /** Steps this run has attempts of that the manifest no longer has. */
  readonly removedSteps = new Set<string>();
  firstStart = Infinity;

  constructor(readonly runId: string) {}

  add(r: LedgerRecord): void {
    const list = this.attempts.get(r.stepId) ?? [];
    list.push(r);
    list.sort((a, b) => a.startedAt - b.startedAt || (a.attempt ?? 0) - (b.attempt ?? 0));
    this.attempts.set(r.stepId, list);
    this.firstStart = Math.min(this.firstStart, r.startedAt);
  }

  latest(stepId: string): LedgerRecord | undefined {
    const list = this.attempts.get(stepId);
    return list?.[list.length - 1];
  }

  /** The step's latest attempt in this run succeeded under the step's current fingerprint. */
  done(step: HookStep): boolean {
    const l = this.latest(step.id);
    return !!l && isSuccess(l.status) && l.fingerprint === step.fingerprint;
  }

  succeededAny(step: HookStep): boolean {
    return (this.attempts.get(step.id) ?? []).some((r) => isSuccess(r.status));
  }

  started(step: HookStep): boolean {
    return this.attempts.has(step.id);
  }

  /** A once-per-run step this run started under other inputs: the run cannot go on with today's. */
  conflicts(step: HookStep): boolean {
    return ONCE_PER_RUN.has(step.kind) && (this.attempts.get(step.id) ?? []).some((r) => r.fingerprint !== step.fingerprint);
  }

  /** Every step this run started ended in success (it may lack steps added to the manifest since). */
  settled(): boolean {
    return [...this.attempts.keys()].every((id) => isSuccess(this.latest(id)!.status));
  }

  finished(group: readonly HookStep[]): boolean {
    return group.every((s) => {
      const l = this.latest(s.id);
      return !!l && isSuccess(l.status);
    });
  }
}

interface Decision {
  readonly action: 'run' | 'skip';
  readonly reason: PlanReason;
}

/** The steps to run and the run id of each run group. */
export function planRun(manifest: HookManifest, ledger: LedgerState, options: PlanOptions = {}, mintRunId: () => string = defaultRunId): Plan {
  const ids = new Set(manifest.steps.map((s) => s.id));
  for (const id of [...(options.force ?? []), ...(options.only ?? []), ...(options.from ? [options.from] : [])]) {
    if (!ids.has(id)) throw new PlanError(`no step '${id}' in stack ${manifest.stack}; steps: ${[...ids].join(', ')}`);
  }
  const fromIndex = options.from ? manifest.steps.findIndex((s) => s.id === options.from) : 0;
  const selection: Selection = {
    forced: new Set(options.force ?? []),
    excluded: new Map(
      manifest.steps.flatMap((s, i): [string, PlanReason][] => {
        if (options.only && !options.only.includes(s.id)) return [[s.id, 'not selected (--only)']];
        if (i < fromIndex) return [[s.id, 'before --from']];
        return [];
      }),
    ),
  };
  const decided = new Map<string, Decision & { runId?: string; newRun?: boolean; resumed?: boolean }>();
  const groups: GroupPlan[] = [];
  const order = groupOrder(manifest);
  for (const name of order) {
    const group = manifest.steps.filter((s) => s.runGroup === name);
    const runs = runsOf(group, ledger, ids);
    const result = planGroup(name, group, runs, selection, decided, mintRunId);
    groups.push(result.plan);
    for (const [id, d] of result.decisions) decided.set(id, d);
  }
  const steps = manifest.steps.map((step): PlannedStep => {
    const d = decided.get(step.id)!;
    return d.action === 'run'
      ? { step, action: 'run', reason: d.reason, runId: d.runId, newRun: d.newRun, resumed: d.resumed }
      : { step, action: 'skip', reason: d.reason };
  });
  return { steps, groups };
}

/** The planned steps only (for callers that do not show run groups). */
export function planSteps(
  manifest: HookManifest,
  records: readonly LedgerRecord[],
  options: PlanOptions = {},
  mintRunId: () => string = defaultRunId,
): PlannedStep[] {
  return planRun(manifest, { records }, options, mintRunId).steps;
}

/**
 * Run groups in an order where a group follows the groups its steps depend on (cross-group
 * dependencies decide "dependency re-runs"), ties by first appearance.
 */
function groupOrder(manifest: HookManifest): string[] {
  const groupOf = new Map(manifest.steps.map((s) => [s.id, s.runGroup]));
  const firstSeen = [...new Set(manifest.steps.map((s) => s.runGroup))];
  const deps = new Map<string, Set<string>>(firstSeen.map((g) => [g, new Set<string>()]));
  for (const s of manifest.steps) for (const d of s.dependsOn) if (groupOf.get(d) !== s.runGroup) deps.get(s.runGroup)!.add(groupOf.get(d)!);
  const out: string[] = [];
  const visit = (g: string, seen: Set<string>) => {
    if (out.includes(g) || seen.has(g)) return;
    seen.add(g);
    for (const d of firstSeen.filter((x) => deps.get(g)!.has(x))) visit(d, seen);
    out.push(g);
  };
  for (const g of firstSeen) visit(g, new Set());
  return out;
}

interface Selection {
  readonly forced: ReadonlySet<string>;
  /** Steps left out by --only / --from, with the reason. */
  readonly excluded: ReadonlyMap<string, PlanReason>;
}

interface GroupRuns {
  /** Runs of the group, newest first, abandoned ones left out. */
  readonly live: RunRecord[];
}

function runsOf(group: readonly HookStep[], ledger: LedgerState, known: ReadonlySet<string>): GroupRuns {
  const stepIds = new Set(group.map((s) => s.id));
  const byRun = new Map<string, RunRecord>();
  for (const r of ledger.records) {
    if (!stepIds.has(r.stepId) || ledger.abandoned?.has(r.runId)) continue;
    const run = byRun.get(r.runId) ?? new RunRecord(r.runId);
    run.add(r);
    byRun.set(r.runId, run);
  }
  // Run ids are minted per group: an attempt under one of this group's run ids of a step the
  // manifest no longer has is a step this run had and has lost.
  for (const r of ledger.records) if (!known.has(r.stepId)) byRun.get(r.runId)?.removedSteps.add(r.stepId);
  const live = [...byRun.values()].sort((a, b) => b.firstStart - a.firstStart || (a.runId < b.runId ? 1 : -1));
  return { live };
}

function planGroup(
  name: string,
  group: readonly HookStep[],
  runs: GroupRuns,
  sel: Selection,
  outside: ReadonlyMap<string, Decision>,
  mintRunId: () => string,
): { plan: GroupPlan; decisions: Map<string, Decision & { runId?: string; newRun?: boolean; resumed?: boolean }> } {
  const inGroup = new Set(group.map((s) => s.id));
  const current = runs.live.find((r) => r.finished(group));
  let unfinished = resumable(group, runs);
  let abandon: GroupPlan['abandon'];
  const crossDepRuns = (s: HookStep) => s.dependsOn.some((d) => !inGroup.has(d) && outside.get(d)?.action === 'run');

  let superseded: RunRecord | undefined;
  if (unfinished) {
    const changed = group.filter((s) => unfinished!.conflicts(s));
    const lost = [...unfinished.removedSteps];
    if (changed.length > 0 || lost.length > 0) {
      // A run whose every started step succeeded finished under an older manifest (steps were
      // added since): it is left as it is, not abandoned, though it cannot go on.
      if (!unfinished.settled() || lost.length > 0) {
        abandon = {
          runId: unfinished.runId,
          reason:
            changed.length > 0
              ? `its inputs changed: ${changed.map((s) => s.id).join(', ')} ran under another fingerprint`
              : `its steps changed: ${lost.join(', ')} is no longer in the manifest`,
        };
        superseded = unfinished;
      }
      unfinished = undefined;
    }
  }

  // 1. Resume the unfinished run: every step not done in it runs.
  if (unfinished) {
    const run = unfinished;
    const d = decide(
      group,
      sel,
      (s, depRuns) => {
        if (sel.forced.has(s.id)) return 'forced';
        if (!run.done(s)) return run.latest(s.id) && run.latest(s.id)!.fingerprint !== s.fingerprint ? 'fingerprint changed' : 'resume unfinished run';
        if (depRuns || crossDepRuns(s)) return 'dependency re-runs';
        if (RESTARTS_WITH_DEPENDENTS.has(s.kind) && group.some((o) => o.dependsOn.includes(s.id) && !run.done(o))) return 'restart workers of the resumed pass';
        return undefined;
      },
      'done in this run',
    );
    const blocked = onceStepsDoneIn(run, group, d);
    if (blocked.length === 0) {
      requireProducers(group, d, (dep) => run.done(dep), `run ${run.runId}`);
      return finish(
        { runGroup: name, mode: anyRuns(d) ? 'resume' : 'none', runId: anyRuns(d) ? run.runId : undefined, current: current?.runId },
        d,
        run.runId,
        false,
        run,
      );
    }
    // A forced once-per-run step the run already did: the user asks for a new run.
    const forced = blocked.filter((s) => sel.forced.has(s.id));
    abandon = {
      runId: run.runId,
      reason:
        forced.length > 0
          ? `superseded by a new run (${forced.map((s) => s.id).join(', ')} forced)`
          : `superseded by a new run (${blocked.map((s) => s.id).join(', ')} must run again)`,
    };
  }

  // 2. What changed against the run in effect (the latest finished one). An abandoned run that
  // had moved the alias leaves it on its own version: the run in effect promotes again.
  const restore = superseded && group.some((s) => s.kind === 'promote' && superseded!.succeededAny(s));
  const wanted = decide(
    group,
    sel,
    (s, depRuns) => {
      if (sel.forced.has(s.id)) return 'forced';
      if (restore && s.kind === 'promote' && current) return 'the abandoned run had moved the alias';
      if (current?.done(s)) return depRuns || crossDepRuns(s) ? 'dependency re-runs' : undefined;
      if (!runs.live.some((r) => r.started(s))) return 'never run';
      if (depRuns) return 'dependency re-runs';
      return 'fingerprint changed';
    },
    'up to date',
  );
  if (!anyRuns(wanted)) return finish({ runGroup: name, mode: 'none', abandon, current: current?.runId }, wanted);

  // 3. Re-run replaceable steps inside the run in effect, when it can host them.
  if (current && onceStepsDoneIn(current, group, wanted).length === 0 && !group.some((s) => wanted.get(s.id)!.action === 'run' && current.conflicts(s))) {
    if (!missingProducer(group, wanted, (dep) => current.done(dep))) {
      return finish({ runGroup: name, mode: 'within', runId: current.runId, abandon, current: current.runId }, wanted, current.runId, false, current);
    }
  }

  // 4. A new run: every selected step runs in it, so no step consumes another run's outputs.
  const fresh = decide(
    group,
    sel,
    (s) => {
      const w = wanted.get(s.id)!;
      return w.action === 'run' ? w.reason : 'new run: every step runs';
    },
    'new run: every step runs',
  );
  const runId = mintRunId();
  requireProducers(group, fresh, () => false, `a new run (${runId})`);
  const open = resumable(group, runs);
  if (!abandon && open && !open.settled()) abandon = { runId: open.runId, reason: 'superseded by a new run' };
  return finish({ runGroup: name, mode: 'new', runId, abandon, current: current?.runId }, fresh, runId, true);
}

/**
 * The run of each group that a plain `hooks run` would resume (latest, unfinished, begun at the
 * group's start, not abandoned), whatever the selection.
 */
export function unfinishedRuns(manifest: HookManifest, ledger: LedgerState): { runGroup: string; runId: string }[] {
  const out: { runGroup: string; runId: string }[] = [];
  for (const name of new Set(manifest.steps.map((s) => s.runGroup))) {
    const group = manifest.steps.filter((s) => s.runGroup === name);
    const run = resumable(group, runsOf(group, ledger, new Set(manifest.steps.map((s) => s.id))));
    if (run) out.push({ runGroup: name, runId: run.runId });
  }
  return out;
}

/**
 * The group's latest run when it is unfinished. Only a run that began at the group's start counts
 * (runs written by older versions of the planner may hold a lone downstream step).
 */
function resumable(group: readonly HookStep[], runs: GroupRuns): RunRecord | undefined {
  const inGroup = new Set(group.map((s) => s.id));
  const latest = runs.live.find((r) => group.some((s) => !s.dependsOn.some((d) => inGroup.has(d)) && r.started(s)));
  return latest && !latest.finished(group) ? latest : undefined;
}

/** Decides each step in order; `why` returns a run reason, or undefined to skip with `skip`. */
function decide(
  group: readonly HookStep[],
  sel: Selection,
  why: (s: HookStep, depRuns: boolean) => PlanReason | undefined,
  skip: PlanReason,
): Map<string, Decision> {
  const out = new Map<string, Decision>();
  for (const s of group) {
    const excluded = sel.excluded.get(s.id);
    if (excluded) {
      out.set(s.id, { action: 'skip', reason: excluded });
      continue;
    }
    const depRuns = s.dependsOn.some((d) => out.get(d)?.action === 'run');
    const reason = why(s, depRuns);
    out.set(s.id, reason ? { action: 'run', reason } : { action: 'skip', reason: skip });
  }
  return out;
}

/** Once-per-run steps that would run again in a run where they already succeeded. */
function onceStepsDoneIn(run: RunRecord, group: readonly HookStep[], d: ReadonlyMap<string, Decision>): HookStep[] {
  return group.filter((s) => d.get(s.id)!.action === 'run' && ONCE_PER_RUN.has(s.kind) && run.succeededAny(s));
}

/** Refuses a selection under which a running step would consume a producer the run lacks. */
function requireProducers(group: readonly HookStep[], d: ReadonlyMap<string, Decision>, doneThere: (dep: HookStep) => boolean, where: string): void {
  const missing = missingProducer(group, d, doneThere);
  if (!missing) return;
  const [s, dep] = missing;
  throw new PlanError(
    `${s.id} would run in ${where}, but its producer ${dep.id} has not succeeded there and is ${d.get(dep.id)!.reason}: ` +
      `a step never consumes another run's outputs. Drop --only/--from, or include ${dep.id}`,
  );
}

/** The first running step with an in-group producer that neither runs nor is done in the run. */
function missingProducer(
  group: readonly HookStep[],
  d: ReadonlyMap<string, Decision>,
  doneThere: (dep: HookStep) => boolean,
): [HookStep, HookStep] | undefined {
  const byId = new Map(group.map((s) => [s.id, s]));
  for (const s of group) {
    if (d.get(s.id)!.action !== 'run') continue;
    for (const depId of s.dependsOn) {
      const dep = byId.get(depId);
      if (dep && d.get(depId)!.action !== 'run' && !doneThere(dep)) return [s, dep];
    }
  }
  return undefined;
}

function anyRuns(d: ReadonlyMap<string, Decision>): boolean {
  return [...d.values()].some((x) => x.action === 'run');
}

function finish(plan: GroupPlan, d: Map<string, Decision>, runId?: string, newRun = false, run?: RunRecord) {
  const decisions = new Map<string, Decision & { runId?: string; newRun?: boolean; resumed?: boolean }>();
  for (const [id, x] of d) decisions.set(id, x.action === 'run' ? { ...x, runId, newRun, resumed: !!run?.attempts.has(id) } : x);
  return { plan, decisions };
}

/** `R` + UTC timestamp + random suffix: sortable, unique, and valid for `{{RUN_ID}}`. */
export function defaultRunId(now = new Date()): string {
  const ts = now
    .toISOString()
    .replace(/[-:T.Z]/g, '')
    .slice(0, 14);
  const rand = Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .toUpperCase()
    .padStart(6, '0');
  return `R${ts}_${rand}`;
}
