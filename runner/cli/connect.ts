/**
 * The session of a command that talks to Snowflake: the connection from `--connection` or
 * SNOWFLAKE_* variables, announced without secrets. Bad connection settings and a refused login
 * are configuration (exit 2); a server still unreachable after the retries is not (exit 1).
 */
import { describeConnection, resolveConnection } from '../snowflake/connection';
import { ConnectionFailedError, SnowflakeSession } from '../snowflake/session';
import { UsageError } from './args';

export interface SessionOptions {
  /** A connection of connections.toml (`--connection`); SNOWFLAKE_* variables without it. */
  readonly connection?: string;
  /** Hears the connection, then its retries, lost sessions and re-logins as they happen (runner/snowflake/session.ts). */
  readonly say: (line: string) => void;
  /** The words before the connection's description in the first line. @default 'connecting as' */
  readonly announce?: string;
}

/**
 * Opens the session, runs `work` with it and closes it. An error of `work` leaves with its message
 * redacted of the connection's secrets.
 */
export async function withSession<T>(opts: SessionOptions, work: (session: SnowflakeSession) => Promise<T>): Promise<T> {
  const settings = resolveConnection({ connectionName: opts.connection });
  opts.say(`${opts.announce ?? 'connecting as'} ${describeConnection(settings)}`);
  let session: SnowflakeSession;
  try {
    session = await SnowflakeSession.open(settings, { onProgress: opts.say });
  } catch (e) {
    const message = `cannot connect: ${(e as Error).message}`;
    throw e instanceof ConnectionFailedError && e.reason === 'unreachable' ? new Error(message) : new UsageError(message);
  }
  try {
    return await work(session);
  } catch (e) {
    // Kept as the error it is (its class decides the exit code), with the message redacted.
    if (e instanceof Error) e.message = session.redact(e.message);
    throw e;
  } finally {
    await session.close();
  }
}
