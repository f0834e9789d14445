import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { ConnectRetry, ConnectionFailedError, SnowflakeSession } from '../../../runner/snowflake/session';

// Small configured waits; the limits asserted below are many times what they add up to, so a
// busy machine does not fail them, while the driver's own silent retries (7 retries of at least
// 1 s each for a statement, ~173 s for a login) would.
const FAST: ConnectRetry = { retries: 3, initialDelayMs: 50, maxDelayMs: 200 };

function settingsFor(port: number) {
  return resolveConnection({
    env: {
      SNOWFLAKE_ACCOUNT: 'local',
      SNOWFLAKE_USER: 'test',
      SNOWFLAKE_PASSWORD: 'test',
      SNOWFLAKE_HOST: '127.0.0.1',
      SNOWFLAKE_PORT: String(port),
      SNOWFLAKE_PROTOCOL: 'http',
    },
  });
}

/** A port where nothing listens (a server's, after it closed). */
async function freePort(): Promise<number> {
  const s = await startLocalServer();
  const port = s.port;
  await s.close();
  return port;
}

const dirs: string[] = [];
const servers: LocalSnowflakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function durableServer(port?: number, dataDir?: string): Promise<{ server: LocalSnowflakeServer; dataDir: string }> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mm-session-'));
  if (!dataDir) dirs.push(dir);
  const server = await startLocalServer({ dataDir: dir, port });
  servers.push(server);
  return { server, dataDir: dir };
}

describe('SnowflakeSession: reaching the server', () => {
  test('a refused port fails after the configured retries, each one reported with its wait', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const t0 = Date.now();
    const err = await SnowflakeSession.open(settingsFor(port), { connectRetry: FAST, onProgress: (l) => lines.push(l) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionFailedError);
    expect((err as ConnectionFailedError).reason).toBe('unreachable');
    expect((err as Error).message).toContain(`cannot reach 127.0.0.1:${port} (ECONNREFUSED) after 4 attempts`);
    expect(lines).toEqual([
      `cannot reach 127.0.0.1:${port} (ECONNREFUSED): retry 1 of 3 in 50 ms`,
      `cannot reach 127.0.0.1:${port} (ECONNREFUSED): retry 2 of 3 in 100 ms`,
      `cannot reach 127.0.0.1:${port} (ECONNREFUSED): retry 3 of 3 in 200 ms`,
    ]);
    expect(Date.now() - t0).toBeLessThan(15000);
  });

  test('wrong credentials are refused at once, without retries', async () => {
    const { server } = await durableServer();
    const lines: string[] = [];
    const settings = resolveConnection({
      env: {
        SNOWFLAKE_ACCOUNT: 'local',
        SNOWFLAKE_USER: 'test',
        SNOWFLAKE_PASSWORD: 'wrong-pw',
        SNOWFLAKE_HOST: '127.0.0.1',
        SNOWFLAKE_PORT: String(server.port),
        SNOWFLAKE_PROTOCOL: 'http',
      },
    });
    const err = await SnowflakeSession.open(settings, { connectRetry: FAST, onProgress: (l) => lines.push(l) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionFailedError);
    expect((err as ConnectionFailedError).reason).toBe('rejected');
    expect((err as ConnectionFailedError).code).toBe('390100');
    expect(lines).toEqual([]);
  });

  test('a statement on a stopped server fails within seconds: the driver does not retry it silently', async () => {
    const { server } = await durableServer();
    const lines: string[] = [];
    const port = server.port;
    const session = await SnowflakeSession.open(settingsFor(port), {
      connectRetry: { retries: 1, initialDelayMs: 50, maxDelayMs: 50 },
      onProgress: (l) => lines.push(l),
    });
    try {
      await server.close();
      const t0 = Date.now();
      const err = await session.query('SELECT 1 AS X').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionFailedError);
      expect((err as Error).message).toContain(`cannot reach 127.0.0.1:${port} (ECONNREFUSED) after 2 attempts`);
      // The driver alone would retry the request 7 times, at least a second apart.
      expect(Date.now() - t0).toBeLessThan(6000);
      expect(lines[0]).toMatch(new RegExp(`^connection to 127\\.0\\.0\\.1:${port} lost \\(ECONNREFUSED`));
      expect(lines[1]).toBe(`cannot reach 127.0.0.1:${port} (ECONNREFUSED): retry 1 of 1 in 50 ms`);
    } finally {
      await session.close();
    }
  });
});

