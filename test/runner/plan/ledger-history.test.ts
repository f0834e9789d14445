import { readCostHistory, readStepHistory } from '../../../runner/plan/ledger-history';
import { Synthesis } from '../../../runner/plan/plan';
import { LEDGER, useHooksAccount } from '../hooks/fixtures';

// The plan's only read of an account: the last successful attempt of each step in HOOK_RUNS,
// through snowflake-sdk against the local server, with ledger rows written as the runner writes
// them (runner/hooks/ledger.ts: STARTED_AT/ENDED_AT, DETAILS as JSON).
const account = useHooksAccount({ users: [{ name: 'test', password: 'test' }] });
const location = { database: 'OPS', schema: 'HOOKS', table: 'HOOK_RUNS' };

beforeEach(async () => {
  await account.server.engineQuery('DELETE FROM OPS.HOOKS.HOOK_RUNS');
});

async function attempt(
  stack: string,
  stepId: string,
  runId: string,
  attempt: number,
  status: string,
  started: string,
  ended: string | null,
  details: unknown = null,
): Promise<void> {
  await account.session.query(
    `INSERT INTO ${LEDGER.quoted} (STACK, STEP_ID, RUN_ID, FINGERPRINT, ATTEMPT, STATUS, RUNNER_ID, STARTED_AT, ENDED_AT, DETAILS) ` +
      `SELECT ?, ?, ?, 'f', ?, ?, 'runner-1', CAST(? AS TIMESTAMP_NTZ), CAST(? AS TIMESTAMP_NTZ), PARSE_JSON(?)`,
    [stack, stepId, runId, attempt, status, started, ended, JSON.stringify(details)],
  );
}

describe('reading step durations from the ledger', () => {
  test("each step's last successful attempt: its duration, its own partitions, and its run's", async () => {
    // An older run, then a newer one whose training took longer over more partitions.
    await attempt('forecast', 'forecast/Forecast/screen-train', 'R1', 1, 'SUCCEEDED', '2026-11-01 06:00:00', '2026-11-01 06:20:00', {
      partitions: 800,
      partitionsOk: 800,
    });
    await attempt('forecast', 'forecast/Forecast/screen-train', 'R2', 1, 'FAILED', '2026-11-08 06:00:00', '2026-11-08 06:05:00');
    await attempt('forecast', 'forecast/Forecast/screen-train', 'R2', 2, 'SUCCEEDED', '2026-11-08 06:10:00', '2026-11-08 06:40:00', {
      partitions: 1000,
      partitionsOk: 990,
    });
    await attempt('forecast', 'forecast/Forecast/refine-wait', 'R2', 1, 'SUCCEEDED', '2026-11-08 06:41:00', '2026-11-08 06:51:00', { partitions: 110 });
    // Scoring re-ran later inside run R2 (a new horizon): its own attempt records no partitions.
    await attempt('forecast', 'forecast/Forecast/Scoring/batchScore', 'R2', 1, 'SUCCEEDED', '2026-11-08 07:00:00', '2026-11-08 07:02:00', {});
    await attempt('forecast', 'forecast/Forecast/Scoring/batchScore', 'R2', 2, 'SUCCEEDED', '2026-11-20 07:00:00', '2026-11-20 07:03:30', {
      MODEL_VERSION: 'V_R2',
    });
    // Still running, another stack, the lock row and a run mark: never a duration.
    await attempt('forecast', 'forecast/Forecast/promote', 'R3', 1, 'RUNNING', '2026-11-21 07:00:00', null);
    await attempt('other', 'other/X/screen-train', 'R9', 1, 'SUCCEEDED', '2026-11-01 06:00:00', '2026-11-01 09:00:00', { partitions: 5 });
    await attempt('forecast', '__lock__', '-', 0, 'LOCK', '2026-11-21 07:00:00', '2026-11-21 07:00:00');
    await attempt('forecast', '__run__', 'R1', 0, 'ABANDONED', '2026-11-21 07:00:00', '2026-11-21 08:00:00');

    const h = await readStepHistory(account.session, location, 'forecast');
    expect([...h.keys()].sort()).toEqual(['forecast/Forecast/Scoring/batchScore', 'forecast/Forecast/refine-wait', 'forecast/Forecast/screen-train']);
    expect(h.get('forecast/Forecast/screen-train')).toMatchObject({ runId: 'R2', seconds: 1800, partitions: 1000, runPartitions: 1000 });
    expect(h.get('forecast/Forecast/refine-wait')).toMatchObject({ runId: 'R2', seconds: 600, partitions: 110, runPartitions: 1000 });
    const score = h.get('forecast/Forecast/Scoring/batchScore')!;
    expect(score).toMatchObject({ runId: 'R2', seconds: 210, runPartitions: 1000 });
    expect(score.partitions).toBeUndefined();
    expect(score.endedAt).toBe(Date.parse('2026-11-20T07:03:30Z'));
  });

  test('a stack whose ledger cannot be read is reported with the reason, not thrown', async () => {
    await attempt('forecast', 'forecast/Forecast/promote', 'R1', 1, 'SUCCEEDED', '2026-11-01 06:00:00', '2026-11-01 06:00:09');
    const step = { id: 'forecast/Forecast/promote', kind: 'promote', statements: [] } as never;
    const head: Synthesis = {
      label: 'head',
      stacks: new Map([
        ['forecast', { terraform: {}, hooks: { schemaVersion: 1, stack: 'forecast', ledger: location, steps: [step] } }],
        [
          'missing',
          {
            terraform: {},
            hooks: { schemaVersion: 1, stack: 'missing', ledger: { database: 'OPS', schema: 'HOOKS', table: 'NO_SUCH_LEDGER' }, steps: [step] },
          },
        ],
        ['nohooks', { terraform: {} }],
      ]),
    };
    const history = await readCostHistory(account.session, head);
    expect(history.get('forecast')!.ledger).toBe('OPS.HOOKS.HOOK_RUNS');
    expect(history.get('forecast')!.error).toBeUndefined();
    expect(history.get('forecast')!.steps.get('forecast/Forecast/promote')!.seconds).toBe(9);
    expect(history.get('missing')!.steps.size).toBe(0);
    expect(history.get('missing')!.error).toMatch(/NO_SUCH_LEDGER/);
    expect(history.has('nohooks')).toBe(false);
  });
});
