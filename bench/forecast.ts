/**
 * The forecasting section of `npm run bench`: accuracy, interval coverage and speed of the
 * reference worker's forecasting core on the evaluation corpus (bench/forecast-corpus.ts), with
 * rolling-origin evaluation: each series is cut at three origins (the last `horizon` steps, then
 * ⌈horizon/2⌉ and 2·⌈horizon/2⌉ steps earlier), every method is fitted on what precedes the origin
 * and scored on the `horizon` steps after it, so nothing is judged on one window.
 *
 * Every series carries calendar dates (month starts, quarter ends, years, Mondays, days) and goes
 * through the worker's own path: `prepareSeries` reads the step from the dates, and the contest
 * takes the season and holdout of that frequency (nothing is passed but the method's options), as
 * the pipeline does when `seasonPeriod` and `holdoutSteps` are left out.
 *
 * Methods:
 * - `snaive`: the project's seasonal naive (the floor every method must beat);
 * - `previous`: the previous default pipeline (screen set seasonal naive, linear trend, coarse
 *   Holt–Winters, picked on one holdout; refine: all seven legacy families, fine search);
 * - `ets`: the state-space ETS family alone, selected by AICc, without interval calibration (R's
 *   own `ets` is compared in bench/forecast-vs-r.ts, which needs R);
 * - `screen`, `shipped`: the current defaults, the screen pass alone and what the pipeline ships
 *   (screen for every partition; refine for the worst 10 % by screen MAPE, as the example
 *   configures it; per partition the artifact with the lower holdout MAPE, as the model index
 *   keeps it).
 *
 * Reported per frequency group: median sMAPE (%) per method and its ratio to seasonal naive and
 * to the previous default (min-max of the ratio over the three origins), 80 % / 95 % interval
 * coverage of the held-out points, and the fit cost per series measured one way (timeContests):
 * CPU time of this process (not wall time, so that other processes on a shared machine do not
 * count), warm, over every series × origin, for the screen and refine contests and the shipped
 * mean per partition. bench/forecast-vs-r.ts compares all of this with R's forecast package.
 *
 * `npx tsx bench/forecast.ts` runs this section alone; MM_BENCH_FORECAST_GROUPS=monthly,annual
 * runs some groups only.
 */
import { performance } from 'perf_hooks';
import {
  ContestOptions,
  ContestResult,
  ForecastModel,
  computeMetrics,
  LEGACY_REFINE_FAMILIES,
  LEGACY_SCREEN_FAMILIES,
  predictFromModel,
  prepareSeries,
  selectBest,
} from '../worker/forecast';
import { zForLevel } from '../worker/forecast/normal';
import { CorpusSeries, FrequencyGroup, GROUPS, forecastCorpus } from './forecast-corpus';

export const ORIGINS = 3;
/** The share of partitions the example stack refines (stacks/forecast-stack.ts, README). */
export const REFINE_TOP_PERCENT = 10;
/** Contests run untimed before a group's timed ones, so that the JIT has compiled the core. */
const WARM_UP = 10;

/** A way to produce a forecast: a screen contest and, for the pipeline's worst partitions, a refine contest. */
export interface Method {
  readonly name: string;
  readonly screen: ContestOptions;
  readonly refine?: ContestOptions;
}

export const METHODS: readonly Method[] = [
  { name: 'snaive', screen: { families: ['seasonal_naive'], calibrate: false } },
  {
    name: 'previous',
    screen: { families: LEGACY_SCREEN_FAMILIES, search: 'coarse', calibrate: false },
    refine: { families: LEGACY_REFINE_FAMILIES, search: 'fine', calibrate: false },
  },
  { name: 'ets', screen: { families: ['ets'], calibrate: false } },
  { name: 'screen', screen: {} },
  { name: 'shipped', screen: {}, refine: { refine: true } },
];

/** One method's result on one series at one origin. */
export interface Outcome {
  smape: number;
  /** Held-out points inside the 80 % and 95 % intervals. */
  in80: number;
  in95: number;
  points: number;
}

