/**
 * Where the runner's Snowflake connection comes from: a named entry of `connections.toml`
 * (`$SNOWFLAKE_HOME` or `~/.snowflake`), or `SNOWFLAKE_*` environment variables. Authenticators:
 * password, key-pair JWT, programmatic access token, OAuth token. Secrets are kept apart so every
 * message can be redacted; nothing here ever prints them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseToml } from 'smol-toml';

export class ConnectionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionConfigError';
  }
}

export type Authenticator = 'SNOWFLAKE' | 'SNOWFLAKE_JWT' | 'PROGRAMMATIC_ACCESS_TOKEN' | 'OAUTH';

export interface ConnectionSettings {
  /** Where the settings came from, for messages: `connections.toml [name]` or `environment`. */
  readonly source: string;
  readonly account: string;
  readonly user: string;
  readonly authenticator: Authenticator;
  readonly role?: string;
  readonly warehouse?: string;
  readonly database?: string;
  readonly schema?: string;
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /** How patiently to reach the server (MANY_MODEL_CONNECT_RETRIES, MANY_MODEL_CONNECT_RETRY_DELAY_MS). */
  readonly connectRetry?: { readonly retries: number; readonly initialDelayMs: number; readonly maxDelayMs: number };
  /** Secret material; never printed. */
  readonly secrets: {
    readonly password?: string;
    readonly token?: string;
    readonly privateKey?: string;
    readonly privateKeyPath?: string;
    readonly privateKeyPass?: string;
  };
}

const AUTHENTICATORS: readonly Authenticator[] = ['SNOWFLAKE', 'SNOWFLAKE_JWT', 'PROGRAMMATIC_ACCESS_TOKEN', 'OAUTH'];

type Raw = Record<string, unknown>;

function str(raw: Raw, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = raw[k];
    if (typeof v === 'string' && v.length > 0) return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

/** Refuses a secrets file that group or others can read or write, as Snowflake's own tools do. */
export function checkPrivateFile(file: string, what: string): void {
  if (process.platform === 'win32') return;
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o066) !== 0) {
    throw new ConnectionConfigError(`${what} ${file} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}). Run: chmod 0600 ${file}`);
  }
}

function fromRaw(raw: Raw, source: string): ConnectionSettings {
  const account = str(raw, 'account');
  const user = str(raw, 'user', 'username');
  if (!account) throw new ConnectionConfigError(`${source}: account is missing. Set account (or SNOWFLAKE_ACCOUNT)`);
  if (!user) throw new ConnectionConfigError(`${source}: user is missing. Set user (or SNOWFLAKE_USER)`);
  const secrets = {
    password: str(raw, 'password'),
    token: str(raw, 'token'),
    privateKey: str(raw, 'private_key', 'privateKey'),
    privateKeyPath: str(raw, 'private_key_file', 'private_key_path', 'privateKeyPath'),
    privateKeyPass: str(raw, 'private_key_file_pwd', 'private_key_passphrase', 'privateKeyPass'),
  };
  const tokenFile = str(raw, 'token_file_path', 'tokenFilePath');
  if (!secrets.token && tokenFile) {
    checkPrivateFile(tokenFile, 'token file');
    secrets.token = fs.readFileSync(tokenFile, 'utf8').trim();
  }
  const declared = str(raw, 'authenticator')?.toUpperCase();
  const authenticator = (declared ?? (secrets.privateKey || secrets.privateKeyPath ? 'SNOWFLAKE_JWT' : secrets.token ? 'OAUTH' : 'SNOWFLAKE')) as Authenticator;
  if (!AUTHENTICATORS.includes(authenticator)) {
    throw new ConnectionConfigError(`${source}: authenticator ${declared} is not supported by the runner. Use one of ${AUTHENTICATORS.join(', ')}`);
  }
  const need: Record<Authenticator, [boolean, string]> = {
    SNOWFLAKE: [!!secrets.password, 'password (or SNOWFLAKE_PASSWORD)'],
    SNOWFLAKE_JWT: [!!(secrets.privateKey || secrets.privateKeyPath), 'private_key_file (or SNOWFLAKE_PRIVATE_KEY_PATH)'],
    PROGRAMMATIC_ACCESS_TOKEN: [!!secrets.token, 'token or token_file_path (or SNOWFLAKE_TOKEN)'],
    OAUTH: [!!secrets.token, 'token or token_file_path (or SNOWFLAKE_TOKEN)'],
  };
  const [ok, missing] = need[authenticator];
  if (!ok) throw new ConnectionConfigError(`${source}: authenticator ${authenticator} needs ${missing}`);
  if (secrets.privateKeyPath) checkPrivateFile(secrets.privateKeyPath, 'private key file');
  const portText = str(raw, 'port');
  const port = portText !== undefined ? Number(portText) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535))
    throw new ConnectionConfigError(`${source}: port ${portText} is not a TCP port`);
  const protocol = str(raw, 'protocol')?.toLowerCase();
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'https')
    throw new ConnectionConfigError(`${source}: protocol ${protocol} must be http or https`);
  return {
    source,
    account,
    user,
    authenticator,
    role: str(raw, 'role'),
    warehouse: str(raw, 'warehouse'),
    database: str(raw, 'database'),
    schema: str(raw, 'schema'),
    host: str(raw, 'host'),
    port,
    protocol: protocol as 'http' | 'https' | undefined,
    secrets,
  };
}

