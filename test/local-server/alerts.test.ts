import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { Conn, close, connect, query } from './client';

/**
 * Alerts on the local server (local-server/alerts.ts), through snowflake-sdk: who may create,
 * resume and execute one, and that it runs its condition and action as its owner.
 */
let server: LocalSnowflakeServer;
let admin: Conn;
const open: Conn[] = [];
const as = async (user: string, role: string) => {
  const c = await connect(server.connectionOptions({ username: user, password: 'pw', role }));
  open.push(c);
  return c;
};

beforeAll(async () => {
  server = await startLocalServer({
    users: [
      { name: 'test', password: 'test' },
      { name: 'owner', password: 'pw', roles: ['AL_OWNER'] },
      { name: 'op', password: 'pw', roles: ['AL_OP'] },
    ],
  });
  admin = await connect(server.connectionOptions());
  for (const sql of [
    'CREATE DATABASE AL',
    'CREATE SCHEMA AL.S',
    'CREATE WAREHOUSE WH',
    'CREATE TABLE AL.S.GAUGE (V FLOAT)',
    'CREATE TABLE AL.S.FIRED (V FLOAT)',
    'GRANT USAGE ON DATABASE AL TO ROLE AL_OWNER',
    'GRANT USAGE, CREATE ALERT ON SCHEMA AL.S TO ROLE AL_OWNER',
    'GRANT USAGE ON WAREHOUSE WH TO ROLE AL_OWNER',
    'GRANT SELECT ON TABLE AL.S.GAUGE TO ROLE AL_OWNER',
    'GRANT INSERT ON TABLE AL.S.FIRED TO ROLE AL_OWNER',
    'GRANT USAGE ON DATABASE AL TO ROLE AL_OP',
    'GRANT USAGE ON SCHEMA AL.S TO ROLE AL_OP',
    'GRANT USAGE ON WAREHOUSE WH TO ROLE AL_OP',
  ])
    await query(admin, sql);
});
afterAll(async () => {
  for (const c of open) await close(c);
  await close(admin);
  await server.close();
});

const create =
  "CREATE OR REPLACE ALERT AL.S.HIGH WAREHOUSE = WH SCHEDULE = 'USING CRON 0 7 * * * UTC' IF (EXISTS (SELECT V FROM AL.S.GAUGE WHERE V > 100)) THEN INSERT INTO AL.S.FIRED SELECT MAX(V) FROM AL.S.GAUGE";

describe('local server: alerts', () => {
  test('creating an alert needs the global EXECUTE ALERT besides CREATE ALERT on the schema', async () => {
    const owner = await as('owner', 'AL_OWNER');
    await expect(query(owner, create)).rejects.toMatchObject({ code: '003001', message: expect.stringContaining('EXECUTE ALERT') });
    await query(admin, 'GRANT EXECUTE ALERT ON ACCOUNT TO ROLE AL_OWNER');
    await query(owner, create);
    expect(server.engine.access.ownerOf('ALERT', 'AL.S.HIGH')).toBe('AL_OWNER');
  });

  test('EXECUTE ALERT runs the action as the owner only when the condition returns a row; the alert stays suspended', async () => {
    const owner = await as('owner', 'AL_OWNER');
    await query(owner, 'USE WAREHOUSE WH');
    await query(admin, 'INSERT INTO AL.S.GAUGE VALUES (50)');
    await query(owner, 'EXECUTE ALERT AL.S.HIGH');
    await server.objects.settle();
    expect((await query(admin, 'SELECT COUNT(*) AS N FROM AL.S.FIRED')).rows[0].N).toBe(0);
    await query(admin, 'INSERT INTO AL.S.GAUGE VALUES (150)');
    await query(owner, 'EXECUTE ALERT AL.S.HIGH');
    await server.objects.settle();
    expect((await query(admin, 'SELECT V FROM AL.S.FIRED')).rows).toEqual([{ V: 150 }]);
    expect(server.objects.alerts.history.map((h) => h.STATE)).toEqual(['CONDITION_FALSE', 'TRIGGERED']);
    expect(server.objects.alerts.alerts.get('AL.S.HIGH')!.started).toBe(false);
  });

  test('another role needs OPERATE on the alert and the global EXECUTE ALERT to execute it; the alert still runs as its owner', async () => {
    const op = await as('op', 'AL_OP');
    await expect(query(op, 'EXECUTE ALERT AL.S.HIGH')).rejects.toMatchObject({ code: '003001', message: expect.stringContaining('EXECUTE ALERT') });
    await query(admin, 'GRANT EXECUTE ALERT ON ACCOUNT TO ROLE AL_OP');
    await expect(query(op, 'EXECUTE ALERT AL.S.HIGH')).rejects.toMatchObject({ code: '002003' });
    await query(admin, 'GRANT OPERATE ON ALERT AL.S.HIGH TO ROLE AL_OP');
    await query(op, 'EXECUTE ALERT AL.S.HIGH');
    await server.objects.settle();
    // AL_OP holds nothing on FIRED: the action ran as AL_OWNER.
    expect((await query(admin, 'SELECT COUNT(*) AS N FROM AL.S.FIRED')).rows[0].N).toBe(2);
  });

  test('RESUME needs OPERATE and an owner holding EXECUTE ALERT; a failing action is recorded, not thrown', async () => {
    const owner = await as('owner', 'AL_OWNER');
    await query(owner, 'ALTER ALERT AL.S.HIGH RESUME');
    expect(server.objects.alerts.alerts.get('AL.S.HIGH')!.started).toBe(true);
    await query(admin, 'REVOKE EXECUTE ALERT ON ACCOUNT FROM ROLE AL_OWNER');
    await expect(query(owner, 'ALTER ALERT AL.S.HIGH RESUME')).rejects.toMatchObject({
      message: expect.stringContaining('EXECUTE ALERT privilege must be granted to owner role AL_OWNER'),
    });
    await query(admin, 'GRANT EXECUTE ALERT ON ACCOUNT TO ROLE AL_OWNER');
    await query(admin, 'REVOKE INSERT ON TABLE AL.S.FIRED FROM ROLE AL_OWNER');
    await query(owner, 'EXECUTE ALERT AL.S.HIGH');
    await server.objects.settle();
    expect(server.objects.alerts.history.at(-1)).toMatchObject({ STATE: 'ACTION_FAILED', ERROR_CODE: '002003' });
    await query(owner, 'DROP ALERT AL.S.HIGH');
    await expect(query(owner, 'EXECUTE ALERT AL.S.HIGH')).rejects.toMatchObject({ code: '002003' });
  });
});
