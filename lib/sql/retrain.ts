/**
 * The closed loop's selection (issue #17, slice 4, first part): which partitions the monitor sends
 * back to training, and their enqueue into the pipeline's queue as a refine pass of a run of their
 * own. The run id derives from the evaluation date (`M` + YYYYMMDD of AS_OF), so a re-run of the
 * same evaluation enqueues nothing more, and an evaluation that finds nothing to retrain enqueues
 * nothing at all (ARRAY_AGG over no rows gives no group, so no queue row).
 *
 * A partition is retrained when, on the latest evaluation date, its realized accuracy is degraded
 * (any version scored for it) or its level or scale drifted. Missing or late data alone does not
 * retrain: a model fitted on a gap would be worse, not better.
 */
import { quoteIdentifier, sqlString } from '../identifiers';
import { QueueModel, renderEnqueue } from './queue';
import { MonitoringSqlModel } from './monitoring';
import { METRICS_COLUMNS, TrainingTablesModel } from './training';

/** How the run ids of monitor-triggered retraining start (runner: R, scheduled scoring: S). */
export const RETRAIN_RUN_PREFIX = 'M';

/** The pass name of a retraining run's queue rows. */
export const RETRAIN_PASS = 'refine';

/** The pass name of the metrics rows a retraining run carries over from the run it replaces. */
export const CARRIED_PASS = 'carried';

/** The latest evaluation date of the accuracy table, as a scalar subquery. */
function latest(m: MonitoringSqlModel): string {
  return `(SELECT MAX("AS_OF") FROM ${m.accuracy.quoted})`;
}

/** The partitions to retrain (one column, PARTITION_KEY), each once. */
export function renderRetrainKeysQuery(m: MonitoringSqlModel): string {
  return [
    `SELECT "PARTITION_KEY" FROM ${m.accuracy.quoted} WHERE "AS_OF" = ${latest(m)} AND "DEGRADED"`,
    `UNION`,
    `SELECT "PARTITION_KEY" FROM ${m.drift.quoted} WHERE "AS_OF" = (SELECT MAX("AS_OF") FROM ${m.drift.quoted}) AND ("LEVEL_DRIFT" OR "SCALE_DRIFT")`,
  ].join('\n');
}

/** The retraining run's id as SQL: `M` and the latest evaluation date. */
export function renderRetrainRunId(m: MonitoringSqlModel): string {
  return `(SELECT ${sqlString(RETRAIN_RUN_PREFIX)} || TO_VARCHAR(MAX("AS_OF"), ${sqlString('YYYYMMDD')}) FROM ${m.accuracy.quoted})`;
}

/** Enqueues the partitions to retrain in chunks of `chunkSize`, once per evaluation date. */
export function renderEnqueueRetrain(m: MonitoringSqlModel, queue: QueueModel, chunkSize: number): string {
  return renderEnqueue(queue, RETRAIN_PASS, chunkSize, { keysQuery: renderRetrainKeysQuery(m) }, renderRetrainRunId(m));
}

/**
 * Carries every partition the retraining run does not retrain over from the run whose version it
 * replaces (`fromRun`, a SQL expression): that run's winning OK row per partition, chosen as its
 * index chose (lowest MAPE, screen before refine on ties: lib/sql/registry.ts), copied into the
 * retraining run under the pass `carried` with its artifact's stage path, MAPE and training time.
 * The retraining run's index (renderBuildModelIndex, unchanged) then holds the new artifacts of
 * the retrained partitions and the current artifact of every other one, and its gate measures the
 * whole version. Once per run; nothing at all when nothing is to be retrained.
 */
export function renderCarryOver(t: TrainingTablesModel, m: MonitoringSqlModel, fromRun: string): string {
  const to = renderRetrainRunId(m);
  const cols = METRICS_COLUMNS.map(([c]) => quoteIdentifier(c));
  const copied = METRICS_COLUMNS.map(([c]) => (c === 'RUN_ID' ? to : c === 'PASS' ? sqlString(CARRIED_PASS) : `W.${quoteIdentifier(c)}`));
  return [
    `INSERT INTO ${t.metrics.quoted} (${cols.join(', ')})`,
    `SELECT ${copied.join(', ')}`,
    `FROM (SELECT * FROM ${t.metrics.quoted} WHERE "RUN_ID" = ${fromRun} AND "STATUS" = 'OK'`,
    `  QUALIFY ROW_NUMBER() OVER (PARTITION BY "PARTITION_KEY" ORDER BY "MAPE" ASC NULLS LAST, IFF("PASS" = 'screen', 0, 1)) = 1) W`,
    `WHERE W."PARTITION_KEY" NOT IN (${renderRetrainKeysQuery(m)})`,
    `  AND EXISTS (${renderRetrainKeysQuery(m)})`,
    `  AND NOT EXISTS (SELECT 1 FROM ${t.metrics.quoted} WHERE "RUN_ID" = ${to} AND "PASS" = ${sqlString(CARRIED_PASS)})`,
  ].join('\n');
}
