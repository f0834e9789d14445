import 'cdktf/lib/testing/adapters/jest';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdktf';
import { ChallengerMerge, ChallengerPromotion } from '../../index';
import { CHALLENGE_COLUMNS, CHALLENGE_PARTITION_COLUMNS } from '../../lib/sql/challenger';
import { errorOf, forecastPipeline, newStack, resources, synthJson } from './helpers';

const scored = { scoring: { horizon: 28 } };
const task = (json: any, name: string) => Object.values(resources(json, 'snowflake_task')).find((t: any) => t.name === name) as any;

describe('addMonitoring({ retrain, challenger }): champion and challenger', () => {
  test('adds the challenges tables and, after the loop, the decision task and then the challenger scoring task', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({ retrain: {}, challenger: {} });
    const json = synthJson(stack);
    const tables = Object.values(resources(json, 'snowflake_table')) as any[];
    expect(tables.find((t) => t.name === 'FORECAST_MONITORING_CHALLENGES').column.map((c: any) => c.name)).toEqual(CHALLENGE_COLUMNS.map(([n]) => n));
    expect(tables.find((t) => t.name === 'FORECAST_MONITORING_CHALLENGE_PARTITIONS').column.map((c: any) => c.name)).toEqual(
      CHALLENGE_PARTITION_COLUMNS.map(([n]) => n),
    );
    const decide = task(json, 'FORECAST_MONITORING_CHALLENGER_DECIDE');
    const score = task(json, 'FORECAST_MONITORING_CHALLENGER_SCORE');
    expect(decide).toMatchObject({ started: true, warehouse: 'FORECAST_WH', after: ['"ANALYTICS"."FORECAST"."FORECAST_MONITORING_RETRAIN_FINISH"'] });
    expect(score).toMatchObject({ started: true, after: ['"ANALYTICS"."FORECAST"."FORECAST_MONITORING_CHALLENGER_DECIDE"'] });
    // Defaults: a 14-day window, 7 points, the whole challenger against the whole champion.
    expect(decide.sql_statement).toContain("IFF(COMPARED > 0 AND CHALLENGER_MEDIAN < CHAMPION_MEDIAN, 'PROMOTED', 'REJECTED')");
    expect(decide.sql_statement).toContain("IFF(P.N_POINTS >= 7, IFF(P.CH_SMAPE < P.CP_SMAPE, 'CHALLENGER', 'CHAMPION'), NULL)");
    expect(score.sql_statement).toContain('TABLE(MODEL("ANALYTICS"."FORECAST"."FORECAST_MODEL", {{MODEL_VERSION}})!PREDICT');
  });

  test('the loop opens a challenge in place of moving the alias, and retrains nothing while one is open', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({ retrain: {}, challenger: { windowDays: 21 } });
    const json = synthJson(stack);
    const finish = task(json, 'FORECAST_MONITORING_RETRAIN_FINISH').sql_statement as string;
    expect(finish).toContain('SET ALIAS = CHALLENGER');
    expect(finish).not.toContain('SET ALIAS = PRODUCTION');
    expect(finish).toContain('DATEADD(DAY, 21, D.AS_OF)');
    const start = task(json, 'FORECAST_MONITORING_RETRAIN_START').sql_statement as string;
    expect(start).toContain(`FROM "ANALYTICS"."FORECAST"."FORECAST_MONITORING_CHALLENGES" WHERE "STATUS" <> 'CLOSED'`);
  });

  test('per-partition merge with NOT_WORSE renders its rule; the consumer role reads both tables', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({
      retrain: {},
      challenger: { merge: ChallengerMerge.PER_PARTITION_BEST, promoteWhen: ChallengerPromotion.NOT_WORSE, windowDays: 10, minPoints: 5 },
    });
    const json = synthJson(stack);
    const decide = task(json, 'FORECAST_MONITORING_CHALLENGER_DECIDE').sql_statement as string;
    expect(decide).toContain("IFF(WINS > 0, 'MERGED', 'REJECTED')");
    expect(decide).toContain("IFF(P.N_POINTS >= 5, IFF(P.CH_SMAPE <= P.CP_SMAPE, 'CHALLENGER', 'CHAMPION'), NULL)");
    const grants = Object.values(resources(json, 'snowflake_grant_privileges_to_account_role')) as any[];
    const on = (object: string) => grants.find((g) => g.account_role_name === 'FORECAST_CONSUMER' && g.on_schema_object?.object_name === object)?.privileges;
    expect(on('"ANALYTICS"."FORECAST"."FORECAST_MONITORING_CHALLENGES"')).toEqual(['SELECT']);
    expect(on('"ANALYTICS"."FORECAST"."FORECAST_MONITORING_CHALLENGE_PARTITIONS"')).toEqual(['SELECT']);
  });

  test('hooks.json names the challenger tables for the report; no hook step is added', () => {
    const stack = newStack();
    forecastPipeline(stack, scored).addMonitoring({ retrain: {} });
    const outdir = Testing.fullSynth(stack);
    const read = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'stacks', 'test', 'hooks.json'), 'utf8'));
    const without = read(outdir);
    const stack2 = newStack();
    forecastPipeline(stack2, scored).addMonitoring({ retrain: {}, challenger: {} });
    const withChallenger = read(Testing.fullSynth(stack2));
    expect(withChallenger.steps).toEqual(without.steps);
    expect(withChallenger.monitors[0].challenger).toEqual({
      challengesTable: 'ANALYTICS.FORECAST.FORECAST_MONITORING_CHALLENGES',
      partitionsTable: 'ANALYTICS.FORECAST.FORECAST_MONITORING_CHALLENGE_PARTITIONS',
      alias: 'CHALLENGER',
      windowDays: 14,
    });
    expect(without.monitors[0].challenger).toBeUndefined();
  });

  test.each([
    [{ windowDays: 0 }, 'challenger.windowDays is 0; it must be a whole number from 1 to 366. Give e.g. 14: two weeks of daily actuals'],
    [
      { windowDays: 28 },
      'challenger.windowDays is 28; it must be below the scoring horizon (28): the challenge compares the days both versions forecast, and the champion forecasts 28 days from the end of its training data. Give at most 27, or score further ahead (scoring.horizon)',
    ],
    [{ windowDays: 7.5 }, 'challenger.windowDays is 7.5; it must be a whole number from 1 to 366'],
    [
      { windowDays: 5, minPoints: 6 },
      "challenger.minPoints is 6; it must be a whole number from 1 to 5. Give at most windowDays (5): a partition needs that many days of both versions' forecasts to be compared",
    ],
    [{ promoteWhen: 'ALWAYS' }, 'challenger.promoteWhen is "ALWAYS"; it must be one of BEATS_CHAMPION, NOT_WORSE. Use ChallengerPromotion.BEATS_CHAMPION'],
    [{ merge: 'per-partition' }, 'challenger.merge is "per-partition"; it must be one of NONE, PER_PARTITION_BEST'],
    [
      { alias: 'production' },
      "challenger.alias is PRODUCTION, the alias the champion holds (the pipeline's registry alias). Give another alias, e.g. 'CHALLENGER'",
    ],
    [{ alias: 'LAST' }, 'challenger.alias is LAST, an alias Snowflake reserves for every model'],
    [{ alias: 'not ok' }, 'challenger.alias'],
    [
      { challengesTableName: 'FORECAST_MONITORING_ACCURACY' },
      'challenger.challengesTableName is FORECAST_MONITORING_ACCURACY, the name of the accuracy table. Give each table a name of its own',
    ],
    [{ challengesTableName: 'X', partitionsTableName: 'x' }, 'challenger.partitionsTableName is X, the name of the challenges table'],
  ])('refuses challenger %j naming the monitor path, the prop and the fix', (challenger, message) => {
    const msg = errorOf((s) => forecastPipeline(s, scored).addMonitoring({ retrain: {}, challenger: challenger as any }));
    expect(msg).toMatch(/^test\/Forecast\/Monitoring: /);
    expect(msg).toContain(message);
  });

  test('refuses a challenger without retrain: it challenges the versions the closed loop trains', () => {
    expect(errorOf((s) => forecastPipeline(s, scored).addMonitoring({ challenger: {} }))).toBe(
      'test/Forecast/Monitoring: challenger challenges the versions the closed loop trains, and retrain is not set. Set retrain: {} beside challenger (a deploy still promotes its own version through the gate)',
    );
  });
});
