import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { Conn, close, connect, query } from './client';

// A stage's directory table is metadata as of its last refresh ("Managing directory tables",
// https://docs.snowflake.com/en/user-guide/data-load-dirtables-manage), and taking it never fails
// because files come and go meanwhile (issue #23). Everything here goes through snowflake-sdk.
let server: LocalSnowflakeServer;
let c: Conn;
let dir: string;
beforeAll(async () => {
  server = await startLocalServer({
    procedures: {
      'SD.S.BOOM': async () => {
        throw new Error('the index of run R1 lists no trained partition: nothing to register');
      },
    },
  });
  c = await connect(server.connectionOptions());
  for (const sql of [
    'CREATE DATABASE SD',
    'CREATE SCHEMA SD.S',
    'CREATE STAGE SD.S.MODELS DIRECTORY = (ENABLE = TRUE)',
    'CREATE STAGE SD.S.LIVE DIRECTORY = (ENABLE = TRUE AUTO_REFRESH = TRUE)',
  ])
    await query(c, sql);
  dir = server.engine.stages.get('SD.S.MODELS')!;
});
afterAll(async () => {
  await close(c);
  await server.close();
});
beforeEach(async () => {
  server.faults.reset();
  for (const stage of ['MODELS', 'LIVE']) {
    fs.rmSync(server.engine.stages.get(`SD.S.${stage}`)!, { recursive: true, force: true });
    fs.mkdirSync(server.engine.stages.get(`SD.S.${stage}`)!, { recursive: true });
  }
  await query(c, 'ALTER STAGE SD.S.MODELS REFRESH');
});

const write = (rel: string, content = '{}', root = dir) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
};
const listed = async (stage = 'SD.S.MODELS') => (await query(c, `SELECT RELATIVE_PATH, SIZE, MD5 FROM DIRECTORY(@${stage}) ORDER BY RELATIVE_PATH`)).rows;
const md5 = (text: string) => crypto.createHash('md5').update(text).digest('hex');
const paths = async (stage = 'SD.S.MODELS') => (await listed(stage)).map((r) => r.RELATIVE_PATH);

describe('local server: a directory table is what the last ALTER STAGE ... REFRESH saw', () => {
  test('files written after a refresh are not in DIRECTORY(@stage) until the next refresh; files removed stay until then', async () => {
    write('models/R1/screen/a.json', '{"a":1}');
    expect(await paths()).toEqual([]);
    // LIST reads the stage's files, not its directory table.
    expect((await query(c, 'LIST @SD.S.MODELS')).rows.map((r) => r.name)).toEqual(['models/models/R1/screen/a.json']);
    await query(c, 'ALTER STAGE SD.S.MODELS REFRESH');
    expect(await listed()).toEqual([{ RELATIVE_PATH: 'models/R1/screen/a.json', SIZE: 7, MD5: md5('{"a":1}') }]);
    fs.rmSync(path.join(dir, 'models/R1/screen/a.json'));
    write('models/R1/screen/b.json');
    expect(await paths()).toEqual(['models/R1/screen/a.json']);
    await query(c, 'ALTER STAGE SD.S.MODELS REFRESH');
    expect(await paths()).toEqual(['models/R1/screen/b.json']);
  });

  test('REFRESH SUBPATH updates the rows under that path only', async () => {
    write('models/R1/screen/a.json');
    write('models/R1/refine/a.json');
    await query(c, "ALTER STAGE SD.S.MODELS REFRESH SUBPATH = 'models/R1/screen'");
    expect(await paths()).toEqual(['models/R1/screen/a.json']);
    fs.rmSync(path.join(dir, 'models/R1/screen/a.json'));
    write('models/R1/screen/b.json');
    await query(c, "ALTER STAGE SD.S.MODELS REFRESH SUBPATH = 'models/R1/refine/'");
    expect(await paths()).toEqual(['models/R1/refine/a.json', 'models/R1/screen/a.json']);
    await query(c, "ALTER STAGE SD.S.MODELS REFRESH SUBPATH = 'models/R1/screen'");
    expect(await paths()).toEqual(['models/R1/refine/a.json', 'models/R1/screen/b.json']);
  });

  test('COPY INTO @stage writes a file but not its directory-table row', async () => {
    await query(c, "COPY INTO @SD.S.MODELS/index/i.json FROM (SELECT OBJECT_CONSTRUCT('k', 1)) FILE_FORMAT = (TYPE = JSON) SINGLE = TRUE OVERWRITE = TRUE");
    expect(fs.existsSync(path.join(dir, 'index/i.json'))).toBe(true);
    expect(await paths()).toEqual([]);
  });

  test('a stage created with AUTO_REFRESH = TRUE lists its files as they are at each read', async () => {
    const live = server.engine.stages.get('SD.S.LIVE')!;
    write('a.json', '{}', live);
    expect(await paths('SD.S.LIVE')).toEqual(['a.json']);
    fs.rmSync(path.join(live, 'a.json'));
    expect(await paths('SD.S.LIVE')).toEqual([]);
  });
});

