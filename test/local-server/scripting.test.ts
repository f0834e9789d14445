/**
 * Snowflake Scripting in task bodies on the local server (local-server/scripting.ts): what the
 * closed loop's tasks use, and the refusals Snowflake gives, through real snowflake-sdk sessions.
 */
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { Conn, close, connect, query } from './client';
import { ObjectName } from '../../lib/identifiers';
import { renderExecuteTaskForRun, renderSlotTaskBody } from '../../lib/sql/task-graph';

let server: LocalSnowflakeServer;
let admin: Conn;

const run = async (...sql: string[]) => {
  for (const s of sql) await query(admin, s);
};

/** Creates task `name` with `body`, runs it, and returns its TASK_HISTORY state and error. */
async function runTask(
  name: string,
  body: string,
  execute = `EXECUTE TASK D.S.${name}`,
): Promise<{ STATE: string; ERROR_CODE: string | null; ERROR_MESSAGE: string | null }> {
  await run(`CREATE OR REPLACE TASK D.S.${name} WAREHOUSE = WH AS ${body}`, execute);
  await server.objects.settle();
  const rows = (await query(admin, `SELECT STATE, ERROR_CODE, ERROR_MESSAGE FROM TABLE(D.INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => '${name}'))`)).rows;
  return rows[rows.length - 1] as never;
}

const outRows = async () => (await query(admin, 'SELECT X FROM D.S.OUT ORDER BY X')).rows.map((r) => r.X);

beforeAll(async () => {
  server = await startLocalServer();
  admin = await connect(server.connectionOptions());
  await run(
    'CREATE WAREHOUSE WH',
    'CREATE DATABASE D',
    'CREATE SCHEMA D.S',
    'CREATE TABLE D.S.OUT (X VARCHAR)',
    'CREATE TABLE D.S.T (K VARCHAR, N NUMBER)',
    "INSERT INTO D.S.T VALUES ('a', 1), ('b', 2)",
  );
});
afterAll(async () => {
  await close(admin);
  await server?.close();
});

beforeEach(async () => {
  await run('DELETE FROM D.S.OUT');
});

