/**
 * Opening the session of a command that talks to Snowflake: the connection from `--connection` or
 * SNOWFLAKE_* variables, announced without secrets, with the CLI's exit codes for what fails
 * (configuration and a refused login: 2; an unreachable server, after the retries: 1).
 */
import { ConnectionConfigError, describeConnection, resolveConnection } from '../snowflake/connection';
import { ConnectionFailedError, SnowflakeSession } from '../snowflake/session';
import { EXIT } from './exit-codes';

/** The open session, or the exit code after saying on stderr why there is none. */
export async function openCommandSession(command: string, connectionName: string | undefined): Promise<SnowflakeSession | number> {
  let settings;
  try {
    settings = resolveConnection({ connectionName });
  } catch (e) {
    if (e instanceof ConnectionConfigError) {
      process.stderr.write(`many-model ${command}: ${e.message}\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
  process.stdout.write(`connecting as ${describeConnection(settings)}\n`);
  try {
    return await SnowflakeSession.open(settings, { onProgress: (line) => process.stdout.write(line + '\n') });
  } catch (e) {
    process.stderr.write(`many-model ${command}: cannot connect: ${(e as Error).message}\n`);
    return e instanceof ConnectionFailedError && e.reason === 'unreachable' ? EXIT.STEP_FAILED : EXIT.USAGE;
  }
}
