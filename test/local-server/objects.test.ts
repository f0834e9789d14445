import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { Conn, close, connect, query } from './client';

const worker = path.join(__dirname, 'fixtures', 'job-worker.js');
let server: LocalSnowflakeServer;
let c: Conn;
const calls: unknown[][] = [];

const spec = (slot: number, extra: Record<string, string> = {}) => `spec:
  containers:
  - name: worker
    image: /jobs/s/repo/worker:1
    env:
      SLOT: "${slot}"
      MODEL_DIR: /models
${Object.entries(extra)
  .map(([k, v]) => `      ${k}: "${v}"`)
  .join('\n')}
    volumeMounts:
    - name: models
      mountPath: /models
  volumes:
  - name: models
    source: stage
    stageConfig:
      name: "@JOBS.S.MODELS"
`;

beforeAll(async () => {
  server = await startLocalServer({
    users: [{ name: 'test', password: 'test' }, { name: 'container' }],
    imageCommands: { '/jobs/s/repo/worker': { command: [process.execPath, worker] } },
    procedures: {
      // Holds a task as long as its argument says (ms), as a slow task body would.
      'JOBS.S.PAUSE': async (args) => {
        await new Promise((r) => setTimeout(r, Number(args[0])));
        return 'paused';
      },
      'JOBS.S.REGISTER': async (args, ctx) => {
        calls.push(args);
        ctx.models.addVersion('JOBS.S.M', String(args[1]), { run: args[0] }, ctx.stageDir('JOBS.S.MODELS'));
        return `registered ${args[1]}`;
      },
    },
    predictor: async (_model, version, rows) =>
      rows.map((r) => ({ PARTITION_KEY: r.PARTITION_KEY, STEP: Number(r.STEP), FORECAST: Number(r.STEP) * 10, VERSION: version.name })),
  });
  c = await connect(server.connectionOptions());
  for (const sql of [
    'CREATE DATABASE JOBS',
    'CREATE SCHEMA JOBS.S',
    'CREATE STAGE JOBS.S.MODELS',
    'CREATE TABLE JOBS.S.SEEN (SLOT VARCHAR, SERVICE VARCHAR)',
    'USE SCHEMA JOBS.S',
  ])
    await query(c, sql);
});
afterAll(async () => {
  await close(c);
  await server.close();
});

