import { ObjectName, unquotedName } from '../../lib/identifiers';
import { renderExecuteJobService, renderJobSpec } from '../../lib/sql/job-spec';
import { renderCreateImageRepository, renderGrantOn, renderGrantOnAccount, renderGrantOnFuture, renderGrantRoleToRole } from '../../lib/sql/account';
import { LEDGER_COLUMNS, renderLedgerDdl, renderLedgerStatements, renderTakeLock } from '../../lib/sql/ledger';
import { parseServiceName, renderDescribeService, renderDropService, renderServiceLogsQuery } from '../../lib/sql/services';
import { opensTransaction } from '../../lib/sql/session';
import { claimBatchCandidates, renderEnqueue, renderQueueCreate, renderQueueStatements } from '../../lib/sql/queue';
import { bindValues, inlineParams } from '../../lib/sql/statement';
import { layoutTaskGraph, maxSlots, renderExecuteTask, renderExecuteTaskForRun, renderSlotTaskBody } from '../../lib/sql/task-graph';
import { renderChunkReadStatement } from '../../lib/sql/training';
import { parse } from 'yaml';

const q = { table: ObjectName.parse('DB.S.Q', 3), leaseSeconds: 600, maxAttempts: 3 };

describe('queue SQL', () => {
  test('the DDL carries the lease and attempt columns and the primary key', () => {
    const ddl = renderQueueCreate(q);
    expect(ddl).toMatch(/^CREATE HYBRID TABLE IF NOT EXISTS "DB"."S"."Q"/);
    for (const col of ['LEASE_UNTIL TIMESTAMP_NTZ', 'ATTEMPTS NUMBER', 'WORKER_ID', 'PARTITION_KEYS ARRAY', 'PRIMARY KEY (QUEUE_ID)'])
      expect(ddl).toContain(col);
  });

  test('the claim is a compare-and-set on status and attempts, capped', () => {
    const s = renderQueueStatements(q);
    expect(s.claim.sql).toContain('WHERE QUEUE_ID = ? AND STATUS = ? AND ATTEMPTS = ? AND ATTEMPTS < 3');
    expect(s.claim.params).toEqual(['WORKER_ID', 'QUEUE_ID', 'OBSERVED_STATUS', 'OBSERVED_ATTEMPTS']);
    expect(s.claim.sql.split('?').length - 1).toBe(s.claim.params.length);
    for (const st of Object.values(s)) expect(st.sql.split('?').length - 1).toBe(st.params.length);
  });

  test('a batched claim reads up to k candidates and takes only rows still claimable at the ATTEMPTS read; k must be a positive integer', () => {
    const s = renderQueueStatements(q, 4);
    expect(s.claimCandidate.sql).toMatch(/ORDER BY CHUNK_ID LIMIT 4$/);
    expect(s.claimBatch.sql).toContain("ATTEMPTS < 3 AND (STATUS = 'PENDING' OR (STATUS = 'CLAIMED' AND LEASE_UNTIL < CURRENT_TIMESTAMP()))");
    expect(s.claimBatch.sql).toContain("ATTEMPTS::VARCHAR || ':' || QUEUE_ID IN (SELECT VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))))");
    expect(claimBatchCandidates([{ QUEUE_ID: 'R/screen/7', ATTEMPTS: 1 }])).toBe('["1:R/screen/7"]');
    for (const st of Object.values(s)) expect(st.sql.split('?').length - 1).toBe(st.params.length);
    expect(() => renderQueueStatements(q, 0)).toThrow('batch must be a positive integer, got 0');
  });

  test('only the lease holder can complete or fail a chunk', () => {
    const s = renderQueueStatements(q);
    expect(s.complete.sql).toContain("WORKER_ID = ? AND STATUS = 'CLAIMED'");
    expect(s.fail.sql).toContain("IFF(ATTEMPTS >= 3, 'FAILED', 'PENDING')");
  });

  test('enqueue is one idempotent statement chunking server-side', () => {
    const sql = renderEnqueue(q, 'screen', 25, { keysQuery: 'SELECT K AS PARTITION_KEY FROM T' });
    expect(sql).toContain('/ 25)');
    expect(sql).toContain('WHERE NOT EXISTS (SELECT 1 FROM "DB"."S"."Q" WHERE RUN_ID = \'{{RUN_ID}}\' AND PASS = \'screen\')');
    expect(sql.match(/INSERT INTO/g)).toHaveLength(1);
  });

  test('inlineParams quotes values as sqlString does (backslashes too) and refuses a count mismatch', () => {
    expect(inlineParams({ sql: 'X = ? AND Y = ?', params: ['A', 'B'] }, { A: "it's", B: 3 })).toBe("X = 'it''s' AND Y = 3");
    expect(inlineParams({ sql: 'X = ?', params: ['A'] }, { A: 'a\\b' })).toBe("X = 'a\\\\b'");
    expect(() => inlineParams({ sql: 'X = ?', params: [] }, {})).toThrow(/markers/);
  });

  test('bindValues lines values up by the params names, a name standing for every marker it names', () => {
    expect(bindValues({ sql: 'A = ? AND B = ? AND C = ?', params: ['X', 'Y', 'X'] }, { X: 1, Y: 'y' })).toEqual([1, 'y', 1]);
    expect(() => bindValues({ sql: 'A = ?', params: ['X'] }, {})).toThrow(/no value for param X/);
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

describe('task graph statements', () => {
  test('EXECUTE TASK names the root quoted', () => {
    expect(renderExecuteTask(ObjectName.parse('db.s.root', 3))).toBe('EXECUTE TASK "DB"."S"."ROOT"');
  });

  test("EXECUTE TASK for a pipeline run passes the run id in the graph run's configuration", () => {
    expect(renderExecuteTaskForRun(ObjectName.parse('db.s.root', 3))).toBe('EXECUTE TASK "DB"."S"."ROOT" USING CONFIG = $${"RUN_ID":"{{RUN_ID}}"}$$');
  });

  test("a slot's body reads the run id from the graph run's configuration, starts nothing without one, and runs the job for that run only", () => {
    const job = ObjectName.parse('DB.S.W0', 3);
    expect(renderSlotTaskBody(job, "EXECUTE JOB SERVICE $$ MM_RUN_ID: '{{RUN_ID}}' $$")).toBe(
      [
        'BEGIN',
        "  LET PIPELINE_RUN VARCHAR := SYSTEM$GET_TASK_GRAPH_CONFIG('RUN_ID')::VARCHAR;",
        "  IF (PIPELINE_RUN IS NULL OR NOT REGEXP_LIKE(PIPELINE_RUN, '^R[A-Z0-9_]{12,40}$')) THEN RETURN 'no pipeline run id in the graph run configuration: nothing started'; END IF;",
        '  DROP SERVICE IF EXISTS DB.S.W0;',
        "  LET JOB_STMT VARCHAR := REPLACE('EXECUTE JOB SERVICE $$ MM_RUN_ID: ''{{RUN_ID}}'' $$', '{{RUN_ID}}', PIPELINE_RUN);",
        '  EXECUTE IMMEDIATE :JOB_STMT;',
        "  RETURN 'trained for ' || PIPELINE_RUN;",
        'END',
      ].join('\n'),
    );
  });
});

describe('job service statements', () => {
  test('DESCRIBE, DROP and the logs query name the service unquoted; the logs query quotes it as a string', () => {
    const name = parseServiceName('ANALYTICS.FORECAST.FORECAST_REFINE_W0');
    expect(renderDescribeService(name)).toBe('DESCRIBE SERVICE ANALYTICS.FORECAST.FORECAST_REFINE_W0');
    expect(renderDropService(name)).toBe('DROP SERVICE IF EXISTS ANALYTICS.FORECAST.FORECAST_REFINE_W0');
    expect(renderServiceLogsQuery(name)).toBe("SELECT SYSTEM$GET_SERVICE_LOGS('ANALYTICS.FORECAST.FORECAST_REFINE_W0', '0', 'worker')");
  });

  test.each(['analytics.forecast.w0', 'A.B', 'A.B.C;DROP', '"A"."B"."C"'])('refuses the manifest name %s', (name) => {
    expect(() => parseServiceName(name)).toThrow(/is not DB.SCHEMA.NAME of unquoted identifiers/);
  });
});

describe('ledger statements', () => {
  const table = ObjectName.parse('OPS.HOOKS.HOOK_RUNS', 3);

  test('the DDL has every column, NOT NULL where the runner always writes it', () => {
    const ddl = renderLedgerDdl(table);
    expect(ddl).toMatch(/^CREATE TABLE IF NOT EXISTS "OPS"."HOOKS"."HOOK_RUNS" \(STACK VARCHAR\(256\) NOT NULL, /);
    const columns = ddl.slice(ddl.indexOf('(') + 1, -1).split(', ');
    expect(columns).toEqual(LEDGER_COLUMNS.map(([name, type, nullable]) => `${name} ${type}${nullable ? '' : ' NOT NULL'}`));
  });

  test('every statement binds its values: one param per marker outside the constants', () => {
    const markers = (sql: string) => sql.replace(/'(?:[^']|'')*'/g, '').split('?').length - 1;
    for (const st of [...Object.values(renderLedgerStatements(table)), renderTakeLock(table, 60)]) expect(markers(st.sql)).toBe(st.params.length);
  });

  test('the stale window is rendered with its sign, so no value makes a comment', () => {
    expect(renderTakeLock(table, 60).sql).toContain('DATEADD(second, -60, CURRENT_TIMESTAMP())');
    expect(renderTakeLock(table, -5).sql).not.toContain('--');
  });
});

describe('session and account statements', () => {
  test('BEGIN TRANSACTION opens a transaction; a scripting block does not', () => {
    expect(opensTransaction('BEGIN TRANSACTION')).toBe(true);
    expect(opensTransaction(' begin ')).toBe(true);
    expect(opensTransaction('BEGIN\n  DELETE FROM T;\nEND')).toBe(false);
  });

  test('grants quote roles and dotted names; an object that is SQL already goes in as it is', () => {
    expect(renderGrantRoleToRole('RUNNER', 'SYSADMIN')).toBe('GRANT ROLE "RUNNER" TO ROLE "SYSADMIN"');
    expect(renderGrantOnAccount(['CREATE ROLE', 'EXECUTE TASK'], 'DEPLOY')).toBe('GRANT CREATE ROLE, EXECUTE TASK ON ACCOUNT TO ROLE "DEPLOY"');
    expect(renderGrantOn(['USAGE'], 'SCHEMA', 'DB.S', 'R', true)).toBe('GRANT USAGE ON SCHEMA "DB"."S" TO ROLE "R" WITH GRANT OPTION');
    expect(renderGrantOn(['USAGE'], 'PROCEDURE', { sql: '"DB"."S"."P"(VARCHAR)' }, 'R')).toBe('GRANT USAGE ON PROCEDURE "DB"."S"."P"(VARCHAR) TO ROLE "R"');
    expect(renderGrantOnFuture(['USAGE'], 'MODELS', 'SCHEMA', 'DB.S', 'R')).toBe('GRANT USAGE ON FUTURE MODELS IN SCHEMA "DB"."S" TO ROLE "R"');
    expect(renderGrantRoleToRole('A"B', 'P')).toBe('GRANT ROLE "A""B" TO ROLE "P"');
    expect(renderCreateImageRepository('DB.S.REPO')).toBe('CREATE IMAGE REPOSITORY IF NOT EXISTS "DB"."S"."REPO"');
  });
});

describe('worker SQL and specs', () => {
  test('one bulk read per chunk, keys bound as a JSON array', () => {
    const r = renderChunkReadStatement({
      table: ObjectName.parse('A.B.C', 3),
      partitionColumn: 'UNIT_ID',
      orderColumn: 'DATE',
      targetColumn: 'Y',
      covariateColumns: ['PRICE'],
    });
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
    const tricky = [
      '0',
      '1.0',
      'yes',
      'off',
      'null',
      '~',
      '',
      ' lead',
      "it's",
      'a: b',
      '- x',
      '#c',
      '@x',
      '"q"',
      'line\nbreak',
      'tab\there',
      '\u0007bell',
      'é ü 中',
      '{x}',
      '[1]',
      '*ref',
      '&anchor',
      '!tag',
      '%dir',
      '`tick`',
    ];
    const env: Record<string, string> = { NULL: 'n', Y: 'y', True: 't', '1X': 'odd', 'A-B': 'dash' };
    tricky.forEach((v, i) => {
      env[`V${String(i).padStart(2, '0')}`] = v;
    });
    const m = {
      image: '/a/b/c/img:1',
      command: ['python', '-m', 'worker'],
      args: tricky,
      stage: ObjectName.parse('A.B.S', 3),
      env,
      resources: { cpu: 0.5, memory: '4Gi' },
    };
    const read = parse(renderJobSpec(m), { version: '1.1' });
    const again = parse(renderJobSpec(m));
    for (const spec of [read, again]) {
      expect(spec).toEqual({
        spec: {
          containers: [
            {
              name: 'worker',
              image: m.image,
              command: m.command,
              args: tricky,
              env,
              volumeMounts: [{ name: 'models', mountPath: '/models' }],
              resources: { requests: { cpu: 0.5, memory: '4Gi' } },
            },
          ],
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
