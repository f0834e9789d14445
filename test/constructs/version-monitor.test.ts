import 'cdktf/lib/testing/adapters/jest';
import { Duration, Hooks, Schedule } from '../../index';
import { VERSION_MONITOR_LOG_COLUMNS } from '../../lib/sql/model-monitor';
import { errorOf, forecastPipeline, newStack, resources, synthJson } from './helpers';

const scored = { scoring: { horizon: 28 } };
const task = (json: any) => Object.values(resources(json, 'snowflake_task')).find((t: any) => t.name === 'FORECAST_MONITORING_VERSION_MONITOR_FOLLOW');

describe('addMonitoring({ modelMonitor }): a Snowflake model monitor on the promoted version', () => {
  test('adds a log table and a started daily task, in the model schema on the pipeline warehouse, whose body puts the monitor on the alias version', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({ modelMonitor: {} });
    const json = synthJson(stack);
    const log = Object.values(resources(json, 'snowflake_table')).find((t: any) => t.name === 'FORECAST_MONITORING_VERSION_MONITOR_LOG');
    expect(log.column.map((c: any) => c.name)).toEqual(VERSION_MONITOR_LOG_COLUMNS.map(([n]) => n));
    const t = task(json);
    expect(t).toMatchObject({ database: 'ANALYTICS', schema: 'FORECAST', warehouse: 'FORECAST_WH', started: true, schedule: { using_cron: '0 8 * * * UTC' } });
    expect(t.sql_statement).toContain('CREATE OR REPLACE MODEL MONITOR "ANALYTICS"."FORECAST"."FORECAST_MONITORING_VERSION_MONITOR" WITH');
    expect(t.sql_statement).toContain(`ARRAY_CONTAINS('PRODUCTION'::VARIANT, "VERSION_ALIASES")`);
    expect(t.sql_statement).toContain(`REFRESH_INTERVAL = ''1 day'' AGGREGATION_WINDOW = ''1 day''`);
    expect(t.sql_statement).toContain(`SEGMENT_COLUMNS = [''PARTITION_KEY'']`);
  });

  test('a hook step after the promote step, in the pipeline run group, runs the task; the runner may operate it', () => {
    const stack = newStack();
    const pipeline = forecastPipeline(stack, scored);
    pipeline.addMonitoring({ modelMonitor: {} });
    const json = synthJson(stack);
    const steps = Hooks.of(pipeline).manifest().steps;
    const step = steps.find((s) => s.id === 'test/Forecast/Monitoring/VersionMonitor/follow-promotion')!;
    const promote = steps.find((s) => s.kind === 'promote')!;
    expect(step).toMatchObject({ kind: 'sql', dependsOn: [promote.id], runGroup: promote.runGroup });
    expect(step.statements.map((s) => s.sql)).toEqual(['EXECUTE TASK "ANALYTICS"."FORECAST"."FORECAST_MONITORING_VERSION_MONITOR_FOLLOW"']);
    expect(pipeline.hookStepIds).toContain(step.id);
    const grants = Object.values(resources(json, 'snowflake_grant_privileges_to_account_role'));
    const on = grants.find(
      (g: any) =>
        g.account_role_name === 'FORECAST_RUNNER' && g.on_schema_object?.object_name === '"ANALYTICS"."FORECAST"."FORECAST_MONITORING_VERSION_MONITOR_FOLLOW"',
    );
    expect(on.privileges).toEqual(['MONITOR', 'OPERATE']);
  });

  test('options set the refresh interval, aggregation window, segment, schedule and name; without the segment there is no warning', () => {
    const stack = newStack();
    const pipeline = forecastPipeline(stack, scored);
    pipeline.addMonitoring({
      modelMonitor: { refreshInterval: Duration.hours(6), aggregationWindowDays: 7, segmentByPartition: false, followSchedule: Schedule.every(15), name: 'vm' },
    });
    const json = synthJson(stack);
    const t = Object.values(resources(json, 'snowflake_task')).find((x: any) => x.name === 'VM_FOLLOW');
    expect(t.schedule).toEqual({ minutes: 15 });
    expect(t.sql_statement).toContain(`REFRESH_INTERVAL = ''6 hours'' AGGREGATION_WINDOW = ''7 days''`);
    expect(t.sql_statement).not.toContain('SEGMENT_COLUMNS');
    expect(t.sql_statement).toContain('"ANALYTICS"."FORECAST"."VM_SOURCE"');
    const warnings = pipeline.versionMonitor!.node.metadata.filter((e) => /warn/i.test(e.type));
    expect(warnings).toEqual([]);
  });

  test('the partition as a segment is legal but warned about: Snowflake advises fewer than 25 values per segment column', () => {
    const stack = newStack();
    const pipeline = forecastPipeline(stack, scored);
    pipeline.addMonitoring({ modelMonitor: {} });
    const warnings = pipeline.versionMonitor!.node.metadata.filter((e) => /warn/i.test(e.type)).map((e) => String(e.data));
    expect(warnings).toEqual([expect.stringContaining('fewer than 25 values per segment column')]);
  });

  test('a monitor without modelMonitor has no version monitor objects or step', () => {
    const stack = newStack();
    const pipeline = forecastPipeline(stack, scored);
    pipeline.addMonitoring();
    expect(JSON.stringify(synthJson(stack))).not.toContain('VERSION_MONITOR');
    expect(pipeline.hookStepIds.some((id) => id.includes('VersionMonitor'))).toBe(false);
  });

  test.each([
    [
      { refreshInterval: Duration.seconds(30) },
      'test/Forecast/Monitoring/VersionMonitor: modelMonitor.refreshInterval is 30 s; Snowflake refreshes a model monitor at most every 60 seconds. Give at least Duration.seconds(60), e.g. Duration.hours(24)',
    ],
    [
      { aggregationWindowDays: 0.5 },
      'test/Forecast/Monitoring/VersionMonitor: modelMonitor.aggregationWindowDays is 0.5; a model monitor aggregates over whole days, from 1 to 366 here. Give e.g. 1 (daily metrics) or 7',
    ],
  ])('rejects %j at synth, naming the path, the prop and the fix', (modelMonitor, message) => {
    expect(errorOf((s) => forecastPipeline(s, scored).addMonitoring({ modelMonitor }))).toBe(message);
  });
});
