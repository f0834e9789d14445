import { InvalidValueError } from './errors';

/**
 * When a scheduled task runs: a cron expression with a time zone, or a fixed interval.
 *
 * The factories never throw: a value Snowflake would refuse records its problem, and the construct
 * that receives it reports it through `validateProp`, so the error names the construct path and
 * the prop (`Stack/Pipeline: scoring.schedule ...`), which the factory cannot know.
 * `validate()` throws the bare InvalidValueError for use outside a construct.
 */
export class Schedule {
  /**
   * A five-field cron expression evaluated in `timeZone` (an IANA name such as `UTC` or
   * `Europe/Berlin`), as Snowflake's `SCHEDULE = 'USING CRON <expr> <tz>'`.
   */
  static cron(expression: string, timeZone = 'UTC'): Schedule {
    const fields = expression.trim().split(/\s+/);
    return new Schedule(fields.join(' '), timeZone, undefined, cronProblem(expression, fields) ?? timeZoneProblem(timeZone));
  }

  /** Every `minutes` minutes (1 to 11520, Snowflake's task interval range). */
  static every(minutes: number): Schedule {
    const problem =
      !Number.isInteger(minutes) || minutes < 1 || minutes > 11520
        ? new InvalidValueError(`interval ${minutes} must be a whole number of minutes from 1 to 11520`, 'Use Schedule.every(60) for hourly')
        : undefined;
    return new Schedule(undefined, undefined, minutes, problem);
  }

  private constructor(
    /** The cron expression, when cron-based. */
    public readonly cronExpression: string | undefined,
    /** The cron time zone, when cron-based. */
    public readonly timeZone: string | undefined,
    /** The interval in minutes, when interval-based. */
    public readonly intervalMinutes: number | undefined,
    private readonly problem: InvalidValueError | undefined,
  ) {}

  /** Throws InvalidValueError when Snowflake would refuse this schedule. */
  validate(): void {
    if (this.problem) throw new InvalidValueError(this.problem.problem, this.problem.fix);
  }

  /** The Terraform `schedule` block of `snowflake_task`; throws InvalidValueError as `validate()`. */
  toTaskSchedule(): { usingCron?: string; minutes?: number } {
    this.validate();
    return this.cronExpression !== undefined ? { usingCron: `${this.cronExpression} ${this.timeZone}` } : { minutes: this.intervalMinutes };
  }

  toString(): string {
    return this.cronExpression !== undefined ? `cron(${this.cronExpression} ${this.timeZone})` : `every ${this.intervalMinutes} min`;
  }
}

/**
 * One field of Snowflake's task cron (CREATE TASK, `SCHEDULE = 'USING CRON <expr> <time_zone>'`:
 * https://docs.snowflake.com/en/sql-reference/sql/create-task; its field table is repeated at
 * https://docs.snowflake.com/en/developer-guide/snowflake-python-api/reference/latest/_autosummary/snowflake.core.task.Cron):
 * minute 0-59, hour 0-23, day of month 1-31 or L, month 1-12 or JAN-DEC, day of week 0-6 or
 * SUN-SAT or L; `*`, lists, ranges, `/n` steps, and `L` for "last" (`5L`: the last Friday).
 * Snowflake calls it "a subset of standard cron utility syntax" and documents no `W`, `#` or `?`,
 * so those are refused here rather than guessed at.
 */
interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names for min, min+1, ... */
  readonly names?: readonly string[];
  /** Where `L` may stand: alone (the last day of the month), or also after a day (`5L`). */
  readonly last?: 'alone' | 'afterDay';
  /** The allowed values, as messages name them. */
  readonly allowed: string;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59, allowed: '0-59' },
  { name: 'hour', min: 0, max: 23, allowed: '0-23' },
  { name: 'day-of-month', min: 1, max: 31, last: 'alone', allowed: '1-31 or L for the last day' },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], allowed: '1-12 or JAN-DEC' },
  {
    name: 'day-of-week',
    min: 0,
    max: 6,
    names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
    last: 'afterDay',
    allowed: '0-6 or SUN-SAT with 0 for Sunday, L, or 5L for the last Friday',
  },
];

