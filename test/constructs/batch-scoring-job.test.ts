import 'cdktf/lib/testing/adapters/jest';
import { BatchScoringJob, Duration, ModelRegistryAggregator, Schedule, Schema, SourceTable, Warehouse, Hooks } from '../../index';
import { errorOf, newStack, resources, synthJson } from './helpers';

function job(scope: any, props: Record<string, unknown> = {}, modelOptions: Record<string, unknown> = {}) {
  return new BatchScoringJob(scope, 'Score', {
    source: SourceTable.fromName(scope, 'Src', 'RAW.PUB.SERIES', {
      partitionColumn: 'UNIT_ID',
      orderColumn: 'DATE',
      targetColumn: 'Y',
      covariateColumns: ['PRICE'],
    }),
    aggregator: ModelRegistryAggregator.fromName(scope, 'Model', 'ML.FC.DEMAND', modelOptions),
    schema: Schema.fromName(scope, 'S', 'ML.FC'),
    warehouse: Warehouse.fromName(scope, 'Wh', 'SCORING_WH'),
    horizon: 14,
    ...props,
  });
}

describe('BatchScoringJob', () => {
  test('creates a results table with the model outputs plus RUN_ID, MODEL_VERSION and SCORED_AT', () => {
    const stack = newStack();
    job(stack, { resultsTableName: 'forecast_results' });
    const table = Object.values(resources(synthJson(stack), 'snowflake_table')).find((t: any) => t.name !== 'HOOK_RUNS');
    expect(table.name).toBe('FORECAST_RESULTS');
    expect(table.column.map((c: any) => c.name)).toEqual(['PARTITION_KEY', 'STEP', 'DS', 'FORECAST', 'LOWER', 'UPPER', 'RUN_ID', 'MODEL_VERSION', 'SCORED_AT']);
    expect(table.column.find((c: any) => c.name === 'RUN_ID').nullable).toBe(false);
  });

  test('the post-deploy step replaces the run rows in one transaction with a partitioned PREDICT', () => {
    const stack = newStack();
    const j = job(stack);
    const [resolve, begin, del, insert, commit] = j.renderStatements();
    // The alias is resolved to the concrete version first; the rows are scored by it and name it.
    expect(resolve).toBe('SHOW VERSIONS IN MODEL "ML"."FC"."DEMAND"');
    expect(begin).toBe('BEGIN TRANSACTION');
    expect(del).toBe(`DELETE FROM "ML"."FC"."SCORE_RESULTS" WHERE RUN_ID = '{{RUN_ID}}'`);
    expect(insert).toContain('TABLE(MODEL("ML"."FC"."DEMAND", {{MODEL_VERSION}})!PREDICT(I.PARTITION_KEY, I.STEP) OVER (PARTITION BY I.PARTITION_KEY)) P');
    expect(insert).toContain(`'{{RUN_ID}}', '{{MODEL_VERSION}}', CURRENT_TIMESTAMP()`);
    expect(insert).toContain('VALUES (1), (2), (3)');
    expect(insert).toContain('(14)');
    expect(insert).not.toContain('(15)');
    expect(commit).toBe('COMMIT');
    const step = Hooks.of(stack)
      .manifest()
      .steps.find((s) => s.id === 'test/Score/batchScore')!;
    expect(step.kind).toBe('batchScore');
    expect(step.statements.map((s) => s.id)).toEqual(['resolve-version', 'begin', 'delete-run', 'insert', 'commit']);
    expect(step.statements[0].capture).toEqual({
      variable: 'MODEL_VERSION',
      column: 'name',
      match: { value: 'PRODUCTION', arrayColumn: 'aliases' },
      missing: 'no version of ML.FC.DEMAND holds PRODUCTION: nothing to score with. Promote a version (or score with a version name)',
    });
  });

  test('a schedule creates a started task running a keyed replace', () => {
    const stack = newStack();
    job(stack, { schedule: Schedule.cron('0 6 * * *', 'Europe/Berlin') });
    const task = Object.values(resources(synthJson(stack), 'snowflake_task'))[0];
    expect(task.schedule).toEqual({ using_cron: '0 6 * * * Europe/Berlin' });
    expect(task.started).toBe(true);
    expect(task.warehouse).toBe('SCORING_WH');
    expect(task.sql_statement).toMatch(/^BEGIN\n  BEGIN TRANSACTION;\n  DELETE FROM "ML"."FC"."SCORE_RESULTS" WHERE RUN_ID = 'S' \|\| TO_VARCHAR/);
  });

  test('model inputs beyond key and step are read from the source covariates', () => {
    const stack = newStack();
    const j = job(
      stack,
      {},
      {
        inputColumns: [
          { name: 'PARTITION_KEY', type: 'VARCHAR' },
          { name: 'STEP', type: 'NUMBER' },
          { name: 'PRICE', type: 'FLOAT' },
        ],
      },
    );
    expect(j.renderStatements()[3]).toContain('PREDICT(I.PARTITION_KEY, I.STEP, I."PRICE")');
  });

  test.each([
    [{ horizon: 0 }, 'test/Score: horizon is 0; it must be a whole number of steps from 1 to 366. Give e.g. 28'],
    [{ horizon: -3 }, 'horizon is -3'],
    [{ horizon: 2.5 }, 'horizon is 2.5'],
    [{ schedule: Schedule.every(60), after: ['ML.FC.LOAD_TASK'] }, 'test/Score: schedule and after are both set'],
    [{ after: ['LOAD_TASK'] }, 'test/Score: after[0] "LOAD_TASK" must have the form DATABASE.SCHEMA.NAME'],
    [{ schedule: Schedule.cron('0 0 * 13 *') }, 'test/Score: schedule cron expression "0 0 * 13 *": month 13 is outside 1-12. Write each field as'],
    [{ schedule: Schedule.cron('0 6 * * *', 'Mars/Phobos') }, 'test/Score: schedule time zone "Mars/Phobos" is not an IANA time zone name'],
    [{ schedule: Schedule.every(0) }, 'test/Score: schedule interval 0 must be a whole number of minutes from 1 to 11520'],
    [{ timeout: Duration.minutes(-5) }, 'test/Score: timeout Duration.minutes(-5) is not a finite, non-negative duration'],
  ])('rejects %j', (props, message) => {
    expect(errorOf((s) => job(s, props))).toContain(message);
  });

  test('rejects a model input the source does not provide (schema contract)', () => {
    const msg = errorOf((s) =>
      job(
        s,
        {},
        {
          inputColumns: [
            { name: 'PARTITION_KEY', type: 'VARCHAR' },
            { name: 'TEMPERATURE', type: 'FLOAT' },
          ],
        },
      ),
    );
    expect(msg).toBe(
      "test/Score: aggregator.inputColumns require TEMPERATURE, which source RAW.PUB.SERIES does not provide. Add 'TEMPERATURE' to the source's covariateColumns or remove it from the model's inputColumns",
    );
  });

  test('rejects an output column that clashes with the bookkeeping columns', () => {
    expect(
      errorOf((s) =>
        job(
          s,
          {},
          {
            outputColumns: [
              { name: 'PARTITION_KEY', type: 'VARCHAR' },
              { name: 'RUN_ID', type: 'VARCHAR' },
            ],
          },
        ),
      ),
    ).toContain('include RUN_ID, which the results table reserves');
  });
});
