/**
 * The offline demo's own statements (runner/demo/run-demo.ts): loading the generated source the way
 * a data team would, and the queries behind its report. Nothing here runs in a deployment.
 */
import { ObjectName, quoteIdentifier, sqlString } from '../identifiers';
import { SCHEDULED_RUN_PREFIX } from './scoring';
import { BoundStatement } from './statement';
import { MonitoringSqlModel } from './monitoring';
import { renderRetrainRunId } from './retrain';

/** The warehouse the demo's data team loads the source on (a query needs one: docs/local-server.md). */
export const DEMO_LOAD_WAREHOUSE = 'DATA_LOAD_WH';

/** The demo source's table (the example app's partition, order and target columns) and its insert of generated rows. */
export function renderDemoSource(table: ObjectName): { readonly create: string; readonly insert: BoundStatement } {
  return {
    create: `CREATE TABLE IF NOT EXISTS ${table.quoted} (UNIT_ID VARCHAR, DATE DATE, Y FLOAT)`,
    insert: { sql: `INSERT INTO ${table.quoted} (UNIT_ID, DATE, Y) VALUES (?, ?, ?)`, params: ['UNIT_ID', 'DATE', 'Y'] },
  };
}

/** The completed runs of the graph rooted at `task` (the scheduled scoring task, EXECUTEd by the demo). */
export function renderCompletedRuns(task: ObjectName): string {
  return `SELECT STATE, FIRST_ERROR_MESSAGE FROM TABLE(${quoteIdentifier(task.parts[0])}.INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => ${sqlString(task.name)}))`;
}

/** renderCompletedRuns oldest first (COMPLETED_TIME), for a caller that waits for the n-th run. */
export function renderCompletedRunsInOrder(task: ObjectName): string {
  return `${renderCompletedRuns(task)} ORDER BY COMPLETED_TIME`;
}

/** Rows the scheduled scoring wrote (its run ids start with SCHEDULED_RUN_PREFIX). */
export function renderScheduledRowCount(results: ObjectName): string {
  return `SELECT COUNT(*) AS N FROM ${results.quoted} WHERE RUN_ID LIKE ${sqlString(`${SCHEDULED_RUN_PREFIX}%`)}`;
}

/** What an analyst runs: PREDICT of seven steps of one partition with `versionOrAlias` of `model`. */
export function renderConsumerPredict(model: ObjectName, versionOrAlias: string, partition: string): string {
  return (
    `SELECT P.* FROM (SELECT ${sqlString(partition)} AS PARTITION_KEY, COLUMN1 AS STEP FROM VALUES (1), (2), (3), (4), (5), (6), (7)) I,\n` +
    `  TABLE(MODEL(${model.quoted}, ${versionOrAlias})!PREDICT(I.PARTITION_KEY, I.STEP) OVER (PARTITION BY I.PARTITION_KEY)) P`
  );
}

/** The queries of the demo's report on one run (RUN_ID bound). */
export function renderDemoReport(t: {
  readonly metrics: ObjectName;
  readonly queue?: ObjectName;
  readonly results?: ObjectName;
}): Record<'winners' | 'refined' | 'duplicates', BoundStatement> & { readonly attempts?: BoundStatement; readonly scored?: BoundStatement } {
  const metrics = t.metrics.quoted;
  return {
    // Per partition, the artifact the index keeps: an OK one with the lowest MAPE, the screen pass's on a tie.
    winners: {
      sql: `SELECT PARTITION_KEY, MODEL_FAMILY, STATUS, MAPE, PASS FROM ${metrics} WHERE RUN_ID = ? QUALIFY ROW_NUMBER() OVER (PARTITION BY PARTITION_KEY ORDER BY IFF(STATUS = 'OK', 0, 1), MAPE ASC NULLS LAST, IFF(PASS = 'screen', 0, 1)) = 1`,
      params: ['RUN_ID'],
    },
    refined: {
      sql: `SELECT COUNT(*) AS N, COUNT_IF(R.MAPE < S.MAPE) AS IMPROVED FROM ${metrics} R JOIN ${metrics} S ON S.PARTITION_KEY = R.PARTITION_KEY AND S.RUN_ID = R.RUN_ID AND S.PASS = 'screen' WHERE R.RUN_ID = ? AND R.PASS = 'refine' AND R.STATUS = 'OK'`,
      params: ['RUN_ID'],
    },
    // A pipeline that trains only in the warehouse has no queue.
    ...(t.queue ? { attempts: { sql: `SELECT MAX(ATTEMPTS) AS A FROM ${t.queue.quoted} WHERE RUN_ID = ?`, params: ['RUN_ID'] } } : {}),
    duplicates: {
      sql: `SELECT COUNT(*) AS N FROM (SELECT PASS, PARTITION_KEY FROM ${metrics} WHERE RUN_ID = ? GROUP BY PASS, PARTITION_KEY HAVING COUNT(*) > 1)`,
      params: ['RUN_ID'],
    },
    ...(t.results ? { scored: { sql: `SELECT COUNT(*) AS N FROM ${t.results.quoted} WHERE RUN_ID = ?`, params: ['RUN_ID'] } } : {}),
  };
}

/** The closed loop's report on the retraining run (RUN_ID bound): its metrics rows by pass, and the partitions it retrained. */
export function renderLoopReport(metrics: ObjectName): Record<'passes' | 'retrained', BoundStatement> {
  return {
    passes: { sql: `SELECT PASS, COUNT(*) AS N FROM ${metrics.quoted} WHERE RUN_ID = ? GROUP BY PASS ORDER BY PASS`, params: ['RUN_ID'] },
    retrained: {
      sql: `SELECT DISTINCT PARTITION_KEY FROM ${metrics.quoted} WHERE RUN_ID = ? AND PASS = 'refine' AND STATUS = 'OK' ORDER BY PARTITION_KEY`,
      params: ['RUN_ID'],
    },
  };
}

/** The retraining run id of the latest evaluation (RUN_ID), as the loop's tasks compute it. */
export function renderRetrainRunQuery(m: MonitoringSqlModel): string {
  return `SELECT ${renderRetrainRunId(m)} AS RUN_ID`;
}
