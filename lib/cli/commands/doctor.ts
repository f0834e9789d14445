/**
 * `many-model doctor`: a read-only preflight of the synthesized stacks against a connection (the
 * local server or an account) before `deploy`: one line per check, `ok` / `FAIL` / `skip`, and
 * for a failure what is missing and the statement that fixes it (lib/doctor/, docs/deploying.md).
 *
 *   many-model doctor [--out DIR] [--stack S] [--connection NAME]
 */
import { BootstrapError } from '../../bootstrap/bootstrap';
import { diagnose, needsOfStacks, renderResults } from '../../doctor/doctor';
import { StackNeeds } from '../../doctor/needs';
import { CommandHelp, UsageError, flagSpec, formatHelp, parseFlags, wantsHelp } from '../args';
import { EXIT } from '../exit-codes';
import { openCommandSession } from '../connect';
import { selectStacks } from '../synth-app';

const FLAGS = {
  out: { kind: 'string', value: 'DIR', help: 'the synthesis output directory (default cdktf.out)' },
  stack: { kind: 'string', value: 'S', help: 'only this stack (default: every synthesized stack)' },
  connection: { kind: 'string', value: 'NAME', help: 'the connection to check (~/.snowflake/connections.toml; default: SNOWFLAKE_* variables)' },
} as const;

export const HELP: CommandHelp = {
  usage: ['doctor [--out DIR] [--stack S] [--connection NAME]'],
  summary:
    'A read-only preflight before deploy: whether the deploy role holds what bootstrap grants, whether the roles the stack creates hold its grants ' +
    '(after the first apply), hybrid tables, the image repositories and READ on them, the pinned Python packages, and the compute pools\' instance ' +
    'families. One line per check (ok / FAIL / skip); a failure lists what is missing and the statement that fixes it.',
  flags: FLAGS,
  exitCodes: {
    0: 'every check passed or was skipped',
    1: 'a check failed, or Snowflake could not be reached',
    2: 'usage or configuration: unknown flag, no synthesis or stack, a stack without a provider role, no connection, login refused',
  },
};

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(formatHelp(HELP));
    return EXIT.OK;
  }
  let needs: StackNeeds[];
  let flags;
  try {
    flags = parseFlags(argv, flagSpec(FLAGS));
    const stacks = selectStacks(flags.out ?? 'cdktf.out', flags.stack);
    try {
      needs = needsOfStacks(stacks);
    } catch (e) {
      if (e instanceof BootstrapError) throw new UsageError(e.message);
      throw e;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`many-model doctor: ${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
  const session = await openCommandSession('doctor', flags.connection);
  if (typeof session === 'number') return session;
  try {
    const reports = await diagnose(async (sql) => (await session.query(sql)).rows, needs);
    for (const r of reports) process.stdout.write(renderResults(r.stack, r.results));
    return reports.some((r) => r.results.some((c) => c.status === 'FAIL')) ? EXIT.STEP_FAILED : EXIT.OK;
  } finally {
    await session.close();
  }
}
