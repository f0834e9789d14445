/** The model families by name. */
import { FamilyName } from '../model';
import { ForecastFamily } from './common';
import { arima } from './arima';
import { drift } from './drift';
import { ets } from './ets';
import { holtWinters, holtWintersDamped } from './holt-winters';
import { linearTrend, linearTrendSeason } from './linear';
import { seasonalNaive } from './seasonal-naive';
import { ses } from './ses';

export type { FitOptions, ForecastFamily } from './common';
export { arima, drift, ets, holtWinters, holtWintersDamped, linearTrend, linearTrendSeason, seasonalNaive, ses };

/** Every family, by name. */
export const FAMILIES: { readonly [F in FamilyName]: ForecastFamily<F> } = {
  seasonal_naive: seasonalNaive,
  drift,
  ses,
  linear_trend: linearTrend,
  linear_trend_season: linearTrendSeason,
  holt_winters: holtWinters,
  holt_winters_damped: holtWintersDamped,
  ets,
  arima,
};