export interface ForecastBenchGroup {
  group: FrequencyGroup['name'];
  series: number;
  period: number;
  horizon: number;
  /** Per method: median sMAPE (%) over series × origins, and per origin. */
  medianSmape: Record<string, { all: number; byOrigin: number[] }>;
  /** Per method: ratio of its median sMAPE to the reference's, overall and min-max over origins. */
  ratioToSnaive: Record<string, { ratio: number; min: number; max: number }>;
  ratioToPrevious: Record<string, { ratio: number; min: number; max: number }>;
  /** Per method: share of held-out points inside the 80 % and 95 % intervals (%). */
  coverage: Record<string, { c80: number; c95: number }>;
  /** CPU ms per series, warm (timeContests): the screen and refine contests, and the shipped pipeline's mean per partition. */
  cpuMsPerSeries: { screen: CpuPerSeries; refine?: CpuPerSeries; shipped: number };
  /** Screen contests that failed (too short, too sparse, no family fitted): the bench scores the last value repeated for them. */
  failed: number;
  /** Share of (series, origin) where the shipped forecast came from the refine pass (%). */
  refinedPercent: number;
}

export const median = (v: readonly number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};

/** sMAPE in percent, as the worker scores its holdouts (computeMetrics). */
export function smape(actual: readonly number[], fc: readonly number[]): number {
  return 100 * computeMetrics(actual, fc).smape;
}

