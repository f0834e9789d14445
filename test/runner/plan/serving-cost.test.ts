import { ServiceIngress } from '../../../index';
import { buildPlan, PlanOptions, PlanReport } from '../../../runner/plan/plan';
import { readSynthesis } from '../../../runner/plan/read-synthesis';
import { renderMarkdown } from '../../../runner/plan/render-markdown';
import { fmtNumber } from '../../../runner/plan/cost';
import { MINUTES_PER_MONTH } from '../../../runner/plan/schedule-runs';
import { synthVariant, Variant } from './apps';

function plan(base: Variant, head: Variant, opts: PlanOptions = {}): PlanReport {
  return buildPlan(readSynthesis(synthVariant(base), 'main'), readSynthesis(synthVariant(head), 'head'), opts);
}

const HOURS = MINUTES_PER_MONTH / 60;
const stackCost = (r: PlanReport) => r.cost.stacks.find((s) => s.stack === 'forecast')!;

describe('the cost an inference service adds (many-model plan)', () => {
  const added = plan({}, { service: { minInstances: 2, maxInstances: 3, ingress: ServiceIngress.PUBLIC } });

  test('the head keeps its minimum instances running all month: node-hours of its pool, unpriced without a pool rate, flagged', () => {
    const [svc] = stackCost(added).monthly.head.services;
    expect(svc).toMatchObject({
      name: 'ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE',
      ingress: 'PUBLIC',
      minInstances: 2,
      maxInstances: 3,
      creditsPerMonth: 0,
    });
    expect(svc.computePool).toMatchObject({
      name: 'SERVING_POOL',
      instanceFamily: 'CPU_X64_S',
      nodes: 2,
      nodeHours: 2 * HOURS,
      creditsPerNodeHour: null,
      credits: null,
    });
    expect(stackCost(added).monthly.base.services).toEqual([]);
    const nodeHours = fmtNumber(2 * HOURS);
    expect(nodeHours).toBe('1,461');
    expect(added.cost.unpriced).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE (a month): ${nodeHours} node-hours on compute pool SERVING_POOL (CPU_X64_S; no rate`,
        ),
      ]),
    );
    const md = renderMarkdown(added);
    expect(md).toContain(
      `⚠️ New inference service \`ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE\` keeps 2 nodes of compute pool SERVING_POOL running: +${nodeHours} node-hours a month, unpriced: no rate for the pool (\`--pool-rate FAMILY=CREDITS\`).`,
    );
    expect(md).toContain(`| \`ANALYTICS.FORECAST.FORECAST_AGGREGATOR_ONLINE\` | public | SERVING_POOL (CPU_X64_S) | 2–3 | ${nodeHours} | — → unpriced |`);
  });

  test("with --pool-rate the month is priced and counted in the change's first month", () => {
    const r = plan({}, { service: { minInstances: 2, maxInstances: 3 } }, { cost: { rates: { computePool: { CPU_X64_S: 0.5 } } } });
    const [svc] = stackCost(r).monthly.head.services;
    expect(svc.creditsPerMonth).toBeCloseTo(2 * HOURS * 0.5, 3);
    expect(r.cost.monthlyCredits.delta).toBeGreaterThanOrEqual(svc.creditsPerMonth - 1e-6);
    expect(r.cost.changeCredits).toBeGreaterThanOrEqual(svc.creditsPerMonth);
    expect(renderMarkdown(r)).toContain(
      `keeps 2 nodes of compute pool SERVING_POOL running: +${fmtNumber(2 * HOURS)} node-hours a month, +${fmtNumber(2 * HOURS * 0.5)} credits a month.`,
    );
  });

  test('adding a service to a pipeline retrains: the registration step is triggered anew (the promoted version lacks the online method), and the plan says why', () => {
    const steps = added.stacks.find((s) => s.stack === 'forecast')!.hooks;
    const register = steps.find((h) => h.stepId === 'forecast/Forecast/registerAggregator')!;
    expect(register.action).toBe('run');
    expect(renderMarkdown(added)).toContain('trigger servedMethod: (none) -> predict_rows');
    expect(steps.find((h) => h.stepId === 'forecast/Forecast/Aggregator/Online/deployService')).toMatchObject({ action: 'run' });
  });

  test("the deploy step itself: the image build on one node of the service's pool while the procedure waits", () => {
    const deploy = stackCost(added).deploy.steps.find((s) => s.kind === 'deployService')!;
    expect(deploy).toMatchObject({ basis: 'default', seconds: 900 });
    expect(deploy.computePool).toMatchObject({ name: 'SERVING_POOL', nodes: 1, nodeHours: 0.25 });
  });

  test('a service with no minimum instance adds nothing while idle, and says its usage is not estimated', () => {
    const r = plan({}, { service: { minInstances: 0, maxInstances: 2 } });
    const [svc] = stackCost(r).monthly.head.services;
    expect(svc).toMatchObject({ minInstances: 0, creditsPerMonth: 0, unpriced: [] });
    expect(svc.computePool.nodeHours).toBe(0);
    expect(svc.note).toMatch(/^min 0 instances: suspends when idle/);
    expect(renderMarkdown(r)).not.toContain('⚠️ New inference service');
  });

  test('an unchanged service is in base and head alike: no flag, no monthly delta from it', () => {
    const r = plan({ service: { minInstances: 1 } }, { service: { minInstances: 1 } }, { cost: { rates: { computePool: { CPU_X64_S: 0.5 } } } });
    expect(stackCost(r).monthly.base.services).toHaveLength(1);
    expect(r.cost.monthlyCredits.delta).toBe(0);
    expect(renderMarkdown(r)).not.toContain('⚠️');
  });
});
