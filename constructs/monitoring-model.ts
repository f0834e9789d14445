import { Construct } from 'constructs';
import { ValidationError, validateProp } from '../lib/errors';
import { normalizeIdentifier } from '../lib/identifiers';
import { MonitoringModel } from '../lib/pipeline/monitoring';
import { Schedule } from '../lib/schedule';
import type { PipelineMonitorProps } from './pipeline-monitor';
import { nameFromPath } from './names';

/** Defaults for daily forecasts, as PipelineMonitorProps, DegradationThresholds and DriftThresholds document them. */
export const MONITORING_DEFAULTS = {
  schedule: Schedule.cron('0 7 * * *', 'UTC'),
  windowDays: 28,
  baselineDays: 91,
  degradedWhen: { smapeAbove: 25, coverageBelow: 0.8, minPoints: 7 },
  driftWhen: { levelShift: 2, scaleRatio: 2, missingDays: 3, lateDays: 2, minPoints: 7 },
  alert: { degradedPercentAbove: 10, schedule: Schedule.cron('30 7 * * *', 'UTC') },
} as const;

/** A year of daily steps: the longest window a rolling accuracy is useful over (and the scoring horizon's limit). */
const MAX_WINDOW_DAYS = 366;
/** Ten years of daily training data. */
const MAX_BASELINE_DAYS = 3660;

/**
 * The monitor `monitor`'s model from its props: every prop checked (errors name the monitor's path
 * and the prop), every default applied, every name derived.
 */
