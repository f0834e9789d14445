/**
 * The environment variables the `many-model` commands read (each command's help lists its own,
 * docs/cli.md all of them).
 */

/** Destructive changes `plan` allows, as --allow gives them (comma- or newline-separated). */
export const ALLOW_ENV = 'MANY_MODEL_ALLOW_DESTRUCTIVE';

/** The password of the local server's user, kept off the command line (ps shows it to every local user). */
export const PASSWORD_ENV = 'MANY_MODEL_LOCAL_SERVER_PASSWORD';

/** What a command that connects to Snowflake reads (runner/snowflake/connection.ts). */
export const CONNECTION_ENV: Readonly<Record<string, string>> = {
  SNOWFLAKE_HOME: 'the directory of connections.toml (default ~/.snowflake)',
  'SNOWFLAKE_ACCOUNT, _USER': 'without --connection: the account and the user, with one credential of the next three',
  SNOWFLAKE_PASSWORD: 'a password',
  'SNOWFLAKE_PRIVATE_KEY_PATH, _PASSPHRASE': 'a key pair (JWT); the passphrase when the key is encrypted',
  'SNOWFLAKE_TOKEN, _TOKEN_FILE_PATH': 'a programmatic access token or an OAuth token (SNOWFLAKE_AUTHENTICATOR)',
  'SNOWFLAKE_ROLE, _WAREHOUSE': "the session's role and warehouse",
  'SNOWFLAKE_HOST, _PORT, _PROTOCOL': 'another endpoint, e.g. the local server (127.0.0.1, its port, http)',
  MANY_MODEL_CONNECT_RETRIES: 'retries when the server cannot be reached (default 5, 0 to 100)',
  MANY_MODEL_CONNECT_RETRY_DELAY_MS: 'the first wait between retries, in ms (default 1000; doubles, up to 8x)',
};
