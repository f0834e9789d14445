import * as fs from 'fs';
import { TerraformJson, bootstrapStatements } from '../../../runner/bootstrap/bootstrap';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { provisionLocally } from '../../../runner/demo/provision';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { buildApp } from '../../../stacks/main';
import { tempDir } from '../../tmp';
import { createExampleSourceAsDataTeam } from '../../fixtures/example-source';

/**
 * The example stack on the strict local server, set up as an account would be: what each role may
 * and may not do. The example's names: deploy role MANY_MODEL_DEPLOYER, runner FORECAST_RUNNER,
 * consumer FORECAST_CONSUMER, schema ANALYTICS.FORECAST.
 */
let tf: TerraformJson;
beforeAll(() => {
  const out = tempDir('mm-provision-');
  buildApp(out).synth();
  tf = JSON.parse(fs.readFileSync(readSynthOutput(out)[0].terraformFile, 'utf8'));
});

const openAs = (server: LocalSnowflakeServer, role?: string, warehouse?: string) =>
  SnowflakeSession.open(
    resolveConnection({
      env: server.connectionEnv({ role, warehouse }),
    }),
  );

/** A server with the example's source table (the data team's, SYSADMIN) and an ACCOUNTADMIN session. */
async function account(): Promise<{ server: LocalSnowflakeServer; admin: SnowflakeSession; close: () => Promise<void> }> {
  const server = await startLocalServer();
  const admin = await openAs(server);
  await createExampleSourceAsDataTeam(admin);
  return {
    server,
    admin,
    close: async () => {
      await admin.close();
      await server.close();
    },
  };
}

/** The error code and message of `sql` run by `session`, or undefined when it succeeds. */
async function refusal(session: SnowflakeSession, sql: string): Promise<{ code?: string; message: string } | undefined> {
  try {
    await session.query(sql);
    return undefined;
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
}

describe('the example stack set up as on an account', () => {
  test('without the bootstrap grant of CREATE ROLE, the deploy role cannot apply the stack: the runner role is refused', async () => {
    const a = await account();
    try {
      const withoutCreateRole = bootstrapStatements(tf, { users: ['test'] }).filter((s) => !s.sql.startsWith('GRANT CREATE ROLE ON ACCOUNT'));
      // The same provisioning, with a bootstrap that lacks one statement.
      const failure = await provisionLocally(a.admin, tf, { user: 'test', openAs: (role) => openAs(a.server, role), bootstrap: withoutCreateRole }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(failure).toMatch(/local apply as MANY_MODEL_DEPLOYER failed: CREATE ROLE IF NOT EXISTS "FORECAST_(RUNNER|CONSUMER)"/);
      expect(failure).toMatch(/Insufficient privileges/);
    } finally {
      await a.close();
    }
  });

  describe('after bootstrap and apply', () => {
    let a: Awaited<ReturnType<typeof account>>;
    let runner: SnowflakeSession;
    let consumer: SnowflakeSession;
    beforeAll(async () => {
      a = await account();
      await provisionLocally(a.admin, tf, { user: 'test', openAs: (role) => openAs(a.server, role) });
      // Each with the pipeline's warehouse (the example lets the consumer use it): queries need one.
      runner = await openAs(a.server, 'FORECAST_RUNNER', 'FORECAST_WH');
      consumer = await openAs(a.server, 'FORECAST_CONSUMER', 'FORECAST_WH');
    });
    afterAll(async () => {
      await runner.close();
      await consumer.close();
      await a.close();
    });

    test('the deploy role owns what the stack created, tasks included', async () => {
      for (const [kind, name] of [
        ['TASK', 'ANALYTICS.FORECAST.FORECAST_SCREEN_ROOT'],
        ['TABLE', 'ANALYTICS.FORECAST.FORECAST_QUEUE'],
        ['STAGE', 'ANALYTICS.FORECAST.FORECAST_MODELS'],
        ['ROLE', 'FORECAST_RUNNER'],
      ] as const) {
        expect(`${kind} ${name}: ${a.server.engine.access.ownerOf(kind, name)}`).toBe(`${kind} ${name}: MANY_MODEL_DEPLOYER`);
      }
    });

    test('the runner reads the source, which needs USAGE on its database and schema', async () => {
      expect(await refusal(runner, 'SELECT COUNT(*) AS N FROM ANALYTICS.RAW.SERIES_EVENTS')).toBeUndefined();
      await a.admin.query('USE ROLE ACCOUNTADMIN');
      await a.admin.query('REVOKE USAGE ON SCHEMA ANALYTICS.RAW FROM ROLE FORECAST_RUNNER');
      try {
        expect(await refusal(runner, 'SELECT COUNT(*) AS N FROM ANALYTICS.RAW.SERIES_EVENTS')).toMatchObject({ code: '002003' });
      } finally {
        await a.admin.query('GRANT USAGE ON SCHEMA ANALYTICS.RAW TO ROLE FORECAST_RUNNER');
      }
    });

    test('a query as the runner needs a warehouse it may use (000606 without one)', async () => {
      const bare = await openAs(a.server, 'FORECAST_RUNNER');
      try {
        expect(await refusal(bare, 'SELECT COUNT(*) AS N FROM ANALYTICS.RAW.SERIES_EVENTS')).toMatchObject({ code: '000606' });
      } finally {
        await bare.close();
      }
    });

    test('the runner holds no account privilege and deletes nothing it only appends to', async () => {
      expect(await refusal(runner, 'CREATE ROLE SOMETHING_ELSE')).toMatchObject({ code: '003001' });
      expect(await refusal(runner, 'DELETE FROM ANALYTICS.FORECAST.HOOK_RUNS')).toMatchObject({ code: '003001' });
      expect(await refusal(runner, 'DELETE FROM ANALYTICS.FORECAST.FORECAST_TRAINING_RUNS')).toMatchObject({ code: '003001' });
    });

    test('the runner may EXECUTE the screen root (OPERATE) because its owner, the deploy role, holds EXECUTE TASK', async () => {
      expect(await refusal(runner, 'EXECUTE TASK ANALYTICS.FORECAST.FORECAST_SCREEN_ROOT')).toBeUndefined();
      await a.admin.query('REVOKE EXECUTE TASK ON ACCOUNT FROM ROLE MANY_MODEL_DEPLOYER');
      try {
        expect((await refusal(runner, 'EXECUTE TASK ANALYTICS.FORECAST.FORECAST_SCREEN_ROOT'))?.message).toMatch(
          /EXECUTE TASK privilege must be granted to owner role/,
        );
      } finally {
        await a.admin.query('GRANT EXECUTE TASK ON ACCOUNT TO ROLE MANY_MODEL_DEPLOYER');
      }
    });

    test('the consumer cannot see the training tables or the stage', async () => {
      expect(await refusal(consumer, 'SELECT COUNT(*) AS N FROM ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS')).toMatchObject({ code: '002003' });
      expect(await refusal(consumer, 'LIST @ANALYTICS.FORECAST.FORECAST_MODELS')).toMatchObject({ code: '002003' });
    });
  });
});
