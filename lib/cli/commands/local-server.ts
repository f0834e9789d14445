/**
 * `many-model local-server [--port N] [--data DIR] [--user NAME --password PW]`: runs the local
 * Snowflake-protocol server on 127.0.0.1 until interrupted, and prints how to connect.
 */
import { startLocalServer } from '../../emulator';
import { UsageError, parseFlags } from '../args';
import { EXIT } from '../exit-codes';

export async function run(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv, { port: 'string', data: 'string', user: 'string', password: 'string' });
    if (flags.port !== undefined && !/^\d{1,5}$/.test(flags.port)) throw new UsageError(`--port ${flags.port} is not a TCP port`);
    if ((flags.user === undefined) !== (flags.password === undefined)) throw new UsageError('--user and --password go together');
  } catch (e) {
    process.stderr.write(`many-model local-server: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }
  const user = flags.user ?? 'test';
  const server = await startLocalServer({
    port: flags.port !== undefined ? Number(flags.port) : 0,
    dataDir: flags.data,
    users: [{ name: user, password: flags.password ?? 'test' }],
  });
  process.stdout.write(
    [
      `local Snowflake-protocol server listening on ${server.url}${flags.data ? ` (state in ${flags.data})` : ' (in memory)'}`,
      'connect with:',
      `  SNOWFLAKE_ACCOUNT=local SNOWFLAKE_USER=${user} SNOWFLAKE_HOST=127.0.0.1 SNOWFLAKE_PORT=${server.port} SNOWFLAKE_PROTOCOL=http SNOWFLAKE_PASSWORD=<the password>`,
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
