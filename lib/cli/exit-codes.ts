/** Documented exit codes of the `many-model` CLI (docs/cli.md). */
export const EXIT = {
  /** Everything asked for succeeded. */
  OK: 0,
  /** A hook step (or the synth) failed. */
  STEP_FAILED: 1,
  /** Bad usage or configuration: unknown command or flag, missing connection, bad manifest. */
  USAGE: 2,
  /** A destructive change was refused by a gate. */
  DESTRUCTIVE_REFUSED: 3,
} as const;
