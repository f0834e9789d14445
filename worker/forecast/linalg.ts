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
