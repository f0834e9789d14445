/**
 * `many-model bootstrap`: the one-time ACCOUNTADMIN statements the synthesized stacks need
 * (runner/bootstrap/bootstrap.ts, docs/roles.md), printed for a security review, or run with a
 * connection. Every statement is idempotent, so running it again after a stack change is safe.
 *
 *   many-model bootstrap [--out DIR] [--stack S] [--deploy-role R] [--user U]... [--connection NAME] [--print]
 */
import * as fs from 'fs';
import { BootstrapError, TerraformJson, bootstrapStatements, renderBootstrapScript } from '../../bootstrap/bootstrap';
import { runBootstrap } from '../../bootstrap/run';
import { renderRoleTable } from '../../bootstrap/role-table';
import { UsageError } from '../args';
import { withSession } from '../connect';
import { EXIT } from '../exit-codes';
import { selectStacks } from '../synth-app';

export interface BootstrapOptions {
  /** The synthesis output directory. */
  readonly out: string;
  /** Only this stack; every synthesized stack without it. */
  readonly stack?: string;
  /** The role terraform apply runs as; each stack's provider role without it. */
  readonly deployRole?: string;
  /** Users granted the deploy role. */
  readonly user?: string[];
  /** Run the statements on this connection, as ACCOUNTADMIN. */
  readonly connection?: string;
  /** Print the statements even when a connection is given. */
  readonly print?: boolean;
  /** Print who holds what, per stack, instead. */
  readonly roles?: boolean;
}

export async function bootstrap(opts: BootstrapOptions): Promise<number> {
  const plans = selectStacks(opts.out, opts.stack).map((s) => {
    const tf = JSON.parse(fs.readFileSync(s.terraformFile, 'utf8')) as TerraformJson;
    try {
      return { stack: s.name, tf, statements: bootstrapStatements(tf, { deployRole: opts.deployRole, users: opts.user }) };
    } catch (e) {
      if (e instanceof BootstrapError) throw new UsageError(`stack ${s.name}: ${e.message}`);
      throw e;
    }
  });
  if (opts.roles) {
    for (const p of plans) process.stdout.write(`stack ${p.stack}: who holds what\n\n${renderRoleTable(p.tf)}\n`);
    return EXIT.OK;
  }
  if (opts.connection === undefined || opts.print) {
    for (const p of plans) process.stdout.write(renderBootstrapScript(p.statements, `stack ${p.stack}: ${p.statements.length} statements`) + '\n');
    return EXIT.OK;
  }
  const say = (line: string) => process.stdout.write(line + '\n');
  await withSession({ connection: opts.connection, say }, (session) =>
    runBootstrap(
      session,
      plans.flatMap((p) => p.statements),
      say,
    ),
  );
  return EXIT.OK;
}
