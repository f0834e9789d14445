import * as root from '../../index';
import { InvalidValueError } from '../../lib/errors';
import { Schedule } from '../../lib/schedule';

/** The message `validate()` throws for a cron schedule, or undefined when it is valid. */
function problemOf(expression: string, timeZone?: string): string | undefined {
  try {
    Schedule.cron(expression, timeZone).validate();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidValueError);
    return (e as Error).message;
  }
}

describe('Schedule.cron', () => {
  test.each([
    ['99 25 * * *', 'cron expression "99 25 * * *": minute 99 is outside 0-59, hour 25 is outside 0-23. Write each field as'],
    ['0 0 32 * *', 'day-of-month 32 is outside 1-31'],
    ['0 0 0 * *', 'day-of-month 0 is outside 1-31'],
    ['0 0 * 13 *', 'month 13 is outside 1-12'],
    ['0 0 * * 8', 'day-of-week 8 is outside 0-6'],
    ['0 0 * * 7', 'day-of-week 7 is outside 0-6'],
    ['0 0 * * 1-9', 'day-of-week 9 is outside 0-6'],
    ['0,60 * * * *', 'minute 60 is outside 0-59'],
    ['*/0 * * * *', 'minute */0 has step 0, outside 1-59'],
    ['0 */24 * * *', 'hour */24 has step 24, outside 1-23'],
    ['*/ * * * *', 'minute */ has an empty step'],
    ['0 0 * * FRI-MON', 'day-of-week range FRI-MON runs backwards'],
    ['1,,2 * * * *', 'minute 1,,2 has an empty list item'],
    ['MON * * * *', 'minute MON is not in 0-59'],
    ['0 0 * FOO *', 'month FOO is not in 1-12 or JAN-DEC'],
    ['0 0 L-2 * *', 'day-of-month L-2 is not in 1-31 or L for the last day'],
    ['0 0 15W * *', "day-of-month 15W uses W, which Snowflake's task cron does not document; it takes 1-31 or L for the last day"],
    ['0 0 * * WED#2', "day-of-week WED#2 uses #, which Snowflake's task cron does not document"],
    ['0 0 ? * MON', "day-of-month ? uses ?, which Snowflake's task cron does not document"],
    ['0 6 * *', 'cron expression "0 6 * *" must have five fields (minute hour day-of-month month day-of-week)'],
  ])('refuses %s, naming the field, the value and the allowed range', (expression, message) => {
    expect(problemOf(expression)).toContain(message);
  });

  test.each([
    '0 6 * * *',
    '0 6 * * MON-FRI',
    '*/15 * * * *',
    '0 9-17 * * SUN',
    '0 0 10-20 * TUE,THU',
    '0 0 * 4/3 *',
    '0 0 1,15 JAN-MAR/2 *',
    '0 0 L * *',
    '0 9 * * 5L',
    '0 9 * * L',
    '59 23 31 12 6',
    '0 6 * * mon-fri',
  ])('accepts %s, which Snowflake documents, and renders it unchanged', (expression) => {
    expect(Schedule.cron(expression).toTaskSchedule()).toEqual({ usingCron: `${expression} UTC` });
  });

  test('refuses a time zone that is not an IANA zone', () => {
    expect(problemOf('0 6 * * *', 'Mars/Phobos')).toBe("time zone \"Mars/Phobos\" is not an IANA time zone name. Use a name such as 'UTC' or 'Europe/Berlin'");
    expect(problemOf('0 6 * * *', 'UTC+1')).toContain('time zone "UTC+1" is not an IANA time zone name');
  });

  test.each(['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Etc/UTC'])('accepts the time zone %s', (timeZone) => {
    expect(Schedule.cron('0 6 * * *', timeZone).toTaskSchedule()).toEqual({ usingCron: `0 6 * * * ${timeZone}` });
  });

  test('the factory records the problem instead of throwing, so the construct receiving it can name its path and prop', () => {
    const schedule = Schedule.cron('99 * * * *');
    expect(() => schedule.toTaskSchedule()).toThrow(InvalidValueError);
    expect(schedule.toString()).toBe('cron(99 * * * * UTC)');
  });

  test('its error class is exported from the package root, so a caller can catch it', () => {
    expect(root.InvalidValueError).toBe(InvalidValueError);
    expect(() => root.Schedule.cron('0 0 * * 8').validate()).toThrow(root.InvalidValueError);
  });
});

describe('Schedule.every', () => {
  test('renders the interval in minutes', () => {
    expect(Schedule.every(60).toTaskSchedule()).toEqual({ minutes: 60 });
  });

  test.each([0, 11521, 1.5])('refuses an interval of %p minutes', (minutes) => {
    expect(() => Schedule.every(minutes).validate()).toThrow(`interval ${minutes} must be a whole number of minutes from 1 to 11520`);
  });
});
