import { InvalidValueError } from '../../lib/errors';
import { ObjectName, deriveName, dollarQuoted, normalizeIdentifier, sqlString } from '../../lib/identifiers';

describe('identifiers', () => {
  test('normalizes unquoted identifiers to upper case', () => {
    expect(normalizeIdentifier('analytics_db')).toBe('ANALYTICS_DB');
    expect(normalizeIdentifier('_x$1')).toBe('_X$1');
  });

  test.each([
    ['a quote', 'BAD"NAME'],
    ['a semicolon', 'X; DROP TABLE T'],
    ['a dot', 'A.B'],
    ['a space', 'MY TABLE'],
    ['a leading digit', '1ABC'],
    ['the empty string', ''],
  ])('rejects a name with %s', (_what, name) => {
    expect(() => normalizeIdentifier(name)).toThrow(InvalidValueError);
  });

  test('rejects a name over 255 characters and says the limit', () => {
    expect(() => normalizeIdentifier('A'.repeat(256))).toThrow(/255-character/);
    expect(normalizeIdentifier('A'.repeat(255))).toHaveLength(255);
  });

  test('parses and quotes qualified names', () => {
    const n = ObjectName.parse('analytics.raw.series_events', 3);
    expect(n.quoted).toBe('"ANALYTICS"."RAW"."SERIES_EVENTS"');
    expect(n.toString()).toBe('ANALYTICS.RAW.SERIES_EVENTS');
    expect(n.child('x').quoted).toBe('"ANALYTICS"."RAW"."SERIES_EVENTS"."X"');
    expect(() => ObjectName.parse('RAW.SERIES', 3)).toThrow(/DATABASE\.SCHEMA\.NAME/);
  });

  test('escapes string literals', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
  });

  test('refuses to dollar-quote text containing $$', () => {
    expect(dollarQuoted('spec: 1')).toBe('$$spec: 1$$');
    expect(() => dollarQuoted('x $$ y')).toThrow(/\$\$/);
  });

  test('derives deterministic names and shortens long ones with a stable hash', () => {
    expect(deriveName(['Team-A', 'Forecast', 'QUEUE'])).toBe('TEAM_A_FORECAST_QUEUE');
    const long = deriveName(['x'.repeat(300)]);
    expect(long.length).toBeLessThanOrEqual(200);
    expect(deriveName(['x'.repeat(300)])).toBe(long);
    expect(deriveName(['9lives'])).toBe('X_9LIVES');
  });
});
