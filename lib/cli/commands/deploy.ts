/**
 * `many-model deploy [--stack S] [--out DIR] [--app FILE] [--connection NAME] [--terraform BIN]`:
 * synthesizes the app, applies the stack with Terraform in its synthesized directory
 * (`terraform init` + `terraform apply -auto-approve`), and only when the apply succeeded runs the
 * stack's hooks. A failed apply runs no hooks and exits 1.
 *
 * `many-model deploy --local [--data DIR] [--images FILE]` or `--local --port N`: the same on the local
 * server it starts, or on a running `many-model local-server`, with each step as its role
 * (./deploy-local.ts).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { CommandHelp, UsageError, checkAppFile, checkOutputDir, flagSpec, formatHelp, parseFlags, parsePort, wantsHelp } from '../args';
import type { RunningServer } from './deploy-local';
import { PASSWORD_ENV, readPassword } from './local-server';
import { EXIT } from '../exit-codes';
import { synthApp } from './synth';
import { run as runHooksCommand } from './hooks';
import { readSynthOutput } from '../synth-app';
import { checkLocalServerPackages } from '../local-server-packages';

const FLAGS = {
  stack: { kind: 'string', value: 'S', help: 'the stack to apply and run hooks for (needed when the app has several)' },
  out: { kind: 'string', value: 'DIR', help: 'synthesis output directory; its parent must exist (default cdktf.out)' },
  app: { kind: 'string', value: 'FILE', help: 'the app module exporting buildApp(outdir) (default stacks/main.ts)' },
  connection: { kind: 'string', value: 'NAME', help: 'a connection of ~/.snowflake/connections.toml (default: SNOWFLAKE_* variables)' },
  terraform: { kind: 'string', value: 'BIN', help: 'the Terraform binary (default terraform on PATH)' },
  local: { kind: 'boolean', help: 'deploy to the local Snowflake-protocol server instead: bootstrap as ACCOUNTADMIN, apply as the deploy role, hooks as the runner role' },
  data: { kind: 'string', value: 'DIR', help: '--local: the server keeps its state here (load your source tables into it first); default a temporary directory' },
  images: { kind: 'string', value: 'FILE', help: '--local: JSON mapping trainer images (or prefixes) to local commands; unmapped images run the reference worker' },
  port: { kind: 'string', value: 'N', help: '--local: deploy to a running many-model local-server on 127.0.0.1:N instead of starting one (give --data and --images to local-server)' },
  user: { kind: 'string', value: 'NAME', help: `--local --port: the server's user (default test)` },
  'password-file': { kind: 'string', value: 'FILE', help: `--local --port: the user's password, first line of FILE (mode 0600); or set ${PASSWORD_ENV} (default test)` },
} as const;

export const HELP: CommandHelp = {
  usage: [
    'deploy [--stack S] [--out DIR] [--app FILE] [--connection NAME] [--terraform BIN]',
    'deploy --local [--stack S] [--out DIR] [--app FILE] [--data DIR] [--images FILE]',
    'deploy --local --port N [--user NAME] [--password-file FILE] [--stack S] [--out DIR] [--app FILE]',
  ],
  summary: "Synthesizes the app, runs terraform init and apply -auto-approve in the stack's synthesized directory, and only when the apply succeeded runs the stack's hooks (as 'hooks run').",
  flags: FLAGS,
  exitCodes: {
    0: 'applied and every hook step succeeded',
    1: 'the synth, terraform init/apply or a hook step failed, or Snowflake could not be reached',
    2: 'usage or configuration: unknown flag, no such --app file, --out parent missing, no terraform binary, no connection, login refused; --local: a source table the local server does not hold, a bad --images file, --port with --data or --images, the local server packages not installed (the message says which)',
  },
  notes: ['Connection retries: MANY_MODEL_CONNECT_RETRIES (default 5), MANY_MODEL_CONNECT_RETRY_DELAY_MS (first wait, default 1000; doubles, up to 8x).'],
};

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(formatHelp(HELP));
    return EXIT.OK;
  }
  let flags;
  let running: RunningServer | undefined;
  try {
    flags = parseFlags(argv, flagSpec(FLAGS));
    checkAppFile('--app', flags.app ?? 'stacks/main.ts');
    checkOutputDir('--out', flags.out ?? 'cdktf.out');
    const localOnly = (['data', 'images', 'port', 'user', 'password-file'] as const).filter((f) => flags![f] !== undefined);
    if (!flags.local && localOnly.length > 0) throw new UsageError(`${localOnly.map((f) => `--${f}`).join(', ')}: ${localOnly.length > 1 ? 'belong' : 'belongs'} to deploy --local`);
    if (flags.local && (flags.connection !== undefined || flags.terraform !== undefined)) throw new UsageError('deploy --local deploys to the local server: --connection and --terraform do not apply');
    if (flags.port !== undefined && (flags.data !== undefined || flags.images !== undefined)) throw new UsageError('--port deploys to a running local server, which keeps its own state and images: give --data and --images to many-model local-server');
    if (flags.port === undefined && (flags.user !== undefined || flags['password-file'] !== undefined)) throw new UsageError('--user and --password-file log in to a running local server: give its --port');
    if (flags.port !== undefined) {
      const port = parsePort('--port', flags.port);
      if (port === 0) throw new UsageError('--port 0: give the port the running local server printed');
      running = { port, user: flags.user ?? 'test', password: readPassword(flags) ?? 'test' };
    }
    if (flags.data !== undefined) checkOutputDir('--data', flags.data);
  } catch (e) {
    process.stderr.write(`many-model deploy: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }
  if (flags.local) {
    // Before the synth: without the local server's packages there is nothing to deploy to.
    const missing = checkLocalServerPackages('many-model deploy --local');
    if (missing) {
      process.stderr.write(`${missing}\n`);
      return EXIT.USAGE;
    }
  }
  const out = flags.out ?? 'cdktf.out';
  let app;
  try {
    app = await synthApp(flags.app ?? 'stacks/main.ts', out);
  } catch (e) {
    process.stderr.write(`many-model deploy: synth failed: ${(e as Error).message}\n`);
    return e instanceof UsageError ? EXIT.USAGE : EXIT.STEP_FAILED;
  }
  const stacks = readSynthOutput(out);
  const stack = flags.stack ? stacks.find((s) => s.name === flags.stack) : stacks.length === 1 ? stacks[0] : undefined;
  if (!stack) {
    process.stderr.write(`many-model deploy: ${flags.stack ? `no stack '${flags.stack}'` : 'several stacks'} under ${out}/ (${stacks.map((s) => s.name).join(', ')}); choose one with --stack\n`);
    return EXIT.USAGE;
  }
  if (flags.local) {
    try {
      // Loaded only here: the local server (DuckDB) is not needed to deploy to an account, and its
      // packages are an optional install (../local-server-packages.ts).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { deployLocal } = require('./deploy-local') as typeof import('./deploy-local');
      return await deployLocal({ app, stack, dataDir: flags.data, imagesFile: flags.images, server: running });
    } catch (e) {
      process.stderr.write(`many-model deploy --local: ${(e as Error).message}\n`);
      return e instanceof UsageError ? EXIT.USAGE : EXIT.STEP_FAILED;
    }
  }
  const terraform = flags.terraform ?? 'terraform';
  const dir = path.dirname(stack.terraformFile);
  for (const args of [['init', '-input=false', '-no-color'], ['apply', '-input=false', '-auto-approve', '-no-color']]) {
    process.stdout.write(`many-model deploy: ${terraform} ${args.join(' ')} (in ${path.relative(process.cwd(), dir) || '.'})\n`);
    const r = spawnSync(terraform, args, { cwd: dir, stdio: 'inherit' });
    if (r.error) {
      process.stderr.write(`many-model deploy: cannot run ${terraform}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH (install Terraform or pass --terraform)' : r.error.message}\n`);
      return EXIT.USAGE;
    }
    if (r.status !== 0) {
      process.stderr.write(`many-model deploy: terraform ${args[0]} failed (exit ${r.status}); no hooks were run\n`);
      return EXIT.STEP_FAILED;
    }
  }
  const hookArgs = ['run', '--out', out, '--stack', stack.name, ...(flags.connection ? ['--connection', flags.connection] : [])];
  return runHooksCommand(hookArgs);
}
