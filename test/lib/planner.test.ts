import { DEFAULT_RETRY, HookManifest, HookStepSpec, finalizeSteps } from '../../lib/hooks/manifest';
import { LedgerRecord, PlanError, defaultRunId, planSteps } from '../../lib/hooks/planner';
import { RUN_VARIABLES } from '../../lib/sql/statement';

function manifest(sqlOf: Record<string, string> = {}): HookManifest {
  const spec = (id: string, deps: string[], group = 'p'): HookStepSpec => ({
    id, kind: 'sql', description: id, dependsOn: deps, runGroup: group, statements: [{ id: 's', sql: sqlOf[id] ?? `SELECT '${id}'` }],
    timeoutSeconds: 60, retry: DEFAULT_RETRY, triggers: {}, executeOnChange: true,
  });
  return { schemaVersion: 1, stack: 's', ledger: { database: 'D', schema: 'S', table: 'HOOK_RUNS' }, steps: finalizeSteps([spec('train', []), spec('index', ['train']), spec('score', ['index']), spec('other', [], 'q')]) };
}

let n = 0;
const mint = () => `RNEW${String(++n).padStart(10, '0')}`;
const fp = (m: HookManifest, id: string) => m.steps.find((s) => s.id === id)!.fingerprint;
const rec = (m: HookManifest, stepId: string, runId: string, status: LedgerRecord['status'], t: number, fingerprint = fp(m, stepId)): LedgerRecord => ({ stepId, runId, fingerprint, status, startedAt: t });
const summary = (plan: ReturnType<typeof planSteps>) => plan.map((p) => `${p.step.id}:${p.action}:${p.reason}`);

describe('planner', () => {
  test('a fresh ledger runs everything, one new run id per run group', () => {
    const m = manifest();
    const plan = planSteps(m, [], {}, mint);
    expect(summary(plan)).toEqual(['train:run:never run', 'index:run:never run', 'other:run:never run', 'score:run:never run']);
    const runs = new Set(plan.filter((p) => p.step.runGroup === 'p').map((p) => p.runId));
    expect(runs.size).toBe(1);
    expect(plan.find((p) => p.step.id === 'other')!.runId).not.toBe(plan.find((p) => p.step.id === 'train')!.runId);
  });

  test('succeeded fingerprints are skipped', () => {
    const m = manifest();
    const ledger = ['train', 'index', 'score', 'other'].map((id, i) => rec(m, id, 'RA', 'SUCCEEDED', i));
    expect(planSteps(m, ledger, {}, mint).every((p) => p.action === 'skip' && p.reason === 'up to date')).toBe(true);
  });

  test('a changed step re-runs with its dependents under a new run id', () => {
    const before = manifest();
    const ledger = ['train', 'index', 'score', 'other'].map((id, i) => rec(before, id, 'RA', 'SUCCEEDED', i));
    const after = manifest({ index: 'SELECT 2' });
    const plan = planSteps(after, ledger, {}, mint);
    expect(summary(plan)).toEqual(['train:skip:up to date', 'index:run:fingerprint changed', 'other:skip:up to date', 'score:run:dependency re-runs']);
    expect(plan.find((p) => p.step.id === 'index')!.newRun).toBe(true);
  });

  test('a run killed mid-way resumes under the same run id, skipping finished steps', () => {
    const m = manifest();
    const ledger = [rec(m, 'train', 'RB', 'SUCCEEDED', 1), rec(m, 'index', 'RB', 'RUNNING', 2)];
    const plan = planSteps(m, ledger, {}, mint);
    expect(summary(plan).filter((l) => !l.startsWith('other'))).toEqual(['train:skip:up to date', 'index:run:resume unfinished run', 'score:run:never run']);
    expect(plan.find((p) => p.step.id === 'index')).toMatchObject({ runId: 'RB', newRun: false });
  });

  test('--force re-runs a step and its dependents under a new run', () => {
    const m = manifest();
    const ledger = ['train', 'index', 'score', 'other'].map((id, i) => rec(m, id, 'RA', 'SUCCEEDED', i));
    const plan = planSteps(m, ledger, { force: ['index'] }, mint);
    expect(summary(plan)).toEqual(['train:skip:up to date', 'index:run:forced', 'other:skip:up to date', 'score:run:dependency re-runs']);
    expect(plan.find((p) => p.step.id === 'index')!.newRun).toBe(true);
  });

  test('--only and --from restrict the selection', () => {
    const m = manifest();
    expect(summary(planSteps(m, [], { only: ['index'] }, mint))).toEqual(['train:skip:not selected (--only)', 'index:run:never run', 'other:skip:not selected (--only)', 'score:skip:not selected (--only)']);
    expect(summary(planSteps(m, [], { from: 'index' }, mint))).toEqual(['train:skip:before --from', 'index:run:never run', 'other:run:never run', 'score:run:never run']);
  });

  test('an unknown step name is an error listing the steps', () => {
    expect(() => planSteps(manifest(), [], { force: ['nope'] })).toThrow(PlanError);
    expect(() => planSteps(manifest(), [], { only: ['nope'] })).toThrow(/no step 'nope' in stack s; steps: train, index, other, score/);
  });

  test('minted run ids satisfy the RUN_ID placeholder pattern', () => {
    for (let i = 0; i < 50; i++) expect(defaultRunId()).toMatch(RUN_VARIABLES.RUN_ID);
  });
});
