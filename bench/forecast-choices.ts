/**
 * The measurements behind two choices the forecasting core did NOT make (issue #16), kept so they
 * can be re-run: `npx tsx bench/forecast-choices.ts` (MM_BENCH_FORECAST_GROUPS=monthly,... for
 * some groups). Same corpus, dates, rolling origins and worker path as bench/forecast.ts; every
 * variant is compared with the screen pass as shipped (ETS chosen by AICc, the frequency's
 * season), by median sMAPE over series × origins, with the ratio's min-max over the origins.
 *
 * 1. Seasonality detection when the season is not given: fit without a season when a test says
 *    the frequency's season is absent — a 90 % ACF test at the seasonal lag (R's `thetaf`), on the
 *    series or its differences, or a classical decomposition's seasonal strength below 0.3.
 * 2. Forecast combinations: the mean or median of ETS, the autoregression and Theta (SES with
 *    drift on the seasonally adjusted series, Hyndman & Billah 2003, the seasonal adjustment of
 *    R's `thetaf`).
 */
import { ContestResult, FAMILIES, forecast, predictFromModel, prepareSeries, selectBest } from '../worker/forecast';
import { seasonalIndices, seasonalStrength } from '../worker/forecast/families/arima';
import { sesFilter } from '../worker/forecast/families/ses';
import { gridThenCompass } from '../worker/forecast/optimize';
import { median, smape } from './forecast';
import { GROUPS, forecastCorpus } from './forecast-corpus';

const ORIGINS = 3;

/** The 90 % ACF test of R's `thetaf`: |r_m| > 1.645/√n · √(1 + 2 Σ_{k<m} r_k²). */
function acfSeasonal(x: readonly number[], m: number): boolean {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  let c0 = 0;
  for (const v of x) c0 += (v - mean) ** 2;
  if (!(c0 > 0) || n <= m) return false;
  const r: number[] = [];
  for (let lag = 1; lag <= m; lag++) {
    let c = 0;
    for (let t = lag; t < n; t++) c += (x[t] - mean) * (x[t - lag] - mean);
    r.push(c / c0);
  }
  let cum = 1;
  for (let k = 1; k < m; k++) cum += 2 * r[k - 1] ** 2;
  return Math.abs(r[m - 1]) > (1.645 / Math.sqrt(n)) * Math.sqrt(cum);
}

const DETECTORS: Record<string, (y: readonly number[], m: number) => boolean> = {
  acf: (y, m) => acfSeasonal(y, m),
  'acf on differences': (y, m) =>
    acfSeasonal(
      y.slice(1).map((v, i) => v - y[i]),
      m,
    ),
  'strength > 0.3': (y, m) => seasonalStrength(y, m) > 0.3,
};

/** Theta: SES with drift b/2 (b the OLS slope) on the series, seasonally adjusted by a multiplicative classical decomposition when the ACF test finds the season. */
function theta(y: readonly number[], m: number, h: number): number[] {
  const n = y.length;
  const seasonal = m > 1 && n >= 2 * m && y.every((v) => v > 0) && acfSeasonal(y, m);
  const index = seasonal ? seasonalIndices(y.map(Math.log), m).index : [0];
  const adj = y.map((v, t) => (seasonal ? v / Math.exp(index[t % m]) : v));
  const alpha = gridThenCompass(([a]) => sesFilter(adj, a).sse, {
    grid: [[0.1, 0.3, 0.5, 0.7, 0.9]],
    step: [0.1],
    tol: 1e-3,
    maxEvals: 60,
    lo: [1e-4],
    hi: [0.9999],
  }).x[0];
  const { level } = sesFilter(adj, alpha);
  const tm = (n - 1) / 2;
  const ym = adj.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < n; t++) {
    sxy += (t - tm) * (adj[t] - ym);
    sxx += (t - tm) ** 2;
  }
  const b = sxy / sxx;
  return Array.from({ length: h }, (_, i) => {
    const f = level + (b / 2) * (i + 1 / alpha - (1 - alpha) ** n / alpha);
    return seasonal ? f * Math.exp(index[(n + i) % m]) : f;
  });
}