describe('local server: job services, tasks, models and stand-ins', () => {
  test('a synchronous job service runs the mapped command with the spec env, the stage mount and a working OAuth token', async () => {
    const r = await query(c, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S.JOB_A FROM SPECIFICATION $$${spec(7)}$$`);
    expect(r.rows[0].status).toContain('DONE');
    expect((await query(c, 'SELECT SLOT, SERVICE FROM JOBS.S.SEEN')).rows).toEqual([{ SLOT: '7', SERVICE: 'JOBS.S.JOB_A' }]);
    await query(c, 'ALTER STAGE JOBS.S.MODELS REFRESH');
    expect((await query(c, "SELECT RELATIVE_PATH FROM DIRECTORY(@JOBS.S.MODELS) WHERE RELATIVE_PATH LIKE 'out/%'")).rows).toEqual([
      { RELATIVE_PATH: 'out/7.txt' },
    ]);
    const st = JSON.parse((await query(c, "SELECT SYSTEM$GET_SERVICE_STATUS('JOBS.S.JOB_A') AS S")).rows[0].S);
    expect(st[0]).toMatchObject({ status: 'DONE', containerName: 'worker' });
    await expect(query(c, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S.JOB_A FROM SPECIFICATION $$${spec(7)}$$`)).rejects.toMatchObject({
      code: '002002',
    });
    await query(c, 'DROP SERVICE IF EXISTS JOBS.S.JOB_A');
  });

  test('a failing container fails the statement with its exit code; ASYNC returns at once and can be killed', async () => {
    await expect(
      query(c, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S.JOB_F FROM SPECIFICATION $$${spec(8, { EXIT_CODE: '5' })}$$`),
    ).rejects.toMatchObject({ code: '395002', message: expect.stringContaining('code 5') });
    await query(c, `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S.JOB_S ASYNC = TRUE FROM SPECIFICATION $$${spec(9, { MODE: 'sleep' })}$$`);
    expect(JSON.parse((await query(c, "SELECT SYSTEM$GET_SERVICE_STATUS('JOBS.S.JOB_S') AS S")).rows[0].S)[0].status).toBe('RUNNING');
    expect(server.objects.killService('JOBS.S.JOB_S')).toBe(true);
    await server.objects.settle();
    expect(JSON.parse((await query(c, "SELECT SYSTEM$GET_SERVICE_STATUS('JOBS.S.JOB_S') AS S")).rows[0].S)[0].status).toBe('FAILED');
    await expect(query(c, "SELECT SYSTEM$GET_SERVICE_STATUS('JOBS.S.NOPE') AS S")).rejects.toMatchObject({ code: '002003' });
    await expect(
      query(
        c,
        `EXECUTE JOB SERVICE IN COMPUTE POOL POOL1 NAME = JOBS.S.JOB_X FROM SPECIFICATION $$${spec(1).replace('/jobs/s/repo/worker:1', '/other/image:2')}$$`,
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining("'/other/image:2' is not mapped") });
  });

  test('EXECUTE TASK runs a graph in dependency order, skipping suspended children, visible in TASK_HISTORY', async () => {
    await query(c, 'CREATE TABLE JOBS.S.ORDERED (WHAT VARCHAR, TS_AT TIMESTAMP_NTZ)');
    await query(c, "CREATE OR REPLACE TASK JOBS.S.ROOT WAREHOUSE = WH AS INSERT INTO JOBS.S.ORDERED VALUES ('root', CURRENT_TIMESTAMP())");
    await query(
      c,
      "CREATE OR REPLACE TASK JOBS.S.CHILD1 WAREHOUSE = WH AFTER JOBS.S.ROOT AS BEGIN INSERT INTO JOBS.S.ORDERED VALUES ('child1', CURRENT_TIMESTAMP()); INSERT INTO JOBS.S.ORDERED VALUES ('child1b', CURRENT_TIMESTAMP()); END",
    );
    await query(
      c,
      "CREATE OR REPLACE TASK JOBS.S.CHILD2 WAREHOUSE = WH AFTER JOBS.S.CHILD1 AS INSERT INTO JOBS.S.ORDERED VALUES ('child2', CURRENT_TIMESTAMP())",
    );
    await query(c, "CREATE OR REPLACE TASK JOBS.S.OFF WAREHOUSE = WH AFTER JOBS.S.ROOT AS INSERT INTO JOBS.S.ORDERED VALUES ('off', CURRENT_TIMESTAMP())");
    await query(c, 'ALTER TASK JOBS.S.CHILD1 RESUME');
    await query(c, 'ALTER TASK JOBS.S.CHILD2 RESUME');
    await query(c, 'EXECUTE TASK JOBS.S.ROOT');
    await server.objects.settle();
    expect((await query(c, 'SELECT WHAT FROM JOBS.S.ORDERED ORDER BY TS_AT, WHAT')).rows.map((r) => r.WHAT)).toEqual(['root', 'child1', 'child1b', 'child2']);
    const graphs = await query(c, "SELECT STATE, GRAPH_RUN_GROUP_ID FROM TABLE(INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => 'root'))");
    expect(graphs.rows).toEqual([{ STATE: 'SUCCEEDED', GRAPH_RUN_GROUP_ID: expect.any(String) }]);
    const hist = await query(
      c,
      `SELECT NAME, STATE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY()) WHERE GRAPH_RUN_GROUP_ID = '${graphs.rows[0].GRAPH_RUN_GROUP_ID}' ORDER BY SCHEDULED_TIME`,
    );
    expect(hist.rows).toEqual([
      { NAME: 'ROOT', STATE: 'SUCCEEDED' },
      { NAME: 'CHILD1', STATE: 'SUCCEEDED' },
      { NAME: 'CHILD2', STATE: 'SUCCEEDED' },
    ]);
    expect((await query(c, "SELECT NAME FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'child2'))")).rows).toEqual([{ NAME: 'CHILD2' }]);
  });

  test('a graph run is current from EXECUTE TASK until its last task has finished, then complete with its first error', async () => {
    // A root, a child that fails at once and one that keeps the run going for 1.2 s.
    await query(c, 'CREATE OR REPLACE TASK JOBS.S.G_ROOT WAREHOUSE = WH AS SELECT 1');
    for (const [name, body] of [
      ['G_SLOW', 'CALL JOBS.S.PAUSE(1200)'],
      ['G_BAD', 'SELECT * FROM JOBS.S.NO_SUCH_TABLE'],
    ]) {
      await query(c, `CREATE OR REPLACE TASK JOBS.S.${name} WAREHOUSE = WH AFTER JOBS.S.G_ROOT AS ${body}`);
      await query(c, `ALTER TASK JOBS.S.${name} RESUME`);
    }
    const current =
      "SELECT ROOT_TASK_NAME, DATABASE_NAME, SCHEMA_NAME, STATE, SCHEDULED_FROM FROM TABLE(JOBS.INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_NAME => 'G_ROOT'))";
    const complete =
      "SELECT STATE, FIRST_ERROR_TASK_NAME, DATE_PART(EPOCH_MILLISECOND, COMPLETED_TIME) - DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS MS FROM TABLE(JOBS.INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => 'G_ROOT'))";
    const before = Date.now();
    await query(c, 'EXECUTE TASK JOBS.S.G_ROOT');
    expect((await query(c, current)).rows).toEqual([
      { ROOT_TASK_NAME: 'G_ROOT', DATABASE_NAME: 'JOBS', SCHEMA_NAME: 'S', STATE: 'EXECUTING', SCHEDULED_FROM: 'EXECUTE_TASK' },
    ]);
    // The root and the failing child are done long before the slow child: the run still executes.
    await new Promise((r) => setTimeout(r, 600));
    expect((await query(c, "SELECT NAME, STATE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => 'G_BAD'))")).rows).toEqual([
      { NAME: 'G_BAD', STATE: 'FAILED' },
    ]);
    expect((await query(c, current)).rows).toHaveLength(1);
    expect((await query(c, complete)).rows).toEqual([]);
    await server.objects.settle();
    expect((await query(c, current)).rows).toEqual([]);
    const [done] = (await query(c, complete)).rows;
    expect(done).toMatchObject({ STATE: 'FAILED', FIRST_ERROR_TASK_NAME: 'G_BAD' });
    expect(done.MS).toBeGreaterThanOrEqual(1200);
    const ms = (
      await query(
        c,
        "SELECT DATE_PART(EPOCH_MILLISECOND, SCHEDULED_TIME) AS MS FROM TABLE(INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => 'G_ROOT'))",
      )
    ).rows[0].MS;
    expect(Number(ms)).toBeGreaterThanOrEqual(before - 1000);
    expect(
      (await query(c, "SELECT COUNT(*) AS N FROM TABLE(INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS(ROOT_TASK_NAME => 'G_ROOT', ERROR_ONLY => TRUE))")).rows,
    ).toEqual([{ N: 1 }]);
    await expect(query(c, "SELECT * FROM TABLE(INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS(ROOT_TASK_ID => 'x'))")).rejects.toMatchObject({
      message: expect.stringContaining('CURRENT_TASK_GRAPHS argument ROOT_TASK_ID'),
    });
  });

  test('model versions, aliases and default version; CALL and PREDICT stand-ins; COPY INTO a stage file', async () => {
    const call = await query(c, "CALL JOBS.S.REGISTER('R1', 'V_R1', 'models/R1/model_index.json')");
    expect(Object.values(call.rows[0])).toEqual(['registered V_R1']);
    expect(calls).toEqual([['R1', 'V_R1', 'models/R1/model_index.json']]);
    await query(c, 'ALTER MODEL JOBS.S.M ADD VERSION V_R2 FROM MODEL JOBS.S.M VERSION V_R1');
    await query(c, 'ALTER MODEL JOBS.S.M VERSION V_R1 SET ALIAS = PRODUCTION');
    await expect(query(c, 'ALTER MODEL JOBS.S.M VERSION V_R2 SET ALIAS = PRODUCTION')).rejects.toMatchObject({ code: '002002' });
    await query(c, 'ALTER MODEL JOBS.S.M VERSION PRODUCTION UNSET ALIAS');
    await query(c, 'ALTER MODEL JOBS.S.M VERSION V_R2 SET ALIAS = PRODUCTION');
    await query(c, "ALTER MODEL JOBS.S.M SET DEFAULT_VERSION = 'V_R2'");
    await expect(query(c, 'ALTER MODEL JOBS.S.M VERSION NOPE UNSET ALIAS')).rejects.toMatchObject({ code: '002003' });
    const versions = (await query(c, 'SHOW VERSIONS IN MODEL JOBS.S.M')).rows;
    expect(versions.map((v) => [v.name, v.aliases, v.is_default_version])).toEqual([
      ['V_R1', '[]', 'false'],
      ['V_R2', '["PRODUCTION"]', 'true'],
    ]);

    await query(c, 'CREATE TABLE JOBS.S.SRC (UNIT_ID VARCHAR, Y FLOAT)');
    await query(c, "INSERT INTO JOBS.S.SRC VALUES ('a', 1), ('a', 2), ('b', 3)");
    const pred = await query(
      c,
      [
        'SELECT P.PARTITION_KEY, P.STEP, P.FORECAST, P.VERSION',
        'FROM (SELECT K.*, H.STEP FROM (SELECT DISTINCT TO_VARCHAR(UNIT_ID) AS PARTITION_KEY FROM JOBS.S.SRC) K CROSS JOIN (SELECT COLUMN1 AS STEP FROM VALUES (1), (2)) H) I,',
        '  TABLE(MODEL(JOBS.S.M, PRODUCTION)!PREDICT(I.PARTITION_KEY, I.STEP) OVER (PARTITION BY I.PARTITION_KEY)) P',
        'ORDER BY 1, 2',
      ].join('\n'),
    );
    expect(pred.rows).toEqual([
      { PARTITION_KEY: 'a', STEP: 1, FORECAST: 10, VERSION: 'V_R2' },
      { PARTITION_KEY: 'a', STEP: 2, FORECAST: 20, VERSION: 'V_R2' },
      { PARTITION_KEY: 'b', STEP: 1, FORECAST: 10, VERSION: 'V_R2' },
      { PARTITION_KEY: 'b', STEP: 2, FORECAST: 20, VERSION: 'V_R2' },
    ]);

    await query(
      c,
      "COPY INTO @JOBS.S.MODELS/models/R1/model_index.json FROM (SELECT OBJECT_CONSTRUCT('runId', 'R1', 'n', COUNT(*)) FROM JOBS.S.SRC) FILE_FORMAT = (TYPE = JSON COMPRESSION = NONE) SINGLE = TRUE OVERWRITE = TRUE",
    );
    const file = path.join(server.engine.stages.get('JOBS.S.MODELS')!, 'models', 'R1', 'model_index.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ runId: 'R1', n: 3 });
  });
});
