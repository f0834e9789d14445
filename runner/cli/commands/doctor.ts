/**
 * `many-model doctor`: a read-only preflight of the synthesized stacks against a connection (the
 * local server or an account) before `deploy`: one line per check, `ok` / `FAIL` / `skip`, and
 * for a failure what is missing and the statement that fixes it (runner/doctor/, docs/deploying.md).
 *
 *   many-model doctor [--out DIR] [--stack S] [--connection NAME]
 */
import { diagnose, needsOfStacks, renderResults } from '../../doctor/doctor';
import { withSession } from '../connect';
import { EXIT } from '../exit-codes';
import { selectStacks } from '../synth-app';

export interface DoctorOptions {
  /** The synthesis output directory. */
  readonly out: string;
  /** Only this stack; every synthesized stack without it. */
  readonly stack?: string;
  /** The connection to check; SNOWFLAKE_* variables without it. */
  readonly connection?: string;
}

export async function doctor(opts: DoctorOptions): Promise<number> {
  // A stack without a provider role is a BootstrapError: exit 2, before connecting.
  const needs = needsOfStacks(selectStacks(opts.out, opts.stack));
  return withSession({ connection: opts.connection, say: (line) => process.stdout.write(line + '\n') }, async (session) => {
    const reports = await diagnose(async (sql) => (await session.query(sql)).rows, needs);
    for (const r of reports) process.stdout.write(renderResults(r.stack, r.results));
    return reports.some((r) => r.results.some((c) => c.status === 'FAIL')) ? EXIT.STEP_FAILED : EXIT.OK;
  });
}