interface Case {
  readonly origin: number;
  readonly pub: boolean;
  readonly smape: Record<string, number>;
}

const points = (r: ContestResult, h: number) => predictFromModel(r.model, h).map((s) => s.forecast);

function run(): void {
  const groups = (process.env.MM_BENCH_FORECAST_GROUPS ?? '').split(',').filter(Boolean);
  const corpus = forecastCorpus(Number(process.env.MM_BENCH_FORECAST_PER_SHAPE ?? 10));
  for (const g of GROUPS.filter((x) => groups.length === 0 || groups.includes(x.name))) {
    const cases: Case[] = [];
    for (const s of corpus.filter((c) => c.group === g.name)) {
      for (let k = 0; k < ORIGINS; k++) {
        const origin = s.values.length - g.horizon - k * Math.ceil(g.horizon / 2);
        const actual = s.values.slice(origin, origin + g.horizon);
        const series = prepareSeries(s.values.slice(0, origin).map((y, t) => ({ date: s.dates[t], y })));
        const shipped = selectBest(series);
        const e = points(shipped, g.horizon);
        const m = shipped.model.period;
        const out: Record<string, number> = { 'ETS (shipped screen)': smape(actual, e) };
        for (const [name, seasonal] of Object.entries(DETECTORS)) {
          const keep = m <= 1 || seasonal(series.values.slice(0, series.values.length - (shipped.model.metrics?.holdout ?? 0)), m);
          out[`detect: ${name}`] = keep ? out['ETS (shipped screen)'] : smape(actual, points(selectBest(series, { period: 1 }), g.horizon));
        }
        let a = e;
        try {
          const f = forecast(FAMILIES.arima.fit(series.values, { period: m }), g.horizon).point;
          if (f.every(Number.isFinite)) a = f;
        } catch {
          // The autoregression cannot fit: the combinations fall back to ETS's forecast for it.
        }
        const t = theta(series.values, m, g.horizon);
        const combine = (fs: number[][], how: 'mean' | 'median') =>
          e.map((_, i) => (how === 'mean' ? fs.reduce((x, f) => x + f[i], 0) / fs.length : median(fs.map((f) => f[i]))));
        out['autoregression'] = smape(actual, a);
        out['theta'] = smape(actual, t);
        out['mean(ETS, AR, theta)'] = smape(actual, combine([e, a, t], 'mean'));
        out['median(ETS, AR, theta)'] = smape(actual, combine([e, a, t], 'median'));
        out['mean(ETS, AR)'] = smape(actual, combine([e, a], 'mean'));
        out['mean(ETS, theta)'] = smape(actual, combine([e, t], 'mean'));
        cases.push({ origin: k, pub: s.source === 'public', smape: out });
      }
    }
    console.log(
      `${g.name} (${cases.length} series x origins, period ${g.period}, horizon ${g.horizon}): median sMAPE %, ratio to the shipped screen [min-max over origins], share of cases better than it${cases.some((c) => c.pub) ? ', public series alone' : ''}`,
    );
    const ref = 'ETS (shipped screen)';
    const byOrigin = (key: string, k: number) => median(cases.filter((c) => c.origin === k).map((c) => c.smape[key]));
    for (const key of Object.keys(cases[0].smape)) {
      const all = median(cases.map((c) => c.smape[key]));
      const per = [0, 1, 2].map((k) => byOrigin(key, k) / byOrigin(ref, k));
      const better = cases.filter((c) => c.smape[key] < c.smape[ref]).length;
      const pub = cases.filter((c) => c.pub);
      const pubText = pub.length
        ? `   public ${median(pub.map((c) => c.smape[key])).toFixed(2)} (${(median(pub.map((c) => c.smape[key])) / median(pub.map((c) => c.smape[ref]))).toFixed(3)})`
        : '';
      console.log(
        `  ${key.padEnd(28)} ${all.toFixed(2).padStart(6)}  ${(all / median(cases.map((c) => c.smape[ref]))).toFixed(3)} [${Math.min(...per).toFixed(2)}-${Math.max(...per).toFixed(2)}]  better in ${((100 * better) / cases.length).toFixed(0).padStart(2)} %${pubText}`,
      );
    }
  }
}

run();
