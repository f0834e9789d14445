import { DEFAULT_RETRY, HookManifest, HookStepSpec, StepKind, finalizeSteps } from '../../../lib/hooks/manifest';
import { LedgerRecord, LedgerState, PlanError, defaultRunId, planRun } from '../../../runner/hooks/planner';
import { RUN_VARIABLES } from '../../../lib/sql/statement';

// A pipeline-shaped group p (start → train → workers → wait → index → register → promote →
// score) and a separate group q with one user step.
const PIPELINE: [string, StepKind, string[]][] = [
  ['start', 'startPass', []],
  ['train', 'executeTaskGraph', ['start']],
  ['workers', 'runWorkers', ['train']],
  ['wait', 'waitQueue', ['workers']],
  ['index', 'buildModelIndex', ['wait']],
  ['register', 'registerAggregator', ['index']],
  ['promote', 'promote', ['register']],
  ['score', 'batchScore', ['promote']],
];
const P = PIPELINE.map(([id]) => id);

function manifest(o: { image?: string; sqlOf?: Record<string, string> } = {}): HookManifest {
  // The planner reads kinds and never waits: the waiting kinds go without theirs here.
  const spec = (id: string, kind: StepKind, deps: string[], group = 'p'): HookStepSpec =>
    ({
      id,
      kind,
      description: id,
      dependsOn: deps,
      runGroup: group,
      statements: [{ id: 's', sql: o.sqlOf?.[id] ?? `SELECT '${id}'` }],
      timeoutSeconds: 60,
      retry: DEFAULT_RETRY,
      triggers: id === 'start' ? { image: o.image ?? 'img:1' } : {},
      executeOnChange: true,
    }) as HookStepSpec;
  return {
    schemaVersion: 1,
    stack: 's',
    ledger: { database: 'D', schema: 'S', table: 'HOOK_RUNS' },
    steps: finalizeSteps([...PIPELINE.map(([id, kind, deps]) => spec(id, kind, deps)), spec('other', 'sql', [], 'q')]),
  };
}

let n = 0;
const mint = () => `RNEW${String(++n).padStart(10, '0')}`;
let clock = 0;
const fp = (m: HookManifest, id: string) => m.steps.find((s) => s.id === id)!.fingerprint;
const rec = (m: HookManifest, stepId: string, runId: string, status: LedgerRecord['status']): LedgerRecord => ({
  stepId,
  runId,
  fingerprint: fp(m, stepId),
  status,
  startedAt: ++clock,
});
/** A run of group p in which `steps` succeeded, and optionally a last step left in `last`. */
const run = (m: HookManifest, runId: string, steps: string[], last?: [string, LedgerRecord['status']]): LedgerRecord[] => [
  ...steps.map((id) => rec(m, id, runId, 'SUCCEEDED')),
  ...(last ? [rec(m, last[0], runId, last[1])] : []),
];
const finished = (m: HookManifest, runId: string) => [...run(m, runId, P), rec(m, 'other', `${runId}Q`, 'SUCCEEDED')];
const state = (records: LedgerRecord[], abandoned: string[] = []): LedgerState => ({ records, abandoned: new Set(abandoned) });
const ofP = (plan: ReturnType<typeof planRun>) => plan.steps.filter((p) => p.step.runGroup === 'p');
const summary = (plan: ReturnType<typeof planRun>) => ofP(plan).map((p) => `${p.step.id}:${p.action}:${p.reason}`);
const group = (plan: ReturnType<typeof planRun>) => plan.groups.find((g) => g.runGroup === 'p')!;

