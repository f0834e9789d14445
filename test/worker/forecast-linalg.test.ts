import { solveSpd, solveSpdLower } from '../../worker/forecast/linalg';
import { gaussian } from './series-helpers';

/** A random symmetric positive semi-definite k × k matrix (XᵀX of n rows) and a right-hand side. */
function system(k: number, n: number, seed: number): { a: number[][]; b: number[] } {
  const g = gaussian(seed);
  const x = Array.from({ length: n }, () => Array.from({ length: k }, () => g()));
  const a = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => x.reduce((s, r) => s + r[i] * r[j], 0)));
  return { a, b: Array.from({ length: k }, () => g()) };
}

const lowerOf = (a: number[][]) => Float64Array.from(a.flatMap((row, i) => row.map((v, j) => (j <= i ? v : Number.NaN))));

describe('solveSpdLower: solveSpd on a flat lower triangle', () => {
  test('gives the same doubles as solveSpd of −b, bit for bit, full rank or collinear', () => {
    for (const [k, n, seed] of [
      [1, 5, 1],
      [2, 30, 2],
      [5, 40, 3],
      [13, 100, 4],
      [4, 3, 5], // rank 3 of 4: the ridge keeps it solvable
    ]) {
      const { a, b } = system(k, n, seed);
      const expected = solveSpd(
        a,
        b.map((v) => -v),
      );
      const got = solveSpdLower(lowerOf(a), Float64Array.from(b), k);
      expect(got === null ? null : Array.from(got)).toEqual(expected);
    }
  });

  test('a zero matrix gives zeros, and a negative diagonal gives null, as solveSpd does', () => {
    expect(Array.from(solveSpdLower(new Float64Array(4), Float64Array.of(1, 2), 2) as Float64Array)).toEqual([0, 0]);
    expect(solveSpdLower(Float64Array.of(1, 0, 2, 1), Float64Array.of(1, 1), 2)).toBeNull();
    expect(
      solveSpd(
        [
          [1, 2],
          [2, 1],
        ],
        [-1, -1],
      ),
    ).toBeNull();
  });
});
