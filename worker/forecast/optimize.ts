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
  // Written without per-evaluation allocations (the ETS screen calls it a few hundred times per
  // series); the visiting order and the comparisons are those of the plain form.
  const dims = spec.grid.length;
  let evals = 0;
  let best: number[] = [];
  let fBest = Infinity;
  const idx = new Array<number>(dims).fill(0);
  const x = new Array<number>(dims);
  for (;;) {
    for (let d = 0; d < dims; d++) x[d] = spec.grid[d][idx[d]];
    evals++;
    const fx = f(x);
    const v = Number.isFinite(fx) ? fx : Infinity;
    if (v < fBest || best.length === 0) {
      best = x.slice();
      fBest = v;
    }
    let d = dims - 1;
    while (d >= 0 && ++idx[d] === spec.grid[d].length) idx[d--] = 0;
    if (d < 0) break;
  }
  const step = spec.step.slice();
  const coarse = () => {
    for (let d = 0; d < dims; d++) if (step[d] >= spec.tol) return true;
    return false;
  };
  while (evals < spec.maxEvals && coarse()) {
    let improved = false;
    for (let d = 0; d < dims && evals < spec.maxEvals; d++) {
      for (let dir = 1; dir >= -1; dir -= 2) {
        const xd = Math.min(spec.hi[d], Math.max(spec.lo[d], best[d] + dir * step[d]));
        if (xd === best[d]) continue;
        for (let e = 0; e < dims; e++) x[e] = best[e];
        x[d] = xd;
        evals++;
        const fx = f(x);
        const v = Number.isFinite(fx) ? fx : Infinity;
        if (v < fBest) {
          best[d] = xd;
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
