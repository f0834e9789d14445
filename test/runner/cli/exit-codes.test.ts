import { CommanderError } from 'commander';
import { UsageError } from '../../../runner/cli/args';
import { EXIT, exitCodeOf } from '../../../runner/cli/exit-codes';
import { BootstrapError } from '../../../runner/bootstrap/bootstrap';
import { PlanError } from '../../../runner/hooks/planner';
import { HookError } from '../../../runner/hooks/runner';
import { ManifestError } from '../../../lib/hooks/validate';
import { TerraformPlanError } from '../../../runner/plan/terraform-plan';
import { ConnectionConfigError } from '../../../runner/snowflake/connection';

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
