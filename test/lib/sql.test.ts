import { ObjectName } from '../../lib/identifiers';
import { renderDropService, renderExecuteJobService, renderJobSpec, unquotedName } from '../../lib/sql/job-spec';
import { renderEnqueue, renderQueueCreate, renderQueueStatements } from '../../lib/sql/queue';
import { inlineParams } from '../../lib/sql/statement';
import { layoutTaskGraph, maxSlots } from '../../lib/sql/task-graph';
import { renderChunkReadStatement } from '../../lib/sql/training';
import { parse } from 'yaml';

const q = { table: ObjectName.parse('DB.S.Q', 3), leaseSeconds: 600, maxAttempts: 3 };

describe('queue SQL', () => {
  test('the DDL carries the lease and attempt columns and the primary key', () => {
    const ddl = renderQueueCreate(q);
    expect(ddl).toMatch(/^CREATE HYBRID TABLE IF NOT EXISTS "DB"."S"."Q"/);
    for (const col of ['LEASE_UNTIL TIMESTAMP_NTZ', 'ATTEMPTS NUMBER', 'WORKER_ID', 'PARTITION_KEYS ARRAY', 'PRIMARY KEY (QUEUE_ID)']) expect(ddl).toContain(col);
  });

  test('the claim is a compare-and-set on status and attempts, capped', () => {
    const s = renderQueueStatements(q);
    expect(s.claim.sql).toContain("WHERE QUEUE_ID = ? AND STATUS = ? AND ATTEMPTS = ? AND ATTEMPTS < 3");
    expect(s.claim.params).toEqual(['WORKER_ID', 'QUEUE_ID', 'OBSERVED_STATUS', 'OBSERVED_ATTEMPTS']);
    expect(s.claim.sql.split('?').length - 1).toBe(s.claim.params.length);
    for (const st of Object.values(s)) expect(st.sql.split('?').length - 1).toBe(st.params.length);
  });

  test('only the lease holder can complete or fail a chunk', () => {
    const s = renderQueueStatements(q);
    expect(s.complete.sql).toContain("WORKER_ID = ? AND STATUS = 'CLAIMED'");
    expect(s.fail.sql).toContain("IFF(ATTEMPTS >= 3, 'FAILED', 'PENDING')");
  });

  test('enqueue is one idempotent statement chunking server-side', () => {
    const sql = renderEnqueue(q, 'screen', 25, { keysQuery: 'SELECT K AS PARTITION_KEY FROM T' });
    expect(sql).toContain('/ 25)');
    expect(sql).toContain("WHERE NOT EXISTS (SELECT 1 FROM \"DB\".\"S\".\"Q\" WHERE RUN_ID = '{{RUN_ID}}' AND PASS = 'screen')");
    expect(sql.match(/INSERT INTO/g)).toHaveLength(1);
  });

  test('inlineParams quotes values and refuses a count mismatch', () => {
    expect(inlineParams({ sql: 'X = ? AND Y = ?', params: ['A', 'B'] }, { A: "it's", B: 3 })).toBe("X = 'it''s' AND Y = 3");
    expect(() => inlineParams({ sql: 'X = ?', params: [] }, {})).toThrow(/markers/);
  });
});

describe('task graph layout', () => {
  test('hangs up to 100 workers on the root and fans out beyond', () => {
    expect(layoutTaskGraph(100)).toMatchObject({ fanOuts: 0, totalTasks: 101 });
    const big = layoutTaskGraph(250);
    expect(big.fanOuts).toBe(3);
    expect(Math.max(...[0, 1, 2].map((j) => big.parentOfSlot.filter((p) => p === j).length))).toBeLessThanOrEqual(100);
  });

  test('the largest slot count keeps the graph within 1000 tasks', () => {
    const s = maxSlots();
    expect(layoutTaskGraph(s).totalTasks).toBeLessThanOrEqual(1000);
    expect(layoutTaskGraph(s + 1).totalTasks).toBeGreaterThan(1000);
  });
});

