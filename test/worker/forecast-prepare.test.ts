import { SeriesError, prepareSeries } from '../../worker/forecast/index';
import { day, rows } from './series-helpers';

describe('prepareSeries', () => {
  test('sorts unsorted rows onto a daily grid from the first to the last value', () => {
    const p = prepareSeries([
      { date: day(2), y: 3 },
      { date: day(0), y: 1 },
      { date: day(1), y: 2 },
    ]);
    expect(p).toMatchObject({ start: day(0), end: day(2), values: [1, 2, 3], observed: [true, true, true], filled: 0 });
  });

  test('averages duplicate dates whatever their order, and counts the extra rows', () => {
    const a = prepareSeries([
      { date: day(0), y: 0.1 },
      { date: day(0), y: 0.2 },
      { date: day(0), y: 0.7 },
      { date: day(1), y: 5 },
      { date: day(1), y: null },
    ]);
    const b = prepareSeries([
      { date: day(1), y: null },
      { date: day(0), y: 0.7 },
      { date: day(1), y: 5 },
      { date: day(0), y: 0.2 },
      { date: day(0), y: 0.1 },
    ]);
    expect(a.values).toEqual(b.values);
    expect(a.values[0]).toBe((0.1 + 0.2 + 0.7) / 3);
    expect(a.values[1]).toBe(5);
    expect(a.duplicateRows).toBe(3);
  });

  test('sums duplicate dates when asked', () => {
    expect(prepareSeries([{ date: day(0), y: 2 }, { date: day(0), y: 3 }], { duplicates: 'sum' }).values).toEqual([5]);
  });

  test('fills missing days and NULL days by linear interpolation and reports each count', () => {
    const p = prepareSeries([
      { date: day(0), y: 0 },
      { date: day(1), y: null },
      // day 2 and 3 missing
      { date: day(4), y: 40 },
      { date: day(5), y: Number.NaN },
      { date: day(6), y: 60 },
    ]);
    expect(p.values).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(p.observed).toEqual([true, false, false, false, true, false, true]);
    expect({ filled: p.filled, gapDays: p.gapDays, nullDays: p.nullDays }).toEqual({ filled: 4, gapDays: 2, nullDays: 2 });
  });

  test('drops leading and trailing NULL days, which cannot be interpolated', () => {
    const p = prepareSeries(rows((t) => (t < 2 || t > 5 ? null : t), 9));
    expect(p).toMatchObject({ start: day(2), end: day(5), values: [2, 3, 4, 5], trimmedDays: 5, filled: 0 });
  });

  test('reads years before 100 as written (not as 19xx)', () => {
    expect(prepareSeries([{ date: '0050-03-01', y: 1 }]).start).toBe('0050-03-01');
  });

  test('reads Date objects in UTC and longer ISO timestamps by their date', () => {
    const p = prepareSeries([
      { date: new Date(Date.UTC(2024, 0, 2)), y: 2 },
      { date: '2024-01-01T23:30:00Z', y: 1 },
    ]);
    expect(p).toMatchObject({ start: '2024-01-01', end: '2024-01-02', values: [1, 2] });
  });

  test('rejects an all-NULL series, an empty one, an invalid date and an absurd span with the reason', () => {
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SeriesError);
        return [(e as SeriesError).reason, (e as Error).message];
      }
      throw new Error('did not throw');
    };
    expect(reason(() => prepareSeries(rows(() => null, 5)))).toEqual(['ALL_NULL', 'series has 5 rows but no non-NULL value']);
    expect(reason(() => prepareSeries([]))).toEqual(['EMPTY', 'series has no rows']);
    expect(reason(() => prepareSeries([{ date: '2024-02-30', y: 1 }]))).toEqual(['INVALID_DATE', 'invalid date "2024-02-30": no such day']);
    expect(reason(() => prepareSeries([{ date: '01/02/2024', y: 1 }]))[0]).toBe('INVALID_DATE');
    expect(reason(() => prepareSeries([{ date: '2024-01-01', y: '12.5' as unknown as number }]))).toEqual(['INVALID_VALUE', 'value "12.5" on 2024-01-01 is not a number or NULL']);
    expect(reason(() => prepareSeries([{ date: '1900-01-01', y: 1 }, { date: '2024-01-01', y: 1 }]))[1]).toMatch(/^series spans 45291 days .* more than maxLength 36600$/);
  });
});
