/** Exit codes of the `many-model` CLI (docs/cli.md, README, and each command's --help). */
import { CommanderError } from 'commander';

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

/**
 * The errors that say the input or the configuration is wrong rather than that work failed: the
 * CLI's own and those of the layers under it. Known by class name, so that classifying an error
 * loads no layer the command did not load (runner/bootstrap pulls in cdktf, runner/hooks/runner the
 * Snowflake driver).
 */
const USAGE_ERRORS: ReadonlySet<string> = new Set([
  'UsageError',
  'ManifestError',
  'PlanError',
  'TerraformPlanError',
  'ConnectionConfigError',
  'BootstrapError',
]);

/** The exit code of an error that ended a command. */
export function exitCodeOf(e: unknown): number {
  // commander ends `--help` and `--version` with an "error" of exit code 0.
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  return e instanceof Error && USAGE_ERRORS.has(e.name) ? EXIT.USAGE : EXIT.STEP_FAILED;
}
