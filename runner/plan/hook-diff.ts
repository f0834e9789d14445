/**
 * Which post-deploy steps a deploy of the head synthesis will run, compared with the base: a
 * step runs when it is new, when its fingerprint changed (what changed: statements, triggers such
 * as the image tag, the wait, the retry policy, or only a dependency), or when forced. Assumes the
 * base's steps all succeeded in the target account (the plan has no ledger; `many-model hooks
 * plan` against the account gives the exact answer).
 */
import { HookManifest, HookStep } from '../../lib/hooks/manifest';
import { LedgerRecord, planSteps } from '../hooks/planner';

export type HookChangeReason = 'new' | 'fingerprint changed' | 'forced' | 'dependency re-runs' | 'up to date';

export interface HookChange {
  readonly stepId: string;
  readonly kind: string;
  readonly action: 'run' | 'skip' | 'removed';
  readonly reason: HookChangeReason | 'no longer in the stack';
  /** What differs from the base step, e.g. `trigger image: a:1 -> a:2`, `statement call changed`. */
  readonly details: readonly string[];
}

const short = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** What differs in the step's own content, ignoring fingerprints. */
export function stepDifferences(was: HookStep, now: HookStep): string[] {
  const out: string[] = [];
  const wasSt = new Map(was.statements.map((s) => [s.id, s]));
  const nowSt = new Map(now.statements.map((s) => [s.id, s]));
  for (const [id, s] of nowSt) {
    const w = wasSt.get(id);
    if (!w) out.push(`statement ${id} added`);
    else if (JSON.stringify(w) !== JSON.stringify(s)) out.push(`statement ${id} changed`);
  }
  for (const id of wasSt.keys()) if (!nowSt.has(id)) out.push(`statement ${id} removed`);
  for (const k of [...new Set([...Object.keys(was.triggers), ...Object.keys(now.triggers)])].sort()) {
    if (was.triggers[k] !== now.triggers[k]) out.push(`trigger ${k}: ${short(was.triggers[k] ?? '(none)')} -> ${short(now.triggers[k] ?? '(none)')}`);
  }
  for (const field of ['kind', 'wait', 'timeoutSeconds', 'retry', 'executeOnChange', 'allowedFailurePercent', 'dependsOn', 'runGroup'] as const) {
    if (JSON.stringify(was[field]) !== JSON.stringify(now[field])) out.push(`${field} changed`);
  }
  return out;
}

export function diffHooks(base: HookManifest | undefined, head: HookManifest | undefined, force: readonly string[] = []): HookChange[] {
  const out: HookChange[] = [];
  if (head) {
    // The base's fingerprints as a ledger of successes: exactly what the runner would compare with.
    const ledger: LedgerRecord[] = (base?.steps ?? []).map((s, i) => ({
      stepId: s.id,
      runId: 'BASE',
      fingerprint: s.fingerprint,
      status: 'SUCCEEDED',
      startedAt: i,
    }));
    const known = new Set(head.steps.map((s) => s.id));
    const planned = planSteps(head, ledger, { force: force.filter((f) => known.has(f)) }, () => 'HEAD');
    const baseById = new Map((base?.steps ?? []).map((s) => [s.id, s]));
    const headFp = new Map(head.steps.map((s) => [s.id, s.fingerprint]));
    for (const p of planned) {
      const was = baseById.get(p.step.id);
      let reason: HookChangeReason;
      let details: string[] = [];
      if (p.reason === 'never run') reason = 'new';
      else if (p.reason === 'forced') reason = 'forced';
      else if (p.action === 'run' && was) {
        details = stepDifferences(was, p.step);
        if (details.length) reason = 'fingerprint changed';
        else {
          reason = 'dependency re-runs';
          details = p.step.dependsOn.filter((d) => baseById.get(d)?.fingerprint !== headFp.get(d)).map((d) => `after ${d}`);
        }
      } else if (p.action === 'run') reason = 'dependency re-runs';
      else reason = 'up to date';
      out.push({ stepId: p.step.id, kind: p.step.kind, action: p.action === 'run' ? 'run' : 'skip', reason, details });
    }
  }
  const headIds = new Set((head?.steps ?? []).map((s) => s.id));
  for (const s of base?.steps ?? []) {
    if (!headIds.has(s.id)) out.push({ stepId: s.id, kind: s.kind, action: 'removed', reason: 'no longer in the stack', details: [] });
  }
  return out;
}