describe('planner: run identity', () => {
  test('a fresh ledger runs everything, one new run id per run group', () => {
    const plan = planRun(manifest(), state([]), {}, mint);
    expect(plan.steps.every((p) => p.action === 'run' && p.reason === 'never run' && p.newRun)).toBe(true);
    expect(new Set(ofP(plan).map((p) => p.runId)).size).toBe(1);
    expect(plan.steps.find((p) => p.step.id === 'other')!.runId).not.toBe(ofP(plan)[0].runId);
  });

  test('a finished run whose fingerprints are current leaves nothing to run', () => {
    const m = manifest();
    const plan = planRun(m, state(finished(m, 'RA')), {}, mint);
    expect(plan.steps.every((p) => p.action === 'skip' && p.reason === 'up to date')).toBe(true);
    expect(group(plan)).toMatchObject({ mode: 'none', current: 'RA' });
  });

  test('a run killed mid-training resumes under its run id: done steps skipped, the rest run', () => {
    const m = manifest();
    const plan = planRun(m, state(run(m, 'RB', ['start'], ['train', 'INTERRUPTED'])), {}, mint);
    expect(summary(plan).slice(0, 3)).toEqual(['start:skip:done in this run', 'train:run:resume unfinished run', 'workers:run:resume unfinished run']);
    expect(group(plan)).toMatchObject({ mode: 'resume', runId: 'RB' });
    expect(ofP(plan).find((p) => p.step.id === 'train')).toMatchObject({ runId: 'RB', newRun: false, resumed: true });
    expect(ofP(plan).find((p) => p.step.id === 'workers')!.resumed).toBe(false);
  });

  test('a new image while a run is unfinished abandons that run and trains a new one from the start (never mixing images)', () => {
    const old = manifest({ image: 'img:1.4.2' });
    const now = manifest({ image: 'img:1.4.3' });
    const plan = planRun(now, state(run(old, 'RB', ['start'], ['train', 'INTERRUPTED'])), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'new', abandon: { runId: 'RB' } });
    expect(group(plan).abandon!.reason).toMatch(/^its inputs changed: start, train ran under another fingerprint$/);
    expect(ofP(plan).every((p) => p.action === 'run' && p.newRun && p.runId !== 'RB' && !p.resumed)).toBe(true);
  });

  test('a forced run killed before registration is resumed, not dropped, although an older run is up to date', () => {
    const m = manifest();
    const records = [...finished(m, 'RA'), ...run(m, 'RF', ['start', 'train', 'workers', 'wait'], ['index', 'RUNNING'])];
    const plan = planRun(m, state(records), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'resume', runId: 'RF', current: 'RA' });
    expect(summary(plan)).toEqual([
      'start:skip:done in this run',
      'train:skip:done in this run',
      'workers:skip:done in this run',
      'wait:skip:done in this run',
      'index:run:resume unfinished run',
      'register:run:resume unfinished run',
      'promote:run:resume unfinished run',
      'score:run:resume unfinished run',
    ]);
  });

  test('an abandoned run is never resumed', () => {
    const m = manifest();
    const records = [...finished(m, 'RA'), ...run(m, 'RF', ['start'], ['train', 'FAILED'])];
    const plan = planRun(m, state(records, ['RF']), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'none', current: 'RA' });
  });

  test('returning to the fingerprints of the run in effect abandons the unfinished run and runs nothing', () => {
    const a = manifest({ image: 'img:A' });
    const b = manifest({ image: 'img:B' });
    const plan = planRun(a, state([...finished(a, 'RA'), ...run(b, 'RB', ['start'], ['train', 'INTERRUPTED'])]), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'none', current: 'RA', abandon: { runId: 'RB' } });
  });

  test('a step of the queue pass resumes with its workers restarted (they re-attach by name)', () => {
    const m = manifest();
    const plan = planRun(m, state(run(m, 'RB', ['start', 'train', 'workers'], ['wait', 'INTERRUPTED'])), {}, mint);
    expect(summary(plan).slice(2, 4)).toEqual(['workers:run:restart workers of the resumed pass', 'wait:run:resume unfinished run']);
  });
});

