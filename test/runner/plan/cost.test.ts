import { COST_DEFAULTS, PlanCost, StackCost, StepCost } from '../../../runner/plan/cost';
import { COMPUTE_POOL_CREDITS_PER_NODE_HOUR, normalizeWarehouseSize } from '../../../runner/plan/credit-rates';
import { CostHistory, StepRecord } from '../../../runner/plan/ledger-history';
import { buildPlan, PlanOptions, PlanReport } from '../../../runner/plan/plan';
import { readSynthesis } from '../../../runner/plan/read-synthesis';
import { renderMarkdown } from '../../../runner/plan/render-markdown';
import { MINUTES_PER_MONTH, cronRunsPerMonth, runsPerMonth } from '../../../runner/plan/schedule-runs';
import { synthVariant, Variant } from './apps';

const IMAGE_2 = '/analytics/ml/images/forecast-worker:1.5.0';
/** A compute pool rate for the tests only: the rates file has none (no source read gives one). */
const TEST_POOL_RATES = { computePool: { CPU_X64_S: 0.5 } };

function plan(base: Variant, head: Variant, opts: PlanOptions = {}): PlanReport {
  return buildPlan(readSynthesis(synthVariant(base), 'main'), readSynthesis(synthVariant(head), 'head'), opts);
}

const stackCost = (r: PlanReport): StackCost => r.cost.stacks.find((s) => s.stack === 'forecast')!;
const step = (r: PlanReport, id: string): StepCost => stackCost(r).deploy.steps.find((s) => s.stepId === `forecast/${id}`)!;

/** A ledger with the last successful run R7 of every step of the main pipeline, over 1,000 partitions. */
function ledger(records: Record<string, { seconds: number; partitions?: number }>, runPartitions = 1000): CostHistory {
  const steps = new Map<string, StepRecord>();
  for (const [id, r] of Object.entries(records)) {
    steps.set(`forecast/Forecast/${id}`, {
      stepId: `forecast/Forecast/${id}`,
      runId: 'R7',
      seconds: r.seconds,
      endedAt: Date.parse('2026-11-20T07:00:00Z'),
      partitions: r.partitions,
      runPartitions,
    });
  }
  return new Map([['forecast', { ledger: 'ANALYTICS.FORECAST.HOOK_RUNS', steps }]]);
}

