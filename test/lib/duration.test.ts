import { Duration } from '../../lib/duration';
import { InvalidValueError } from '../../lib/errors';

describe('Duration', () => {
  test('converts to whole seconds, rounding up so a budget is never shortened', () => {
    expect(Duration.hours(1).toSeconds()).toBe(3600);
    expect(Duration.minutes(1.5).toSeconds()).toBe(90);
    expect(Duration.seconds(61.5).toSeconds()).toBe(62);
  });

  test.each([
    ['a negative amount', Duration.minutes(-1), 'Duration.minutes(-1) is not a finite, non-negative duration'],
    ['NaN', Duration.seconds(NaN), 'Duration.seconds(NaN) is not a finite, non-negative duration'],
    ['an infinite amount', Duration.hours(Infinity), 'Duration.hours(Infinity) is not a finite, non-negative duration'],
  ])('refuses %s when used, naming the duration as the caller wrote it', (_what, duration, message) => {
    expect(() => duration.toSeconds()).toThrow(InvalidValueError);
    expect(() => duration.toSeconds()).toThrow(message);
  });

  test('zero is a valid duration (a construct may still refuse it)', () => {
    expect(Duration.seconds(0).toSeconds()).toBe(0);
  });
});