describe('planner: what a review found', () => {
  test('a run abandoned after it moved the alias: the run in effect promotes again (and scores), so production is never an abandoned run', () => {
    const a = manifest({ image: 'img:A' });
    const b = manifest({ image: 'img:B' });
    const records = [...finished(a, 'RA'), ...run(b, 'RB', ['start', 'train', 'workers', 'wait', 'index', 'register', 'promote'], ['score', 'FAILED'])];
    const plan = planRun(a, state(records), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'within', runId: 'RA', abandon: { runId: 'RB' } });
    expect(summary(plan).filter((l) => l.includes(':run:'))).toEqual(['promote:run:the abandoned run had moved the alias', 'score:run:dependency re-runs']);
  });

  test('a run that lost a step (a pass removed from the manifest) is abandoned, not resumed into registration', () => {
    const m = manifest();
    const records = [
      ...run(m, 'RB', ['start', 'train']),
      { stepId: 'refine-wait', runId: 'RB', fingerprint: 'f'.repeat(64), status: 'INTERRUPTED' as const, startedAt: ++clock },
    ];
    const plan = planRun(m, state(records), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'new', abandon: { runId: 'RB', reason: 'its steps changed: refine-wait is no longer in the manifest' } });
  });

  test('a finished run of an older manifest (a step added since) is not abandoned when inputs change too', () => {
    const a = manifest({ image: 'img:A' });
    const b = manifest({ image: 'img:B' });
    const notify: HookStepSpec = {
      id: 'notify',
      kind: 'sql',
      description: 'notify',
      dependsOn: ['score'],
      runGroup: 'p',
      statements: [{ id: 's', sql: 'SELECT 1' }],
      timeoutSeconds: 60,
      retry: DEFAULT_RETRY,
      triggers: {},
      executeOnChange: true,
    };
    const withNotify: HookManifest = { ...b, steps: finalizeSteps([...b.steps.map(({ fingerprint: _f, ...x }) => x as HookStepSpec), notify]) };
    const records = run(a, 'RA', P);
    const plan = planRun(withNotify, state(records), {}, mint);
    expect(group(plan).mode).toBe('new');
    expect(group(plan).abandon).toBeUndefined();
  });

  test('a lone downstream attempt (written by an older planner) does not hide an older unfinished run', () => {
    const m = manifest();
    const records = [...finished(m, 'RA'), ...run(m, 'RB', ['start'], ['train', 'INTERRUPTED']), rec(m, 'score', 'RL', 'SUCCEEDED')];
    expect(group(planRun(m, state(records), {}, mint))).toMatchObject({ mode: 'resume', runId: 'RB' });
  });

  test('attempts started in the same millisecond are ordered by attempt number', () => {
    const m = manifest();
    const t = ++clock;
    const records: LedgerRecord[] = [
      ...run(m, 'RB', ['start']),
      { ...rec(m, 'train', 'RB', 'SUCCEEDED'), startedAt: t, attempt: 2 },
      { ...rec(m, 'train', 'RB', 'INTERRUPTED'), startedAt: t, attempt: 1 },
    ];
    const plan = planRun(m, state(records), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'resume', runId: 'RB' });
    expect(ofP(plan).find((p) => p.step.id === 'train')!.action).toBe('skip');
  });

  test('a group depending on another is planned after it, whatever the order of their steps', () => {
    const base = manifest();
    // Group q2's first step sorts before every step of p, and its second depends on p's scoring.
    const q2 = (id: string, dependsOn: string[]): HookStepSpec => ({
      id,
      kind: 'sql',
      description: id,
      dependsOn,
      runGroup: 'q2',
      statements: [{ id: 's', sql: 'SELECT 1' }],
      timeoutSeconds: 60,
      retry: DEFAULT_RETRY,
      triggers: {},
      executeOnChange: true,
    });
    const specs = base.steps.map(({ fingerprint: _f, ...x }) => x as HookStepSpec);
    const m: HookManifest = { ...base, steps: finalizeSteps([...specs, q2('a0', []), q2('zzz', ['a0', 'score'])]) };
    expect(m.steps[0].id).toBe('a0');
    const records = [...finished(m, 'RA'), rec(m, 'a0', 'RQ', 'SUCCEEDED'), rec(m, 'zzz', 'RQ', 'SUCCEEDED')];
    const plan = planRun(m, state(records), { force: ['start'] }, mint);
    expect(plan.steps.find((p) => p.step.id === 'zzz')).toMatchObject({ action: 'run', reason: 'dependency re-runs' });
  });
});