describe('cost of a change without a connection (defaults)', () => {
  test('a new pipeline: its training passes in node-hours from the pool and the default per partition, said to be defaults', () => {
    const r = plan({}, { extra: ['New'] });
    expect(r.cost.basis).toBe('defaults');
    expect(stackCost(r).partitions).toEqual([
      { runGroup: 'forecast/Forecast', partitions: 1000, source: 'default' },
      { runGroup: 'forecast/New', partitions: 1000, source: 'default' },
    ]);
    // 8 task slots on a pool of at most 4 CPU_X64_S nodes; each worker trains with 3 CPUs.
    const screen = step(r, 'New/screen-train');
    const seconds = (1000 * COST_DEFAULTS.trainingCoreSecondsPerPartition) / 3 / 4;
    expect(screen).toMatchObject({ basis: 'default', seconds: Math.round(seconds), partitions: 1000 });
    expect(screen.computePool).toMatchObject({
      name: 'POOL',
      instanceFamily: 'CPU_X64_S',
      nodes: 4,
      nodeHours: Math.round(((4 * seconds) / 3600) * 1e4) / 1e4,
      creditsPerNodeHour: null,
      credits: null,
    });
    // The workers query on the pipeline's own X-Small warehouse for the whole pass.
    expect(screen.warehouse).toMatchObject({ name: 'NEW_WH', size: 'XSMALL', creditsPerHour: 1 });
    // The refine pass trains the worst 10 %.
    expect(step(r, 'New/refine-wait').note).toMatch(/^100 partitions \(the worst 10 %, plus failed ones\)/);
    // No rate for the pool: unpriced, listed, never counted as zero silently.
    expect(r.cost.unpriced).toEqual(
      expect.arrayContaining([expect.stringMatching(/^forecast: forecast\/New\/screen-train: 1\.85 node-hours on compute pool POOL \(CPU_X64_S; no rate/)]),
    );
    const md = renderMarkdown(r);
    expect(md).toContain('no connection: durations are defaults');
    expect(md).toContain('Partitions assumed (the synthesis cannot know them): forecast/Forecast: 1,000 (default), forecast/New: 1,000 (default).');
    expect(md).toContain('so the credits above are lower bounds');
  });

  test('with a rate for the pool, the training is priced: node-hours × credits per node-hour, plus warehouse hours', () => {
    const r = plan({}, { extra: ['New'] }, { cost: { rates: TEST_POOL_RATES } });
    const screen = step(r, 'New/screen-train');
    expect(screen.computePool!.credits).toBeCloseTo(screen.computePool!.nodeHours * 0.5, 3);
    expect(screen.credits).toBeCloseTo(screen.computePool!.credits! + screen.warehouse!.credits!, 4);
    expect(r.cost.unpriced).toEqual([]);
  });

  test('scheduled scoring costs a month of daily runs, each billed with the auto-suspend idle time', () => {
    const r = plan({}, {});
    const [task] = stackCost(r).monthly.head.tasks;
    expect(task).toMatchObject({ task: 'ANALYTICS.FORECAST.FORECAST_SCORING_TASK', schedule: 'cron(0 6 * * * UTC)', runsPerMonth: 30.4167, basis: 'default' });
    // The scheduled task runs what the batchScore step runs.
    const perRun = COST_DEFAULTS.stepSeconds.batchScore.fixed + COST_DEFAULTS.stepSeconds.batchScore.perPartition * 1000;
    expect(task.secondsPerRun).toBe(perRun);
    expect(task.billedSecondsPerRun).toBe(perRun + 60);
    expect(task.creditsPerMonth).toBeCloseTo(((365 / 12) * (perRun + 60)) / 3600, 3);
    expect(r.cost.monthlyCredits).toEqual({ base: task.creditsPerMonth, head: task.creditsPerMonth, delta: 0 });
    expect(r.cost.deployCredits).toBe(0);
  });
});

describe('cost from a fixed ledger', () => {
  const records = {
    'screen-start': { seconds: 40 },
    'screen-train': { seconds: 1800, partitions: 1000 },
    'refine-wait': { seconds: 1700, partitions: 110 },
    registerAggregator: { seconds: 90 },
    'Scoring/batchScore': { seconds: 210 },
  };

  test("each step's last successful duration, with the run's partition count: not scaled when the count is the same", () => {
    const r = plan({}, { image: IMAGE_2 }, { cost: { history: ledger(records), rates: TEST_POOL_RATES } });
    expect(r.cost.basis).toBe('ledger');
    expect(stackCost(r).partitions).toEqual([{ runGroup: 'forecast/Forecast', partitions: 1000, source: 'ledger' }]);
    expect(stackCost(r).ledger).toEqual({ table: 'ANALYTICS.FORECAST.HOOK_RUNS', stepsWithHistory: 5, error: undefined });
    const train = step(r, 'Forecast/screen-train');
    expect(train).toMatchObject({ basis: 'ledger', seconds: 1800 });
    expect(train.note).toBe('last success 2026-11-20 (run R7): 30 min');
    // 4 nodes for 30 minutes: 2 node-hours at the test rate, and half an hour of the X-Small warehouse.
    expect(train.computePool).toMatchObject({ nodes: 4, nodeHours: 2, credits: 1 });
    expect(train.warehouse).toMatchObject({ hours: 0.5, credits: 0.5 });
    expect(train.credits).toBe(1.5);
    // Steps the ledger has no success of fall back to the defaults, and say so.
    expect(step(r, 'Forecast/promote')).toMatchObject({ basis: 'default', seconds: COST_DEFAULTS.stepSeconds.promote.fixed });
  });

  test('scaled by the partition count then and now: training and scoring grow, registration does not, a pass stops at its budget', () => {
    const r = plan({}, { image: IMAGE_2 }, { cost: { history: ledger(records), partitions: 1500, rates: TEST_POOL_RATES } });
    expect(stackCost(r).partitions).toEqual([{ runGroup: 'forecast/Forecast', partitions: 1500, source: 'option' }]);
    expect(step(r, 'Forecast/screen-train')).toMatchObject({
      seconds: 2700,
      note: 'last success 2026-11-20 (run R7): 30 min for 1,000 partitions, scaled to 1,500',
    });
    expect(step(r, 'Forecast/Scoring/batchScore').seconds).toBe(315);
    expect(step(r, 'Forecast/screen-start').seconds).toBe(60);
    expect(step(r, 'Forecast/registerAggregator').seconds).toBe(90);
    // 1700 s × 1.5 would pass the refine pass's 1800 s budget: the workers stop claiming there.
    expect(step(r, 'Forecast/refine-wait').seconds).toBe(1800);
  });

  test('a ledger that could not be read is said in the comment, and the defaults are used', () => {
    const history: CostHistory = new Map([
      ['forecast', { ledger: 'ANALYTICS.FORECAST.HOOK_RUNS', steps: new Map(), error: "Table 'HOOK_RUNS' does not exist or not authorized." }],
    ]);
    const r = plan({}, { image: IMAGE_2 }, { cost: { history } });
    expect(step(r, 'Forecast/screen-train').basis).toBe('default');
    expect(renderMarkdown(r)).toContain(
      "forecast: ledger ANALYTICS.FORECAST.HOOK_RUNS not read (Table 'HOOK_RUNS' does not exist or not authorized.); defaults used",
    );
  });
});

describe('what a change costs: a new pipeline against a new scoring horizon', () => {
  test('adding a pipeline costs its whole training run and, with a schedule, its scoring every month', () => {
    const r = plan({}, { extra: ['New'], extraScheduled: true }, { cost: { rates: TEST_POOL_RATES } });
    const kinds = stackCost(r).deploy.steps.map((s) => s.kind);
    expect(kinds).toEqual([
      'startPass',
      'executeTaskGraph',
      'startPass',
      'runWorkers',
      'waitQueue',
      'buildModelIndex',
      'registerAggregator',
      'promote',
      'batchScore',
    ]);
    expect(stackCost(r).deploy.steps.every((s) => s.runGroup === 'forecast/New')).toBe(true);
    // The new pipeline's compute stays up until it auto-suspends: the pool's node and its warehouse.
    expect(stackCost(r).deploy.idle.map((i) => i.what)).toEqual([
      'compute pool POOL: 1 node idle 5 min before auto-suspend',
      'warehouse NEW_WH: idle 60 s before auto-suspend',
    ]);
    const { base, head, delta } = r.cost.monthlyCredits;
    expect(stackCost(r).monthly.head.tasks.map((t) => t.task)).toEqual(['ANALYTICS.FORECAST.FORECAST_SCORING_TASK', 'ANALYTICS.NEW.NEW_SCORING_TASK']);
    expect(head).toBeCloseTo(2 * base, 3);
    expect(delta).toBeCloseTo(base, 3);
    expect(r.cost.changeCredits).toBeCloseTo(r.cost.deployCredits + delta, 3);
  });

  test('a new scoring horizon re-runs only scoring on deploy: one scoring run, no pool, no change to the month', () => {
    const added = plan({}, { extra: ['New'], extraScheduled: true }, { cost: { rates: TEST_POOL_RATES } });
    const r = plan({}, { horizon: 14 }, { cost: { rates: TEST_POOL_RATES } });
    const steps = stackCost(r).deploy.steps;
    expect(steps.map((s) => s.stepId)).toEqual(['forecast/Forecast/Scoring/batchScore']);
    expect(steps[0].computePool).toBeUndefined();
    expect(stackCost(r).deploy.idle.map((i) => i.what)).toEqual(['warehouse FORECAST_WH: idle 60 s before auto-suspend']);
    expect(r.cost.monthlyCredits.delta).toBe(0);
    expect(r.cost.changeCredits).toBe(r.cost.deployCredits);
    expect(r.cost.changeCredits).toBeLessThan(added.cost.changeCredits / 5);
  });
});

describe('the credit gate and the price per credit', () => {
  test('--max-credits refuses a change whose first month exceeds it, and lets one within it pass', () => {
    const over = plan({}, { extra: ['New'] }, { cost: { maxCredits: 0.1, rates: TEST_POOL_RATES } });
    expect(over.cost).toMatchObject({ maxCredits: 0.1, refused: true });
    expect(over.refused).toBe(false); // the destructive gate is another verdict
    const md = renderMarkdown(over);
    expect(md).toMatch(/^🔴 \*\*estimated [0-9.]+ credits in this change's first month, over --max-credits 0\.1 — refused\*\*$/m);
    expect(md.indexOf('over --max-credits')).toBeLessThan(md.indexOf('| stack | add |'));

    const within = plan({}, { horizon: 14 }, { cost: { maxCredits: 10, rates: TEST_POOL_RATES } });
    expect(within.cost.refused).toBe(false);
    expect(renderMarkdown(within)).toMatch(/✅ estimated [0-9.]+ credits in this change's first month, within --max-credits 10\./);
  });

  test('unpriced usage makes the gate a lower bound, and the comment says "at least"', () => {
    const r = plan({}, { extra: ['New'] }, { cost: { maxCredits: 0.1 } });
    expect(r.cost.refused).toBe(true);
    expect(renderMarkdown(r)).toContain('estimated at least');
  });

  test('a credit price adds costs beside credits; without one there is no currency anywhere', () => {
    const priced = plan({}, { horizon: 14 }, { cost: { creditPrice: 3 } });
    expect(priced.cost.costs).toEqual({
      deploy: Math.round(priced.cost.deployCredits * 3 * 1e4) / 1e4,
      monthlyDelta: 0,
      change: Math.round(priced.cost.changeCredits * 3 * 1e4) / 1e4,
    });
    expect(renderMarkdown(priced)).toContain('| | base | head | this change | at 3 per credit |');
    const plain = plan({}, { horizon: 14 });
    expect(plain.cost.costs).toBeUndefined();
    expect(renderMarkdown(plain)).not.toContain('per credit');
  });

  test('the JSON output carries the numbers', () => {
    const r = plan({}, { horizon: 14 }, { cost: { creditPrice: 2, maxCredits: 5 } });
    const json = JSON.parse(JSON.stringify(r)) as { cost: PlanCost };
    expect(Object.keys(json.cost).sort()).toEqual([
      'basis',
      'changeCredits',
      'costs',
      'creditPrice',
      'deployCredits',
      'maxCredits',
      'monthlyCredits',
      'rates',
      'refused',
      'stacks',
      'unpriced',
    ]);
    expect(json.cost.rates).toEqual({ file: 'runner/plan/credit-rates.ts', readOn: '2026-12-03' });
    expect(json.cost.stacks[0].deploy.steps[0]).toMatchObject({
      stepId: 'forecast/Forecast/Scoring/batchScore',
      kind: 'batchScore',
      basis: 'default',
      seconds: 530,
      partitions: 1000,
      warehouse: { name: 'FORECAST_WH', size: 'XSMALL', creditsPerHour: 1 },
    });
  });
});

describe('rates and schedules', () => {
  test('no compute pool rate is invented: every family is unpriced unless a rate is supplied', () => {
    expect(Object.values(COMPUTE_POOL_CREDITS_PER_NODE_HOUR).every((v) => v === null)).toBe(true);
  });

  test("warehouse sizes in the provider's spellings map to the rate table's", () => {
    expect(['XSMALL', 'X-SMALL', 'x-small', 'XXLARGE', '2X-LARGE', 'X2LARGE', 'X4LARGE', '4X-LARGE'].map(normalizeWarehouseSize)).toEqual([
      'XSMALL',
      'XSMALL',
      'XSMALL',
      'XXLARGE',
      'XXLARGE',
      'XXLARGE',
      'X4LARGE',
      'X4LARGE',
    ]);
  });

  test('runs per average month of cron and interval schedules', () => {
    expect(cronRunsPerMonth('0 6 * * *')).toBeCloseTo(365 / 12, 6);
    expect(cronRunsPerMonth('*/15 * * * *')).toBeCloseTo((96 * 365) / 12, 6);
    expect(cronRunsPerMonth('0 6 * * 1-5')).toBeCloseTo(261 / 12, 6); // weekdays of 2025
    expect(cronRunsPerMonth('0 0 L * *')).toBe(1);
    // Either day matches: 24 firsts and fifteenths, 52 Mondays, 4 days both (2025).
    expect(cronRunsPerMonth('0 6 1,15 * MON')).toBeCloseTo(72 / 12, 6);
    expect(cronRunsPerMonth('0 6 * * 5L')).toBe(1);
    expect(runsPerMonth({ minutes: 60 })).toBeCloseTo(MINUTES_PER_MONTH / 60, 6);
    expect(runsPerMonth({ using_cron: '0 6 * * * UTC' })).toBeCloseTo(365 / 12, 6);
    expect(runsPerMonth({ using_cron: 'nonsense' })).toBeUndefined();
  });
});
