/**
 * Accuracy metrics of a forecast against actual values. All are fractions or in the series'
 * unit (MAPE 0.05 = 5 %), computed over the points where `use` is true (default all).
 */

/** Holdout accuracy. */
export interface Metrics {
  /** Mean absolute percentage error, a fraction; zero actuals are skipped; null when every actual is zero. */
  readonly mape: number | null;
  /** Root mean squared error. */
  readonly rmse: number;
  /** Symmetric MAPE, 2|e|/(|a|+|f|), a fraction in [0, 2]; a point where actual and forecast are both 0 counts as 0. */
  readonly smape: number;
  /** Mean absolute error. */
  readonly mae: number;
  /** Points scored. */
  readonly n: number;
}

/** Metrics of `forecast` against `actual` (same length), over the points where `use[i]` is not false. */
export function computeMetrics(actual: readonly number[], forecast: readonly number[], use?: readonly boolean[]): Metrics {
  if (actual.length !== forecast.length) throw new RangeError(`actual has ${actual.length} points, forecast ${forecast.length}`);
  let n = 0;
  let se = 0;
  let ae = 0;
  let ape = 0;
  let apeN = 0;
  let sape = 0;
  for (let i = 0; i < actual.length; i++) {
    if (use !== undefined && use[i] === false) continue;
    const a = actual[i];
    const f = forecast[i];
    const e = a - f;
    n++;
    se += e * e;
    ae += Math.abs(e);
    if (a !== 0) {
      ape += Math.abs(e / a);
      apeN++;
    }
    const denom = Math.abs(a) + Math.abs(f);
    if (denom !== 0) sape += (2 * Math.abs(e)) / denom;
  }
  if (n === 0) throw new RangeError('no point to score');
  return { mape: apeN > 0 ? ape / apeN : null, rmse: Math.sqrt(se / n), smape: sape / n, mae: ae / n, n };
}