describe('SnowflakeSession: giving up', () => {
  test('once a re-login has used up its retries, the next statements try once: no second round of waits', async () => {
    const { server } = await durableServer();
    const port = server.port;
    const lines: string[] = [];
    const session = await SnowflakeSession.open(settingsFor(port), { connectRetry: FAST, onProgress: (l) => lines.push(l) });
    try {
      await server.close();
      await expect(session.query('SELECT 1')).rejects.toThrow(`cannot reach 127.0.0.1:${port} (ECONNREFUSED) after 4 attempts`);
      expect(lines.filter((l) => l.includes(': retry '))).toHaveLength(3);
      lines.length = 0;
      await expect(session.query('SELECT 2')).rejects.toThrow(`cannot reach 127.0.0.1:${port} (ECONNREFUSED) after 1 attempt:`);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/lost \(ECONNREFUSED/);
    } finally {
      await session.close();
    }
  });
});

describe('SnowflakeSession: a lost session is reopened', () => {
  test('a server restarted between two statements: the next statement logs in again and runs once', async () => {
    const first = await durableServer();
    const port = first.server.port;
    const lines: string[] = [];
    const session = await SnowflakeSession.open(settingsFor(port), { connectRetry: FAST, onProgress: (l) => lines.push(l) });
    try {
      await session.query('CREATE DATABASE D');
      await session.query('CREATE TABLE D.PUBLIC.T (X NUMBER)');
      await first.server.close();
      const second = await durableServer(port, first.dataDir);
      // The old session token means nothing to the new server (390112), the driver's renewal is
      // refused (390115) and it fails the statement with 407002 without sending it.
      const r = await session.query('INSERT INTO D.PUBLIC.T VALUES (1)');
      expect(r.updatedRows).toBe(1);
      expect(await second.server.engineQuery('SELECT COUNT(*) AS N FROM D.PUBLIC.T')).toEqual([{ N: '1' }]);
      expect(lines.some((l) => /^connection to 127\.0\.0\.1:\d+ lost \(Snowflake (390112|407002)/.test(l))).toBe(true);
      expect(lines).toContain(`logged in again to 127.0.0.1:${port} (new session)`);
    } finally {
      await session.close();
    }
  });

  test('a server down when a statement is sent and back within the retries: reconnected, the statement runs once', async () => {
    const first = await durableServer();
    const port = first.server.port;
    const lines: string[] = [];
    const session = await SnowflakeSession.open(settingsFor(port), {
      connectRetry: { retries: 30, initialDelayMs: 100, maxDelayMs: 400 },
      onProgress: (l) => lines.push(l),
    });
    try {
      await session.query('CREATE DATABASE D');
      await session.query('CREATE TABLE D.PUBLIC.T (X NUMBER)');
      await first.server.close();
      const restarted = new Promise<LocalSnowflakeServer>((resolve, reject) => {
        setTimeout(() => durableServer(port, first.dataDir).then((s) => resolve(s.server), reject), 600);
      });
      const r = await session.query('INSERT INTO D.PUBLIC.T VALUES (1)');
      expect(r.updatedRows).toBe(1);
      const second = await restarted;
      expect(await second.engineQuery('SELECT COUNT(*) AS N FROM D.PUBLIC.T')).toEqual([{ N: '1' }]);
      expect(lines[0]).toMatch(/lost \(ECONNREFUSED/);
      expect(lines.filter((l) => /\(ECONNREFUSED\): retry \d+ of 30 in \d+ ms/.test(l)).length).toBeGreaterThanOrEqual(1);
      expect(lines[lines.length - 1]).toBe(`logged in again to 127.0.0.1:${port} (new session)`);
    } finally {
      await session.close();
    }
  });

  test('a closed session does not log in again', async () => {
    const { server } = await durableServer();
    const session = await SnowflakeSession.open(settingsFor(server.port), { connectRetry: FAST, onProgress: () => undefined });
    await session.close();
    await expect(session.query('SELECT 1')).rejects.toThrow('the session is closed');
  });
});
