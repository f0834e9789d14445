/**
 * Forecasting from a model: the ONE implementation of every family's point forecast and interval
 * in TypeScript. lib/registry/python/predict_core.py is its line-by-line twin: same formulas, same
 * order of floating-point operations, so the two agree to the last bit in practice (tests demand
 * 1e-9). Change both together.
 *
 * Step h (1-based) of a horizon: point(h), half(h) = z · sigma · scale(h), lower = point − half,
 * upper = point + half, dated h steps after lastDate (days before formatVersion 4; then the
 * document's `frequency`: days, weeks, or calendar months, quarters and years on `anchorDay`).
 * scale(h) per family (docs/forecast-models.md):
 * - seasonal_naive: √(k + 1), k = ⌊(h − 1)/period⌋
 * - drift: √(h · (1 + h/n))
 * - ses: √(1 + (h − 1)·α²)
 * - linear_trend(_season): √(1 + x(t)ᵀ (XᵀX)⁻¹ x(t)), t = tLast + h
 * - holt_winters(_damped): √(1 + Σ_{j=1}^{h−1} c_j²), c_j = α + β·φ_j + γ·[j mod period = 0],
 *   φ_j = φ + φ² + … + φ^j (= j when undamped)
 * - ets: as holt_winters_damped, on the model's scale; a log model's point and bounds are then
 *   exponentiated (by {@link expPortable}, so the Python twin gets the same doubles)
 * - arima: √(Σ_{j=0}^{h−1} ψ_j²), ψ₀ = 1, ψ_j = Σ_{i=1}^{min(j,K)} ar[i−1]·ψ_{j−i}; log models as ets
 * - formatVersion 1 (legacy): √h for every family
 */
import { FREQUENCIES, dayOfMonthIndex, fromDayNumber, monthIndex, toDayNumber } from './dates';
import { ForecastOptionsError } from './errors';
import { MODEL_FORMAT_VERSION } from './model';
import { AnyForecastModel, ArimaState, EtsState, FittedModel, FamilyStates, HoltWintersState, RegressionState, parseModel } from './model';

const LN2_HI = 0.69314718036912381649; // the high bits of ln 2: k·LN2_HI is exact for |k| < 2^11
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;

/**
 * eˣ from +, −, ×, ÷ only (Cody–Waite reduction x = k·ln 2 + r, |r| ≤ ln 2 / 2, then a degree-14
 * Taylor polynomial of eʳ by Horner, then × 2ᵏ, an exact power of two), so that
 * lib/registry/python/predict_core.py's `_exp` gives the same double: Math.exp and Python's
 * math.exp come from different libraries and may differ in the last bit. Relative error about
 * 2e-16.
 */
export function expPortable(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.1332191019412) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = 1;
  for (let i = 14; i >= 1; i--) p = 1 + (p * r) / i;
  // 2^k in two exact factors, so that neither overflows nor underflows before the product does.
  const k1 = Math.trunc(k / 2);
  return p * 2 ** k1 * 2 ** (k - k1);
}

/** Point forecasts and interval bounds of steps 1..h. */
export interface Forecast {
  readonly point: number[];
  readonly lower: number[];
  readonly upper: number[];
}

/** One forecast step of {@link predictFromModel}. */
export interface ForecastStep {
  /** 1-based step. */
  readonly step: number;
  /** `step` steps of the model's frequency after lastDate, `YYYY-MM-DD`. */
  readonly date: string;
  readonly forecast: number;
  readonly lower: number;
  readonly upper: number;
}

function checkHorizon(h: number): void {
  if (!(Number.isInteger(h) && h >= 0)) throw new ForecastOptionsError(`horizon must be an integer >= 0, got ${h}`);
}

/** The design row x(t) of a regression family (see RegressionState). */
function designRow(state: RegressionState, period: number, seasonal: boolean, t: number): number[] {
  const x = [1, t - state.tCenter];
  if (seasonal) {
    const slot = t % period;
    for (let j = 1; j < period; j++) x.push(slot === j ? 1 : 0);
  }
  return x;
}

