/** Deterministic synthetic series for the forecasting tests (a helper, not a test file). */
import { Observation } from '../../worker/forecast/index';
import { prng } from '../../lib/prng';

/** Standard normal draws from a seeded PRNG (Box–Muller). */
export function gaussian(seed: number): () => number {
  const u = prng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** `YYYY-MM-DD` of day i after 2024-01-01. */
export const day = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i * 86400000).toISOString().slice(0, 10);

/** Rows y = f(t) for t = 0..n-1 from 2024-01-01. */
export const rows = (f: (t: number) => number | null, n: number): Observation[] => Array.from({ length: n }, (_, t) => ({ date: day(t), y: f(t) }));

/** A weekly pattern with mean zero. */
export const WEEK = [6, -3, 9, -5, 2, -8, -1];

/** Level + slope·t + amp·WEEK + noise·N(0,1). */
export function trendSeason(n: number, o: { level: number; slope: number; amp: number; noise: number; seed: number }): number[] {
  const g = gaussian(o.seed);
  return Array.from({ length: n }, (_, t) => o.level + o.slope * t + o.amp * WEEK[t % 7] + o.noise * g());
}
