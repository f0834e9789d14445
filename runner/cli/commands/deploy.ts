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
import type { ImageCommand } from '../../../local-server';
import { UsageError } from '../args';
import type { RunningServer } from './deploy-local';
import { readPassword } from './local-server';
import { synthApp } from './synth';
import { runStackHooks } from './hooks';
import { readSynthOutput } from '../synth-app';
import { requireLocalServerPackages } from '../local-server-packages';

export interface DeployOptions {
  readonly app: string;
  readonly out: string;
  /** The stack to apply; may be left out when the app has one. */
  readonly stack?: string;
  readonly connection?: string;
  /** The Terraform binary; terraform on PATH without it. */
  readonly terraform?: string;
  /** Deploy to the local Snowflake-protocol server instead. */
  readonly local?: boolean;
  /** --local: where the server it starts keeps its state. */
  readonly data?: string;
  /** --local: trainer images mapped to local commands (`--images FILE`, read). */
  readonly images?: Record<string, ImageCommand>;
  /** --local: the port of a running local server to deploy to. */
  readonly port?: number;
  readonly user?: string;
  readonly passwordFile?: string;
}

/** The mode's flags hang together: the local ones only with --local, --port apart from --data and --images. */
function checkModeFlags(opts: DeployOptions): void {
  const localOnly = (['data', 'images', 'port', 'user', 'passwordFile'] as const)
    .filter((f) => opts[f] !== undefined)
    .map((f) => (f === 'passwordFile' ? '--password-file' : `--${f}`));
  if (!opts.local && localOnly.length > 0) throw new UsageError(`${localOnly.join(', ')}: ${localOnly.length > 1 ? 'belong' : 'belongs'} to deploy --local`);
  if (opts.local && (opts.connection !== undefined || opts.terraform !== undefined))
    throw new UsageError('deploy --local deploys to the local server: --connection and --terraform do not apply');
  if (opts.port !== undefined && (opts.data !== undefined || opts.images !== undefined))
    throw new UsageError('--port deploys to a running local server, which keeps its own state and images: give --data and --images to many-model local-server');
  if (opts.port === undefined && (opts.user !== undefined || opts.passwordFile !== undefined))
    throw new UsageError('--user and --password-file log in to a running local server: give its --port');
  if (opts.port === 0) throw new UsageError('--port 0: give the port the running local server printed');
}

export async function deploy(opts: DeployOptions): Promise<number> {
  checkModeFlags(opts);
  const running: RunningServer | undefined =
    opts.port !== undefined ? { port: opts.port, user: opts.user ?? 'test', password: readPassword(opts) ?? 'test' } : undefined;
  // Before the synth: without the local server's packages there is nothing to deploy to.
  if (opts.local) requireLocalServerPackages('many-model deploy --local');
  const app = await synthApp(opts.app, opts.out).catch((e: Error) => {
    e.message = `synth failed: ${e.message}`;
    throw e;
  });
  const stacks = readSynthOutput(opts.out);
  const stack = opts.stack ? stacks.find((s) => s.name === opts.stack) : stacks.length === 1 ? stacks[0] : undefined;
  if (!stack)
    throw new UsageError(
      `${opts.stack ? `no stack '${opts.stack}'` : 'several stacks'} under ${opts.out}/ (${stacks.map((s) => s.name).join(', ')}); choose one with --stack`,
    );
  if (opts.local) {
    // Loaded only here: the local server (DuckDB) is not needed to deploy to an account, and its
    // packages are an optional install (../local-server-packages.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { deployLocal } = require('./deploy-local') as typeof import('./deploy-local');
    return deployLocal({ app, stack, dataDir: opts.data, images: opts.images, server: running });
  }
  const terraform = opts.terraform ?? 'terraform';
  const dir = path.dirname(stack.terraformFile);
  for (const args of [
    ['init', '-input=false', '-no-color'],
    ['apply', '-input=false', '-auto-approve', '-no-color'],
  ]) {
    process.stdout.write(`many-model deploy: ${terraform} ${args.join(' ')} (in ${path.relative(process.cwd(), dir) || '.'})\n`);
    const r = spawnSync(terraform, args, { cwd: dir, stdio: 'inherit' });
    if (r.error) {
      const notFound = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new UsageError(`cannot run ${terraform}: ${notFound ? 'not found on PATH (install Terraform or pass --terraform)' : r.error.message}`);
    }
    if (r.status !== 0) throw new Error(`terraform ${args[0]} failed (exit ${r.status}); no hooks were run`);
  }
  return runStackHooks({ out: opts.out, stack: stack.name, connection: opts.connection });
}