function path(family: string, version: number, period: number, state: unknown, sigma: number, z: number, horizon: number): Forecast {
  const point: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  const push = (p: number, scale: number) => {
    const half = z * sigma * scale;
    point.push(p);
    lower.push(p - half);
    upper.push(p + half);
  };
  if (version === 1) {
    const s = state as { season?: number[]; intercept?: number; slope?: number; t0?: number; level?: number; trend?: number };
    for (let h = 1; h <= horizon; h++) {
      let p: number;
      if (family === 'seasonal_naive') p = s.season![(h - 1) % period];
      else if (family === 'linear_trend') p = s.intercept! + s.slope! * (s.t0! + h);
      else p = s.level! + h * s.trend! + s.season![(h - 1) % period];
      push(p, Math.sqrt(h));
    }
    return { point, lower, upper };
  }
  switch (family) {
    case 'seasonal_naive': {
      const s = state as FamilyStates['seasonal_naive'];
      for (let h = 1; h <= horizon; h++) push(s.season[(h - 1) % period], Math.sqrt(Math.floor((h - 1) / period) + 1));
      break;
    }
    case 'drift': {
      const s = state as FamilyStates['drift'];
      for (let h = 1; h <= horizon; h++) push(s.last + h * s.slope, Math.sqrt(h * (1 + h / s.n)));
      break;
    }
    case 'ses': {
      const s = state as FamilyStates['ses'];
      for (let h = 1; h <= horizon; h++) push(s.level, Math.sqrt(1 + (h - 1) * (s.alpha * s.alpha)));
      break;
    }
    case 'linear_trend':
    case 'linear_trend_season': {
      const s = state as RegressionState;
      const k = s.coef.length;
      for (let h = 1; h <= horizon; h++) {
        const x = designRow(s, period, family === 'linear_trend_season', s.tLast + h);
        let p = 0;
        for (let i = 0; i < k; i++) p += s.coef[i] * x[i];
        let quad = 0;
        for (let i = 0; i < k; i++) {
          let row = 0;
          for (let j = 0; j < k; j++) row += s.xtxInv[i][j] * x[j];
          quad += x[i] * row;
        }
        // Rounding can make a tiny quadratic form negative; it is ≥ 0 in exact arithmetic.
        push(p, Math.sqrt(1 + Math.max(0, quad)));
      }
      break;
    }
    case 'holt_winters':
    case 'holt_winters_damped':
    case 'ets': {
      // ETS keeps Holt-Winters' state and recursion (on y or log y); predict_core.py has one branch too.
      const s = state as HoltWintersState | EtsState;
      let phiPow = 1;
      let phiSum = 0;
      let cum = 0;
      for (let h = 1; h <= horizon; h++) {
        phiPow = phiPow * s.phi;
        phiSum = phiSum + phiPow;
        push(s.level + phiSum * s.trend + s.season[(h - 1) % period], Math.sqrt(1 + cum));
        let c = s.alpha + s.beta * phiSum;
        if (h % period === 0) c = c + s.gamma;
        cum = cum + c * c;
      }
      if (family === 'ets' && (s as EtsState).transform === 'log') backTransform(point, lower, upper);
      break;
    }
    case 'arima': {
      const s = state as ArimaState;
      const k = s.ar.length;
      const hist = s.last.slice();
      const psi = [1];
      let cum = 0;
      for (let h = 1; h <= horizon; h++) {
        let p = s.intercept;
        for (let i = 0; i < k; i++) p = p + s.ar[i] * hist[hist.length - 1 - i];
        hist.push(p);
        cum = cum + psi[h - 1] * psi[h - 1];
        push(p, Math.sqrt(cum));
        let next = 0;
        for (let i = 0; i < k && i < h; i++) next = next + s.ar[i] * psi[h - 1 - i];
        psi.push(next);
      }
      if (s.transform === 'log') backTransform(point, lower, upper);
      break;
    }
    default:
      throw new ForecastOptionsError(`unknown family ${JSON.stringify(family)}`);
  }
  return { point, lower, upper };
}

/** Exponentiates a log-scale forecast in place (quantiles map to quantiles: the bounds keep their coverage). */
function backTransform(point: number[], lower: number[], upper: number[]): void {
  for (let i = 0; i < point.length; i++) {
    point[i] = expPortable(point[i]);
    lower[i] = expPortable(lower[i]);
    upper[i] = expPortable(upper[i]);
  }
}

/** Forecast of steps 1..h of a fitted model (the `forecast(model, h)` of every family). */
export function forecast(model: FittedModel, h: number): Forecast {
  checkHorizon(h);
  return path(model.family, MODEL_FORMAT_VERSION, model.period, model.state, model.sigma, model.z, h);
}

/**
 * Forecast of steps 1..horizon from an artifact alone (formatVersion 4, or 1-3 for compatibility).
 * The twin of predict_core.predict_from_model. Throws ModelFormatError on an invalid document.
 */
export function predictFromModel(model: AnyForecastModel, horizon: number): ForecastStep[] {
  checkHorizon(horizon);
  const m = parseModel(model);
  const z = m.z ?? 1.959963984540054;
  const f = path(m.family, m.formatVersion, m.period, m.state, m.sigma, z, horizon);
  const last = toDayNumber(m.lastDate);
  // Versions 1-3 step by days. Months, quarters and years count calendar months from lastDate's
  // month and land on anchorDay, or on the month's last day when it is shorter.
  const { unit, count } = FREQUENCIES[m.formatVersion === 4 ? m.frequency! : 'day'];
  const lastMonth = monthIndex(last);
  const dateOf = (h: number) => (unit === 'day' ? last + h * count : dayOfMonthIndex(lastMonth + h * count, (m as { anchorDay: number }).anchorDay));
  return f.point.map((p, i) => ({ step: i + 1, date: fromDayNumber(dateOf(i + 1)), forecast: p, lower: f.lower[i], upper: f.upper[i] }));
}
