import * as fs from 'fs';
import * as path from 'path';
import { ConnectionConfigError, describeConnection, redactor, resolveConnection, toDriverOptions } from '../../../runner/snowflake/connection';
import { tempDir } from '../../tmp';

const CANARY = 'canary-Pw-7f3e9a1c';

function home(toml: string, mode = 0o600): string {
  const dir = tempDir('mm-conn-');
  const file = path.join(dir, 'connections.toml');
  fs.writeFileSync(file, toml);
  fs.chmodSync(file, mode);
  return dir;
}

describe('connection settings', () => {
  test('reads a named connections.toml entry pointing at a local server', () => {
    const dir = home(
      `[local]\naccount = "acme"\nuser = "runner"\npassword = "${CANARY}"\nhost = "127.0.0.1"\nport = 8123\nprotocol = "http"\nrole = "ML_RUNNER"\n`,
    );
    const s = resolveConnection({ connectionName: 'local', env: { SNOWFLAKE_HOME: dir } });
    expect(toDriverOptions(s)).toMatchObject({
      account: 'acme',
      username: 'runner',
      password: CANARY,
      host: '127.0.0.1',
      port: 8123,
      protocol: 'http',
      accessUrl: 'http://127.0.0.1:8123',
      authenticator: 'SNOWFLAKE',
    });
    expect(describeConnection(s)).toBe('runner@http://127.0.0.1:8123 (SNOWFLAKE, from connections.toml [local], role ML_RUNNER)');
  });

  test('refuses a connections.toml readable by others and says how to fix it', () => {
    const dir = home('[x]\naccount="a"\nuser="u"\npassword="p"\n', 0o644);
    expect(() => resolveConnection({ connectionName: 'x', env: { SNOWFLAKE_HOME: dir } })).toThrow(
      /is accessible by group or others \(mode 0644\)\. Run: chmod 0600/,
    );
  });

  test('names the entries when the connection is unknown', () => {
    const dir = home('[dev]\naccount="a"\nuser="u"\npassword="p"\n');
    expect(() => resolveConnection({ connectionName: 'prod', env: { SNOWFLAKE_HOME: dir } })).toThrow(/has no \[prod\] connection; it has: dev/);
  });

  test('a TOML syntax error names the file, line and column, and does not echo the file content', () => {
    const dir = home(`[x]\naccount = "a"\npassword = "${CANARY}\n`);
    let message = '';
    try {
      resolveConnection({ connectionName: 'x', env: { SNOWFLAKE_HOME: dir } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`${path.join(dir, 'connections.toml')}:3:31: not valid TOML: control characters are not allowed in strings`);
    expect(message).not.toContain(CANARY);
  });

  test('the position of a TOML error is its own line and column', () => {
    const dir = home('[x]\naccount = "a"\nuser = "u"\n  port = 80 81\n');
    expect(() => resolveConnection({ connectionName: 'x', env: { SNOWFLAKE_HOME: dir } })).toThrow(
      new RegExp(`^${path.join(dir, 'connections.toml').replace(/[.]/g, '\\.')}:4:\\d+: not valid TOML: `),
    );
  });

  test('reads SNOWFLAKE_* variables: key pair, PAT and OAuth', () => {
    const dir = tempDir('mm-key-');
    const key = path.join(dir, 'rsa_key.p8');
    fs.writeFileSync(key, 'not-a-real-key');
    fs.chmodSync(key, 0o600);
    expect(resolveConnection({ env: { SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u', SNOWFLAKE_PRIVATE_KEY_PATH: key } }).authenticator).toBe('SNOWFLAKE_JWT');
    expect(
      resolveConnection({
        env: { SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u', SNOWFLAKE_AUTHENTICATOR: 'programmatic_access_token', SNOWFLAKE_TOKEN: 't0ken' },
      }).authenticator,
    ).toBe('PROGRAMMATIC_ACCESS_TOKEN');
    const oauth = resolveConnection({ env: { SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u', SNOWFLAKE_TOKEN: 't0ken' } });
    expect(toDriverOptions(oauth)).toMatchObject({ authenticator: 'OAUTH', token: 't0ken' });
  });

  test.each<[string, NodeJS.ProcessEnv, RegExp]>([
    ['nothing set', {}, /no Snowflake connection: pass --connection NAME/],
    ['no account', { SNOWFLAKE_USER: 'u', SNOWFLAKE_PASSWORD: 'p' }, /environment: account is missing/],
    ['no credential', { SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u' }, /authenticator SNOWFLAKE needs password/],
    [
      'an unsupported authenticator',
      { SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u', SNOWFLAKE_AUTHENTICATOR: 'externalbrowser' },
      /EXTERNALBROWSER is not supported/,
    ],
    [
      'a bad port',
      { SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u', SNOWFLAKE_PASSWORD: 'p', SNOWFLAKE_HOST: 'h', SNOWFLAKE_PORT: '99999' },
      /port 99999 is not a TCP port/,
    ],
  ])('rejects %s', (_what, env, message) => {
    expect(() => resolveConnection({ env })).toThrow(ConnectionConfigError);
    expect(() => resolveConnection({ env })).toThrow(message);
  });

  test('the redactor hides every secret, including lines of a multi-line key', () => {
    const s = resolveConnection({ env: { SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u', SNOWFLAKE_PASSWORD: CANARY } });
    expect(redactor(s)(`login failed for u with ${CANARY}!`)).toBe('login failed for u with ***!');
    expect(describeConnection(s)).not.toContain(CANARY);
    const k = resolveConnection({
      env: {
        SNOWFLAKE_ACCOUNT: 'a',
        SNOWFLAKE_USER: 'u',
        SNOWFLAKE_AUTHENTICATOR: 'SNOWFLAKE_JWT',
        SNOWFLAKE_PRIVATE_KEY: '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF\n-----END KEY-----',
      },
    });
    expect(redactor(k)('oops MIIEvQIBADANBgkqhkiG9w0BAQEF here')).toBe('oops *** here');
  });
});
