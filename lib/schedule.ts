import { InvalidValueError } from './errors';

/** When a scheduled task runs: a cron expression with a time zone, or a fixed interval. */
export class Schedule {
  /**
   * A five-field cron expression evaluated in `timeZone` (an IANA name such as `UTC` or
   * `Europe/Berlin`), as Snowflake's `SCHEDULE = 'USING CRON <expr> <tz>'`.
   */
  static cron(expression: string, timeZone = 'UTC'): Schedule {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => /^[0-9A-Za-z*,/\-?LW#]+$/.test(f))) {
      throw new InvalidValueError(
        `cron expression ${JSON.stringify(expression)} must have five fields (minute hour day-of-month month day-of-week)`,
        "Write it like '0 6 * * *'",
      );
    }
    if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) {
      throw new InvalidValueError(`time zone ${JSON.stringify(timeZone)} is not an IANA time zone name`, "Use a name such as 'UTC' or 'Europe/Berlin'");
    }
    return new Schedule(fields.join(' '), timeZone, undefined);
  }

  /** Every `minutes` minutes (1 to 11520, Snowflake's task interval range). */
  static every(minutes: number): Schedule {
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 11520) {
      throw new InvalidValueError(`interval ${minutes} must be a whole number of minutes from 1 to 11520`, 'Use Schedule.every(60) for hourly');
    }
    return new Schedule(undefined, undefined, minutes);
  }

  private constructor(
    /** The cron expression, when cron-based. */
    public readonly cronExpression: string | undefined,
    /** The cron time zone, when cron-based. */
    public readonly timeZone: string | undefined,
    /** The interval in minutes, when interval-based. */
    public readonly intervalMinutes: number | undefined,
  ) {}

  /** The Terraform `schedule` block of `snowflake_task`. */
  toTaskSchedule(): { usingCron?: string; minutes?: number } {
    return this.cronExpression !== undefined
      ? { usingCron: `${this.cronExpression} ${this.timeZone}` }
      : { minutes: this.intervalMinutes };
  }

  toString(): string {
    return this.cronExpression !== undefined ? `cron(${this.cronExpression} ${this.timeZone})` : `every ${this.intervalMinutes} min`;
  }
}
