import { InstanceFamily } from '../../../index';
import { buildPlan, PlanReport } from '../../../runner/plan/plan';
import { readSynthesis } from '../../../runner/plan/read-synthesis';
import { renderMarkdown, MAX_COMMENT_CHARS } from '../../../runner/plan/render-markdown';
import { synthVariant, Variant } from './apps';

const IMAGE_2 = '/analytics/ml/images/forecast-worker:1.5.0';

function plan(base: Variant, head: Variant, opts: Parameters<typeof buildPlan>[2] = {}): PlanReport {
  return buildPlan(readSynthesis(synthVariant(base), 'main'), readSynthesis(synthVariant(head), 'head'), opts);
}

const stack = (r: PlanReport) => r.stacks.find((s) => s.stack === 'forecast')!;

describe('many-model plan between pairs of apps', () => {
  test('the same app twice: nothing to do, nothing to run, nothing refused', () => {
    const r = plan({}, {}, { failOn: 'destructive' });
    expect(r.totals).toEqual({ create: 0, update: 0, replace: 0, delete: 0, hooksToRun: 0 });
    expect(stack(r).hooks.every((h) => h.action === 'skip' && h.reason === 'up to date')).toBe(true);
    expect(r.refused).toBe(false);
  });

  test('a new image tag re-runs training from its first step and says why; nothing destructive', () => {
    const r = plan({}, { image: IMAGE_2 }, { failOn: 'destructive' });
    const hooks = stack(r).hooks;
    const first = hooks.find((h) => h.stepId === 'forecast/Forecast/screen-start')!;
    expect(first).toMatchObject({ action: 'run', reason: 'fingerprint changed' });
    expect(first.details).toContain('trigger image: /analytics/ml/images/forecast-worker:1.4.0 -> /analytics/ml/images/forecast-worker:1.5.0');
    // Every later step of the pipeline runs again, because a step it depends on changed.
    expect(hooks.filter((h) => h.action === 'run').length).toBe(hooks.length);
    expect(hooks.find((h) => h.stepId === 'forecast/Forecast/promote')).toMatchObject({
      reason: 'dependency re-runs',
      details: ['after forecast/Forecast/registerAggregator'],
    });
    expect(r.destructive).toEqual([]);
    expect(r.totals.replace + r.totals.delete).toBe(0);
  });

  test('adding monitoring shows its tables, task, alert and grants as creations, runs no hook step, and prices its task and alert monthly', () => {
    const r = plan({}, { monitoring: true }, { failOn: 'destructive' });
    const created = stack(r).resources.filter((c) => c.action === 'create');
    expect(created.map((c) => c.constructPath)).toEqual(
      expect.arrayContaining([
        'forecast/Forecast/Monitoring/AccuracyTable',
        'forecast/Forecast/Monitoring/DriftTable',
        'forecast/Forecast/Monitoring/AlertEventsTable',
        'forecast/Forecast/Monitoring/Task',
        'forecast/Forecast/Monitoring/Alert',
      ]),
    );
    expect(stack(r).resources.every((c) => c.action === 'create')).toBe(true);
    expect(stack(r).hooks.every((h) => h.action === 'skip')).toBe(true);
    expect(r.refused).toBe(false);
    expect(r.cost.stacks[0].monthly.head.tasks.map((t) => t.task)).toContain('ANALYTICS.FORECAST.FORECAST_MONITORING_TASK');
    // The enabled alert checks its condition on the warehouse at every scheduled time: it is priced like a task.
    const alert = r.cost.stacks[0].monthly.head.tasks.find((t) => t.address.startsWith('snowflake_alert.'))!;
    expect(alert).toMatchObject({ task: 'ANALYTICS.FORECAST.FORECAST_MONITORING_ALERT', basis: 'default' });
    expect(alert.runsPerMonth).toBeGreaterThan(0);
    expect(alert.creditsPerMonth).toBeGreaterThan(0);
  });

  test("adding a challenger policy to the closed loop shows its tables and tasks as creations and the loop's start and finish tasks as changed bodies; no hook step runs", () => {
    const r = plan({ closedLoop: {} }, { closedLoop: { challenger: true } }, { failOn: 'destructive' });
    const changes = stack(r).resources;
    expect(changes.filter((c) => c.action === 'create').map((c) => c.constructPath)).toEqual(
      expect.arrayContaining([
        'forecast/Forecast/Monitoring/Challenger/ChallengesTable',
        'forecast/Forecast/Monitoring/Challenger/PartitionsTable',
        'forecast/Forecast/Monitoring/Challenger/DecideTask',
        'forecast/Forecast/Monitoring/Challenger/ScoreTask',
      ]),
    );
    const updated = changes.filter((c) => c.action === 'update');
    expect(updated.map((c) => [c.constructPath, c.attributes])).toEqual(
      expect.arrayContaining([
        ['forecast/Forecast/Monitoring/Retrain/StartTask', ['sql_statement']],
        ['forecast/Forecast/Monitoring/Retrain/FinishTask', expect.arrayContaining(['sql_statement'])],
      ]),
    );
    expect(changes.some((c) => c.action === 'delete' || c.action === 'replace')).toBe(false);
    expect(stack(r).hooks.every((h) => h.action === 'skip')).toBe(true);
    expect(r.refused).toBe(false);
  });

  test('adding a model monitor shows its log table and follow task as creations, the step that follows promotion as the one to run, the segment warning and the task priced', () => {
    const r = plan({ monitoring: true }, { monitoring: true, modelMonitor: true }, { failOn: 'destructive' });
    const created = stack(r).resources.filter((c) => c.action === 'create');
    expect(created.map((c) => c.constructPath)).toEqual(
      expect.arrayContaining(['forecast/Forecast/Monitoring/VersionMonitor/LogTable', 'forecast/Forecast/Monitoring/VersionMonitor/Task']),
    );
    expect(stack(r).resources.every((c) => c.action === 'create')).toBe(true);
    // The one step to run: a new step of the pipeline's run group runs inside the run in effect.
    const follow = stack(r).hooks.filter((h) => h.action === 'run');
    expect(follow.map((h) => h.stepId)).toEqual(['forecast/Forecast/Monitoring/VersionMonitor/follow-promotion']);
    expect(stack(r).warnings.some((w) => w.includes('fewer than 25 values per segment column'))).toBe(true);
    expect(r.cost.stacks[0].monthly.head.tasks.map((t) => t.task)).toContain('ANALYTICS.FORECAST.FORECAST_MONITORING_VERSION_MONITOR_FOLLOW');
    const md = renderMarkdown(r);
    expect(md).toContain('forecast/Forecast/Monitoring/VersionMonitor/follow-promotion');
    expect(r.refused).toBe(false);
  });

  test('a changed force-new attribute is a replacement, named; a compute pool is not stateful', () => {
    const r = plan({}, { poolFamily: InstanceFamily.CPU_X64_M });
    const pool = stack(r).resources.find((c) => c.type === 'snowflake_compute_pool')!;
    expect(pool).toMatchObject({ action: 'replace', replacedBecause: ['instance_family'], attributes: ['instance_family'], source: 'synth diff' });
    expect(pool.destructive).toBeUndefined();
    expect(pool.constructPath).toBe('forecast/Pool/Resource');
    expect(r.destructive).toEqual([]);
  });

  test('an in-place change lists the changed attributes', () => {
    const r = plan({}, { poolMaxNodes: 3 });
    expect(stack(r).resources).toEqual([expect.objectContaining({ type: 'snowflake_compute_pool', action: 'update', attributes: ['max_nodes'] })]);
    expect(r.totals).toMatchObject({ update: 1, create: 0, replace: 0, delete: 0 });
  });

  test('removing a pipeline destroys its tables and model stage: flagged, refused, and allowed by construct path or address', () => {
    const base: Variant = { extra: ['Old'] };
    const refused = plan(base, {}, { failOn: 'destructive' });
    const s = stack(refused);
    expect(s.counts.delete).toBeGreaterThan(5);
    expect(s.counts.create).toBe(0);
    const reasons = refused.destructive.map((d) => `${d.constructPath}: ${d.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'forecast/Old/Aggregator/Stage: destroyed: a stage: the model artifacts and model_index.json files on it are lost',
        'forecast/Old/MetricsTable: destroyed: a table: its rows (metrics, results, history) are lost',
        'forecast/Old/Schema/Resource: destroyed: a schema: its tables, stages and registered models are dropped',
        'forecast/Old/Queue/Resource: destroyed: a table created by SQL (queue or ledger): revert drops it with its rows',
      ]),
    );
    expect(refused.destructive.every((d) => d.action === 'delete' && !d.allowed)).toBe(true);
    // Warehouses, tasks, procedures, roles and grants are not stateful.
    expect(refused.destructive.some((d) => /snowflake_(warehouse|task|procedure_python|grant_|account_role)/.test(d.address))).toBe(false);
    expect(refused.refused).toBe(true);
    expect(s.hooks.filter((h) => h.action === 'removed').map((h) => h.stepId)).toContain('forecast/Old/registerAggregator');

    expect(plan(base, {}, { failOn: 'destructive', allow: ['forecast/Old'] }).refused).toBe(false);
    const stage = refused.destructive.find((d) => d.constructPath === 'forecast/Old/Aggregator/Stage')!;
    const partly = plan(base, {}, { failOn: 'destructive', allow: [stage.address] });
    expect(partly.refused).toBe(true);
    expect(partly.destructive.filter((d) => d.allowed).map((d) => d.address)).toEqual([stage.address]);
    expect(plan(base, {}, { failOn: 'never' }).refused).toBe(false);
  });

  test('renaming the pipeline prefix replaces its tables (their schema is force-new): destructive', () => {
    const r = plan({}, { forecastPrefix: 'FCST' }, { failOn: 'destructive' });
    const metrics = stack(r).resources.find((c) => c.constructPath === 'forecast/Forecast/MetricsTable')!;
    expect(metrics.action).toBe('replace');
    expect(metrics.replacedBecause).toContain('schema');
    expect(metrics.destructive).toMatch(/^replaced: a table/);
    expect(stack(r).resources.find((c) => c.constructPath === 'forecast/Forecast/Schema/Resource')!.action).toBe('update');
    expect(r.refused).toBe(true);
  });

  test("upgrading to camelCase-split names (StoreDemand: STOREDEMAND -> STORE_DEMAND) shows the pipeline's tables as destructive replacements", () => {
    // The base is the name the earlier derivation gave, written as namePrefix; the head derives it.
    const r = plan({ forecastPrefix: 'STOREDEMAND' }, {}, { failOn: 'destructive' });
    const renamed = plan({ forecastPrefix: 'FORECAST' }, {});
    expect(renamed.destructive).toEqual([]);
    expect(r.destructive.map((d) => d.constructPath)).toContain('forecast/Forecast/MetricsTable');
    expect(r.refused).toBe(true);
  });

  test('adding a pipeline: creates, new hook steps, and the policy warning of its missing schedule', () => {
    const r = plan({}, { extra: ['New'] });
    const s = stack(r);
    expect(s.counts.create).toBeGreaterThan(5);
    expect(s.counts.delete + s.counts.replace).toBe(0);
    const newSteps = s.hooks.filter((h) => h.stepId.startsWith('forecast/New/'));
    expect(newSteps.length).toBeGreaterThan(3);
    expect(newSteps.every((h) => h.action === 'run' && h.reason === 'new')).toBe(true);
    expect(s.hooks.filter((h) => h.stepId.startsWith('forecast/Forecast/')).every((h) => h.action === 'skip')).toBe(true);
    expect(s.warnings.some((w) => w.includes('[MM-SC1]') && w.includes('forecast/New'))).toBe(true);
  });

  test('a renamed construct shows as destroy + create and is reported as a likely move', () => {
    const r = plan({}, { poolId: 'SharedPool' });
    const s = stack(r);
    expect(s.moves).toEqual([
      { from: expect.stringMatching(/^snowflake_compute_pool\.Pool_/), to: expect.stringMatching(/^snowflake_compute_pool\.SharedPool_/) },
    ]);
  });

  test('forced steps and policy suppressions are reported', () => {
    const r = plan({}, { poolMaxNodes: 8, suppressPool: 'Capacity agreed with the platform team for Q4' }, { force: ['forecast/Forecast/promote'] });
    const s = stack(r);
    expect(s.suppressions).toEqual([{ ruleId: 'MM-CP1', path: 'forecast/Pool/Resource', reason: 'Capacity agreed with the platform team for Q4' }]);
    expect(s.hooks.find((h) => h.stepId === 'forecast/Forecast/promote')).toMatchObject({ action: 'run', reason: 'forced' });
  });
});

describe('plan Markdown', () => {
  test('one comment: marker, summary, destructive block first, counts table, details, suppressions', () => {
    const r = plan(
      { extra: ['Old'] },
      { image: IMAGE_2, poolMaxNodes: 8, suppressPool: 'Capacity agreed with the platform team for Q4' },
      { failOn: 'destructive', allow: ['forecast/Old/Aggregator'] },
    );
    const md = renderMarkdown(r);
    const lines = md.split('\n');
    expect(lines[0]).toBe('<!-- many-model-plan -->');
    expect(lines[1]).toBe(
      `**many-model plan** · 0 to add, ${r.totals.update} to change, 0 to replace, ${r.totals.delete} to destroy · ${r.totals.hooksToRun} hook steps will run`,
    );
    expect(lines[3]).toMatch(new RegExp(`^🔴 \\*\\*${r.destructive.length} destructive changes\\*\\* — refused`));
    expect(md.indexOf('```diff')).toBeLessThan(md.indexOf('| stack | add |'));
    expect(md).toContain('! forecast: snowflake_stage.');
    expect(md).toContain('[allowed]');
    expect(md).toMatch(/\| forecast \| 0 \| \d+ \| 0 \| \d+ \| 9 \| synth diff \|/);
    expect(md).toContain('<details><summary>stack <b>forecast</b>');
    expect(md).toContain('| MM-CP1 | forecast/Pool/Resource | Capacity agreed with the platform team for Q4 |');
    expect(md).toContain('trigger image: /analytics/ml/images/forecast-worker:1.4.0 -> /analytics/ml/images/forecast-worker:1.5.0');
  });

  test('long lists are cut with a count, and the comment stays under the size limit', () => {
    const r = plan({ extra: ['A', 'B', 'C', 'D'] }, {});
    const md = renderMarkdown(r, { limit: 10 });
    expect(md).toMatch(new RegExp(`\\| \\| … and ${stack(r).resources.length - 10} more \\| \\| \\|`));
    expect(md).toMatch(/- … and \d+ more/);
    const huge = renderMarkdown({ ...r, stacks: Array.from({ length: 40 }, (_, i) => ({ ...stack(r), stack: `s${i}` })) });
    expect(huge.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(huge).toContain('more stacks');
  });
});