function cronProblem(expression: string, fields: string[]): InvalidValueError | undefined {
  if (fields.length !== 5) {
    return new InvalidValueError(
      `cron expression ${JSON.stringify(expression)} must have five fields (minute hour day-of-month month day-of-week)`,
      "Write it like '0 6 * * *'",
    );
  }
  const problems = CRON_FIELDS.map((f, i) => fieldProblem(f, fields[i])).filter((p) => p !== undefined);
  if (problems.length === 0) return undefined;
  return new InvalidValueError(
    `cron expression ${JSON.stringify(expression)}: ${problems.join(', ')}`,
    'Write each field as a value in its range, *, a list (1,15), a range (1-5) or a step (*/15, 1-5/2)',
  );
}

/** What is wrong with one field (its first wrong list item), or undefined. */
function fieldProblem(f: CronField, text: string): string | undefined {
  const items = text.split(',');
  if (items.includes('')) return `${f.name} ${text} has an empty list item`;
  for (const item of items) {
    const problem = itemProblem(f, item.toUpperCase());
    if (problem) return `${f.name} ${problem}`;
  }
  return undefined;
}

/** What is wrong with one list item (upper-cased: names and L are read in any case). */
function itemProblem(f: CronField, item: string): string | undefined {
  if (f.last && item === 'L') return undefined;
  const lastOf = f.last === 'afterDay' && item.endsWith('L') ? value(f, item.slice(0, -1)) : undefined;
  if (lastOf !== undefined) return outside(f, lastOf, item);
  const [base, step, ...more] = item.split('/');
  const ends = base.split('-');
  const values = base === '*' ? [] : ends.map((e) => value(f, e));
  if (more.length > 0 || ends.length > 2 || values.includes(undefined)) {
    const undocumented = (f.names ?? []).reduce((rest, n) => rest.replaceAll(n, ''), item).match(/[W#?]/)?.[0];
    return undocumented
      ? `${item} uses ${undocumented}, which Snowflake's task cron does not document; it takes ${f.allowed}`
      : `${item} is not in ${f.allowed}`;
  }
  for (let i = 0; i < values.length; i++) {
    const problem = outside(f, values[i]!, ends[i]);
    if (problem) return problem;
  }
  // Snowflake documents no wrap-around (FRI-MON); a backward range is a typo or a misread.
  if (values.length === 2 && values[0]! > values[1]!) return `range ${item} runs backwards`;
  // A step above the field's largest value would only ever hit its start.
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1 && Number(step) <= f.max)) {
    return step === '' ? `${item} has an empty step` : `${item} has step ${step}, outside 1-${f.max}`;
  }
  return undefined;
}

/** A number or a name as its number, or undefined when it is neither. */
function value(f: CronField, text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const i = f.names?.indexOf(text) ?? -1;
  return i >= 0 ? f.min + i : undefined;
}

function outside(f: CronField, v: number, text: string): string | undefined {
  return v < f.min || v > f.max ? `${text} is outside ${f.min}-${f.max}` : undefined;
}

/**
 * A task's time zone is a tz database (IANA) name. Intl knows them all, aliases included, and
 * throws RangeError for any other name; 'UTC' is accepted outright because some ICU builds leave
 * it out of their lists.
 */
function timeZoneProblem(timeZone: string): InvalidValueError | undefined {
  const refused = new InvalidValueError(`time zone ${JSON.stringify(timeZone)} is not an IANA time zone name`, "Use a name such as 'UTC' or 'Europe/Berlin'");
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return refused;
  if (timeZone === 'UTC') return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return undefined;
  } catch (e) {
    if (e instanceof RangeError) return refused;
    throw e;
  }
}
