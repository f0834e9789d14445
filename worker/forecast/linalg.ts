/** Small dense linear algebra for the regression families (p ≤ period + 1 unknowns). */
import { FitError } from './errors';

/**
 * Inverse of a symmetric positive-definite matrix by Gauss–Jordan elimination with partial
 * pivoting. Throws a FitError when a pivot vanishes (the design is singular).
 */
export function invert(a: readonly (readonly number[])[]): number[][] {
  const p = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  let scale = 0;
  for (let i = 0; i < p; i++) scale = Math.max(scale, Math.abs(a[i][i]));
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
    if (!(Math.abs(m[piv][col]) > 1e-12 * scale)) throw new FitError(`singular regression design (column ${col})`);
    if (piv !== col) [m[piv], m[col]] = [m[col], m[piv]];
    const d = m[col][col];
    for (let j = 0; j < 2 * p; j++) m[col][j] /= d;
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const k = m[r][col];
      if (k === 0) continue;
      for (let j = 0; j < 2 * p; j++) m[r][j] -= k * m[col][j];
    }
  }
  // Symmetrize: the exact inverse is symmetric, and a symmetric stored matrix is easier to audit.
  const inv = m.map((row) => row.slice(p));
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) inv[i][j] = inv[j][i] = (inv[i][j] + inv[j][i]) / 2;
  return inv;
}

/**
 * Solves A·x = b for a symmetric positive semi-definite A by Cholesky, with a ridge of
 * `ridge` × the largest diagonal entry added to the diagonal so a (nearly) collinear design still
 * gives a finite answer. Returns null when even the ridged matrix is not positive definite.
 */
export function solveSpd(a: readonly (readonly number[])[], b: readonly number[], ridge = 1e-10): number[] | null {
  const k = b.length;
  let scale = 0;
  for (let i = 0; i < k; i++) scale = Math.max(scale, a[i][i]);
  if (!(scale > 0)) return new Array<number>(k).fill(0);
  const l = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j] + (i === j ? ridge * scale : 0);
      for (let p = 0; p < j; p++) s -= l[i][p] * l[j][p];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  const y = new Array<number>(k);
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let p = 0; p < i; p++) s -= l[i][p] * y[p];
    y[i] = s / l[i][i];
  }
  const x = new Array<number>(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i];
    for (let p = i + 1; p < k; p++) s -= l[p][i] * x[p];
    x[i] = s / l[i][i];
  }
  return x;
}

/**
 * {@link solveSpd} of −`atb` on flat arrays: A's lower triangle row by row in `ata` (k × k, the
 * upper part unread). The same operations in the same order, so the same doubles; for the ETS
 * initial state, which is solved a few times per model.
 */
export function solveSpdLower(ata: Float64Array, atb: Float64Array, k: number, ridge = 1e-10): Float64Array | null {
  let scale = 0;
  for (let i = 0; i < k; i++) scale = Math.max(scale, ata[i * k + i]);
  if (!(scale > 0)) return new Float64Array(k);
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = ata[i * k + j] + (i === j ? ridge * scale : 0);
      for (let p = 0; p < j; p++) s -= l[i * k + p] * l[j * k + p];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * k + i] = Math.sqrt(s);
      } else l[i * k + j] = s / l[j * k + j];
    }
  }
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = -atb[i];
    for (let p = 0; p < i; p++) s -= l[i * k + p] * y[p];
    y[i] = s / l[i * k + i];
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i];
    for (let p = i + 1; p < k; p++) s -= l[p * k + i] * x[p];
    x[i] = s / l[i * k + i];
  }
  return x;
}
