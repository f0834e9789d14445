import { CommanderError } from 'commander';
import { UsageError } from '../../lib/cli/args';
import { EXIT, exitCodeOf } from '../../lib/cli/exit-codes';
import { BootstrapError } from '../../lib/bootstrap/bootstrap';
import { PlanError } from '../../lib/hooks/planner';
import { HookError } from '../../lib/hooks/runner';
import { ManifestError } from '../../lib/hooks/validate';
import { TerraformPlanError } from '../../lib/plan/terraform-plan';
import { ConnectionConfigError } from '../../lib/snowflake/connection';

describe('exit codes of errors', () => {
  test.each([
    ['UsageError', new UsageError('x')],
    ['ManifestError', new ManifestError('x')],
    ['PlanError', new PlanError('x')],
    ['TerraformPlanError', new TerraformPlanError('x')],
    ['ConnectionConfigError', new ConnectionConfigError('x')],
    ['BootstrapError', new BootstrapError('x')],
    ["commander's usage errors", new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'")],
  ])('%s: usage or configuration (2)', (_name, e) => {
    expect(exitCodeOf(e)).toBe(EXIT.USAGE);
  });

  test('a failed step, or anything else: 1', () => {
    expect(exitCodeOf(new HookError('s', 'st', '002003', 'x'))).toBe(EXIT.STEP_FAILED);
    expect(exitCodeOf(new Error('x'))).toBe(EXIT.STEP_FAILED);
    expect(exitCodeOf('thrown text')).toBe(EXIT.STEP_FAILED);
  });

  test('--help and --version end with exit 0', () => {
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(EXIT.OK);
    expect(exitCodeOf(new CommanderError(0, 'commander.version', 'many-model 0.1.0'))).toBe(EXIT.OK);
  });
});
