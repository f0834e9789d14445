import { InvalidValueError } from './errors';

/**
 * A length of time, as in aws-cdk-lib's Duration (kept small: seconds are all Snowflake needs).
 *
 * As with Schedule, the factories never throw: a negative or non-finite amount is reported by the
 * construct that receives it, naming its path and prop. `validate()` throws the bare
 * InvalidValueError for use outside a construct.
 */
export class Duration {
  static seconds(amount: number): Duration {
    return new Duration(amount, `Duration.seconds(${amount})`);
  }
  static minutes(amount: number): Duration {
    return new Duration(amount * 60, `Duration.minutes(${amount})`);
  }
  static hours(amount: number): Duration {
    return new Duration(amount * 3600, `Duration.hours(${amount})`);
  }

  private constructor(
    private readonly secs: number,
    /** How the caller wrote it, for messages. */
    private readonly written: string,
  ) {}

  /** Throws InvalidValueError unless the duration is a finite, non-negative number of seconds. */
  validate(): void {
    if (!Number.isFinite(this.secs) || this.secs < 0) {
      throw new InvalidValueError(`${this.written} is not a finite, non-negative duration`, 'Use Duration.seconds/minutes/hours with a value >= 0');
    }
  }

  /** Whole seconds, rounded up so a budget is never silently shortened; throws InvalidValueError as `validate()`. */
  toSeconds(): number {
    this.validate();
    return Math.ceil(this.secs);
  }

  toString(): string {
    return `${Math.ceil(this.secs)}s`;
  }
}
