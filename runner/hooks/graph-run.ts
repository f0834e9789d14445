/**
 * When a task graph run has ended, as the runner decides it from the graph-run query
 * (`wait.graphRunSql`, lib/sql/graph-run.ts): pure functions over one row of it.
 */

import type { GraphRunRow } from '../../lib/sql/graph-run';

/** One poll of a task graph's runs. */
export interface GraphRunState {
  /** The server's clock, ms since the epoch. */
  readonly nowMs: number;
  /** Runs scheduled or executing. */
  readonly running: number;
  /** The latest completed run (past hour), if any. */
  readonly lastCompleted?: { readonly scheduledMs: number; readonly state: string; readonly error?: string };
}

/** Reads a row of the graph-run query. */
export function readGraphRun(row: Record<string, unknown> | undefined): GraphRunState {
  // Keys are the query's columns (GraphRunRow), so a renamed column fails to type-check here.
  const get = (k: keyof GraphRunRow) => row?.[k];
  const n = (k: keyof GraphRunRow) => (get(k) === null || get(k) === undefined ? undefined : Number(get(k)));
  const scheduledMs = n('LAST_SCHEDULED_MS');
  const errorTask = get('LAST_ERROR_TASK');
  // The first line says what failed; a job's error goes on with its last log lines.
  const error = get('LAST_ERROR') ? String(get('LAST_ERROR')).split('\n')[0] : undefined;
  return {
    nowMs: n('NOW_MS') ?? 0,
    running: n('GRAPHS_RUNNING') ?? 0,
    lastCompleted:
      scheduledMs === undefined
        ? undefined
        : { scheduledMs, state: String(get('LAST_STATE') ?? 'UNKNOWN'), error: error ? `${errorTask ? `${String(errorTask)}: ` : ''}${error}` : undefined },
  };
}

/**
 * Whether the graph run the runner waits for has ended. `since` is the server's time taken just
 * before the runner's EXECUTE TASK: that run has ended once nothing of the graph is scheduled or
 * executing and a run scheduled at or after `since` has completed. Right after EXECUTE the run
 * may not be listed yet, which is why "nothing running" alone does not do. Without `since` (the
 * runner re-attached to a run it found in progress) the end is that nothing runs any more.
 */
export function graphRunEnded(g: GraphRunState, since: number | undefined): boolean {
  if (g.running > 0) return false;
  return since === undefined || completedSince(g, since);
}

/**
 * Whether the poll lists a run of the graph at all: one in progress, or one scheduled at or after
 * `since` that has completed. A runner that never sees one cannot tell when its run ended.
 */
export function graphRunListed(g: GraphRunState, since: number | undefined): boolean {
  return g.running > 0 || (since !== undefined && completedSince(g, since));
}

function completedSince(g: GraphRunState, since: number): boolean {
  return g.lastCompleted !== undefined && g.lastCompleted.scheduledMs >= since;
}
