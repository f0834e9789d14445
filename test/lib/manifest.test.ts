import { DEFAULT_RETRY, HookStepSpec, canonicalJson, finalizeSteps, sha256 } from '../../lib/hooks/manifest';

/** A sql step, or with `extra` another kind; its wait may be an older synthesis's, without fields the type now requires. */
function spec(id: string, dependsOn: string[] = [], sql = `SELECT '${id}'`, extra: object = {}): HookStepSpec {
  return {
    id,
    kind: 'sql',
    description: id,
    dependsOn,
    runGroup: 'g',
    statements: [{ id: 's1', sql }],
    timeoutSeconds: 60,
    retry: DEFAULT_RETRY,
    triggers: {},
    executeOnChange: true,
    ...extra,
  } as HookStepSpec;
}

describe('hook manifest steps', () => {
  test('orders steps after their dependencies, ties by id', () => {
    const steps = finalizeSteps([spec('c', ['b']), spec('b', ['a']), spec('a'), spec('z')]);
    expect(steps.map((s) => s.id)).toEqual(['a', 'b', 'c', 'z']);
  });

  test('a change of a statement changes its fingerprint and every dependent fingerprint', () => {
    const before = finalizeSteps([spec('a'), spec('b', ['a']), spec('x')]);
    const after = finalizeSteps([spec('a', [], 'SELECT 2'), spec('b', ['a']), spec('x')]);
    const fp = (steps: typeof before, id: string) => steps.find((s) => s.id === id)!.fingerprint;
    expect(fp(after, 'a')).not.toBe(fp(before, 'a'));
    expect(fp(after, 'b')).not.toBe(fp(before, 'b'));
    expect(fp(after, 'x')).toBe(fp(before, 'x'));
  });

  test('with executeOnChange false only triggers change the fingerprint', () => {
    const base = finalizeSteps([spec('a', [], 'SELECT 1', { executeOnChange: false, triggers: { v: '1' } })])[0];
    const sqlChanged = finalizeSteps([spec('a', [], 'SELECT 2', { executeOnChange: false, triggers: { v: '1' } })])[0];
    const triggerChanged = finalizeSteps([spec('a', [], 'SELECT 1', { executeOnChange: false, triggers: { v: '2' } })])[0];
    expect(sqlChanged.fingerprint).toBe(base.fingerprint);
    expect(triggerChanged.fingerprint).not.toBe(base.fingerprint);
  });

  test('how the runner watches a task graph (wait.graphRunSql) is not part of the fingerprint; what it waits on is', () => {
    const wait = { rootTask: 'DB.S.ROOT', verifySql: 'SELECT 1 AS CHUNKS', pollSeconds: 10 };
    const step = (w: object) =>
      finalizeSteps([spec('t', [], 'EXECUTE TASK "DB"."S"."ROOT"', { kind: 'executeTaskGraph', wait: { ...wait, ...w } })])[0].fingerprint;
    // A manifest from before graphRunSql existed keeps its fingerprint: upgrading re-runs no training.
    expect(step({ graphRunSql: 'SELECT 1 AS NOW_MS' })).toBe(step({}));
    expect(step({ graphRunSql: 'SELECT 2 AS NOW_MS' })).toBe(step({ graphRunSql: 'SELECT 1 AS NOW_MS' }));
    expect(step({ verifySql: 'SELECT 2 AS CHUNKS' })).not.toBe(step({}));
    expect(step({ rootTask: 'DB.S.OTHER' })).not.toBe(step({}));
  });

  test('how the runner polls a pass and refreshes the stage (wait.progressSql, wait.refreshSql) is not part of the fingerprint', () => {
    const wait = { queueTable: 'DB.S.Q', verifySql: 'SELECT 1 AS ARTIFACTS_MISSING', pollSeconds: 10 };
    const step = (w: object) => finalizeSteps([spec('w', [], 'UPDATE RUNS SET STATUS = 1', { kind: 'waitQueue', wait: { ...wait, ...w } })])[0].fingerprint;
    expect(step({ progressSql: 'SELECT 1 AS CHUNKS', refreshSql: 'ALTER STAGE "DB"."S"."ST" REFRESH' })).toBe(step({}));
    expect(step({ progressSql: 'SELECT 2 AS CHUNKS' })).toBe(step({ progressSql: 'SELECT 1 AS CHUNKS' }));
  });

  test('verifySql is hashed as progressSql was: a step that polled a query before verifies with it now under the same fingerprint', () => {
    const statements = [{ id: 's1', sql: 'UPDATE RUNS SET STATUS = 1' }];
    // The fingerprint of such a step before polls and verification were split: its progressSql was the verification query.
    const before = sha256(
      canonicalJson({
        own: { kind: 'waitQueue', statements, wait: { queueTable: 'DB.S.Q', progressSql: 'SELECT 0 AS ARTIFACTS_MISSING', pollSeconds: 10 }, triggers: {} },
        deps: [],
      }),
    );
    const now = {
      kind: 'waitQueue' as const,
      wait: {
        queueTable: 'DB.S.Q',
        progressSql: 'SELECT 0 AS CHUNKS',
        refreshSql: 'ALTER STAGE ST REFRESH',
        verifySql: 'SELECT 0 AS ARTIFACTS_MISSING',
        pollSeconds: 10,
      },
    };
    const fp = (extra: object) => finalizeSteps([spec('w', [], statements[0].sql, extra)])[0].fingerprint;
    expect(fp(now)).toBe(before);
    expect(fp({ ...now, wait: { ...now.wait, verifySql: 'SELECT 1 AS ARTIFACTS_MISSING' } })).not.toBe(before);
  });

  test('rejects cycles, unknown dependencies and duplicate ids with the step names', () => {
    expect(() => finalizeSteps([spec('a', ['b']), spec('b', ['a'])])).toThrow(/cycle: a -> b -> a/);
    expect(() => finalizeSteps([spec('a', ['nope'])])).toThrow(/'a' depends on unknown step 'nope'/);
    expect(() => finalizeSteps([spec('a'), spec('a')])).toThrow(/'a' is defined twice/);
  });

  test('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });
});
