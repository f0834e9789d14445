/**
 * The `many-model` commands as commander defines them: flags, help, exit codes and environment
 * variables. Each command's work lives in its own module under runner/cli/commands/ and is loaded
 * only when that command runs, so `many-model synth` never loads snowflake-sdk, `local-server`
 * never loads cdktf, and only `local-server`, `deploy --local` and `demo` load the local server's
 * packages (runner/cli/local-server-packages.ts). `many-model <command> --help` prints what is
 * declared here, and docs/cli.md holds the same text (runner/cli/reference.ts).
 */
import { Command, Help, HelpConfiguration } from 'commander';
import { ownPackage } from '../own-package';
import { ALLOW_ENV, CONNECTION_ENV, PASSWORD_ENV } from './environment';
import { EXIT } from './exit-codes';
import {
  checkAppFile,
  checkInputDir,
  checkOutputDir,
  checkOutputFile,
  flag,
  oneOf,
  parseCredits,
  parsePort,
  parsePositiveInt,
  parseSeconds,
  repeatable,
} from './args';
import { readImageCommands } from './image-commands';
import type { BootstrapOptions } from './commands/bootstrap';
import type { DemoOptions } from './commands/demo';
import type { DeployOptions } from './commands/deploy';
import type { DoctorOptions } from './commands/doctor';
import type { HooksOptions } from './commands/hooks';
import type { LocalServerOptions } from './commands/local-server';
import type { PlanOptions } from './commands/plan';
import type { ReportOptions } from './commands/report';
import type { SynthOptions } from './commands/synth';

type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A `many-model` command: commander's, with the exit codes and environment variables its help lists. */
export class CliCommand extends Command {
  /** What each exit code means for this command. */
  exitCodeHelp: readonly [string, string][] = [];
  /** The environment variables the command reads, and what for. */
  environmentHelp: readonly [string, string][] = [];

  override createCommand(name?: string): CliCommand {
    return new CliCommand(name).usage('[flags]');
  }

  exitCodes(codes: Partial<Record<ExitCode, string>>): this {
    this.exitCodeHelp = Object.entries(codes);
    return this;
  }

  environment(variables: Readonly<Record<string, string>>): this {
    this.environmentHelp = Object.entries(variables);
    return this;
  }
}

const HELP: HelpConfiguration = {
  // A fixed width, so the help reads the same in every terminal and in docs/cli.md.
  helpWidth: 100,
  // This CLI says "flags"; lower-case headings as in its other output.
  styleTitle: (title) => (title === 'Options:' ? 'flags:' : title.toLowerCase()),
  subcommandTerm: (cmd) => cmd.name(),
  formatHelp(cmd, helper) {
    const text = Help.prototype.formatHelp.call(helper, cmd, helper);
    if (!(cmd instanceof CliCommand)) return text;
    const section = (title: string, rows: readonly [string, string][]) => {
      const width = Math.max(...rows.map(([term]) => term.length));
      return helper.formatItemList(
        title,
        rows.map(([term, what]) => helper.formatItem(term, width, what, helper)),
        helper,
      );
    };
    const sections = [...section('exit codes:', cmd.exitCodeHelp), ...section('environment:', cmd.environmentHelp)];
    return sections.length > 0 ? `${text}\n${sections.join('\n')}` : text;
  },
};

const CONNECTION_FLAG = 'a connection of ~/.snowflake/connections.toml (default: SNOWFLAKE_* variables)';

/** bootstrap and doctor: every synthesized stack, or --stack. */
const everyStack = (cmd: CliCommand) =>
  cmd
    .addOption(flag('--out <DIR>', 'the synthesis output directory').default('cdktf.out'))
    .addOption(flag('--stack <S>', 'only this stack (default: every synthesized stack)'));
const EVERY_STACK_USAGE = 'usage or configuration: unknown flag, no synthesis or stack, a stack without a provider role, no connection, login refused';

const LOCAL_SERVER_PACKAGES_MISSING = "or the local server's packages are not installed (the message says which)";

