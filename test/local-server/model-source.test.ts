/**
 * A model version is made in SQL only from another version or from files on an internal stage, as
 * on Snowflake (CREATE MODEL and ALTER MODEL ... ADD VERSION require FROM:
 * https://docs.snowflake.com/en/sql-reference/sql/create-model,
 * https://docs.snowflake.com/en/sql-reference/sql/alter-model-add-version).
 */
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { addVersionStatements, createModelStatements } from '../fixtures/model-files';
import { Conn, close, connect, query } from './client';

let server: LocalSnowflakeServer;
let c: Conn;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'none', message: 'succeeded' }),
    (e) => ({ code: String(e.code), message: String(e.message) }),
  );
const versions = async (model: string) => (await query(c, `SHOW VERSIONS IN MODEL ${model}`)).rows.map((v) => [v.name, v.is_default_version]);

beforeAll(async () => {
  server = await startLocalServer();
  c = await connect(server.connectionOptions());
  for (const sql of ['CREATE DATABASE D', 'CREATE SCHEMA D.S', 'CREATE STAGE D.S.FILES', 'CREATE STAGE D.S.EMPTY']) await query(c, sql);
  for (const sql of createModelStatements('D.S.BASE', 'V1', 'D.S.FILES')) await query(c, sql);
});
afterAll(async () => {
  await close(c);
  await server.close();
});

describe('local server: model versions need a FROM clause', () => {
  test('CREATE MODEL without FROM is a syntax error and creates nothing', async () => {
    expect(await failure(query(c, 'CREATE MODEL D.S.BARE WITH VERSION V1'))).toEqual({
      code: '001003',
      message: "SQL compilation error:\nsyntax error line 1 at position 37 unexpected '<EOF>'.",
    });
    expect(await failure(query(c, 'CREATE MODEL D.S.BARE'))).toMatchObject({ code: '001003' });
    expect((await query(c, 'SHOW MODELS')).rows.map((m) => m.name)).toEqual(['D.S.BASE']);
  });

  test('ALTER MODEL ... ADD VERSION without FROM is a syntax error and adds nothing', async () => {
    expect(await failure(query(c, 'ALTER MODEL D.S.BASE ADD VERSION V2'))).toMatchObject({
      code: '001003',
      message: expect.stringContaining("unexpected '<EOF>'"),
    });
    expect(await failure(query(c, 'ALTER MODEL D.S.BASE ADD VERSION V2 FROM TABLE D.S.X'))).toMatchObject({
      code: '001003',
      message: expect.stringContaining("unexpected 'FROM'"),
    });
    expect(await versions('D.S.BASE')).toEqual([['V1', 'true']]);
  });

  test('FROM MODEL copies a version (the default one when VERSION is left out) and names the new one after it', async () => {
    for (const sql of addVersionStatements('D.S.BASE', 'V2', 'D.S.FILES')) await query(c, sql);
    await query(c, 'CREATE MODEL D.S.COPY FROM MODEL D.S.BASE');
    await query(c, 'ALTER MODEL D.S.COPY ADD VERSION V9 FROM MODEL D.S.BASE VERSION V2');
    expect(await versions('D.S.COPY')).toEqual([
      ['V1', 'true'],
      ['V9', 'false'],
    ]);
  });

  test('a source model, version or stage that does not exist, or an empty stage path, is refused with 002003', async () => {
    expect(await failure(query(c, 'CREATE MODEL D.S.X WITH VERSION V1 FROM MODEL D.S.NOPE'))).toMatchObject({ code: '002003' });
    expect(await failure(query(c, 'CREATE MODEL D.S.X WITH VERSION V1 FROM MODEL D.S.BASE VERSION V7'))).toMatchObject({ code: '002003' });
    expect(await failure(query(c, 'CREATE MODEL D.S.X WITH VERSION V1 FROM @D.S.NOPE'))).toMatchObject({ code: '002003' });
    expect(await failure(query(c, 'CREATE MODEL D.S.X WITH VERSION V1 FROM @D.S.EMPTY/m'))).toMatchObject({
      code: '002003',
      message: expect.stringContaining("Model files at '@D.S.EMPTY/m'"),
    });
    expect((await query(c, 'SHOW MODELS')).rows.map((m) => m.name)).not.toContain('D.S.X');
  });

  test('CREATE MODEL IF NOT EXISTS on an existing model leaves its versions as they are', async () => {
    await query(c, 'CREATE MODEL IF NOT EXISTS D.S.BASE WITH VERSION V5 FROM MODEL D.S.BASE');
    expect((await versions('D.S.BASE')).map(([v]) => v)).toEqual(['V1', 'V2']);
  });
});
