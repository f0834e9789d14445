/**
 * One error type per layer (DESIGN.md §6). Messages follow `<path>: <prop> <what is wrong>. <fix>`.
 */

/** Raised at synth time for props that are certainly wrong. */
export class ValidationError extends Error {
  constructor(
    /** Construct path (or "" outside a construct). */
    public readonly path: string,
    /** The offending prop, dotted for nested props (`scoring.horizon`). */
    public readonly prop: string,
    /** What is wrong, without the path or the prop. */
    public readonly problem: string,
    /** How to fix it. */
    public readonly fix: string,
  ) {
    super(`${path ? path + ': ' : ''}${prop} ${problem}. ${fix}`);
    this.name = 'ValidationError';
  }
}

/** A value that must be fixed by the caller, raised by pure helpers that do not know the construct path. */
export class InvalidValueError extends Error {
  constructor(
    public readonly problem: string,
    public readonly fix: string,
  ) {
    super(`${problem}. ${fix}`);
    this.name = 'InvalidValueError';
  }
}

/**
 * Runs `fn`, turning an InvalidValueError from a pure helper into a ValidationError that names
 * the construct path and the prop.
 */
export function validateProp<T>(path: string, prop: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidValueError) throw new ValidationError(path, prop, e.problem, e.fix);
    throw e;
  }
}
