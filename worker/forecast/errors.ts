/**
 * Errors of the forecasting core. Every error thrown on purpose is a `ForecastError`; the worker
 * records `SeriesError`s as a FAILED partition with `message` as the reason.
 */

/** Base class of every deliberate error of the forecasting core. */
export class ForecastError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Why a series cannot be fitted. Stable codes, for metrics tables and tests. */
export type SeriesProblem = 'EMPTY' | 'ALL_NULL' | 'INVALID_DATE' | 'INVALID_VALUE' | 'TOO_SHORT' | 'TOO_SPARSE' | 'TOO_LONG';

/** The input series cannot be prepared or fitted; `reason` is a stable code, `message` says why. */
export class SeriesError extends ForecastError {
  constructor(
    /** Stable code of the problem. */
    public readonly reason: SeriesProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The series has fewer points than the contest needs (two seasons plus the holdout). */
export class SeriesTooShortError extends SeriesError {
  constructor(
    /** Steps on the regularized grid. */
    public readonly length: number,
    /** Steps needed. */
    public readonly required: number,
    detail: string,
  ) {
    super('TOO_SHORT', `series too short: ${length} steps, need at least ${required} (${detail})`);
  }
}

/** A model family could not be fitted to a (valid) series, e.g. a singular regression design. */
export class FitError extends ForecastError {}

/** A model artifact is not a valid many-model-forecast document. */
export class ModelFormatError extends ForecastError {}

/** An option (period, holdout, level, families, horizon...) is out of its domain. */
export class ForecastOptionsError extends ForecastError {}