describe('local server: listing a stage while its files are written, renamed and removed (issue #23)', () => {
  test('a refresh whose files are renamed and removed between listing and reading succeeds and holds exactly the files that stayed', async () => {
    write('models/R1/refine/U1.json.tmp-1904', '{"u":1}');
    write('models/R1/refine/U2.json', '{"u":2}');
    write('models/R1/refine/U3.json', '{"u":3}');
    write('old/x.json');
    const seen: string[][] = [];
    server.faults.interruptStageListing({
      stage: /^SD\.S\.MODELS$/,
      meanwhile: (stageDir, files) => {
        seen.push([...files]);
        // A worker renames its temporary artifact, another file is removed, a directory goes.
        fs.renameSync(path.join(stageDir, 'models/R1/refine/U1.json.tmp-1904'), path.join(stageDir, 'models/R1/refine/U1.json'));
        fs.rmSync(path.join(stageDir, 'models/R1/refine/U3.json'));
        fs.rmSync(path.join(stageDir, 'old'), { recursive: true });
      },
    });
    await query(c, 'ALTER STAGE SD.S.MODELS REFRESH');
    expect(seen).toEqual([['models/R1/refine/U1.json.tmp-1904', 'models/R1/refine/U2.json', 'models/R1/refine/U3.json', 'old/x.json']]);
    // The listing was taken again once files had vanished: the snapshot is the stage as it is now.
    expect(await listed()).toEqual([
      { RELATIVE_PATH: 'models/R1/refine/U1.json', SIZE: 7, MD5: md5('{"u":1}') },
      { RELATIVE_PATH: 'models/R1/refine/U2.json', SIZE: 7, MD5: md5('{"u":2}') },
    ]);
  });

  test('LIST and an auto-refreshing DIRECTORY(@stage) survive the same race', async () => {
    write('a.json');
    write('b.json');
    const remove = (f: string) => (stageDir: string) => fs.rmSync(path.join(stageDir, f));
    server.faults.interruptStageListing({ stage: /^SD\.S\.MODELS$/, meanwhile: remove('a.json') });
    expect((await query(c, 'LIST @SD.S.MODELS')).rows.map((r) => r.name)).toEqual(['models/b.json']);
    const live = server.engine.stages.get('SD.S.LIVE')!;
    write('a.json', '{}', live);
    write('b.json', '{}', live);
    server.faults.interruptStageListing({ stage: /^SD\.S\.LIVE$/, meanwhile: remove('b.json') });
    expect(await paths('SD.S.LIVE')).toEqual(['a.json']);
  });

  test('DIRECTORY(@stage) reads no file: it answers while the files it lists are being removed', async () => {
    write('models/R1/a.json');
    await query(c, 'ALTER STAGE SD.S.MODELS REFRESH');
    let fired = 0;
    server.faults.interruptStageListing({ meanwhile: () => fired++, times: 10 });
    fs.rmSync(path.join(dir, 'models'), { recursive: true });
    expect(await paths()).toEqual(['models/R1/a.json']);
    expect(fired).toBe(0);
  });

  test('a refresh while another process keeps writing, renaming and removing files never fails', async () => {
    // The worker pattern of issue #23, for real: write a temporary file, rename it, remove files.
    const churn = spawn(process.execPath, [
      '-e',
      `const fs = require('fs'), p = require('path'), d = p.join(process.argv[1], 'models', 'R9', 'refine'); fs.mkdirSync(d, { recursive: true });
       const end = Date.now() + 1500; let i = 0;
       while (Date.now() < end) { const f = p.join(d, 'U' + (i % 50) + '.json'); fs.writeFileSync(f + '.tmp-' + process.pid, 'x'.repeat(1000)); fs.renameSync(f + '.tmp-' + process.pid, f); if (i % 3 === 0) fs.rmSync(p.join(d, 'U' + ((i + 25) % 50) + '.json'), { force: true }); i++; }`,
      dir,
    ]);
    const done = new Promise((resolve) => churn.on('exit', resolve));
    let refreshes = 0;
    let exited = false;
    void done.then(() => (exited = true));
    while (!exited) {
      await query(c, "ALTER STAGE SD.S.MODELS REFRESH SUBPATH = 'models/R9'");
      await query(c, 'LIST @SD.S.MODELS/models/R9');
      await query(c, 'SELECT COUNT(*) AS N FROM DIRECTORY(@SD.S.MODELS)');
      refreshes++;
    }
    expect(refreshes).toBeGreaterThan(0);
    // Once the writer has stopped, a refresh lists exactly what is there.
    await query(c, 'ALTER STAGE SD.S.MODELS REFRESH');
    expect((await paths()).sort()).toEqual(
      fs
        .readdirSync(path.join(dir, 'models', 'R9', 'refine'))
        .map((f) => `models/R9/refine/${f}`)
        .sort(),
    );
  });
});

