/**
 * Model monitors on the local server, through the driver: a definition is refused where Snowflake's
 * pages refuse it (CREATE MODEL MONITOR: https://docs.snowflake.com/en/sql-reference/sql/create-model-monitor ;
 * ML Observability: https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/model-observability ;
 * ALTER MODEL MONITOR, segment columns: https://docs.snowflake.com/en/sql-reference/sql/alter-model-monitor).
 */
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { addVersionStatements, createModelStatements } from '../fixtures/model-files';
import { Conn, close, connect, query } from './client';

let server: LocalSnowflakeServer;
let admin: Conn;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'none', message: 'succeeded' }),
    (e) => ({ code: String(e.code), message: String(e.message) }),
  );

/** A monitor definition; `over` replaces or removes (undefined) properties. */
const monitor = (name: string, over: Record<string, string | undefined> = {}) => {
  const props: Record<string, string | undefined> = {
    MODEL: 'D.S.M',
    VERSION: "'V1'",
    FUNCTION: "'PREDICT'",
    SOURCE: 'D.S.SRC',
    WAREHOUSE: 'WH',
    REFRESH_INTERVAL: "'1 day'",
    AGGREGATION_WINDOW: "'1 day'",
    TIMESTAMP_COLUMN: 'TS',
    ID_COLUMNS: "['ROW_ID']",
    PREDICTION_SCORE_COLUMNS: "['FORECAST']",
    ACTUAL_SCORE_COLUMNS: "['ACTUAL']",
    SEGMENT_COLUMNS: "['PARTITION_KEY']",
    ...over,
  };
  const list = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${v}`)
    .join(' ');
  return `CREATE MODEL MONITOR ${name} WITH ${list}`;
};
const shown = async () => (await query(admin, 'SHOW MODEL MONITORS IN SCHEMA D.S')).rows.map((r) => [r.name, JSON.parse(r.model).version_name]);

beforeAll(async () => {
  server = await startLocalServer({
    users: [
      { name: 'test', password: 'test' },
      { name: 'low', password: 'pw', roles: ['LOW'] },
    ],
  });
  admin = await connect(server.connectionOptions());
  for (const sql of [
    'CREATE DATABASE D',
    'CREATE SCHEMA D.S',
    'CREATE SCHEMA D.OTHER',
    'CREATE WAREHOUSE WH',
    'CREATE STAGE D.S.FILES',
    'CREATE TABLE D.S.SRC (ROW_ID VARCHAR, PARTITION_KEY VARCHAR, TS TIMESTAMP_NTZ, DS DATE, N NUMBER, A VARCHAR, B VARCHAR, C VARCHAR, E VARCHAR, F VARCHAR, FORECAST FLOAT, ACTUAL FLOAT)',
    ...createModelStatements('D.S.M', 'V1', 'D.S.FILES'),
    ...addVersionStatements('D.S.M', 'V2', 'D.S.FILES'),
  ])
    await query(admin, sql);
});
afterAll(async () => {
  await close(admin);
  await server.close();
});

describe('local server: CREATE MODEL MONITOR is refused where Snowflake refuses it', () => {
  test('a required property left out, or no prediction column, is a compilation error', async () => {
    for (const k of ['WAREHOUSE', 'TIMESTAMP_COLUMN', 'AGGREGATION_WINDOW'])
      expect(await failure(query(admin, monitor('D.S.MM', { [k]: undefined })))).toMatchObject({
        code: '001003',
        message: expect.stringContaining(`missing required property ${k}`),
      });
    expect(await failure(query(admin, monitor('D.S.MM', { PREDICTION_SCORE_COLUMNS: undefined })))).toMatchObject({
      message: expect.stringContaining('at least one prediction column'),
    });
    expect(await failure(query(admin, 'CREATE MODEL MONITOR D.S.MM'))).toMatchObject({ code: '001003' });
    expect(await shown()).toEqual([]);
  });

  test('a version that does not exist is 002003; a monitor outside the model schema is refused', async () => {
    expect(await failure(query(admin, monitor('D.S.MM', { VERSION: "'V9'" })))).toMatchObject({ code: '002003' });
    expect(await failure(query(admin, monitor('D.OTHER.MM')))).toMatchObject({
      code: '001003',
      message: expect.stringContaining('must be in the schema of the model'),
    });
  });

  test('more than 5 segment columns, a segment that is not a string, a timestamp that is not TIMESTAMP_NTZ, a column the source lacks', async () => {
    expect(await failure(query(admin, monitor('D.S.MM', { SEGMENT_COLUMNS: "['PARTITION_KEY', 'A', 'B', 'C', 'E', 'F']" })))).toMatchObject({
      message: expect.stringContaining('6 SEGMENT_COLUMNS; a model monitor has at most 5'),
    });
    expect(await failure(query(admin, monitor('D.S.MM', { SEGMENT_COLUMNS: "['N']" })))).toMatchObject({ message: expect.stringContaining('must be STRING') });
    expect(await failure(query(admin, monitor('D.S.MM', { TIMESTAMP_COLUMN: 'DS' })))).toMatchObject({
      message: expect.stringContaining('must be TIMESTAMP_NTZ'),
    });
    expect(await failure(query(admin, monitor('D.S.MM', { ACTUAL_SCORE_COLUMNS: "['Y']" })))).toMatchObject({ code: '000904' });
  });

  test('a refresh interval under 60 seconds and an aggregation window not in days are refused', async () => {
    expect(await failure(query(admin, monitor('D.S.MM', { REFRESH_INTERVAL: "'30 seconds'" })))).toMatchObject({
      message: expect.stringContaining('REFRESH_INTERVAL'),
    });
    expect(await failure(query(admin, monitor('D.S.MM', { AGGREGATION_WINDOW: "'12 hours'" })))).toMatchObject({
      message: expect.stringContaining('AGGREGATION_WINDOW'),
    });
  });

  test('a version has one monitor: a second is refused, OR REPLACE moves the one there is to another version, DROP removes it', async () => {
    await query(admin, monitor('D.S.MM', { REFRESH_INTERVAL: "'60 seconds'", AGGREGATION_WINDOW: "'7 days'" }));
    expect(await shown()).toEqual([['MM', 'V1']]);
    expect(await failure(query(admin, monitor('D.S.MM2')))).toMatchObject({
      code: '001003',
      message: expect.stringContaining('already has a model monitor, D.S.MM'),
    });
    expect(await failure(query(admin, monitor('D.S.MM')))).toMatchObject({ code: '002002' });
    await query(admin, monitor('D.S.MM', { VERSION: "'V2'" }).replace('CREATE MODEL', 'CREATE OR REPLACE MODEL'));
    await query(admin, monitor('D.S.MM1'));
    expect(await shown()).toEqual([
      ['MM', 'V2'],
      ['MM1', 'V1'],
    ]);
    await query(admin, 'DROP MODEL MONITOR D.S.MM1');
    expect((await query(admin, "SHOW MODEL MONITORS LIKE 'mm%' IN SCHEMA D.S")).rows.map((r) => r.name)).toEqual(['MM']);
    expect(await failure(query(admin, 'DROP MODEL MONITOR D.S.MM1'))).toMatchObject({ code: '002003' });
    await query(admin, 'DROP MODEL MONITOR IF EXISTS D.S.MM1');
  });

  test('the creating role needs CREATE MODEL MONITOR on the schema', async () => {
    await query(admin, 'GRANT USAGE ON DATABASE D TO ROLE LOW');
    await query(admin, 'GRANT USAGE ON SCHEMA D.S TO ROLE LOW');
    const low = await connect(server.connectionOptions({ username: 'low', password: 'pw' }));
    try {
      expect(await failure(query(low, monitor('D.S.LOW', { VERSION: "'V1'" })))).toMatchObject({
        code: '003001',
        message: expect.stringContaining('needs CREATE MODEL MONITOR'),
      });
    } finally {
      await close(low);
    }
  });
});
