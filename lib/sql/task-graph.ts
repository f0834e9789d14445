/**
 * Layout of the training task graph: a root, `slots` worker tasks (each runs one job service that
 * processes the chunks whose CHUNK_ID mod slots equals its slot), fan-out tasks when there are more
 * than 100 worker tasks. (No finalizer: the runner verifies the pass itself.)
 *
 * Limits encoded ("Introduction to tasks" / task graphs): a task has at most 100 predecessors and
 * 100 child tasks, and a graph at most 1000 tasks in total.
 */
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
