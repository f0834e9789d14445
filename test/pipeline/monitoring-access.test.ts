import * as fs from 'fs';
import { TerraformJson } from '../../runner/bootstrap/bootstrap';
import { readSynthOutput } from '../../runner/cli/synth-app';
import { provisionLocally } from '../../runner/demo/provision';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { resolveConnection } from '../../runner/snowflake/connection';
import { SnowflakeSession } from '../../runner/snowflake/session';
import { App } from '../../lib/engine';
import { ForecastStack } from '../../stacks/forecast-stack';
import { tempDir } from '../tmp';
import { createExampleSourceAsDataTeam } from '../fixtures/example-source';

/**
 * The example stack with monitoring, set up on the strict local server as on an account (bootstrap
 * as ACCOUNTADMIN, apply as the deploy role): the monitoring task runs as its owner with the
 * privileges the stack grants, the runner may run it on demand, the consumer may read its tables.
 */
let tf: TerraformJson;
let server: LocalSnowflakeServer;
let admin: SnowflakeSession;
const sessions: SnowflakeSession[] = [];
const TASK = 'ANALYTICS.FORECAST.FORECAST_MONITORING_TASK';
const ACCURACY = 'ANALYTICS.FORECAST.FORECAST_MONITORING_ACCURACY';
const DRIFT = 'ANALYTICS.FORECAST.FORECAST_MONITORING_DRIFT';

const openAs = async (role?: string, warehouse?: string) => {
  const s = await SnowflakeSession.open(
    resolveConnection({
      env: server.connectionEnv({ role, warehouse }),
    }),
  );
  sessions.push(s);
  return s;
};

async function refusal(session: SnowflakeSession, sql: string): Promise<{ code?: string; message: string } | undefined> {
  try {
    await session.query(sql);
    return undefined;
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
}

beforeAll(async () => {
  const out = tempDir('mm-monitor-');
  const app = new App({ outdir: out });
  const stack = new ForecastStack(app, 'forecast');
  stack.pipeline.addMonitoring({
    windowDays: 3,
    degradedWhen: { minPoints: 2, smapeAbove: 1 },
    driftWhen: { minPoints: 2 },
    alert: { degradedPercentAbove: 50 },
  });
  app.synth();
  tf = JSON.parse(fs.readFileSync(readSynthOutput(out)[0].terraformFile, 'utf8'));
  server = await startLocalServer();
  admin = await openAs();
  await createExampleSourceAsDataTeam(admin);
  await admin.query(
    "INSERT INTO ANALYTICS.RAW.SERIES_EVENTS (UNIT_ID, DATE, Y) VALUES ('A', '2026-01-01', 10), ('A', '2026-01-02', 20), ('A', '2026-01-03', 30)",
  );
  await provisionLocally(admin, tf, { user: 'test', openAs: (role) => openAs(role) });
  // The scoring job's rows, as the post-deploy scoring step would have written them.
  await admin.query(
    "INSERT INTO ANALYTICS.FORECAST.FORECAST_RESULTS (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER, RUN_ID, MODEL_VERSION, SCORED_AT) VALUES ('A', 1, '2026-01-02', 20, 15, 25, 'R1', 'V_R1', '2026-01-01 06:00:00'), ('A', 2, '2026-01-03', 20, 15, 25, 'R1', 'V_R1', '2026-01-01 06:00:00')",
  );
});
afterAll(async () => {
  for (const s of sessions) await s.close();
  await server?.close();
});

describe('monitoring on the example stack set up as on an account', () => {
  test('the deploy role owns the monitoring task and tables', () => {
    for (const [kind, name] of [
      ['TASK', TASK],
      ['TABLE', ACCURACY],
      ['TABLE', DRIFT],
    ] as const) {
      expect(`${kind} ${name}: ${server.engine.access.ownerOf(kind, name)}`).toBe(`${kind} ${name}: MANY_MODEL_DEPLOYER`);
    }
  });

  test('the runner runs the task on demand (OPERATE) and sees its run (MONITOR); the task, as its owner, writes both tables', async () => {
    const runner = await openAs('FORECAST_RUNNER', 'FORECAST_WH');
    await runner.query(`EXECUTE TASK ${TASK}`);
    await server.objects.settle();
    const runs = await runner.query<{ STATE: string; ERROR_MESSAGE: string | null }>(
      "SELECT STATE, ERROR_MESSAGE FROM TABLE(ANALYTICS.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'FORECAST_MONITORING_TASK'))",
    );
    expect(runs.rows).toEqual([{ STATE: 'SUCCEEDED', ERROR_MESSAGE: null }]);
    // The runner reads neither table: reading them is the consumer's.
    expect(await refusal(runner, `SELECT * FROM ${ACCURACY}`)).toMatchObject({ code: '002003' });
  });

  test('the consumer reads the accuracy and drift rows and can change neither table', async () => {
    const consumer = await openAs('FORECAST_CONSUMER', 'FORECAST_WH');
    const acc = await consumer.query<Record<string, unknown>>(`SELECT PARTITION_KEY, MODEL_VERSION, N_POINTS, MAE, BIAS, COVERAGE FROM ${ACCURACY}`);
    // Errors 0 and -10 on 01-02 and 01-03; 30 is outside [15, 25].
    expect(acc.rows).toEqual([{ PARTITION_KEY: 'A', MODEL_VERSION: 'V_R1', N_POINTS: 2, MAE: 5, BIAS: -5, COVERAGE: 0.5 }]);
    expect((await consumer.query(`SELECT PARTITION_KEY, DAYS_LATE FROM ${DRIFT}`)).rows).toEqual([{ PARTITION_KEY: 'A', DAYS_LATE: 0 }]);
    expect(await refusal(consumer, `DELETE FROM ${ACCURACY}`)).toMatchObject({ code: '003001' });
    expect(await refusal(consumer, `EXECUTE TASK ${TASK}`)).toBeDefined();
  });

  test('the alert, owned by the deploy role (EXECUTE ALERT from bootstrap), records the firing; the consumer reads it', async () => {
    expect(server.engine.access.ownerOf('ALERT', 'ANALYTICS.FORECAST.FORECAST_MONITORING_ALERT')).toBe('MANY_MODEL_DEPLOYER');
    expect(server.objects.alerts.alerts.get('ANALYTICS.FORECAST.FORECAST_MONITORING_ALERT')!.started).toBe(true);
    const deployer = await openAs('MANY_MODEL_DEPLOYER', 'FORECAST_WH');
    await deployer.query('EXECUTE ALERT ANALYTICS.FORECAST.FORECAST_MONITORING_ALERT');
    await server.objects.settle();
    const consumer = await openAs('FORECAST_CONSUMER', 'FORECAST_WH');
    // A's sMAPE (0 and 2 * 10 / 50 = 40 %, mean 20 %) is over 1 %: 1 of 1 partitions degraded.
    expect((await consumer.query('SELECT PARTITIONS, DEGRADED, DEGRADED_PERCENT FROM ANALYTICS.FORECAST.FORECAST_MONITORING_ALERTS')).rows).toEqual([
      { PARTITIONS: 1, DEGRADED: 1, DEGRADED_PERCENT: 100 },
    ]);
  });
});
