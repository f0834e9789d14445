import * as fs from 'fs';
import { TerraformJson, bootstrapStatements } from '../../../runner/bootstrap/bootstrap';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { provisionLocally } from '../../../runner/demo/provision';
import { CheckResult } from '../../../runner/doctor/checks';
import { diagnose, needsOfStacks } from '../../../runner/doctor/doctor';
import { StackNeeds } from '../../../runner/doctor/needs';
import { LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { resolveConnection } from '../../../runner/snowflake/connection';
import { SnowflakeSession } from '../../../runner/snowflake/session';
import { buildApp } from '../../../stacks/main';
import { tempDir } from '../../tmp';
import { createExampleSourceAsDataTeam } from '../../fixtures/example-source';

/** The example stack's checks against the local server through snowflake-sdk, before and after it is provisioned as an account would be. */
let tf: TerraformJson;
let needs: StackNeeds[];
beforeAll(() => {
  const out = tempDir('mm-doctor-');
  buildApp(out).synth();
  const stacks = readSynthOutput(out);
  tf = JSON.parse(fs.readFileSync(stacks[0].terraformFile, 'utf8'));
  needs = needsOfStacks(stacks);
});

const openAs = (server: LocalSnowflakeServer, role?: string) =>
  SnowflakeSession.open(
    resolveConnection({
      env: server.connectionEnv({ role }),
    }),
  );

async function check(session: SnowflakeSession): Promise<Record<string, CheckResult>> {
  const [report] = await diagnose(async (sql) => (await session.query(sql)).rows, needs);
  return Object.fromEntries(report.results.map((r) => [r.id, r]));
}

describe('many-model doctor on the local server', () => {
  test('a fresh account fails the deploy role check, and the fixes are exactly the bootstrap statements', async () => {
    const server = await startLocalServer();
    const admin = await openAs(server);
    try {
      const results = await check(admin);
      expect(results['deploy-role'].status).toBe('FAIL');
      expect(results['deploy-role'].summary).toContain('deploy role MANY_MODEL_DEPLOYER does not exist');
      const fixes = results['deploy-role'].findings.filter((f) => f.status === 'missing').map((f) => f.fix);
      expect(fixes).toEqual(bootstrapStatements(tf).map((s) => s.sql));
      expect(results['runner-role']).toMatchObject({ status: 'skip', summary: expect.stringContaining('do not exist yet') });
    } finally {
      await admin.close();
      await server.close();
    }
  });

  describe('after bootstrap and apply', () => {
    let server: LocalSnowflakeServer;
    let admin: SnowflakeSession;
    beforeAll(async () => {
      server = await startLocalServer();
      admin = await openAs(server);
      await createExampleSourceAsDataTeam(admin);
      await provisionLocally(admin, tf, { user: 'test', openAs: (role) => openAs(server, role) });
    });
    afterAll(async () => {
      await admin.close();
      await server.close();
    });

    test('every check passes, asked as the deploy role', async () => {
      const deployer = await openAs(server, 'MANY_MODEL_DEPLOYER');
      try {
        const results = await check(deployer);
        expect(Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.status]))).toEqual({
          'deploy-role': 'ok',
          'runner-role': 'ok',
          'hybrid-tables': 'ok',
          'image-repository': 'ok',
          packages: 'ok',
          'compute-pool': 'ok',
        });
      } finally {
        await deployer.close();
      }
    });

    test('a runner grant revoked after apply fails the runner check, naming the privilege and the GRANT that restores it', async () => {
      await admin.query('REVOKE UPDATE ON TABLE ANALYTICS.FORECAST.FORECAST_QUEUE FROM ROLE FORECAST_RUNNER');
      try {
        const results = await check(admin);
        expect(results['runner-role'].status).toBe('FAIL');
        expect(results['runner-role'].findings.filter((f) => f.status === 'missing')).toEqual([
          {
            status: 'missing',
            what: 'FORECAST_RUNNER lacks UPDATE on table ANALYTICS.FORECAST.FORECAST_QUEUE',
            fix: 'GRANT INSERT, SELECT, UPDATE ON TABLE "ANALYTICS"."FORECAST"."FORECAST_QUEUE" TO ROLE "FORECAST_RUNNER"',
          },
        ]);
        expect(results['deploy-role'].status).toBe('ok');
      } finally {
        await admin.query('GRANT UPDATE ON TABLE ANALYTICS.FORECAST.FORECAST_QUEUE TO ROLE FORECAST_RUNNER');
      }
    });

    test('a revoked bootstrap privilege fails the deploy role check with its bootstrap statement', async () => {
      await admin.query('REVOKE EXECUTE TASK ON ACCOUNT FROM ROLE MANY_MODEL_DEPLOYER');
      try {
        const results = await check(admin);
        expect(results['deploy-role'].findings.filter((f) => f.status === 'missing')).toEqual([
          {
            status: 'missing',
            what: 'MANY_MODEL_DEPLOYER lacks EXECUTE TASK on the account',
            fix: 'GRANT EXECUTE TASK ON ACCOUNT TO ROLE "MANY_MODEL_DEPLOYER"',
          },
        ]);
      } finally {
        await admin.query('GRANT EXECUTE TASK ON ACCOUNT TO ROLE MANY_MODEL_DEPLOYER');
      }
    });
  });
});
