import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { startLocalServer } from '../../local-server';
import { close, connect, query } from './client';
import { tempDir } from '../tmp';

describe('local server durability and CLI', () => {
  test('with a data directory, tables, hybrid rows, stage files and directory tables survive a restart', async () => {
    const dataDir = tempDir('mm-durable-');
    const first = await startLocalServer({ dataDir });
    const c = await connect(first.connectionOptions());
    await query(c, 'CREATE DATABASE D');
    await query(c, 'CREATE SCHEMA D.S');
    await query(c, 'CREATE TABLE D.S.T (X NUMBER)');
    await query(c, 'INSERT INTO D.S.T VALUES (41), (1)');
    await query(c, 'CREATE HYBRID TABLE D.S.Q (ID VARCHAR NOT NULL, STATUS VARCHAR, PRIMARY KEY (ID))');
    await query(c, "INSERT INTO D.S.Q VALUES ('q1', 'CLAIMED')");
    await query(c, 'CREATE STAGE D.S.MODELS DIRECTORY = (ENABLE = TRUE)');
    const stageDir = first.engine.stages.get('D.S.MODELS')!;
    fs.mkdirSync(path.join(stageDir, 'models', 'R1'), { recursive: true });
    fs.writeFileSync(path.join(stageDir, 'models', 'R1', 'a.json'), '{"x":1}');
    await query(c, 'ALTER STAGE D.S.MODELS REFRESH');
    fs.writeFileSync(path.join(stageDir, 'models', 'R1', 'b.json'), '{}'); // after the refresh
    await query(c, 'CREATE MODEL D.S.M WITH VERSION V1 FROM @D.S.MODELS/models/R1');
    await query(c, 'ALTER MODEL D.S.M VERSION V1 SET ALIAS = PRODUCTION');
    await close(c);
    await first.close();

    const second = await startLocalServer({ dataDir });
    const c2 = await connect(second.connectionOptions());
    expect((await query(c2, 'SELECT SUM(X) AS S FROM D.S.T')).rows).toEqual([{ S: 42 }]);
    expect((await query(c2, 'SELECT STATUS FROM D.S.Q WHERE ID = ?', ['q1'])).rows).toEqual([{ STATUS: 'CLAIMED' }]);
    await expect(query(c2, "INSERT INTO D.S.Q VALUES ('q1', 'PENDING')")).rejects.toMatchObject({ code: '200001' });
    // The directory table is the one of the last refresh; the files are all there.
    const dir = await query(c2, 'SELECT RELATIVE_PATH, SIZE FROM DIRECTORY(@D.S.MODELS)');
    expect(dir.rows).toEqual([{ RELATIVE_PATH: 'models/R1/a.json', SIZE: 7 }]);
    expect((await query(c2, 'LIST @D.S.MODELS')).rows.map((r) => r.name)).toEqual(['models/models/R1/a.json', 'models/models/R1/b.json']);
    expect((await query(c2, 'SHOW VERSIONS IN MODEL D.S.M')).rows.map((v) => [v.name, v.aliases])).toEqual([['V1', '["PRODUCTION"]']]);
    await close(c2);
    await second.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a graph run cut off by a stop is not resumed: after a restart it is complete and FAILED, not running', async () => {
    const dataDir = tempDir('mm-durable-graph-');
    const at = new Date(Date.now() - 5000).toISOString();
    const run = {
      ROOT_TASK_NAME: 'ROOT',
      DATABASE_NAME: 'D',
      SCHEMA_NAME: 'S',
      STATE: 'EXECUTING',
      SCHEDULED_FROM: 'EXECUTE_TASK',
      FIRST_ERROR_TASK_NAME: null,
      FIRST_ERROR_CODE: null,
      FIRST_ERROR_MESSAGE: null,
      SCHEDULED_TIME: at,
      QUERY_START_TIME: at,
      COMPLETED_TIME: null,
      ROOT_TASK_ID: 't1',
      ATTEMPT_NUMBER: 1,
      GRAPH_RUN_GROUP_ID: 'g1',
    };
    const row = {
      NAME: 'ROOT',
      DATABASE_NAME: 'D',
      SCHEMA_NAME: 'S',
      STATE: 'EXECUTING',
      ERROR_CODE: null,
      ERROR_MESSAGE: null,
      SCHEDULED_TIME: at,
      QUERY_START_TIME: at,
      COMPLETED_TIME: null,
      ROOT_TASK_ID: 't1',
      SCHEDULED_FROM: 'EXECUTE_TASK',
      ATTEMPT_NUMBER: 1,
      GRAPH_RUN_GROUP_ID: 'g1',
    };
    // What a server that died mid-run leaves in its objects file.
    fs.writeFileSync(path.join(dataDir, 'objects.json'), JSON.stringify({ tasks: [], history: [row], graphRuns: [run], models: [] }));
    const server = await startLocalServer({ dataDir });
    const c = await connect(server.connectionOptions());
    expect((await query(c, 'SELECT COUNT(*) AS N FROM TABLE(INFORMATION_SCHEMA.CURRENT_TASK_GRAPHS())')).rows).toEqual([{ N: 0 }]);
    expect((await query(c, 'SELECT STATE, FIRST_ERROR_MESSAGE FROM TABLE(INFORMATION_SCHEMA.COMPLETE_TASK_GRAPHS())')).rows).toEqual([
      { STATE: 'FAILED', FIRST_ERROR_MESSAGE: 'server restarted' },
    ]);
    expect((await query(c, 'SELECT STATE, ERROR_MESSAGE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY())')).rows).toEqual([
      { STATE: 'FAILED', ERROR_MESSAGE: 'server restarted' },
    ]);
    await close(c);
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a response cut off mid-body is retried by the driver', async () => {
    const server = await startLocalServer();
    const c = await connect(server.connectionOptions());
    server.faults.dropConnection({ path: /query-request/ });
    const r = await query(c, 'SELECT 5 AS N').then(
      (x) => x.rows[0].N,
      (e) => `error ${e.code}`,
    );
    // The driver either retries the request (5) or reports a network error; the server stays up.
    expect([5, 'error 401001', 'error 401002', 'error 401003']).toContain(r);
    expect((await query(c, 'SELECT 6 AS N')).rows[0].N).toBe(6);
    await close(c);
    await server.close();
  });

  test('many-model local-server starts on the given port, serves the driver and stops on SIGTERM', async () => {
    const root = path.resolve(__dirname, '..', '..');
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(
      process.execPath,
      [path.join(root, 'bin', 'many-model.js'), 'local-server', '--port', String(port), '--user', 'ops', '--password', 'pw-1'],
      { cwd: root },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    for (let i = 0; i < 100 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(`listening on http://127.0.0.1:${port}`);
    expect(out).not.toContain('pw-1');
    const c = await connect({
      account: 'local',
      username: 'ops',
      password: 'pw-1',
      host: '127.0.0.1',
      port,
      protocol: 'http',
      accessUrl: `http://127.0.0.1:${port}`,
    });
    expect((await query(c, 'SELECT 1 AS ONE')).rows[0].ONE).toBe(1);
    await close(c);
    const code = await new Promise<number | null>((resolve) => {
      child.on('close', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});

describe('local server: PUT and GET through the driver (LOCAL_FS)', () => {
  test('PUT uploads to the stage directory, LIST sees it, DIRECTORY once refreshed, GET downloads it, REMOVE deletes it', async () => {
    const server = await startLocalServer();
    const c = await connect(server.connectionOptions());
    for (const sql of ['CREATE DATABASE F', 'CREATE SCHEMA F.S', 'CREATE STAGE F.S.ST']) await query(c, sql);
    const local = tempDir('mm-put-');
    const src = path.join(local, 'a.json');
    fs.writeFileSync(src, '{"model": 1}');
    const put = await query(c, `PUT file://${src} @F.S.ST/models/R1/ AUTO_COMPRESS = FALSE`);
    expect(put.rows[0]).toMatchObject({ source: 'a.json', target: 'a.json', status: 'UPLOADED' });
    expect((await query(c, 'LIST @F.S.ST')).rows.map((r) => r.name)).toEqual(['st/models/R1/a.json']);
    expect((await query(c, 'SELECT RELATIVE_PATH FROM DIRECTORY(@F.S.ST)')).rows).toEqual([]);
    await query(c, 'ALTER STAGE F.S.ST REFRESH');
    expect((await query(c, 'SELECT RELATIVE_PATH FROM DIRECTORY(@F.S.ST)')).rows).toEqual([{ RELATIVE_PATH: 'models/R1/a.json' }]);
    const down = tempDir('mm-get-');
    await query(c, `GET @F.S.ST/models/ file://${down}/`);
    expect(fs.readFileSync(path.join(down, 'a.json'), 'utf8')).toBe('{"model": 1}');
    await query(c, 'REMOVE @F.S.ST/models/R1/a.json');
    expect((await query(c, 'LIST @F.S.ST')).rows).toEqual([]);
    expect((await query(c, 'SELECT COUNT(*) AS N FROM DIRECTORY(@F.S.ST)')).rows).toEqual([{ N: 1 }]);
    await query(c, 'ALTER STAGE F.S.ST REFRESH');
    expect((await query(c, 'SELECT COUNT(*) AS N FROM DIRECTORY(@F.S.ST)')).rows).toEqual([{ N: 0 }]);
    await close(c);
    await server.close();
  });
});