describe('Snowflake Scripting task bodies', () => {
  test('a DECLARE block (EXECUTE IMMEDIATE $$...$$) binds SELECT INTO variables into statements and runs dynamic SQL built with REPLACE', async () => {
    const r = await runTask(
      'DYN',
      [
        'EXECUTE IMMEDIATE $$',
        'DECLARE',
        '  TOTAL NUMBER;',
        '  STMT VARCHAR;',
        'BEGIN',
        '  SELECT SUM(N) INTO :TOTAL FROM D.S.T;',
        "  INSERT INTO D.S.OUT VALUES ('total ' || :TOTAL);",
        "  STMT := REPLACE('INSERT INTO D.S.OUT VALUES (''run {{X}}'')', '{{X}}', 'M1');",
        '  EXECUTE IMMEDIATE :STMT;',
        "  IF (TOTAL > 2) THEN INSERT INTO D.S.OUT VALUES ('big'); END IF;",
        "  IF (TOTAL > 5) THEN INSERT INTO D.S.OUT VALUES ('huge'); END IF;",
        "  RETURN 'done';",
        "  INSERT INTO D.S.OUT VALUES ('after return');",
        'END;',
        '$$',
      ].join('\n'),
    );
    expect(r).toMatchObject({ STATE: 'SUCCEEDED' });
    expect(await outRows()).toEqual(['big', 'run M1', 'total 3']);
  });

  test('a BEGIN block with LET runs its IF and returns early', async () => {
    const r = await runTask(
      'LETS',
      "BEGIN\n  LET C NUMBER := 0;\n  SELECT COUNT(*) INTO :C FROM D.S.T WHERE K = 'z';\n  IF (C = 0) THEN RETURN 'nothing'; END IF;\n  INSERT INTO D.S.OUT VALUES ('not reached');\nEND",
    );
    expect(r.STATE).toBe('SUCCEEDED');
    expect(await outRows()).toEqual([]);
  });

  test("a slot task's body runs its job for the run id of the graph run's configuration (EXECUTE TASK ... USING CONFIG), and starts nothing without one or with one that is no run id", async () => {
    // The slot body as the pipeline renders it, its "job" a statement that records the run it was given.
    const body = renderSlotTaskBody(ObjectName.of('D', 'S', 'W0'), "INSERT INTO D.S.OUT VALUES ('job for {{RUN_ID}}')");
    const root = ObjectName.of('D', 'S', 'SLOT');
    const forRun = (id: string) => renderExecuteTaskForRun(root).replace('{{RUN_ID}}', id);
    expect((await runTask('SLOT', body, forRun('R20260101120000_ABC123'))).STATE).toBe('SUCCEEDED');
    expect(await outRows()).toEqual(['job for R20260101120000_ABC123']);
    await run('DELETE FROM D.S.OUT');
    // Executed by hand (no configuration), or with a value that could reach into the job's text.
    expect((await runTask('SLOT', body)).STATE).toBe('SUCCEEDED');
    expect((await runTask('SLOT', body, forRun("R20260101120000_ABC123') --"))).STATE).toBe('SUCCEEDED');
    expect((await runTask('SLOT', body, forRun('r20260101120000_abc123'))).STATE).toBe('SUCCEEDED');
    expect(await outRows()).toEqual([]);
  });

  test('EXECUTE TASK ... USING CONFIG refuses a configuration that is not a JSON object', async () => {
    await run("CREATE OR REPLACE TASK D.S.CFG WAREHOUSE = WH AS INSERT INTO D.S.OUT VALUES ('x')");
    await expect(query(admin, 'EXECUTE TASK D.S.CFG USING CONFIG = $${"RUN_ID": }$$')).rejects.toThrow('the configuration is not valid JSON');
    await expect(query(admin, 'EXECUTE TASK D.S.CFG USING CONFIG = $$[1]$$')).rejects.toThrow('the configuration must be a JSON object');
  });

  test('RAISE of a declared exception fails the task with its code and message', async () => {
    const r = await runTask('RAISES', "EXECUTE IMMEDIATE $$\nDECLARE\n  TOO_MANY EXCEPTION (-20002, 'too many failed');\nBEGIN\n  RAISE TOO_MANY;\nEND;\n$$");
    expect(r).toMatchObject({ STATE: 'FAILED', ERROR_CODE: '-20002' });
    expect(r.ERROR_MESSAGE).toContain('too many failed');
  });

  test('refuses an undeclared variable (000904) and a SELECT INTO of more than one row', async () => {
    const undeclared = await runTask('UNDECLARED', 'EXECUTE IMMEDIATE $$\nDECLARE\n  A NUMBER;\nBEGIN\n  INSERT INTO D.S.OUT VALUES (:B);\nEND;\n$$');
    expect(undeclared).toMatchObject({ STATE: 'FAILED', ERROR_CODE: '000904' });
    const many = await runTask('MANY', 'EXECUTE IMMEDIATE $$\nDECLARE\n  A NUMBER;\nBEGIN\n  SELECT N INTO :A FROM D.S.T;\nEND;\n$$');
    expect(many.STATE).toBe('FAILED');
    expect(many.ERROR_MESSAGE).toContain('must return exactly one');
  });
  test('an exception handler (WHEN OTHER) catches a failed statement, sees SQLCODE, SQLERRM and SQLSTATE, and RAISE; fails the task with the same error', async () => {
    const r = await runTask(
      'HANDLED',
      [
        'EXECUTE IMMEDIATE $$',
        'DECLARE',
        '  ERR VARCHAR;',
        'BEGIN',
        "  INSERT INTO D.S.OUT VALUES ('before');",
        '  SELECT N INTO :ERR FROM D.S.MISSING;',
        "  INSERT INTO D.S.OUT VALUES ('not reached');",
        'EXCEPTION',
        '  WHEN OTHER THEN',
        "    ERR := SQLCODE || ' ' || SQLSTATE || ' ' || SQLERRM;",
        "    INSERT INTO D.S.OUT VALUES ('handled: ' || :ERR);",
        '    RAISE;',
        'END;',
        '$$',
      ].join('\n'),
    );
    expect(r).toMatchObject({ STATE: 'FAILED', ERROR_CODE: '002003' });
    expect(r.ERROR_MESSAGE).toContain('MISSING');
    const rows = await outRows();
    expect(rows[0]).toBe('before');
    expect(rows[1]).toMatch(/^handled: 2003 02000 SQL compilation error:[\s\S]*'MISSING' does not exist/);
    expect(rows).toHaveLength(2);
  });

  test('the first WHEN naming a raised exception handles it, with its declared message as SQLERRM; a handler that does not raise ends the block', async () => {
    const r = await runTask(
      'NAMED',
      [
        'EXECUTE IMMEDIATE $$',
        'DECLARE',
        "  E1 EXCEPTION (-20001, 'first');",
        "  E2 EXCEPTION (-20002, 'second');",
        '  ERR VARCHAR;',
        'BEGIN',
        '  RAISE E2;',
        'EXCEPTION',
        "  WHEN E1 THEN INSERT INTO D.S.OUT VALUES ('e1');",
        "  WHEN E2 OR E1 THEN ERR := 'e2 ' || SQLCODE || ' ' || SQLERRM;",
        '    INSERT INTO D.S.OUT VALUES (:ERR);',
        "  WHEN OTHER THEN INSERT INTO D.S.OUT VALUES ('other');",
        'END;',
        '$$',
      ].join('\n'),
    );
    expect(r).toMatchObject({ STATE: 'SUCCEEDED', ERROR_MESSAGE: null });
    expect(await outRows()).toEqual(['e2 -20002 second']);
  });

  test('an exception no WHEN names is not handled; a WHEN naming an undeclared exception, a LET variable used in the handler, a CONTINUE handler and a RAISE; outside a handler are refused', async () => {
    const unhandled = await runTask(
      'UNHANDLED',
      "EXECUTE IMMEDIATE $$\nDECLARE\n  E1 EXCEPTION (-20001, 'first');\nBEGIN\n  SELECT 1 FROM D.S.MISSING;\nEXCEPTION\n  WHEN E1 THEN INSERT INTO D.S.OUT VALUES ('e1');\nEND;\n$$",
    );
    expect(unhandled).toMatchObject({ STATE: 'FAILED', ERROR_CODE: '002003' });
    expect(await outRows()).toEqual([]);
    const undeclared = await runTask(
      'UNDECLARED_WHEN',
      "EXECUTE IMMEDIATE $$\nDECLARE\n  A NUMBER;\nBEGIN\n  A := 1;\nEXCEPTION\n  WHEN NOPE THEN RETURN 'x';\nEND;\n$$",
    );
    expect(undeclared.STATE).toBe('FAILED');
    expect(undeclared.ERROR_MESSAGE).toContain("exception 'NOPE' is not declared");
    const letInHandler = await runTask(
      'LET_IN_HANDLER',
      "EXECUTE IMMEDIATE $$\nDECLARE\n  A NUMBER;\nBEGIN\n  LET B VARCHAR := 'b';\n  SELECT 1 FROM D.S.MISSING;\nEXCEPTION\n  WHEN OTHER THEN INSERT INTO D.S.OUT VALUES (:B);\nEND;\n$$",
    );
    expect(letInHandler).toMatchObject({ STATE: 'FAILED', ERROR_CODE: '000904' });
    const continueHandler = await runTask(
      'CONTINUE_WHEN',
      "EXECUTE IMMEDIATE $$\nDECLARE\n  A NUMBER;\nBEGIN\n  A := 1;\nEXCEPTION\n  WHEN OTHER CONTINUE THEN RETURN 'x';\nEND;\n$$",
    );
    expect(continueHandler.STATE).toBe('FAILED');
    expect(continueHandler.ERROR_MESSAGE).toContain('cannot read the handler clause');
    const bare = await runTask('BARE_RAISE', 'EXECUTE IMMEDIATE $$\nDECLARE\n  A NUMBER;\nBEGIN\n  RAISE;\nEND;\n$$');
    expect(bare.STATE).toBe('FAILED');
    expect(bare.ERROR_MESSAGE).toContain('only in an exception handler');
  });
});
