import { InvalidValueError } from './errors';

/** A length of time, as in aws-cdk-lib's Duration (kept small: seconds are all Snowflake needs). */
export class Duration {
  static seconds(amount: number): Duration {
    return new Duration(amount);
  }
  static minutes(amount: number): Duration {
    return new Duration(amount * 60);
  }
  static hours(amount: number): Duration {
    return new Duration(amount * 3600);
  }

  private constructor(private readonly secs: number) {
    if (!Number.isFinite(secs) || secs < 0) {
      throw new InvalidValueError(`duration ${secs}s must be a finite, non-negative number`, 'Use Duration.seconds/minutes/hours with a value >= 0');
    }
  }

  /** Whole seconds, rounded up so a budget is never silently shortened. */
  toSeconds(): number {
    return Math.ceil(this.secs);
  }

  toString(): string {
    return `${this.toSeconds()}s`;
  }
}
