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
import { sqlString } from '../identifiers';
import { QueueModel, renderEnqueue } from './queue';
import { MonitoringSqlModel } from './monitoring';

/** How the run ids of monitor-triggered retraining start (runner: R, scheduled scoring: S). */
export const RETRAIN_RUN_PREFIX = 'M';

/** The pass name of a retraining run's queue rows. */
export const RETRAIN_PASS = 'refine';

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
