import * as fs from 'fs';
import * as path from 'path';
import { LocalSnowflakeServer, startLocalServer } from '../../local-server';
import { InvalidValueError } from '../../lib/errors';
import { ObjectName, deriveName, dollarQuoted, normalizeIdentifier, quoteIdentifier, splitRenderedName, sqlString, unquotedName } from '../../lib/identifiers';
import { inlineParams } from '../../lib/sql/statement';
import { Conn, close, connect, query } from '../local-server/client';

describe('identifiers', () => {
  test('normalizes unquoted identifiers to upper case', () => {
    expect(normalizeIdentifier('analytics_db')).toBe('ANALYTICS_DB');
    expect(normalizeIdentifier('_x$1')).toBe('_X$1');
  });

  test.each([
    ['a quote', 'BAD"NAME'],
    ['a semicolon', 'X; DROP TABLE T'],
    ['a dot', 'A.B'],
    ['a space', 'MY TABLE'],
    ['a leading digit', '1ABC'],
    ['the empty string', ''],
  ])('rejects a name with %s', (_what, name) => {
    expect(() => normalizeIdentifier(name)).toThrow(InvalidValueError);
  });

  test('rejects a name over 255 characters and says the limit', () => {
    expect(() => normalizeIdentifier('A'.repeat(256))).toThrow(/255-character/);
    expect(normalizeIdentifier('A'.repeat(255))).toHaveLength(255);
  });

  test('parses and quotes qualified names', () => {
    const n = ObjectName.parse('analytics.raw.series_events', 3);
    expect(n.quoted).toBe('"ANALYTICS"."RAW"."SERIES_EVENTS"');
    expect(n.toString()).toBe('ANALYTICS.RAW.SERIES_EVENTS');
    expect(n.child('x').quoted).toBe('"ANALYTICS"."RAW"."SERIES_EVENTS"."X"');
    expect(() => ObjectName.parse('RAW.SERIES', 3)).toThrow(/DATABASE\.SCHEMA\.NAME/);
  });

  test('escapes string literals: quotes doubled, backslashes doubled, nothing else touched', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString("\\'")).toBe("'\\\\'''");
    expect(sqlString('x\ny $$ é')).toBe("'x\ny $$ é'");
  });

  test('quotes identifiers by doubling their double quotes', () => {
    expect(quoteIdentifier('A"B')).toBe('"A""B"');
    expect(ObjectName.of('db', 's', 't').quoted).toBe('"DB"."S"."T"');
  });

  test('names a job service unquoted, refusing a part that would need quotes', () => {
    expect(unquotedName(ObjectName.of('a', 'b', 'c'))).toBe('A.B.C');
    expect(() => unquotedName(ObjectName.of('A', 'B', 'C', '${TfToken[TOKEN.1]}'))).toThrow(/unquoted Snowflake identifier/);
  });

  test('refuses to dollar-quote text containing $$', () => {
    expect(dollarQuoted('spec: 1')).toBe('$$spec: 1$$');
    expect(() => dollarQuoted('x $$ y')).toThrow(/\$\$/);
  });

  test('derives deterministic names and shortens long ones with a stable hash', () => {
    expect(deriveName(['Team-A', 'Forecast', 'QUEUE'])).toBe('TEAM_A_FORECAST_QUEUE');
    const long = deriveName(['x'.repeat(300)]);
    expect(long.length).toBeLessThanOrEqual(200);
    expect(deriveName(['x'.repeat(300)])).toBe(long);
    expect(deriveName(['9lives'])).toBe('X_9LIVES');
  });
});

/**
 * The escaping rule checked against a parser, not against a string: each hostile value goes into a
 * statement through sqlString (or inlineParams, which uses it) and is selected back through
 * snowflake-sdk from the local server, which reads string constants with Snowflake's escapes
 * (test/local-server/literals.test.ts). A value that only doubled its quotes fails here.
 */