// require() rather than import(): tsx (fresh clones) hooks require for .ts files, not import().
/* eslint-disable @typescript-eslint/no-require-imports */
const load = {
  synth: () => require('./commands/synth') as typeof import('./commands/synth'),
  demo: () => require('./commands/demo') as typeof import('./commands/demo'),
  hooks: () => require('./commands/hooks') as typeof import('./commands/hooks'),
  plan: () => require('./commands/plan') as typeof import('./commands/plan'),
  bootstrap: () => require('./commands/bootstrap') as typeof import('./commands/bootstrap'),
  doctor: () => require('./commands/doctor') as typeof import('./commands/doctor'),
  deploy: () => require('./commands/deploy') as typeof import('./commands/deploy'),
  report: () => require('./commands/report') as typeof import('./commands/report'),
  localServer: () => require('./commands/local-server') as typeof import('./commands/local-server'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The `many-model` program. A command's action resolves to its exit code, handed to `done`;
 * errors are thrown, commander's included (exitOverride), and runner/cli/main.ts maps them to exit codes.
 */
export function manyModelProgram(done: (code: number) => void = () => undefined): CliCommand {
  const run =
    <O>(work: (opts: O) => Promise<number>) =>
    async (opts: O) =>
      done(await work(opts));
  const program = new CliCommand('many-model')
    .usage('<command> [flags]')
    .description(
      "Synthesize, plan, bootstrap, check, deploy, run the post-deploy hooks of and report on Snowflake many-model pipelines. 'many-model <command> --help' shows a command's flags, exit codes and environment; docs/cli.md has them all.",
    )
    .version(`many-model ${ownPackage().version}`, '-V, --version', 'print the package version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the help of a command')
    .configureHelp(HELP)
    // Errors are reported once, in this CLI's words, by main.ts.
    .configureOutput({ outputError: () => undefined })
    .exitOverride()
    // Flags belong to the command after which they stand: `many-model synth --version` is an unknown flag of synth.
    .enablePositionalOptions()
    // commander checks only the values given; a default is checked as a given value is, so that
    // `synth` where there is no stacks/main.ts says so before any work.
    .hook('preAction', (_program, command) => {
      for (const o of command.options) {
        if (o.parseArg && command.getOptionValueSource(o.attributeName()) === 'default') o.parseArg(String(o.defaultValue), undefined);
      }
    })
    .addHelpText(
      'after',
      '\nexit codes: 0 ok, 1 a step (or the apply, or reaching Snowflake) failed, 2 usage or configuration error,\n' +
        '            3 change refused by plan (--fail-on destructive, --max-credits)',
    );

  program
    .command('synth')
    .summary('synthesize the app (Terraform JSON + hooks.json) and print a summary')
    .description(
      'Synthesizes a cdktf app module that exports buildApp(outdir) (TypeScript or JavaScript) and prints, per stack, the Terraform resources and the hook steps it wrote.',
    )
    .addOption(flag('--app <FILE>', 'the app module', checkAppFile).default('stacks/main.ts'))
    .addOption(flag('--out <DIR>', 'output directory; its parent must exist', checkOutputDir).default('cdktf.out'))
    .exitCodes({
      0: 'synthesized',
      1: 'the app failed to synthesize',
      2: 'usage: unknown flag, no such --app file, --out parent missing, no buildApp export, a TypeScript app without a TypeScript loader (tsx) installed',
    })
    .action(run((o: SynthOptions) => load.synth().synth(o)));

  program
    .command('demo')
    .summary('the offline demo: synthesize the example app and run it on the local server')
    .description(
      'The offline demo: synthesizes the example app (stacks/main.ts) into cdktf.out/ (under the current directory), starts the embedded local Snowflake-protocol server, ' +
        'loads generated series and runs the hooks end to end through snowflake-sdk, then closes the loop (future actuals in which known series change regime, ' +
        'the monitoring task run once, its task graph retraining them into one promoted version) and prints a summary.',
    )
    .addOption(flag('--series <N>', 'number of generated daily series (partitions)', parsePositiveInt).default(200))
    .addOption(flag('--days <N>', 'days of history per series', parsePositiveInt).default(1095))
    .option(
      '--warehouse',
      'train in the warehouse (TrainingStrategy.warehouse()): one statement through a JavaScript UDTF, no compute pool, queue or job service',
    )
    .exitCodes({
      0: 'every step succeeded',
      1: 'a step failed, or the closed loop did not promote exactly the changed series',
      2: `usage: unknown flag or a value that is not a positive whole number; ${LOCAL_SERVER_PACKAGES_MISSING}`,
    })
    .action(run((o: DemoOptions) => load.demo().demo(o)));

  const hooks = program
    .command('hooks')
    .usage('<plan|run|abandon> [flags]')
    .summary('hooks plan|run|abandon: plan, run or abandon the post-deploy steps of a synthesized stack')
    .description(
      'The post-deploy steps of a synthesized stack (its hooks.json), with the ledger that records each attempt. Run identity: docs/hooks-manifest.md.',
    );
  const hooksExitCodes = {
    0: 'every step succeeded (or the plan was printed, or the run abandoned)',
    1: 'a step failed, another runner holds the lock, or Snowflake stayed unreachable (retried)',
    2: 'usage or configuration: unknown flag, no synthesis or stack, bad manifest, unknown step or run, no connection, login refused',
  };
  hooks.exitCodes(hooksExitCodes);
  const hooksCommand = (name: string, summary: string) =>
    hooks
      .command(name)
      .summary(summary)
      .description(summary)
      .addOption(flag('--stack <S>', 'the stack (needed when the synthesis has several)'))
      .addOption(flag('--out <DIR>', 'the synthesis output directory').default('cdktf.out'))
      .addOption(flag('--connection <NAME>', CONNECTION_FLAG))
      .exitCodes(hooksExitCodes)
      .environment(CONNECTION_ENV);
  const selection = (cmd: CliCommand) =>
    cmd
      .addOption(repeatable('--force <STEP>', 'run STEP even when it is up to date (steps that depend on it run too); repeatable'))
      .addOption(flag('--from <STEP>', 'skip the steps before STEP (manifest order)'))
      .addOption(repeatable('--only <STEP>', 'skip every step but STEP (its dependencies are not pulled in); repeatable'));
  const lockTimeout = () => flag('--lock-timeout <SECONDS>', 'take over the lock of a runner whose heartbeat stopped this long ago (default 60)', parseSeconds);

  selection(
    hooksCommand(
      'plan',
      "Which post-deploy steps will run, why, and under which run (resumed, abandoned, new), and the closed loop's latest runs; reads the ledger.",
    ),
  ).action(run((o: HooksOptions) => load.hooks().planHooks(o)));
  selection(
    hooksCommand(
      'run',
      'Runs the post-deploy steps through snowflake-sdk, recording each attempt; an unfinished run is resumed, or abandoned when its inputs changed.',
    ),
  )
    .option('--dry-run', 'print the steps and their SQL instead of running them')
    .addOption(lockTimeout())
    .action(run((o: HooksOptions) => load.hooks().runStackHooks(o)));
  hooksCommand('abandon', 'Abandons an unfinished run: stops its workers, closes its chunks, marks it in the ledger.')
    .addOption(flag('--run <RUN_ID>', "the unfinished run to abandon (default: every run group's unfinished run)"))
    .addOption(lockTimeout())
    .action(run((o: HooksOptions) => load.hooks().abandonHooks(o)));

  program
    .command('plan')
    .usage('--base <DIR|REF> [flags]')
    .summary('pull-request plan: Terraform changes, hook steps, their credits and destructive changes vs a base (--base DIR|REF)')
    .description(
      'The pull-request plan: Terraform changes, hook steps that will run and why, what they cost in credits, and destructive changes to stateful objects, head against base (docs/gitops.md).',
    )
    .addOption(flag('--base <DIR|REF>', 'required: a synthesized directory (a cdktf.out of the target branch) or a git ref (origin/main)'))
    .addOption(flag('--head <DIR>', 'an already synthesized head (default: synthesize --app now)', checkInputDir))
    .addOption(flag('--app <FILE>', 'without --head: the app module exporting buildApp(outdir) (default stacks/main.ts)', checkAppFile))
    .addOption(flag('--out <DIR>', 'without --head: where the head is synthesized; its parent must exist (default cdktf.out)', checkOutputDir))
    .addOption(flag('--format <markdown|json>', 'output format', oneOf('markdown', 'json')).default('markdown'))
    .addOption(flag('--fail-on <destructive|never>', 'exit 3 when a destructive change is not allowed', oneOf('destructive', 'never')).default('never'))
    .addOption(repeatable('--terraform-plan <[STACK=]FILE>', "a 'terraform show -json' plan: the truth for Terraform actions; repeatable"))
    .addOption(repeatable('--allow <ADDRESS|PATH>', `allow a destructive change (also ${ALLOW_ENV}); repeatable`))
    .addOption(repeatable('--force <STEP>', "a hook step the plan should show as forced (as 'hooks run --force'); repeatable"))
    .addOption(flag('--output <FILE>', 'also write the plan to FILE; its directory must exist', checkOutputFile))
    .addOption(flag('--max-credits <N>', "exit 3 when the change's estimated first-month credits exceed N", parseCredits))
    .addOption(flag('--credit-price <P>', 'the price of one credit: costs beside credits (no currency without it)', parseCredits))
    .addOption(flag('--partitions <N>', "partitions per pipeline for the cost estimate (default: the ledger's, else 1000)", parsePositiveInt))
    .addOption(
      repeatable(
        '--pool-rate <FAMILY=CREDITS>',
        "credits per node-hour of a compute pool instance family, from Snowflake's consumption table or your contract (unpriced without); repeatable",
      ),
    )
    .option('--ledger', "read step durations from the stacks' HOOK_RUNS ledgers (--connection, or SNOWFLAKE_* variables)")
    .addOption(flag('--connection <NAME>', 'a connection of ~/.snowflake/connections.toml to read the ledgers with (implies --ledger)'))
    .exitCodes({
      0: 'planned (destructive changes shown but allowed or not gated)',
      1: "the app failed to synthesize (head or base), or --ledger's account could not be reached",
      2: 'usage: unknown flag, missing --base, bad value, no such file, output directory missing, unreadable Terraform plan, --ledger without a connection or with a refused login',
      3: '--fail-on destructive and a destructive change is not allowed, or the estimated credits exceed --max-credits',
    })
    .environment({ [ALLOW_ENV]: 'destructive changes to allow, as --allow gives them (comma- or newline-separated)', ...CONNECTION_ENV })
    .action(run((o: PlanOptions) => load.plan().plan(o)));

  everyStack(program.command('bootstrap'))
    .summary('the one-time ACCOUNTADMIN statements the synthesized stacks need (printed, or run with --connection)')
    .description(
      'The one-time statements an account administrator runs before the first deploy, derived from the synthesized stacks: the deploy role, ' +
        'the account privileges of what the stacks create (CREATE ROLE, CREATE COMPUTE POOL, EXECUTE TASK, ...), and the grants on objects they reference. ' +
        'Printed with the reason for each; with --connection they run as ACCOUNTADMIN. Who runs what as which role: docs/roles.md.',
    )
    .addOption(flag('--deploy-role <R>', "the role terraform apply runs as (default: each stack's provider role)"))
    .addOption(repeatable('--user <U>', 'grant the deploy role to this user; repeatable'))
    .addOption(flag('--connection <NAME>', 'run the statements on this connection (~/.snowflake/connections.toml) as ACCOUNTADMIN'))
    .option('--print', 'print the statements even when a connection is given')
    .option('--roles', "print, per stack, who holds what (the deploy role, bootstrap, the stack's grants) as a Markdown table instead")
    .exitCodes({
      0: 'printed, or every statement ran',
      1: 'a statement failed (it is named), or Snowflake could not be reached',
      2: EVERY_STACK_USAGE,
    })
    .environment(CONNECTION_ENV)
    .action(run((o: BootstrapOptions) => load.bootstrap().bootstrap(o)));

  everyStack(program.command('doctor'))
    .summary('read-only preflight before deploy: roles, grants, hybrid tables, image repositories, packages, instance families')
    .description(
      'A read-only preflight before deploy: whether the deploy role holds what bootstrap grants, whether the roles the stack creates hold its grants ' +
        "(after the first apply), hybrid tables, the image repositories and READ on them, the pinned Python packages, and the compute pools' instance " +
        'families. One line per check (ok / FAIL / skip); a failure lists what is missing and the statement that fixes it.',
    )
    .addOption(flag('--connection <NAME>', CONNECTION_FLAG))
    .exitCodes({
      0: 'every check passed or was skipped',
      1: 'a check failed, or Snowflake could not be reached',
      2: EVERY_STACK_USAGE,
    })
    .environment(CONNECTION_ENV)
    .action(run((o: DoctorOptions) => load.doctor().doctor(o)));

  program
    .command('deploy')
    .summary('synth, terraform apply the stack, then run its hooks (no hooks when the apply fails); --local: on the local server')
    .description(
      "Synthesizes the app, runs terraform init and apply -auto-approve in the stack's synthesized directory, and only when the apply succeeded runs the stack's hooks (as 'hooks run'). " +
        'With --local the same on the local Snowflake-protocol server, one it starts (--data, --images) or a running local-server (--port): ' +
        'bootstrap as ACCOUNTADMIN, apply as the deploy role, hooks as the runner role.',
    )
    .addOption(flag('--stack <S>', 'the stack to apply and run hooks for (needed when the app has several)'))
    .addOption(flag('--out <DIR>', 'synthesis output directory; its parent must exist', checkOutputDir).default('cdktf.out'))
    .addOption(flag('--app <FILE>', 'the app module exporting buildApp(outdir)', checkAppFile).default('stacks/main.ts'))
    .addOption(flag('--connection <NAME>', CONNECTION_FLAG))
    .addOption(flag('--terraform <BIN>', 'the Terraform binary (default: terraform on PATH)'))
    .option('--local', 'deploy to the local Snowflake-protocol server instead')
    .addOption(
      flag('--data <DIR>', '--local: the server keeps its state here (load your source tables into it first); default a temporary directory', checkOutputDir),
    )
    .addOption(
      flag('--images <FILE>', '--local: JSON mapping trainer images (or prefixes) to local commands; unmapped images run the reference worker', (_flag, file) =>
        readImageCommands(file),
      ),
    )
    .addOption(flag('--port <N>', '--local: deploy to a running many-model local-server on 127.0.0.1:N instead of starting one', parsePort))
    .addOption(flag('--user <NAME>', "--local --port: the server's user (default test)"))
    .addOption(flag('--password-file <FILE>', `--local --port: the user's password, first line of FILE (mode 0600); or set ${PASSWORD_ENV} (default test)`))
    .exitCodes({
      0: 'applied and every hook step succeeded',
      1: 'the synth, terraform init/apply or a hook step failed, or Snowflake could not be reached',
      2:
        'usage or configuration: unknown flag, no such --app file, --out parent missing, no terraform binary, no connection, login refused; --local: a source table the local server does not hold, ' +
        `a bad --images file, --port with --data or --images, ${LOCAL_SERVER_PACKAGES_MISSING}`,
    })
    .environment({ ...CONNECTION_ENV, [PASSWORD_ENV]: '--local --port: the password of --user, when no --password-file' })
    .action(run((o: DeployOptions) => load.deploy().deploy(o)));

  program
    .command('report')
    .summary("one self-contained HTML page of a pipeline's monitoring: accuracy, worst partitions, drift, champion vs challenger, retraining")
    .description(
      "Writes one self-contained HTML page (inline CSS and SVG, no script, no request) of a pipeline's monitoring (pipeline.addMonitoring()): the distribution of realized sMAPE, " +
        "the worst partitions with their forecasts, intervals and actuals, the drift flags, the champion (the alias's version) against the newest version, and what the last " +
        "closed-loop run retrained. The tables come from the synthesized stack's hooks.json; run it as a role that reads them and the model (the deploy role, which holds the runner and consumer roles).",
    )
    .addOption(flag('--out <FILE>', 'the HTML file to write; its directory must exist', checkOutputFile).default('report.html'))
    .addOption(flag('--synth <DIR>', 'the synthesis output directory').default('cdktf.out'))
    .addOption(flag('--stack <S>', 'the stack (needed when the synthesis has several)'))
    .addOption(flag('--monitor <PATH>', "the monitor's construct path (needed when the stack has several)"))
    .addOption(flag('--connection <NAME>', CONNECTION_FLAG))
    .exitCodes({
      0: 'the report was written',
      1: 'a query failed (a table not deployed, a privilege missing), or Snowflake could not be reached',
      2: 'usage or configuration: unknown flag, no synthesis or stack, a stack without monitoring, an unknown --monitor, no connection, login refused',
    })
    .environment(CONNECTION_ENV)
    .action(run((o: ReportOptions) => load.report().report(o)));

  program
    .command('local-server')
    .summary('start the local Snowflake-protocol server (--port N --data DIR)')
    .description(
      'Starts the local Snowflake-protocol server (a test double of Snowflake: docs/local-server.md) on 127.0.0.1 and runs until Ctrl-C or SIGTERM. ' +
        `The password: --password-file FILE, else ${PASSWORD_ENV}, else --password; without any, user 'test' with password 'test'. A --user needs a password from one of them.`,
    )
    .addOption(flag('--port <N>', 'TCP port on 127.0.0.1, 0 to 65535 (0: a free port, printed)', parsePort).default(0))
    .addOption(flag('--data <DIR>', 'keep state in DIR across restarts; its parent must exist (default: in memory)', checkOutputDir))
    .addOption(flag('--user <NAME>', 'the user that may log in (default test)'))
    .addOption(flag('--password-file <FILE>', `the user's password, first line of FILE (mode 0600); or set ${PASSWORD_ENV}`))
    .addOption(flag('--password <PW>', `discouraged: visible to every local user in ps; use --password-file or ${PASSWORD_ENV}`))
    .addOption(
      flag(
        '--images <FILE>',
        'JSON mapping trainer images (or prefixes) to local commands; unmapped images run the reference worker (docs/local-server.md)',
        (_flag, file) => readImageCommands(file),
      ),
    )
    .exitCodes({
      0: 'stopped by Ctrl-C or SIGTERM',
      1: 'the server failed (e.g. the port is taken)',
      2: `usage: unknown flag, bad port, missing --data parent, no password for --user, unreadable password file, a bad --images file; ${LOCAL_SERVER_PACKAGES_MISSING}`,
    })
    .environment({ [PASSWORD_ENV]: 'the password of --user, when no --password-file' })
    .action(run((o: LocalServerOptions) => load.localServer().localServer(o)));

  return program;
}
