/**
 * A deterministic minimizer for the smoothing parameters: the best point of a fixed grid, then a
 * compass (pattern) search from it. No randomness and a fixed visiting order, so the same series
 * always gives the same parameters, bit for bit.
 */

/** Settings of {@link gridThenCompass}. */
export interface SearchSpec {
  /** Candidate values per coordinate; the grid is their cartesian product, visited in lexicographic order. */
  readonly grid: readonly (readonly number[])[];
  /** Lower bound per coordinate (inclusive). */
  readonly lo: readonly number[];
  /** Upper bound per coordinate (inclusive). */
  readonly hi: readonly number[];
  /** First compass step per coordinate. */
  readonly step: readonly number[];
  /** Stop when every step is below this. */
  readonly tol: number;
  /** Stop after this many objective evaluations (grid included). */
  readonly maxEvals: number;
}

/** Result of {@link gridThenCompass}. */
export interface SearchResult {
  readonly x: number[];
  readonly fx: number;
  readonly evals: number;
}

/**
 * Minimizes `f` (non-finite values count as +Infinity). A point replaces the incumbent only when
 * strictly better, so ties keep the earlier point of the visiting order.
 */
export function gridThenCompass(f: (x: readonly number[]) => number, spec: SearchSpec): SearchResult {
  const dims = spec.grid.length;
  let evals = 0;
  const g = (x: readonly number[]) => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let best: number[] = [];
  let fBest = Infinity;
  const idx = new Array<number>(dims).fill(0);
  for (;;) {
    const x = idx.map((k, d) => spec.grid[d][k]);
    const v = g(x);
    if (v < fBest || best.length === 0) {
      best = x;
      fBest = v;
    }
    let d = dims - 1;
    while (d >= 0 && ++idx[d] === spec.grid[d].length) idx[d--] = 0;
    if (d < 0) break;
  }
  const step = [...spec.step];
  while (evals < spec.maxEvals && step.some((s) => s >= spec.tol)) {
    let improved = false;
    for (let d = 0; d < dims && evals < spec.maxEvals; d++) {
      for (const dir of [1, -1]) {
        const xd = Math.min(spec.hi[d], Math.max(spec.lo[d], best[d] + dir * step[d]));
        if (xd === best[d]) continue;
        const x = best.slice();
        x[d] = xd;
        const v = g(x);
        if (v < fBest) {
          best = x;
          fBest = v;
          improved = true;
          break;
        }
      }
    }
    if (!improved) for (let d = 0; d < dims; d++) step[d] /= 2;
  }
  return { x: best, fx: fBest, evals };
}