describe('sqlString round-trips hostile values through a Snowflake SQL parser', () => {
  const HOSTILE: readonly [string, string][] = [
    ['a quote', "it's"],
    ['a backslash', 'C:\\temp\\new'],
    ['an escaped quote as a user writes it', "\\'"],
    ['a trailing backslash', 'ends with \\'],
    ['backslash escapes spelled out', '\\n \\t \\0 \\x41 \\u0041 \\101 \\d'],
    ['a newline and a tab', 'line one\nline\ttwo'],
    ['dollar quotes', 'a $$ b $$'],
    ['a question mark and a placeholder', "? {{RUN_ID}} '?'"],
    ['a statement', "'; DROP TABLE T; --"],
    ['unicode', 'é ü 中 😀 \u200b'],
    ['double quotes', 'say "hi"'],
    ['the empty string', ''],
  ];

  let server: LocalSnowflakeServer;
  let c: Conn;
  beforeAll(async () => {
    server = await startLocalServer();
    c = await connect(server.connectionOptions());
    for (const sql of ['CREATE DATABASE HOSTILE', 'CREATE SCHEMA HOSTILE.S', 'CREATE TABLE HOSTILE.S.T (ID NUMBER, V VARCHAR)']) await query(c, sql);
  });
  afterAll(async () => {
    await close(c);
    await server.close();
  });

  test.each(HOSTILE)('in a SELECT list: %s', async (_what, value) => {
    expect((await query(c, `SELECT ${sqlString(value)} AS V`)).rows).toEqual([{ V: value }]);
  });

  test('in an INSERT and a WHERE, as inlineParams writes them', async () => {
    for (const [i, [, value]] of HOSTILE.entries()) {
      await query(c, inlineParams({ sql: 'INSERT INTO HOSTILE.S.T (ID, V) VALUES (?, ?)', params: ['ID', 'V'] }, { ID: i, V: value }));
    }
    for (const [i, [, value]] of HOSTILE.entries()) {
      expect((await query(c, `SELECT ID FROM HOSTILE.S.T WHERE V = ${sqlString(value)}`)).rows).toEqual([{ ID: i }]);
    }
    expect((await query(c, 'SELECT V FROM HOSTILE.S.T ORDER BY ID')).rows.map((r) => r.V)).toEqual(HOSTILE.map(([, v]) => v));
  });

  test('a value that only doubled its quotes would not survive (what the rule prevents)', async () => {
    const quotesOnly = (v: string) => `'${v.replace(/'/g, "''")}'`;
    expect((await query(c, `SELECT ${quotesOnly('C:\\temp\\new')} AS V`)).rows).toEqual([{ V: 'C:\temp\new' }]);
    await expect(query(c, `SELECT ${quotesOnly('ends with \\')} AS V`)).rejects.toThrow();
  });
});

describe('one place quotes', () => {
  // The client's sources: the local server (local-server/, not scanned) is Snowflake's stand-in and
  // reads and writes SQL on its own, and a job specification's YAML scalars follow YAML's rule
  // (job-spec.ts).
  const root = path.join(__dirname, '..', '..');
  const exempt = new Set(['lib/identifiers.ts', 'lib/sql/job-spec.ts']);
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) return sources(rel);
      return e.name.endsWith('.ts') && !exempt.has(rel) ? [rel] : [];
    });

  test('no module but lib/identifiers.ts escapes quotes in SQL itself', () => {
    const adHoc = /replace\(\/'\/g|replace\(\/"\/g, '""'\)/;
    const found = ['constructs', 'lib', 'runner', 'worker', 'stacks'].flatMap(sources).filter((f) => adHoc.test(fs.readFileSync(path.join(root, f), 'utf8')));
    expect(found).toEqual([]);
  });
});

describe('splitRenderedName reads names as Terraform and rendered statements write them', () => {
  test('quoted parts are unescaped and keep their case; unquoted parts are trimmed and upper-cased; an argument list is dropped', () => {
    expect(splitRenderedName('"Db"."A.B"."P""Q"')).toEqual(['Db', 'A.B', 'P"Q']);
    expect(splitRenderedName('analytics. forecast .model')).toEqual(['ANALYTICS', 'FORECAST', 'MODEL']);
    expect(splitRenderedName('"DB"."S"."REGISTER"(VARCHAR, NUMBER(10,0))')).toEqual(['DB', 'S', 'REGISTER']);
  });
});
