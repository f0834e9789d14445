import { graphRunEnded, graphRunListed, readGraphRun } from '../../../runner/hooks/graph-run';
import { ObjectName } from '../../../lib/identifiers';
import { renderGraphRunQuery } from '../../../lib/sql/graph-run';

describe('task graph runs', () => {
  test("the graph-run query reads the root's current and completed runs in its own schema, with the server clock", () => {
    const sql = renderGraphRunQuery(ObjectName.parse('DB.S.ROOT', 3));
    expect(sql).toContain('DATE_PART(EPOCH_MILLISECOND, CURRENT_TIMESTAMP()) AS NOW_MS');
    expect(sql).toContain(
      `FROM TABLE("DB".INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_NAME => 'ROOT')) WHERE DATABASE_NAME = 'DB' AND SCHEMA_NAME = 'S') AS GRAPHS_RUNNING`,
    );
    expect(sql).toContain(
      `FROM TABLE("DB".INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => 'ROOT')) WHERE DATABASE_NAME = 'DB' AND SCHEMA_NAME = 'S'\n  ORDER BY SCHEDULED_TIME DESC LIMIT 1`,
    );
    expect(() => renderGraphRunQuery(ObjectName.parse('S.ROOT', 2))).toThrow(/DATABASE.SCHEMA.NAME/);
  });

  const row = (running: number, lastMs: number | null) => ({
    NOW_MS: 5000,
    GRAPHS_RUNNING: running,
    LAST_SCHEDULED_MS: lastMs,
    LAST_STATE: lastMs === null ? null : 'FAILED',
    LAST_ERROR_TASK: 'SLOT_0',
    LAST_ERROR: 'Job failed',
  });

  test('a run the runner executed has ended only once a run scheduled since then completed and nothing runs', () => {
    expect(graphRunEnded(readGraphRun(row(0, null)), 1000)).toBe(false); // not listed yet, right after EXECUTE
    expect(graphRunEnded(readGraphRun(row(0, 900)), 1000)).toBe(false); // an earlier run's completion
    expect(graphRunEnded(readGraphRun(row(1, 1200)), 1000)).toBe(false);
    expect(graphRunEnded(readGraphRun(row(0, 1000)), 1000)).toBe(true);
    expect(readGraphRun(row(0, 1000)).lastCompleted).toEqual({ scheduledMs: 1000, state: 'FAILED', error: 'SLOT_0: Job failed' });
  });

  test('a run the runner re-attached to has ended once nothing runs', () => {
    expect(graphRunEnded(readGraphRun(row(1, null)), undefined)).toBe(false);
    expect(graphRunEnded(readGraphRun(row(0, null)), undefined)).toBe(true);
  });

  test('a run is listed while it runs or once it completed after the runner executed the graph', () => {
    expect(graphRunListed(readGraphRun(row(1, null)), undefined)).toBe(true);
    expect(graphRunListed(readGraphRun(row(0, 1000)), 1000)).toBe(true);
    expect(graphRunListed(readGraphRun(row(0, 900)), 1000)).toBe(false); // an earlier run's completion
    expect(graphRunListed(readGraphRun(row(0, null)), 1000)).toBe(false);
    expect(graphRunListed(readGraphRun(row(0, 1000)), undefined)).toBe(false);
  });
});
