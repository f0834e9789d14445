/** What every model family implements. */
import { ForecastOptionsError } from '../errors';
import { FamilyName, FamilyStates, FittedModel } from '../model';
import { zForLevel } from '../normal';
import { Forecast, forecast } from '../predict';

/** Options of a family's `fit`. */
export interface FitOptions {
  /** Season length in steps. @default 7 */
  readonly period?: number;
  /** Prediction-interval coverage. @default 0.95 */
  readonly level?: number;
  /** Parameter search effort of the smoothing families: 'coarse' (screen pass) or 'fine' (refine pass). @default 'coarse' */
  readonly search?: 'coarse' | 'fine';
  /** ets only: fit this model rather than choosing one (the contest's refit of the model it chose on the training window). */
  readonly etsSpec?: { readonly trend: 'N' | 'A' | 'Ad'; readonly season: 'N' | 'A'; readonly transform: 'none' | 'log' };
  /** ets with `etsSpec` only: start the parameter search here (a local search) instead of from the grid. */
  readonly etsStart?: { readonly alpha: number; readonly beta: number; readonly gamma: number; readonly phi: number };
}

/** A model family: fit on a regular series, forecast from the fitted model. */
export interface ForecastFamily<F extends FamilyName> {
  readonly name: F;
  /** Fewest points `fit` accepts for a season of `period`. */
  minLength(period: number): number;
  /** Fits the family to `train` (a regular series without holes, one value per step). Deterministic. */
  fit(train: readonly number[], opts?: FitOptions): FittedModel<F>;
  /** Steps 1..h with prediction intervals. */
  forecast(model: FittedModel<F>, h: number): Forecast;
}

/** Period, level/z and search effort after validation. */
export interface ResolvedFitOptions {
  readonly period: number;
  readonly level: number;
  readonly z: number;
  readonly search: 'coarse' | 'fine';
}

/** Validates fit options and the training series against the family's minimum length. */
export function resolve(family: FamilyName, train: readonly number[], opts: FitOptions, minLength: (m: number) => number): ResolvedFitOptions {
  const period = opts.period ?? 7;
  if (!(Number.isInteger(period) && period >= 1 && period <= 366)) throw new ForecastOptionsError(`period must be an integer in [1, 366], got ${period}`);
  const level = opts.level ?? 0.95;
  const z = zForLevel(level);
  const search = opts.search ?? 'coarse';
  if (search !== 'coarse' && search !== 'fine') throw new ForecastOptionsError(`search must be 'coarse' or 'fine', got ${JSON.stringify(search)}`);
  const need = minLength(period);
  if (train.length < need) throw new ForecastOptionsError(`${family} needs at least ${need} points for period ${period}, got ${train.length}`);
  for (let i = 0; i < train.length; i++) {
    if (!Number.isFinite(train[i])) throw new ForecastOptionsError(`${family}: point ${i} is not a finite number (prepare the series first)`);
  }
  return { period, level, z, search };
}

/** Assembles a FittedModel. */
export function fitted<F extends FamilyName>(
  family: F,
  o: ResolvedFitOptions,
  params: Record<string, number>,
  state: FamilyStates[F],
  sigma: number,
  nObs: number,
): FittedModel<F> {
  return { family, period: o.period, params, state, sigma, level: o.level, z: o.z, nObs } as FittedModel as FittedModel<F>;
}

/** √(sse / dof) with dof floored at 1 (a perfect fit gives 0, never NaN). */
export function sigmaOf(sse: number, dof: number): number {
  return Math.sqrt(sse / Math.max(1, dof));
}

/** The shared forecast function, typed for a family. */
export function familyForecast<F extends FamilyName>(model: FittedModel<F>, h: number): Forecast {
  return forecast(model as FittedModel, h);
}
