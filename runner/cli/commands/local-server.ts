/**
 * `many-model local-server [--port N] [--data DIR] [--user NAME] [--password-file FILE] [--images FILE]`:
 * runs the local Snowflake-protocol server on 127.0.0.1 until interrupted, and prints how to
 * connect. It runs this project's pipelines as `deploy --local` does: job images through
 * `--images FILE` or the reference worker, the registration procedure and PREDICT as stand-ins
 * (local-server/forecast-standins.ts).
 *
 * The password comes from a file or from MANY_MODEL_LOCAL_SERVER_PASSWORD, not from the command
 * line, which any user of the machine can read (ps, /proc/<pid>/cmdline). `--password PW` still
 * works for existing scripts.
 */
import * as fs from 'fs';
import type { ImageCommand } from '../../../local-server';
import { checkPrivateFile } from '../../snowflake/connection';
import { UsageError } from '../args';
import { PASSWORD_ENV } from '../environment';
import { EXIT } from '../exit-codes';
import { requireLocalServerPackages } from '../local-server-packages';

export interface LocalServerOptions {
  /** The TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Where the server keeps its state; in memory without it. */
  readonly data?: string;
  /** The user that may log in; 'test' without it. */
  readonly user?: string;
  readonly passwordFile?: string;
  readonly password?: string;
  /** Trainer images (or prefixes) mapped to local commands (`--images FILE`, read). */
  readonly images?: Record<string, ImageCommand>;
}

/** The user's password: a file (first line), the environment, or (discouraged) the command line. */
export function readPassword(flags: { passwordFile?: string; password?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flags.passwordFile !== undefined && flags.password !== undefined) throw new UsageError('give the password once: --password-file or --password');
  const file = flags.passwordFile;
  if (file !== undefined) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`--password-file ${file}: no such file`);
    try {
      checkPrivateFile(file, 'password file');
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const pw = fs.readFileSync(file, 'utf8').split(/\r?\n/)[0];
    if (!pw) throw new UsageError(`--password-file ${file}: the first line is empty`);
    return pw;
  }
  if (flags.password !== undefined) return flags.password;
  const fromEnv = env[PASSWORD_ENV];
  return fromEnv ? fromEnv : undefined;
}

export async function localServer(opts: LocalServerOptions): Promise<number> {
  const password = readPassword(opts);
  if (opts.user !== undefined && password === undefined) throw new UsageError(`--user ${opts.user} needs a password: --password-file FILE or ${PASSWORD_ENV}`);
  requireLocalServerPackages('many-model local-server');
  // Loaded only now: the server's engine is an optional install (../local-server-packages.ts).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { startLocalServer } = require('../../../local-server') as typeof import('../../../local-server');
  const { pipelineServerOptions } = require('../../../local-server/forecast-standins') as typeof import('../../../local-server/forecast-standins');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const user = opts.user ?? 'test';
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  try {
    server = await startLocalServer({
      port: opts.port,
      dataDir: opts.data,
      users: [{ name: user, password: password ?? 'test' }],
      ...pipelineServerOptions(opts.images ?? {}),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot listen on 127.0.0.1:${opts.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (e as Error).message}`);
  }
  process.stdout.write(
    [
      `local Snowflake-protocol server listening on ${server.url}${opts.data ? ` (state in ${opts.data})` : ' (in memory)'}`,
      'connect with:',
      `  SNOWFLAKE_ACCOUNT=local SNOWFLAKE_USER=${user} SNOWFLAKE_HOST=127.0.0.1 SNOWFLAKE_PORT=${server.port} SNOWFLAKE_PROTOCOL=http SNOWFLAKE_PASSWORD=<the password>`,
      `deploy an app to it with: many-model deploy --local --port ${server.port}${user !== 'test' ? ` --user ${user}` : ''}`,
      'stop with Ctrl-C',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return EXIT.OK;
}
