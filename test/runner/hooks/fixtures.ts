import { TerraformStack, Testing } from 'cdktf';
import { Hooks } from '../../../lib/hooks/hooks';
import { renderLedgerDdl } from '../../../lib/sql/ledger';
import { HookManifest } from '../../../lib/hooks/manifest';
import { ObjectName } from '../../../lib/identifiers';
import { LocalServerOptions, LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { RunLog } from '../../../runner/hooks/runner';

export const LEDGER = ObjectName.of('OPS', 'HOOKS', 'HOOK_RUNS');

/** A stack whose hooks are the given user steps, and its manifest. */
export function manifestOf(build: (hooks: Hooks) => void, stackId = 'app'): HookManifest {
  const stack = new TerraformStack(Testing.app(), stackId);
  const hooks = Hooks.of(stack);
  hooks.useLedger(LEDGER);
  build(hooks);
  return hooks.manifest();
}

export async function prepareAccount(server: LocalSnowflakeServer): Promise<void> {
  for (const sql of [
    'CREATE DATABASE IF NOT EXISTS OPS',
    'CREATE SCHEMA IF NOT EXISTS OPS.HOOKS',
    renderLedgerDdl(LEDGER),
    'CREATE TABLE IF NOT EXISTS OPS.HOOKS.EVENTS (RUN_ID VARCHAR, WHAT VARCHAR)',
  ]) {
    await server.engineQuery(sql);
  }
}

export function env(server: LocalSnowflakeServer, password = 'test'): NodeJS.ProcessEnv {
  return {
    SNOWFLAKE_ACCOUNT: 'local',
    SNOWFLAKE_USER: 'test',
    SNOWFLAKE_PASSWORD: password,
    SNOWFLAKE_HOST: '127.0.0.1',
    SNOWFLAKE_PORT: String(server.port),
    SNOWFLAKE_PROTOCOL: 'http',
  };
}

export async function openSession(server: LocalSnowflakeServer): Promise<SnowflakeSession> {
  return SnowflakeSession.open(resolveConnection({ env: env(server) }));
}

export function memoryLog(): RunLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (l) => lines.push(l), progress: (l) => lines.push(l) };
}

/**
 * For a test file: a local server with the hooks account prepared and one session, started before
 * its tests and closed after them. Read `account.server` and `account.session` inside tests.
 */
export function useHooksAccount(opts: LocalServerOptions = {}): { server: LocalSnowflakeServer; session: SnowflakeSession } {
  const account = {} as { server: LocalSnowflakeServer; session: SnowflakeSession };
  beforeAll(async () => {
    account.server = await startLocalServer(opts);
    await prepareAccount(account.server);
    account.session = await openSession(account.server);
  });
  afterAll(async () => {
    await account.session?.close();
    await account.server?.close();
  });
  return account;
}
