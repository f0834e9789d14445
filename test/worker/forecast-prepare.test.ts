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
    expect(
      prepareSeries(
        [
          { date: day(0), y: 2 },
          { date: day(0), y: 3 },
        ],
        { duplicates: 'sum' },
      ).values,
    ).toEqual([5]);
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
    // Read by character code: only ASCII digits in YYYY-MM-DD, a timestamp cut to its date.
    for (const bad of ['2024-1-01', '2024-01-1', '2024/01/01', '２０２４-01-01', '2024-0a-01', '0000-01-01', '2024-13-01', '2024-00-10', '20240101xx'])
      expect(reason(() => prepareSeries([{ date: bad, y: 1 }]))[0]).toBe('INVALID_DATE');
    expect(prepareSeries([{ date: '2024-02-29T23:59:59Z', y: 1 }]).start).toBe('2024-02-29');
    expect(reason(() => prepareSeries([{ date: '2024-01-01', y: '12.5' as unknown as number }]))).toEqual([
      'INVALID_VALUE',
      'value "12.5" on 2024-01-01 is not a number or NULL',
    ]);
    // A typo in a daily series (1900 for 2024); two January firsts alone would be an annual series.
    expect(
      reason(() =>
        prepareSeries([
          { date: '1900-01-01', y: 1 },
          { date: '2024-01-01', y: 1 },
          { date: '2024-01-02', y: 1 },
        ]),
      )[1],
    ).toMatch(/^series spans 45292 days .* more than maxLength 36600$/);
  });
});

describe("prepareSeries reads the series' step from its dates", () => {
  const months = (dates: string[], f: (i: number) => number | null = (i) => 10 + i) => dates.map((date, i) => ({ date, y: f(i) }));

  test('first-of-month dates are a monthly series: no day is interpolated, a missing month is', () => {
    const p = prepareSeries(months(['2023-11-01', '2023-12-01', '2024-01-01', '2024-03-01', '2024-04-01']));
    expect(p).toMatchObject({
      frequency: 'month',
      anchorDay: 1,
      start: '2023-11-01',
      end: '2024-04-01',
      values: [10, 11, 12, 12.5, 13, 14],
      gapDays: 1,
      filled: 1,
    });
    expect(p.observed).toEqual([true, true, true, false, true, true]);
  });

  test("month ends are one anchor, whatever the month's length", () => {
    const p = prepareSeries(months(['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30', '2024-06-30']));
    expect(p).toMatchObject({ frequency: 'month', anchorDay: 31, end: '2024-06-30', values: [10, 11, 12, 13, 13.5, 14] });
  });

  test('quarter ends are a quarterly series and years an annual one', () => {
    expect(prepareSeries(months(['2023-03-31', '2023-06-30', '2023-09-30', '2023-12-31', '2024-06-30']))).toMatchObject({
      frequency: 'quarter',
      anchorDay: 31,
      values: [10, 11, 12, 13, 13.5, 14],
    });
    expect(prepareSeries(months(['1871-01-01', '1872-01-01', '1874-01-01']))).toMatchObject({ frequency: 'year', anchorDay: 1, values: [10, 11, 11.5, 12] });
  });

  test('dates seven days apart (or a multiple) are a weekly series', () => {
    expect(prepareSeries(months([day(0), day(7), day(21), day(28)]))).toMatchObject({
      frequency: 'week',
      start: day(0),
      end: day(28),
      values: [10, 11, 11.5, 12, 13],
      gapDays: 1,
    });
  });

  test('a NULL month keeps the step and is interpolated; dates on different days of the month are a daily series', () => {
    expect(prepareSeries(months(['2024-01-01', '2024-02-01', '2024-03-01'], (i) => (i === 1 ? null : i)))).toMatchObject({
      frequency: 'month',
      values: [0, 1, 2],
      nullDays: 1,
    });
    expect(prepareSeries(months(['2024-01-01', '2024-02-02', '2024-03-01'])).frequency).toBe('day');
  });
});
