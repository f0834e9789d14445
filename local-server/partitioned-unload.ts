/**
 * `COPY INTO @stage/<path>/ FROM (<query>) PARTITION BY <expr> FILE_FORMAT = (TYPE = JSON
 * COMPRESSION = NONE)` on the local server, as "COPY INTO <location>" describes a partitioned
 * unload (https://docs.snowflake.com/en/sql-reference/sql/copy-into-location, PARTITION BY and
 * INCLUDE_QUERY_ID; "Overview of data unloading", https://docs.snowflake.com/en/user-guide/data-unload-overview):
 * each distinct value of the expression gets its own directory under the path, and its rows go
 * to files named by Snowflake, `data_<query id>_<n>_<n>_<n>.json` (INCLUDE_QUERY_ID = TRUE is
 * the default with PARTITION BY). A JSON unload has exactly one column. Here each directory gets
 * one file, and the files change nothing in the directory table until the stage is refreshed, as
 * on an internal stage. Only JSON without compression and without SINGLE = TRUE.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Engine, SessionState } from './engine';
import { Errors, SfError } from './errors';
import { insideStage } from './objects';
import { SfResult, statusResult } from './results';

/** The statement's parts, or undefined when it is not a partitioned unload. */
export function parsePartitionedUnload(sql: string): { target: string; query: string; partitionBy: string; format: string; options: string } | undefined {
  const m = /^COPY\s+INTO\s+@(\S+)\s+FROM\s+\(([\s\S]+)\)\s+PARTITION\s+BY\s+([\s\S]+?)\s+FILE_FORMAT\s*=\s*\(([^)]*)\)([\s\S]*)$/i.exec(sql);
  return m ? { target: m[1], query: m[2], partitionBy: m[3], format: m[4], options: m[5] } : undefined;
}

export async function partitionedUnload(engine: Engine, s: SessionState, u: NonNullable<ReturnType<typeof parsePartitionedUnload>>): Promise<SfResult> {
  if (!/TYPE\s*=\s*'?JSON'?/i.test(u.format) || !/COMPRESSION\s*=\s*'?NONE'?/i.test(u.format))
    throw Errors.notSupported(`a partitioned unload with FILE_FORMAT (${u.format.trim()}); only TYPE = JSON COMPRESSION = NONE`);
  if (/SINGLE\s*=\s*TRUE/i.test(u.options))
    throw new SfError('001008', 'SQL compilation error:\nThe SINGLE copy option cannot be used with PARTITION BY.', '22023');
  const slash = u.target.indexOf('/');
  const stageRef = slash < 0 ? u.target : u.target.slice(0, slash);
  const base =
    slash < 0
      ? ''
      : u.target
          .slice(slash + 1)
          .replace(/\/?$/, '/')
          .replace(/^\/$/, '');
  const { dir } = engine.stageDir(s, stageRef, 'WRITE');
  engine.requireWarehouse(s);
  const r = await engine.execute(s, `SELECT Q.*, ${u.partitionBy} AS MM_PARTITION FROM (${u.query}) Q`);
  if (r.columns.length !== 2) {
    throw new SfError(
      '002018',
      'SQL compilation error:\nJSON file format can produce one and only one column of type variant, object, or array. Use CSV file format if you want to unload more than one column.',
      '22023',
    );
  }
  const queryId = crypto.randomUUID();
  const files = new Map<string, string[]>();
  for (const row of r.rows) {
    const value = row[1];
    if (value === null) throw Errors.notSupported('a partition expression that is NULL');
    const rel = `${base}${value}/data_${queryId}_0_0_0.json`;
    const lines = files.get(rel);
    if (lines) lines.push(String(row[0]));
    else files.set(rel, [String(row[0])]);
  }
  let bytes = 0;
  for (const [rel, lines] of files) {
    const file = insideStage(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = lines.join('\n') + '\n';
    fs.writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
  }
  const text = statusResult('').columns[0];
  return {
    columns: ['rows_unloaded', 'input_bytes', 'output_bytes'].map((n) => ({ ...text, name: n })),
    rows: [[String(r.rows.length), '0', String(bytes)]],
    statementTypeId: 0x1000,
  };
}
