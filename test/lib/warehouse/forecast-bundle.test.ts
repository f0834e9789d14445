import { spawnSync } from 'child_process';
import * as path from 'path';
import * as vm from 'vm';
import { FORECAST_CORE_JS } from '../../../lib/warehouse/forecast-core.generated';
import { renderWarehouseHandler } from '../../../lib/sql/warehouse';
import * as core from '../../../worker/forecast';

const root = path.resolve(__dirname, '..', '..', '..');

/** The bundle evaluated as Snowflake evaluates a JavaScript UDF: a context with the language's built-ins only. */
function bundled(): typeof core {
  return vm.runInContext(FORECAST_CORE_JS, vm.createContext({})) as typeof core;
}

function daily(n: number, seed: number): { date: string; y: number | null }[] {
  return Array.from({ length: n }, (_, i) => ({
    date: new Date(Date.UTC(2023, 0, 1 + i)).toISOString().slice(0, 10),
    y: i === 40 ? null : 50 + seed + 8 * Math.sin((2 * Math.PI * i) / 7) + 0.05 * i + ((i * 7919 + seed) % 13) / 4,
  }));
}

function monthly(n: number): { date: string; y: number }[] {
  return Array.from({ length: n }, (_, i) => ({
    date: new Date(Date.UTC(2015, i, 1)).toISOString().slice(0, 10),
    y: 200 + 30 * Math.cos((2 * Math.PI * i) / 12) + i,
  }));
}

describe('the forecasting core bundled for the warehouse UDTF', () => {
  test('lib/warehouse/forecast-core.generated.ts is what scripts/bundle-forecast.js makes of worker/forecast now', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'bundle-forecast.js'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test("the UDTF's whole handler stays under the 100 KB Snowflake recommends for a JavaScript UDF's source", () => {
    expect(Buffer.byteLength(renderWarehouseHandler(), 'utf8')).toBeLessThan(100 * 1024);
  });

  test('runs without Node (no require, process or Buffer) and writes the same artifacts as the worker, bit for bit', () => {
    const b = bundled();
    const cases = [
      { rows: daily(400, 1), opts: {} },
      { rows: daily(400, 5), opts: { refine: true } },
      { rows: daily(200, 9), opts: { holdout: 14, period: 7 } },
      { rows: monthly(72), opts: {} },
    ];
    for (const { rows, opts } of cases) {
      const ours = b.selectBest(b.prepareSeries(rows), opts);
      const worker = core.selectBest(core.prepareSeries(rows), opts);
      expect(JSON.stringify(ours.model)).toBe(JSON.stringify(worker.model));
      expect(ours.metrics).toEqual(worker.metrics);
    }
  });

  test('a series the worker cannot fit fails the same way in the bundle', () => {
    const b = bundled();
    const short = daily(3, 0);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err(() => b.selectBest(b.prepareSeries(short), {}))).toBe(err(() => core.selectBest(core.prepareSeries(short), {})));
  });
});
