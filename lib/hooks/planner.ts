/**
 * Decides which steps run: a pure function of the manifest, the ledger and the user's selection.
 * A step runs when its fingerprint never succeeded, when a dependency runs, or when forced; a
 * run group reuses the run id of an unfinished run of the same fingerprints (resume) and otherwise
 * gets a new one.
 */
import { HookManifest, HookStep } from './manifest';

/** The latest ledger attempt of a step, as the runner reads it. */
export interface LedgerRecord {
  readonly stepId: string;
  readonly runId: string;
  readonly fingerprint: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'GATED';
  /** Milliseconds since the epoch; orders attempts. */
  readonly startedAt: number;
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
  | 'up to date'
  | 'not selected (--only)'
  | 'before --from';

export interface PlannedStep {
  readonly step: HookStep;
  readonly action: 'run' | 'skip';
  readonly reason: PlanReason;
  /** The run id the step would run under (existing for resumes). Undefined for skipped steps. */
  readonly runId?: string;
  /** True when the run id is new and must be minted. */
  readonly newRun?: boolean;
}

export class PlanError extends Error {}

/** The latest record per step id. */
export function latestByStep(records: readonly LedgerRecord[]): Map<string, LedgerRecord> {
  const latest = new Map<string, LedgerRecord>();
  for (const r of records) {
    const cur = latest.get(r.stepId);
    if (!cur || r.startedAt > cur.startedAt || (r.startedAt === cur.startedAt && r.runId > cur.runId)) latest.set(r.stepId, r);
  }
  return latest;
}

/** Whether a fingerprint ever succeeded for the step (any run). */
function succeededBefore(records: readonly LedgerRecord[], step: HookStep): boolean {
  return records.some((r) => r.stepId === step.id && r.fingerprint === step.fingerprint && (r.status === 'SUCCEEDED' || r.status === 'GATED'));
}

export function planSteps(manifest: HookManifest, records: readonly LedgerRecord[], options: PlanOptions = {}, mintRunId: () => string = defaultRunId): PlannedStep[] {
  const ids = new Set(manifest.steps.map((s) => s.id));
  for (const id of [...(options.force ?? []), ...(options.only ?? []), ...(options.from ? [options.from] : [])]) {
    if (!ids.has(id)) throw new PlanError(`no step '${id}' in stack ${manifest.stack}; steps: ${[...ids].join(', ')}`);
  }
  const forced = new Set(options.force ?? []);
  const only = options.only ? new Set(options.only) : undefined;
  const fromIndex = options.from ? manifest.steps.findIndex((s) => s.id === options.from) : 0;
  const latest = latestByStep(records);

  const decided = new Map<string, { action: 'run' | 'skip'; reason: PlanReason }>();
  manifest.steps.forEach((step, i) => {
    let d: { action: 'run' | 'skip'; reason: PlanReason };
    if (only && !only.has(step.id)) d = { action: 'skip', reason: 'not selected (--only)' };
    else if (i < fromIndex) d = { action: 'skip', reason: 'before --from' };
    else if (forced.has(step.id)) d = { action: 'run', reason: 'forced' };
    else if (succeededBefore(records, step)) {
      const depRuns = !only && step.dependsOn.some((dep) => decided.get(dep)?.action === 'run');
      d = depRuns ? { action: 'run', reason: 'dependency re-runs' } : { action: 'skip', reason: 'up to date' };
    } else {
      const l = latest.get(step.id);
      const depRuns = step.dependsOn.some((dep) => decided.get(dep)?.action === 'run');
      if (!l) d = { action: 'run', reason: 'never run' };
      else if (l.fingerprint === step.fingerprint && (l.status === 'RUNNING' || l.status === 'FAILED')) d = { action: 'run', reason: 'resume unfinished run' };
      else if (depRuns) d = { action: 'run', reason: 'dependency re-runs' };
      else d = { action: 'run', reason: 'fingerprint changed' };
    }
    decided.set(step.id, d);
  });

  // One run id per run group: resume the latest unfinished run of these fingerprints, else mint.
  const runIds = new Map<string, { runId: string; newRun: boolean }>();
  for (const step of manifest.steps) {
    const d = decided.get(step.id)!;
    if (d.action !== 'run' || runIds.has(step.runGroup)) continue;
    const group = manifest.steps.filter((s) => s.runGroup === step.runGroup);
    const anyForced = group.some((s) => decided.get(s.id)!.reason === 'forced');
    const candidate = anyForced ? undefined : resumableRun(group, records);
    runIds.set(step.runGroup, candidate ? { runId: candidate, newRun: false } : { runId: mintRunId(), newRun: true });
  }
  return manifest.steps.map((step) => {
    const d = decided.get(step.id)!;
    return d.action === 'run' ? { step, ...d, ...runIds.get(step.runGroup)! } : { step, ...d };
  });
}

/**
 * The latest run of the group, if it is unfinished: some step of the group has no successful
 * attempt in it at all (killed before or during that step). A run whose every step succeeded is
 * finished even if fingerprints changed since: changes start a new run.
 */
function resumableRun(group: readonly HookStep[], records: readonly LedgerRecord[]): string | undefined {
  const stepIds = new Set(group.map((s) => s.id));
  const inGroup = records.filter((r) => stepIds.has(r.stepId)).sort((a, b) => b.startedAt - a.startedAt);
  const latest = inGroup[0];
  if (!latest) return undefined;
  const ofRun = inGroup.filter((r) => r.runId === latest.runId);
  const unfinished = group.some((s) => !ofRun.some((r) => r.stepId === s.id && (r.status === 'SUCCEEDED' || r.status === 'GATED')));
  return unfinished ? latest.runId : undefined;
}

/** `R` + UTC timestamp + random suffix: sortable, unique, and valid for `{{RUN_ID}}`. */
export function defaultRunId(now = new Date()): string {
  const ts = now.toISOString().replace(/[-:T.Z]/g, '').slice(0, 14);
  const rand = Math.floor(Math.random() * 36 ** 6).toString(36).toUpperCase().padStart(6, '0');
  return `R${ts}_${rand}`;
}