export function monitoringModel(monitor: Construct, props: PipelineMonitorProps): MonitoringModel {
  const path = monitor.node.path;
  const wholeIn = (prop: string, v: number, min: number, max: number, fix: string): number => {
    if (!Number.isInteger(v) || v < min || v > max) throw new ValidationError(path, prop, `is ${v}; it must be a whole number from ${min} to ${max}`, fix);
    return v;
  };
  const within = (prop: string, v: number, ok: boolean, range: string, fix: string): number => {
    if (!Number.isFinite(v) || !ok) throw new ValidationError(path, prop, `is ${v}; it must be ${range}`, fix);
    return v;
  };
  const D = MONITORING_DEFAULTS;
  const windowDays = wholeIn('windowDays', props.windowDays ?? D.windowDays, 2, MAX_WINDOW_DAYS, 'Give e.g. 28 for four weeks of daily actuals');
  const baselineDays = wholeIn(
    'baselineDays',
    props.baselineDays ?? D.baselineDays,
    2,
    MAX_BASELINE_DAYS,
    'Give e.g. 91 for the last quarter the model was trained on',
  );
  const dw = props.degradedWhen ?? {};
  const smapeAbove = dw.smapeAbove ?? D.degradedWhen.smapeAbove;
  within(
    'degradedWhen.smapeAbove',
    smapeAbove,
    smapeAbove > 0 && smapeAbove < 200,
    'a percentage above 0 and below 200 (sMAPE ranges from 0 to 200 %)',
    'Give e.g. 25',
  );
  const coverageBelow = dw.coverageBelow ?? D.degradedWhen.coverageBelow;
  within(
    'degradedWhen.coverageBelow',
    coverageBelow,
    coverageBelow >= 0 && coverageBelow <= 1,
    'a share from 0 to 1',
    'Give e.g. 0.8 for intervals meant to cover 95 %; 0 switches the coverage rule off',
  );
  const minPoints = wholeIn(
    'degradedWhen.minPoints',
    dw.minPoints ?? D.degradedWhen.minPoints,
    1,
    windowDays,
    `Give at most windowDays (${windowDays}): a partition with fewer points than the window holds could never be judged`,
  );
  const dr = props.driftWhen ?? {};
  const levelShift = dr.levelShift ?? D.driftWhen.levelShift;
  within('driftWhen.levelShift', levelShift, levelShift > 0, 'a number of standard deviations above 0', 'Give e.g. 2');
  const scaleRatio = dr.scaleRatio ?? D.driftWhen.scaleRatio;
  within(
    'driftWhen.scaleRatio',
    scaleRatio,
    scaleRatio > 1,
    'a ratio above 1 (its inverse is the lower bound)',
    'Give e.g. 2: a standard deviation doubled or halved',
  );
  const missingDays = wholeIn(
    'driftWhen.missingDays',
    dr.missingDays ?? D.driftWhen.missingDays,
    0,
    windowDays,
    `Give a number of days from 0 to windowDays (${windowDays})`,
  );
  const lateDays = wholeIn('driftWhen.lateDays', dr.lateDays ?? D.driftWhen.lateDays, 0, MAX_WINDOW_DAYS, 'Give e.g. 2');
  const driftMinPoints = wholeIn(
    'driftWhen.minPoints',
    dr.minPoints ?? D.driftWhen.minPoints,
    2,
    Math.min(windowDays, baselineDays),
    `Give from 2 (a standard deviation needs two points) to the shorter of windowDays and baselineDays (${Math.min(windowDays, baselineDays)})`,
  );
  const schedule = validateProp(path, 'schedule', () => (props.schedule ?? D.schedule).toTaskSchedule());

  const scoring = props.scoringJob;
  const outputs = new Map(scoring.outputColumns.map((c) => [c.name, c.type]));
  for (const needed of ['PARTITION_KEY', 'DS', 'FORECAST']) {
    if (!outputs.has(needed)) {
      throw new ValidationError(
        path,
        'scoringJob',
        `scores with ${scoring.modelName}, whose outputColumns have no ${needed}; realized accuracy joins actuals to forecasts by PARTITION_KEY and DS and compares FORECAST`,
        'Monitor a scoring job of a model with the default outputColumns (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER)',
      );
    }
  }
  const schema = props.schema.qualifiedName;
  const table = (prop: 'accuracyTableName' | 'driftTableName', suffix: string) =>
    schema.child(validateProp(path, prop, () => normalizeIdentifier(props[prop] ?? nameFromPath(monitor, suffix), 'table name')));
  const accuracy = table('accuracyTableName', 'ACCURACY');
  const drift = table('driftTableName', 'DRIFT');
  if (accuracy.name === drift.name) {
    throw new ValidationError(path, 'driftTableName', `is ${drift.name}, the accuracy table's name too`, 'Give the two tables different names');
  }
  const alert =
    props.alert &&
    (() => {
      const a = props.alert!;
      const pct = a.degradedPercentAbove ?? D.alert.degradedPercentAbove;
      within(
        'alert.degradedPercentAbove',
        pct,
        pct >= 0 && pct < 100,
        'a percentage from 0 to below 100',
        'Give e.g. 10: the alert fires when more than 10 % of partitions are degraded',
      );
      const sched = a.schedule ?? D.alert.schedule;
      validateProp(path, 'alert.schedule', () => sched.validate());
      const events = schema.child(
        validateProp(path, 'alert.eventsTableName', () => normalizeIdentifier(a.eventsTableName ?? nameFromPath(monitor, 'ALERTS'), 'table name')),
      );
      if (events.name === accuracy.name || events.name === drift.name) {
        throw new ValidationError(
          path,
          'alert.eventsTableName',
          `is ${events.name}, which names the ${events.name === accuracy.name ? 'accuracy' : 'drift'} table too`,
          'Give the events table a name of its own',
        );
      }
      return {
        name: schema.child(nameFromPath(monitor, 'ALERT')),
        sql: { accuracy, events, degradedPercentAbove: pct },
        schedule:
          sched.cronExpression !== undefined
            ? { cron: { expression: sched.cronExpression, timeZone: sched.timeZone! } }
            : { intervalMinutes: sched.intervalMinutes },
      };
    })();
  return {
    path,
    sql: {
      source: {
        table: props.source.qualifiedName,
        partitionColumn: props.source.partitionColumn,
        orderColumn: props.source.orderColumn,
        targetColumn: props.source.targetColumn,
        covariateColumns: [],
      },
      results: scoring.qualifiedName,
      hasInterval: outputs.has('LOWER') && outputs.has('UPPER'),
      accuracy,
      drift,
      windowDays,
      baselineDays,
      degradedWhen: { smapeAbove, coverageBelow, minPoints },
      driftWhen: { levelShift, scaleRatio, missingDays, lateDays, minPoints: driftMinPoints },
    },
    task: schema.child(nameFromPath(monitor, 'TASK')),
    schedule,
    warehouse: props.warehouse.qualifiedName,
    ...(alert ? { alert } : {}),
  };
}