describe('planner: downstream changes and forcing, per step kind', () => {
  test('a new scoring statement re-runs scoring alone, inside the run in effect', () => {
    const m = manifest({ sqlOf: { score: 'SELECT 2' } });
    const plan = planRun(m, state(finished(manifest(), 'RA')), {}, mint);
    expect(group(plan)).toMatchObject({ mode: 'within', runId: 'RA' });
    expect(summary(plan).filter((l) => l.includes(':run:'))).toEqual(['score:run:fingerprint changed']);
    expect(ofP(plan).find((p) => p.step.id === 'score')).toMatchObject({ runId: 'RA', newRun: false });
  });

  test('a new promotion gate checks and promotes the run in effect, then scores it: no new run id', () => {
    const plan = planRun(manifest({ sqlOf: { promote: 'SELECT 0.2' } }), state(finished(manifest(), 'RA')), {}, mint);
    expect(summary(plan).filter((l) => l.includes(':run:'))).toEqual(['promote:run:fingerprint changed', 'score:run:dependency re-runs']);
    expect(group(plan)).toMatchObject({ mode: 'within', runId: 'RA' });
  });

  test.each([
    ['score', 'within'],
    ['promote', 'within'],
  ])('--force %s re-runs inside the run in effect', (step, mode) => {
    const m = manifest();
    const plan = planRun(m, state(finished(m, 'RA')), { force: [step] }, mint);
    expect(group(plan)).toMatchObject({ mode, runId: 'RA' });
    expect(ofP(plan).find((p) => p.step.id === step)!.reason).toBe('forced');
  });

  test.each(['start', 'train', 'wait', 'register', 'index', 'workers'])(
    '--force %s starts a new run in which every step runs, its producers included',
    (step) => {
      const m = manifest();
      const plan = planRun(m, state(finished(m, 'RA')), { force: [step] }, mint);
      expect(group(plan).mode).toBe('new');
      expect(ofP(plan).every((p) => p.action === 'run' && p.newRun)).toBe(true);
      expect(ofP(plan).find((p) => p.step.id === step)!.reason).toBe('forced');
      expect(ofP(plan).find((p) => p.step.id === 'start')!.reason).toBe(step === 'start' ? 'forced' : 'new run: every step runs');
    },
  );

  test('--force of a done training step while a run is unfinished abandons that run for a new one', () => {
    const m = manifest();
    const plan = planRun(m, state(run(m, 'RB', ['start', 'train'], ['workers', 'FAILED'])), { force: ['start'] }, mint);
    expect(group(plan)).toMatchObject({ mode: 'new', abandon: { runId: 'RB', reason: 'superseded by a new run (start forced)' } });
  });

  test('--only a step whose producers the run lacks is refused, naming the producer', () => {
    const m = manifest();
    expect(() => planRun(m, state([]), { only: ['register'] }, mint)).toThrow(
      /^register would run in a new run \(RNEW\d+\), but its producer index has not succeeded there and is not selected \(--only\): a step never consumes another run's outputs\. Drop --only\/--from, or include index$/,
    );
    expect(() => planRun(m, state([]), { from: 'wait' }, mint)).toThrow(PlanError);
  });

  test('--only a replaceable step runs it inside the run in effect', () => {
    const m = manifest();
    const plan = planRun(m, state(finished(m, 'RA')), { only: ['score'], force: ['score'] }, mint);
    expect(summary(plan).filter((l) => l.includes(':run:'))).toEqual(['score:run:forced']);
    expect(group(plan)).toMatchObject({ mode: 'within', runId: 'RA' });
  });

  test('an unknown step name is an error listing the steps', () => {
    expect(() => planRun(manifest(), state([]), { force: ['nope'] })).toThrow(PlanError);
    expect(() => planRun(manifest(), state([]), { only: ['nope'] })).toThrow(
      /no step 'nope' in stack s; steps: start, train, workers, wait, index, other, register, promote, score/,
    );
  });

  test('minted run ids satisfy the RUN_ID placeholder pattern', () => {
    for (let i = 0; i < 50; i++) expect(defaultRunId()).toMatch(RUN_VARIABLES.RUN_ID);
  });
});