export interface ResolveOptions {
  /** `--connection NAME`: an entry of connections.toml. */
  readonly connectionName?: string;
  /** The environment to read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Resolves the connection: `--connection NAME` from connections.toml, else SNOWFLAKE_* variables. */
export function resolveConnection(options: ResolveOptions = {}): ConnectionSettings {
  const env = options.env ?? process.env;
  if (options.connectionName) {
    const dir = env.SNOWFLAKE_HOME || path.join(os.homedir(), '.snowflake');
    const file = path.join(dir, 'connections.toml');
    if (!fs.existsSync(file))
      throw new ConnectionConfigError(`--connection ${options.connectionName}: ${file} does not exist. Create it or set SNOWFLAKE_HOME`);
    checkPrivateFile(file, 'connections file');
    let parsed: Raw;
    try {
      parsed = parseToml(fs.readFileSync(file, 'utf8')) as Raw;
    } catch (e) {
      throw new ConnectionConfigError(tomlErrorMessage(file, e));
    }
    const entry = parsed[options.connectionName];
    if (typeof entry !== 'object' || entry === null) {
      throw new ConnectionConfigError(`${file} has no [${options.connectionName}] connection; it has: ${Object.keys(parsed).join(', ') || 'none'}`);
    }
    return withConnectRetry(fromRaw(entry as Raw, `connections.toml [${options.connectionName}]`), env);
  }
  const raw: Raw = {};
  const map: Record<string, string> = {
    SNOWFLAKE_ACCOUNT: 'account',
    SNOWFLAKE_USER: 'user',
    SNOWFLAKE_PASSWORD: 'password',
    SNOWFLAKE_AUTHENTICATOR: 'authenticator',
    SNOWFLAKE_PRIVATE_KEY: 'private_key',
    SNOWFLAKE_PRIVATE_KEY_PATH: 'private_key_file',
    SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'private_key_file_pwd',
    SNOWFLAKE_TOKEN: 'token',
    SNOWFLAKE_TOKEN_FILE_PATH: 'token_file_path',
    SNOWFLAKE_ROLE: 'role',
    SNOWFLAKE_WAREHOUSE: 'warehouse',
    SNOWFLAKE_DATABASE: 'database',
    SNOWFLAKE_SCHEMA: 'schema',
    SNOWFLAKE_HOST: 'host',
    SNOWFLAKE_PORT: 'port',
    SNOWFLAKE_PROTOCOL: 'protocol',
  };
  for (const [k, v] of Object.entries(map)) if (env[k]) raw[v] = env[k];
  if (!raw.account && !raw.user) {
    throw new ConnectionConfigError(
      'no Snowflake connection: pass --connection NAME (from ~/.snowflake/connections.toml) or set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and a credential',
    );
  }
  return withConnectRetry(fromRaw(raw, 'environment'), env);
}

/**
 * `<file>:<line>:<column>: not valid TOML: <reason>`. smol-toml's TomlError carries the position
 * and a fixed reason; its message also quotes the offending lines, which may hold a secret, so
 * only the reason's first line is kept, and only when it is the parser's own wording.
 */
function tomlErrorMessage(file: string, e: unknown): string {
  const err = e as { line?: unknown; column?: unknown; message?: unknown };
  const where = typeof err.line === 'number' ? `${file}:${err.line}${typeof err.column === 'number' ? `:${err.column}` : ''}` : file;
  const first = typeof err.message === 'string' ? err.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '') : '';
  const reason = /^[a-z][a-z0-9 ,.:'()-]*$/i.test(first) && first.length <= 120 ? `: ${first}` : '';
  return `${where}: not valid TOML${reason}`;
}

const CONNECT_RETRIES = 'MANY_MODEL_CONNECT_RETRIES';
const CONNECT_DELAY = 'MANY_MODEL_CONNECT_RETRY_DELAY_MS';

/** Reads the connect-retry knobs (whole numbers; the delay doubles per retry up to 8x). */
function withConnectRetry(s: ConnectionSettings, env: NodeJS.ProcessEnv): ConnectionSettings {
  const read = (name: string, min: number, max: number): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) throw new ConnectionConfigError(`${name}=${text} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const retries = read(CONNECT_RETRIES, 0, 100);
  const delay = read(CONNECT_DELAY, 1, 600000);
  if (retries === undefined && delay === undefined) return s;
  const initialDelayMs = delay ?? 1000;
  return { ...s, connectRetry: { retries: retries ?? 5, initialDelayMs, maxDelayMs: initialDelayMs * 8 } };
}

/** `host:port` of the server, for messages (no credentials in it). */
export function endpointOf(s: ConnectionSettings): string {
  if (s.host) return `${s.host}:${s.port ?? ((s.protocol ?? 'https') === 'https' ? 443 : 80)}`;
  return `${s.account}.snowflakecomputing.com:443`;
}

/** snowflake-sdk connection options. */
export function toDriverOptions(s: ConnectionSettings): Record<string, unknown> {
  const o: Record<string, unknown> = { account: s.account, username: s.user, authenticator: s.authenticator, application: 'cdktf-snowflake-many-model' };
  if (s.role) o.role = s.role;
  if (s.warehouse) o.warehouse = s.warehouse;
  if (s.database) o.database = s.database;
  if (s.schema) o.schema = s.schema;
  if (s.host) {
    const protocol = s.protocol ?? 'https';
    o.host = s.host;
    o.protocol = protocol;
    if (s.port) o.port = s.port;
    o.accessUrl = `${protocol}://${s.host}${s.port ? `:${s.port}` : ''}`;
  }
  if (s.secrets.password) o.password = s.secrets.password;
  if (s.secrets.token) o.token = s.secrets.token;
  if (s.secrets.privateKey) o.privateKey = s.secrets.privateKey;
  if (s.secrets.privateKeyPath) o.privateKeyPath = s.secrets.privateKeyPath;
  if (s.secrets.privateKeyPass) o.privateKeyPass = s.secrets.privateKeyPass;
  return o;
}

/** A one-line description without secrets, for logs. */
export function describeConnection(s: ConnectionSettings): string {
  const where = s.host ? `${s.protocol ?? 'https'}://${s.host}${s.port ? `:${s.port}` : ''}` : `${s.account}.snowflakecomputing.com`;
  return `${s.user}@${where} (${s.authenticator}, from ${s.source}${s.role ? `, role ${s.role}` : ''})`;
}

/** Replaces every secret value (and each line of multi-line ones) in `text` with ***. */
export function redactor(s: ConnectionSettings): (text: string) => string {
  const values = Object.values(s.secrets)
    .filter((v): v is string => typeof v === 'string' && v.length >= 4)
    .flatMap((v) => [v, ...v.split(/\r?\n/).filter((l) => l.trim().length >= 8)]);
  values.sort((a, b) => b.length - a.length);
  return (text: string) => values.reduce((t, v) => t.split(v).join('***'), text);
}
