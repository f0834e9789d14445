/**
 * The training task graph: its layout — a root, `slots` worker tasks (each runs one job service that
 * processes the chunks whose CHUNK_ID mod slots equals its slot), fan-out tasks when there are more
 * than 100 worker tasks (no finalizer: the runner verifies the pass itself) — and its statements:
 * the tasks' bodies and the EXECUTE TASK that starts a run.
 *
 * Limits encoded ("Introduction to tasks" / task graphs): a task has at most 100 predecessors and
 * 100 child tasks, and a graph at most 1000 tasks in total.
 */
import { ObjectName } from '../identifiers';
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

/**
 * A worker slot's task body: a Snowflake Scripting block that drops the slot's previous job service
 * (a finished job keeps its name until dropped) and then runs `executeJobService`
 * (renderExecuteJobService, synchronous), indented inside the block. The specification's lines
 * below its first move by two spaces too, which YAML reads as the same document.
 */
export function renderSlotTaskBody(jobService: ObjectName, executeJobService: string): string {
  return `BEGIN\n  ${renderDropService(jobService)};\n  ${executeJobService.replace(/\n/g, '\n  ')};\nEND`;
}