describe('local server: internal failures are internal errors, not compilation errors', () => {
  test('a failure of the server while it lists a stage is 000603 / XX000 "SQL execution internal error"', async () => {
    write('a.json');
    server.faults.interruptStageListing({
      meanwhile: () => {
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5 });
      },
    });
    const err = await query(c, 'ALTER STAGE SD.S.MODELS REFRESH').catch((e) => e);
    expect(err).toMatchObject({ code: '000603', sqlState: 'XX000' });
    expect(err.message).toMatch(/^SQL execution internal error: Processing aborted due to error 300010 in the local server: EIO: i\/o error, read/);
    expect(err.message).not.toMatch(/compilation/);
    // The statement itself was fine: run again, it succeeds.
    await query(c, 'ALTER STAGE SD.S.MODELS REFRESH');
    expect(await paths()).toEqual(['a.json']);
  });

  test("an exception of a stand-in for a Python procedure is that procedure's error (100357), not an internal one", async () => {
    const err = await query(c, "CALL SD.S.BOOM('R1')").catch((e) => e);
    expect(err).toMatchObject({ code: '100357', sqlState: 'P0000' });
    expect(err.message).toBe('Python Interpreter Error:\nthe index of run R1 lists no trained partition: nothing to register');
  });

  test('errors of the statement itself keep their Snowflake codes', async () => {
    await expect(query(c, 'SELECT NOPE FROM SD.S.MISSING')).rejects.toMatchObject({ code: '002003' });
    await expect(query(c, 'SELEC 1')).rejects.toMatchObject({ code: '001003' });
    await expect(query(c, 'ALTER STAGE SD.S.NOT_A_STAGE REFRESH')).rejects.toMatchObject({ code: '002003' });
  });
});
