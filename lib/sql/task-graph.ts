/**
 * The training task graph: its layout — a root, `slots` worker tasks (each runs one job service that
 * processes the chunks whose CHUNK_ID mod slots equals its slot), fan-out tasks when there are more
 * than 100 worker tasks (no finalizer: the runner verifies the pass itself) — and its statements:
 * the tasks' bodies and the EXECUTE TASK that starts a run.
 *
 * Limits encoded ("Introduction to tasks" / task graphs): a task has at most 100 predecessors and
 * 100 child tasks, and a graph at most 1000 tasks in total.
 */
import { ObjectName, dollarQuoted, sqlString } from '../identifiers';
import { RUN_VARIABLES, runVar } from './statement';
import { renderDropService } from './services';
export const MAX_CHILDREN_PER_TASK = 100;
export const MAX_TASKS_PER_GRAPH = 1000;

export interface TaskGraphLayout {
  /** Fan-out tasks under the root (empty when slots <= 100). */
  readonly fanOuts: number;
  /** For each worker slot, the index of its parent fan-out task, or -1 for the root. */
  readonly parentOfSlot: readonly number[];
  /** Root + fan-outs + worker tasks. */
  readonly totalTasks: number;
}

/** Arranges `slots` worker tasks so no task has more than 100 children. */
export function layoutTaskGraph(slots: number): TaskGraphLayout {
  if (slots <= MAX_CHILDREN_PER_TASK) {
    return { fanOuts: 0, parentOfSlot: Array.from({ length: slots }, () => -1), totalTasks: slots + 1 };
  }
  const fanOuts = Math.ceil(slots / MAX_CHILDREN_PER_TASK);
  return {
    fanOuts,
    parentOfSlot: Array.from({ length: slots }, (_, i) => Math.floor(i / MAX_CHILDREN_PER_TASK)),
    totalTasks: slots + fanOuts + 1,
  };
}

let largestSlotCount: number | undefined;

/** The largest slot count whose graph stays within MAX_TASKS_PER_GRAPH (searched once: every pipeline asks). */
export function maxSlots(): number {
  if (largestSlotCount === undefined) {
    let s = MAX_TASKS_PER_GRAPH;
    while (layoutTaskGraph(s).totalTasks > MAX_TASKS_PER_GRAPH) s--;
    largestSlotCount = s;
  }
  return largestSlotCount;
}

/**
 * The body of the root and fan-out tasks: they only order the graph, and a task must have a body.
 */
export const ORDERING_TASK_BODY = 'SELECT 1';

/**
 * `EXECUTE TASK root`: one run of the graph now. The root has no schedule and stays suspended;
 * EXECUTE TASK runs a graph whose root is suspended but skips suspended children
 * (https://docs.snowflake.com/en/sql-reference/sql/execute-task).
 */
export function renderExecuteTask(root: ObjectName): string {
  return `EXECUTE TASK ${root.quoted}`;
}

/** The key of the graph run's configuration that carries the pipeline run id to the slot tasks. */
export const RUN_ID_CONFIG_KEY = 'RUN_ID';

/**
 * `EXECUTE TASK root USING CONFIG = $${"RUN_ID": "{{RUN_ID}}"}$$`: one run of the graph for the
 * pipeline run the runner fills in. The configuration applies to this run only and leaves the
 * task's definition alone; its tasks read it with SYSTEM$GET_TASK_GRAPH_CONFIG ("EXECUTE TASK",
 * USING CONFIG: https://docs.snowflake.com/en/sql-reference/sql/execute-task;
 * https://docs.snowflake.com/en/sql-reference/functions/system_get_task_graph_config).
 */
export function renderExecuteTaskForRun(root: ObjectName): string {
  return `${renderExecuteTask(root)} USING CONFIG = ${dollarQuoted(JSON.stringify({ [RUN_ID_CONFIG_KEY]: runVar('RUN_ID') }))}`;
}

/**
 * Statements of a Scripting block that run `executeJobService` for the run id held in the
 * variable `runVariable`: the slot's previous job service dropped (a finished job keeps its name
 * until dropped), then the statement run as dynamic SQL with the run id in place of its
 * `{{RUN_ID}}` (the worker's MM_RUN_ID: lib/pipeline/workers.ts), so the job works for that run
 * only ("EXECUTE IMMEDIATE": https://docs.snowflake.com/en/sql-reference/sql/execute-immediate).
 * The caller makes sure the variable holds a run id of the shape it expects.
 */
export function runBoundJobLines(runVariable: string, jobService: ObjectName, executeJobService: string): string[] {
  return [
    `${renderDropService(jobService)};`,
    `LET JOB_STMT VARCHAR := REPLACE(${sqlString(executeJobService)}, ${sqlString(runVar('RUN_ID'))}, ${runVariable});`,
    'EXECUTE IMMEDIATE :JOB_STMT;',
  ];
}

/** A `BEGIN ... END` task body of `lines`, each indented. */
export function beginEnd(lines: readonly string[]): string {
  return ['BEGIN', ...lines.map((x) => `  ${x.replace(/\n/g, '\n  ')}`), 'END'].join('\n');
}

/**
 * A worker slot's task body: a Snowflake Scripting block that reads the pipeline run id from the
 * graph run's configuration (renderExecuteTaskForRun), and starts nothing when there is none or it
 * is not a run id (a run of the graph started by hand, or with a configuration that could reach
 * into the specification); else it drops the slot's previous job service and runs
 * `executeJobService` (renderExecuteJobService, synchronous) for that run (runBoundJobLines).
 */
export function renderSlotTaskBody(jobService: ObjectName, executeJobService: string): string {
  // Anchored although REGEXP_LIKE matches the whole subject in Snowflake
  // (https://docs.snowflake.com/en/sql-reference/functions/regexp_like): the same text then means the same where a match may be partial.
  const shape = sqlString(RUN_VARIABLES.RUN_ID.source);
  return beginEnd([
    `LET PIPELINE_RUN VARCHAR := SYSTEM$GET_TASK_GRAPH_CONFIG(${sqlString(RUN_ID_CONFIG_KEY)})::VARCHAR;`,
    `IF (PIPELINE_RUN IS NULL OR NOT REGEXP_LIKE(PIPELINE_RUN, ${shape})) THEN RETURN 'no pipeline run id in the graph run configuration: nothing started'; END IF;`,
    ...runBoundJobLines('PIPELINE_RUN', jobService, executeJobService),
    "RETURN 'trained for ' || PIPELINE_RUN;",
  ]);
}
