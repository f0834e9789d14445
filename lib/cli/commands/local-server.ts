/**
 * `many-model local-server [--port N] [--data DIR] [--user NAME] [--password-file FILE] [--images FILE]`:
 * runs the local Snowflake-protocol server on 127.0.0.1 until interrupted, and prints how to
 * connect. It runs this project's pipelines as `deploy --local` does: job images through
 * `--images FILE` or the reference worker, the registration procedure and PREDICT as stand-ins
 * (lib/emulator/forecast-standins.ts).
 *
 * The password comes from a file or from MANY_MODEL_LOCAL_SERVER_PASSWORD, not from the command
 * line, which any user of the machine can read (ps, /proc/<pid>/cmdline). `--password PW` still
 * works for existing scripts.
 */
import * as fs from 'fs';
import { readImageCommands } from '../image-commands';
import { checkPrivateFile } from '../../snowflake/connection';
import { CommandHelp, UsageError, checkOutputDir, flagSpec, formatHelp, parseFlags, parsePort, wantsHelp } from '../args';
import { EXIT } from '../exit-codes';
import { checkLocalServerPackages } from '../local-server-packages';

export const PASSWORD_ENV = 'MANY_MODEL_LOCAL_SERVER_PASSWORD';

const FLAGS = {
  port: { kind: 'string', value: 'N', help: 'TCP port on 127.0.0.1, 0 to 65535 (default 0: a free port, printed)' },
  data: { kind: 'string', value: 'DIR', help: 'keep state in DIR across restarts; its parent must exist (default: in memory)' },
  user: { kind: 'string', value: 'NAME', help: 'the user that may log in (default test)' },
  'password-file': { kind: 'string', value: 'FILE', help: `the user's password, first line of FILE (mode 0600); or set ${PASSWORD_ENV}` },
  password: { kind: 'string', value: 'PW', help: `discouraged: visible to every local user in ps; use --password-file or ${PASSWORD_ENV}` },
  images: { kind: 'string', value: 'FILE', help: 'JSON mapping trainer images (or prefixes) to local commands; unmapped images run the reference worker (docs/local-server.md)' },
} as const;

export const HELP: CommandHelp = {
  usage: ['local-server [--port N] [--data DIR] [--user NAME] [--password-file FILE] [--images FILE]'],
  summary: 'Starts the local Snowflake-protocol server (a test double of Snowflake: docs/local-server.md) on 127.0.0.1 and runs until Ctrl-C or SIGTERM.',
  flags: FLAGS,
  exitCodes: { 0: 'stopped by Ctrl-C or SIGTERM', 1: 'the server failed (e.g. the port is taken)', 2: "usage: unknown flag, bad port, missing --data parent, no password for --user, unreadable password file, a bad --images file; or the local server's packages are not installed (the message says which)" },
  notes: [
    `Password: --password-file FILE, else ${PASSWORD_ENV}, else --password; without any, user 'test' with password 'test'.`,
    'A --user needs a password from one of them.',
  ],
};

/** The user's password: a file (first line), the environment, or (discouraged) the command line. */
export function readPassword(flags: { 'password-file'?: string; password?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = [flags['password-file'] !== undefined, flags.password !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('give the password once: --password-file or --password');
  const file = flags['password-file'];
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

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(formatHelp(HELP));
    return EXIT.OK;
  }
  let flags;
  let port = 0;
  let password: string | undefined;
  let images = {};
  try {
    flags = parseFlags(argv, flagSpec(FLAGS));
    if (flags.port !== undefined) port = parsePort('--port', flags.port);
    if (flags.data !== undefined) checkOutputDir('--data', flags.data);
    password = readPassword(flags);
    if (flags.user !== undefined && password === undefined) throw new UsageError(`--user ${flags.user} needs a password: --password-file FILE or ${PASSWORD_ENV}`);
    if (flags.images !== undefined) images = readImageCommands(flags.images);
  } catch (e) {
    process.stderr.write(`many-model local-server: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }
  const missing = checkLocalServerPackages('many-model local-server');
  if (missing) {
    process.stderr.write(`${missing}\n`);
    return EXIT.USAGE;
  }
  // Loaded only now: the server's engine is an optional install (../local-server-packages.ts).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { startLocalServer } = require('../../emulator') as typeof import('../../emulator');
  const { pipelineServerOptions } = require('../../emulator/forecast-standins') as typeof import('../../emulator/forecast-standins');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const user = flags.user ?? 'test';
  let server;
  try {
    server = await startLocalServer({ port, dataDir: flags.data, users: [{ name: user, password: password ?? 'test' }], ...pipelineServerOptions(images) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`many-model local-server: cannot listen on 127.0.0.1:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (e as Error).message}\n`);
    return EXIT.STEP_FAILED;
  }
  process.stdout.write(
    [
      `local Snowflake-protocol server listening on ${server.url}${flags.data ? ` (state in ${flags.data})` : ' (in memory)'}`,
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