describe('worker SQL and specs', () => {
  test('one bulk read per chunk, keys bound as a JSON array', () => {
    const r = renderChunkReadStatement({ table: ObjectName.parse('A.B.C', 3), partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y', covariateColumns: ['PRICE'] });
    expect(r.params).toEqual(['PARTITION_KEYS_JSON']);
    expect(r.sql).toContain('FLATTEN(INPUT => PARSE_JSON(?))');
    expect(r.sql).toContain('"PRICE"');
    expect(r.sql).toMatch(/ORDER BY PARTITION_KEY, DS$/);
  });

  test('job specs are valid YAML with sorted env and the stage mounted', () => {
    const text = renderJobSpec({ image: '/a/b/c/img:1', stage: ObjectName.parse('A.B.S', 3), env: { Z: '1', A: '2' } });
    const spec = parse(text);
    expect(Object.keys(spec.spec.containers[0].env)).toEqual(['A', 'Z']);
    expect(spec.spec.containers[0].volumeMounts[0].mountPath).toBe('/models');
  });

  test('the stage is mounted as a v2 stage volume (source: stage with stageConfig), never the v1 form the 2026_08 bundle refuses', () => {
    const text = renderJobSpec({ image: '/a/b/c/img:1', stage: ObjectName.parse('a.b.s', 3), env: {} });
    expect(parse(text).spec.volumes).toEqual([{ name: 'models', source: 'stage', stageConfig: { name: '@A.B.S' } }]);
    expect(text).not.toMatch(/source: '@/);
  });

  test('EXECUTE JOB SERVICE names the job unquoted (NAME does not support quoted names); DROP SERVICE names it the same way', () => {
    const name = ObjectName.parse('analytics.forecast.forecast_screen_w0', 3);
    const sql = renderExecuteJobService({ computePool: ObjectName.parse('POOL', 1), name, spec: 'spec: {}', async: true });
    expect(sql).toContain('\n  NAME = ANALYTICS.FORECAST.FORECAST_SCREEN_W0\n');
    expect(sql).not.toMatch(/NAME = "/);
    expect(renderDropService(name)).toBe('DROP SERVICE IF EXISTS ANALYTICS.FORECAST.FORECAST_SCREEN_W0');
  });

  test('a job service name with a part that is not a plain upper-case identifier (an unresolved token) is refused', () => {
    const name = ObjectName.of('${TfToken[TOKEN.1]}', 'S', 'X');
    expect(() => unquotedName(name)).toThrow(/is not an unquoted Snowflake identifier/);
  });

  test('job specs read back as exactly the model, whatever the strings hold', () => {
    // Values a general YAML reader would otherwise take as numbers, booleans, null or structure.
    const tricky = ['0', '1.0', 'yes', 'off', 'null', '~', '', ' lead', "it's", 'a: b', '- x', '#c', '@x', '"q"', 'line\nbreak', 'tab\there', '\u0007bell', 'é ü 中', '{x}', '[1]', '*ref', '&anchor', '!tag', '%dir', '`tick`'];
    const env: Record<string, string> = { NULL: 'n', Y: 'y', True: 't', '1X': 'odd', 'A-B': 'dash' };
    tricky.forEach((v, i) => (env[`V${String(i).padStart(2, '0')}`] = v));
    const m = { image: '/a/b/c/img:1', command: ['python', '-m', 'worker'], args: tricky, stage: ObjectName.parse('A.B.S', 3), env, resources: { cpu: 0.5, memory: '4Gi' } };
    const read = parse(renderJobSpec(m), { version: '1.1' });
    const again = parse(renderJobSpec(m));
    for (const spec of [read, again]) {
      expect(spec).toEqual({
        spec: {
          containers: [{ name: 'worker', image: m.image, command: m.command, args: tricky, env, volumeMounts: [{ name: 'models', mountPath: '/models' }], resources: { requests: { cpu: 0.5, memory: '4Gi' } } }],
          volumes: [{ name: 'models', source: 'stage', stageConfig: { name: '@A.B.S' } }],
        },
      });
    }
    expect(Object.keys(read.spec.containers[0].env)).toEqual(Object.keys(env).sort());
  });

  test('a job spec without command, args, env or resources leaves them out', () => {
    const spec = parse(renderJobSpec({ image: 'img', stage: ObjectName.parse('A.B.S', 3), env: {} }));
    expect(spec.spec.containers[0]).toEqual({ name: 'worker', image: 'img', env: {}, volumeMounts: [{ name: 'models', mountPath: '/models' }] });
  });
});
