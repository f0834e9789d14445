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
    return this.cronExpression !== undefined
      ? { usingCron: `${this.cronExpression} ${this.timeZone}` }
      : { minutes: this.intervalMinutes };
  }

  toString(): string {
    return this.cronExpression !== undefined ? `cron(${this.cronExpression} ${this.timeZone})` : `every ${this.intervalMinutes} min`;
  }
}

function cronProblem(expression: string, fields: string[]): InvalidValueError | undefined {
  if (fields.length !== 5 || !fields.every((f) => /^[0-9A-Za-z*,/\-?LW#]+$/.test(f))) {
    return new InvalidValueError(
      `cron expression ${JSON.stringify(expression)} must have five fields (minute hour day-of-month month day-of-week)`,
      "Write it like '0 6 * * *'",
    );
  }
  return undefined;
}

function timeZoneProblem(timeZone: string): InvalidValueError | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) {
    return new InvalidValueError(`time zone ${JSON.stringify(timeZone)} is not an IANA time zone name`, "Use a name such as 'UTC' or 'Europe/Berlin'");
  }
  return undefined;
}
