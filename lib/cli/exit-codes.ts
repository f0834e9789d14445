/** Documented exit codes of the `many-model` CLI (README, and each command's --help). */
export const EXIT = {
  /** Everything asked for succeeded. */
  OK: 0,
  /** A hook step, the synth, the Terraform apply, or reaching Snowflake failed. */
  STEP_FAILED: 1,
  /** Bad usage or configuration: unknown command or flag, bad value, missing file, missing connection or refused login, bad manifest. */
  USAGE: 2,
  /** A destructive change was refused by a gate. */
  DESTRUCTIVE_REFUSED: 3,
} as const;