/** The worker's path: rows with dates, prepared (the step read from the dates), the contest with the frequency's defaults. */
export function contest(train: readonly number[], dates: readonly string[], g: FrequencyGroup, opts: ContestOptions): ContestResult | null {
  const series = prepareSeries(train.map((y, t) => ({ date: dates[t], y })));
  if (series.frequency !== g.frequency) throw new Error(`the ${g.name} group's dates read as ${series.frequency}`);
  try {
    return selectBest(series, opts);
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds of `f`: user + system time of this process (process.cpuUsage, microsecond
 * resolution), so other processes on a shared machine do not count; V8's garbage-collection
 * threads of this process do.
 */
export function cpuMs<T>(f: () => T): [T, number] {
  const t0 = process.cpuUsage();
  const r = f();
  const d = process.cpuUsage(t0);
  return [r, (d.user + d.system) / 1000];
}

export function outcome(model: ForecastModel | null, train: readonly number[], actual: readonly number[], g: FrequencyGroup): Outcome {
  const h = actual.length;
  if (model === null) {
    // A failed contest ships nothing; score the last value repeated, so failures cost accuracy.
    const last = train[train.length - 1];
    return { smape: smape(actual, new Array(h).fill(last)), in80: 0, in95: 0, points: h };
  }
  const p95 = predictFromModel(model, h);
  const p80 = predictFromModel({ ...model, level: 0.8, z: zForLevel(0.8) } as ForecastModel, h);
  let in80 = 0;
  let in95 = 0;
  actual.forEach((a, i) => {
    if (a >= p80[i].lower && a <= p80[i].upper) in80++;
    if (a >= p95[i].lower && a <= p95[i].upper) in95++;
  });
  void g;
  return {
    smape: smape(
      actual,
      p95.map((s) => s.forecast),
    ),
    in80,
    in95,
    points: h,
  };
}

/** One series cut at one origin: what precedes the origin, and the `horizon` steps after it. */
export interface Cut {
  readonly train: readonly number[];
  readonly dates: readonly string[];
  readonly actual: readonly number[];
}

/** The group's series cut at origin `k` (0: the last `horizon` steps, then ⌈horizon/2⌉ steps earlier each). */
export function cutAt(series: readonly CorpusSeries[], g: FrequencyGroup, k: number): Cut[] {
  const step = Math.ceil(g.horizon / 2);
  return series.map((s) => {
    const origin = s.values.length - g.horizon - k * step;
    return { train: s.values.slice(0, origin), dates: s.dates.slice(0, origin), actual: s.values.slice(origin, origin + g.horizon) };
  });
}

/**
 * What a method ships for each cut: the screen contest's model, and for the worst
 * REFINE_TOP_PERCENT % by screen MAPE (failed first, as lib/sql/training.ts selects them) the
 * refine contest's when its holdout MAPE is lower (the model index keeps the lower). `null`: the
 * contest failed.
 */
export function shipMethod(cut: readonly Cut[], g: FrequencyGroup, method: Method): { models: (ForecastModel | null)[]; failed: number; refined: number } {
  const screens = cut.map((c) => contest(c.train, c.dates, g, method.screen));
  const models = screens.map((r) => r?.model ?? null);
  let refined = 0;
  if (method.refine) {
    const order = screens.map((r, i) => ({ i, mape: r === null ? Infinity : (r.metrics.mape ?? Infinity) })).sort((a, b) => b.mape - a.mape || a.i - b.i);
    const take = Math.ceil((screens.length * REFINE_TOP_PERCENT) / 100);
    for (const { i } of order.slice(0, take)) {
      const r = contest(cut[i].train, cut[i].dates, g, method.refine);
      const s = screens[i];
      if (r !== null && (s === null || (r.metrics.mape ?? Infinity) < (s.metrics.mape ?? Infinity))) {
        models[i] = r.model;
        refined++;
      }
    }
  }
  return { models, failed: screens.filter((r) => r === null).length, refined };
}

/** CPU time per series of one kind of contest (ms): median, mean and 90th percentile over the group's cases. */
export interface CpuPerSeries {
  median: number;
  mean: number;
  p90: number;
}

const quantile = (v: readonly number[], q: number): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/**
 * Per-series fit cost, measured one way: CPU time (user + system of this process, see cpuMs) of
 * each contest as the worker runs it on a prepared series (prepareSeries included), warm — after
 * WARM_UP untimed contests of the same kind —, over every case (series × origins), screen and
 * refine alike (the refine pass is timed on every case, not only on the ones it would take).
 * `shipped` is the mean cost per partition of the example's pipeline: a screen contest for every
 * partition and a refine contest for REFINE_TOP_PERCENT % of them.
 */
export function timeContests(cases: readonly Cut[], g: FrequencyGroup, method: Method): { screen: CpuPerSeries; refine?: CpuPerSeries; shipped: number } {
  const measure = (opts: ContestOptions): CpuPerSeries => {
    for (let i = 0; i < Math.min(WARM_UP, cases.length); i++) contest(cases[i].train, cases[i].dates, g, opts);
    const ms = cases.map((c) => cpuMs(() => contest(c.train, c.dates, g, opts))[1]);
    return { median: median(ms), mean: ms.reduce((a, b) => a + b, 0) / ms.length, p90: quantile(ms, 0.9) };
  };
  const screen = measure(method.screen);
  const refine = method.refine ? measure(method.refine) : undefined;
  return { screen, refine, shipped: screen.mean + (refine ? (REFINE_TOP_PERCENT / 100) * refine.mean : 0) };
}

/** Runs the section; `perShape` generated series per shape and frequency. */
export function benchForecast(
  perShape = Number(process.env.MM_BENCH_FORECAST_PER_SHAPE ?? 10),
  methods: readonly Method[] = METHODS,
  groups = (process.env.MM_BENCH_FORECAST_GROUPS ?? '').split(',').filter(Boolean),
): ForecastBenchGroup[] {
  const corpus = forecastCorpus(perShape);
  const out: ForecastBenchGroup[] = [];
  for (const g of GROUPS.filter((x) => groups.length === 0 || groups.includes(x.name))) {
    const series = corpus.filter((s) => s.group === g.name);
    const cuts = Array.from({ length: ORIGINS }, (_, k) => cutAt(series, g, k));
    // results[method][origin][series]
    const results: Record<string, Outcome[][]> = {};
    let refined = 0;
    let failed = 0;
    for (const method of methods) {
      results[method.name] = cuts.map((cut) => {
        const r = shipMethod(cut, g, method);
        if (method.name === 'shipped') {
          refined += r.refined;
          failed += r.failed;
        }
        return cut.map((c, i) => outcome(r.models[i], c.train, c.actual, g));
      });
    }
    const cases = cuts.flat();
    const cpu = timeContests(cases, g, methods.find((m) => m.name === 'shipped') ?? methods[methods.length - 1]);
    const medianSmape: ForecastBenchGroup['medianSmape'] = {};
    const coverage: ForecastBenchGroup['coverage'] = {};
    for (const m of methods) {
      const byOrigin = results[m.name].map((o) => median(o.map((x) => x.smape)));
      medianSmape[m.name] = { all: median(results[m.name].flat().map((x) => x.smape)), byOrigin };
      const flat = results[m.name].flat();
      const pts = flat.reduce((a, x) => a + x.points, 0);
      coverage[m.name] = { c80: (100 * flat.reduce((a, x) => a + x.in80, 0)) / pts, c95: (100 * flat.reduce((a, x) => a + x.in95, 0)) / pts };
    }
    const ratio = (ref: string) =>
      Object.fromEntries(
        methods.map((m) => {
          const per = medianSmape[m.name].byOrigin.map((v, k) => v / medianSmape[ref].byOrigin[k]);
          return [m.name, { ratio: medianSmape[m.name].all / medianSmape[ref].all, min: Math.min(...per), max: Math.max(...per) }];
        }),
      );
    out.push({
      group: g.name,
      series: series.length,
      period: g.period,
      horizon: g.horizon,
      medianSmape,
      ratioToSnaive: ratio('snaive'),
      ratioToPrevious: ratio('previous'),
      coverage,
      cpuMsPerSeries: cpu,
      refinedPercent: (100 * refined) / cases.length,
      failed,
    });
  }
  return out;
}

/** Prints the section. */
export function printForecast(rows: readonly ForecastBenchGroup[]): void {
  console.log(`\nforecasting core on the evaluation corpus (bench/forecast-corpus.ts), ${ORIGINS} rolling origins per series`);
  console.log('  median sMAPE % (ratio to seasonal naive, ratio to the previous default: overall [min-max over origins]); interval coverage 80/95 %');
  console.log(
    `  fit cost: CPU ms per series (user + system of this process), warm (after ${WARM_UP} untimed contests), every series x origin, median / mean / p90; shipped = screen mean + ${REFINE_TOP_PERCENT} % x refine mean`,
  );
  const ms = (c: CpuPerSeries | undefined) => (c ? `${c.median.toFixed(2)} / ${c.mean.toFixed(2)} / ${c.p90.toFixed(2)}` : '-');
  for (const r of rows) {
    console.log(
      `  ${r.group} (${r.series} series, period ${r.period}, horizon ${r.horizon}); CPU ms per series: screen ${ms(r.cpuMsPerSeries.screen)}, refine ${ms(r.cpuMsPerSeries.refine)}, shipped ${r.cpuMsPerSeries.shipped.toFixed(2)}; shipped from refine ${r.refinedPercent.toFixed(1)} %; screen failed ${r.failed} of ${r.series * ORIGINS}`,
    );
    for (const m of Object.keys(r.medianSmape)) {
      const a = r.ratioToSnaive[m];
      const b = r.ratioToPrevious[m];
      const c = r.coverage[m];
      console.log(
        `    ${m.padEnd(9)} ${r.medianSmape[m].all.toFixed(2).padStart(6)}   vs snaive ${a.ratio.toFixed(3)} [${a.min.toFixed(2)}-${a.max.toFixed(2)}]   vs previous ${b.ratio.toFixed(3)} [${b.min.toFixed(2)}-${b.max.toFixed(2)}]   coverage ${c.c80.toFixed(1)}/${c.c95.toFixed(1)}`,
      );
    }
  }
}

if (require.main === module) {
  const t0 = performance.now();
  printForecast(benchForecast());
  console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
