/**
 * `many-model bootstrap`: the one-time ACCOUNTADMIN statements the synthesized stacks need
 * (lib/bootstrap/bootstrap.ts, docs/roles.md), printed for a security review, or run with a
 * connection. Every statement is idempotent, so running it again after a stack change is safe.
 *
 *   many-model bootstrap [--out DIR] [--stack S] [--deploy-role R] [--user U]... [--connection NAME] [--print]
 */
import * as fs from 'fs';
import { BootstrapError, BootstrapStatement, TerraformJson, bootstrapStatements, renderBootstrapScript } from '../../bootstrap/bootstrap';
import { runBootstrap } from '../../bootstrap/run';
import { renderRoleTable } from '../../bootstrap/role-table';
import { CommandHelp, UsageError, flagSpec, formatHelp, parseFlags, wantsHelp } from '../args';
import { EXIT } from '../exit-codes';
import { openCommandSession } from '../connect';
import { selectStacks } from '../synth-app';

const FLAGS = {
  out: { kind: 'string', value: 'DIR', help: 'the synthesis output directory (default cdktf.out)' },
  stack: { kind: 'string', value: 'S', help: 'only this stack (default: every synthesized stack)' },
  'deploy-role': { kind: 'string', value: 'R', help: "the role terraform apply runs as (default: each stack's provider role)" },
  user: { kind: 'list', value: 'U', help: 'grant the deploy role to this user (repeatable)' },
  connection: { kind: 'string', value: 'NAME', help: 'run the statements on this connection (~/.snowflake/connections.toml) as ACCOUNTADMIN' },
  print: { kind: 'boolean', help: 'print the statements even when a connection is given' },
  roles: { kind: 'boolean', help: 'print, per stack, who holds what (the deploy role, bootstrap, the stack\'s grants) as a Markdown table instead' },
} as const;

export const HELP: CommandHelp = {
  usage: ['bootstrap [--out DIR] [--stack S] [--deploy-role R] [--user U]... [--connection NAME] [--print]', 'bootstrap --roles [--out DIR] [--stack S]'],
  summary:
    'The one-time statements an account administrator runs before the first deploy, derived from the synthesized stacks: the deploy role, ' +
    'the account privileges of what the stacks create (CREATE ROLE, CREATE COMPUTE POOL, EXECUTE TASK, ...), and the grants on objects they reference. ' +
    'Printed with the reason for each; with --connection they run as ACCOUNTADMIN. Who runs what as which role: docs/roles.md.',
  flags: FLAGS,
  exitCodes: {
    0: 'printed, or every statement ran',
    1: 'a statement failed (it is named), or Snowflake could not be reached',
    2: 'usage or configuration: unknown flag, no synthesis or stack, a stack without a provider role, no connection, login refused',
  },
};

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(formatHelp(HELP));
    return EXIT.OK;
  }
  let plans: { stack: string; statements: BootstrapStatement[]; tf: TerraformJson }[];
  let flags;
  try {
    flags = parseFlags(argv, flagSpec(FLAGS));
    plans = selectStacks(flags.out ?? 'cdktf.out', flags.stack).map((s) => {
      const tf = JSON.parse(fs.readFileSync(s.terraformFile, 'utf8')) as TerraformJson;
      try {
        return { stack: s.name, tf, statements: bootstrapStatements(tf, { deployRole: flags!['deploy-role'], users: flags!.user }) };
      } catch (e) {
        if (e instanceof BootstrapError) throw new UsageError(`stack ${s.name}: ${e.message}`);
        throw e;
      }
    });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`many-model bootstrap: ${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
  if (flags.roles) {
    for (const p of plans) process.stdout.write(`stack ${p.stack}: who holds what\n\n${renderRoleTable(p.tf)}\n`);
    return EXIT.OK;
  }
  if (flags.connection === undefined || flags.print) {
    for (const p of plans) process.stdout.write(renderBootstrapScript(p.statements, `stack ${p.stack}: ${p.statements.length} statements`) + '\n');
    return EXIT.OK;
  }
  const session = await openCommandSession('bootstrap', flags.connection);
  if (typeof session === 'number') return session;
  try {
    await runBootstrap(session, plans.flatMap((p) => p.statements), (line) => process.stdout.write(line + '\n'));
    return EXIT.OK;
  } catch (e) {
    process.stderr.write(`many-model bootstrap: ${session.redact((e as Error).message)}\n`);
    return EXIT.STEP_FAILED;
  } finally {
    await session.close();
  }
}
