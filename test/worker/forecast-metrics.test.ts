import { spawnSync } from 'child_process';
import { Z95, computeMetrics, normalQuantile, zForLevel } from '../../worker/forecast/index';

describe('computeMetrics', () => {
  test('MAPE skips zero actuals; RMSE, sMAPE and MAE match hand-computed values', () => {
    const m = computeMetrics([100, 0, 50], [110, 5, 40]);
    expect(m.mape).toBeCloseTo((10 / 100 + 10 / 50) / 2, 15);
    expect(m.rmse).toBeCloseTo(Math.sqrt((100 + 25 + 100) / 3), 15);
    expect(m.smape).toBeCloseTo((20 / 210 + 10 / 5 + 20 / 90) / 3, 15);
    expect(m.mae).toBeCloseTo(25 / 3, 15);
    expect(m.n).toBe(3);
  });

  test('MAPE is null when every actual is zero; a zero forecast of a zero actual adds 0 to sMAPE', () => {
    const m = computeMetrics([0, 0], [0, 2]);
    expect(m.mape).toBeNull();
    expect(m.smape).toBe((0 + 2) / 2);
    expect(m.rmse).toBe(Math.sqrt(2));
  });

  test('a perfect forecast scores 0 everywhere', () => {
    expect(computeMetrics([3, 4], [3, 4])).toEqual({ mape: 0, rmse: 0, smape: 0, mae: 0, n: 2 });
  });

  test('points masked out are not scored', () => {
    expect(computeMetrics([10, 1000, 20], [11, 0, 22], [true, false, true])).toEqual(computeMetrics([10, 20], [11, 22]));
  });
});

describe('normal quantiles', () => {
  test('the 95 % level uses z = 1.959963984540054', () => {
    expect(zForLevel(0.95)).toBe(1.959963984540054);
    expect(Z95).toBe(1.959963984540054);
    expect(Math.abs(normalQuantile(0.975) - Z95)).toBeLessThan(1e-15);
  });

  test('AS 241 agrees with Python statistics.NormalDist.inv_cdf', () => {
    const ps = [1e-12, 1e-6, 0.001, 0.01, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.999999];
    const r = spawnSync(
      'python3',
      ['-c', 'import json,sys; from statistics import NormalDist as N; print(json.dumps([N().inv_cdf(p) for p in json.load(sys.stdin)]))'],
      { input: JSON.stringify(ps), encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    const py = JSON.parse(r.stdout) as number[];
    ps.forEach((p, i) => {
      expect(Math.abs(normalQuantile(p) - py[i])).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(py[i])));
    });
  });

  test('rejects levels outside (0, 1)', () => {
    expect(() => zForLevel(1)).toThrow('level must be in (0, 1), got 1');
    expect(() => zForLevel(0)).toThrow('level must be in (0, 1), got 0');
  });
});
