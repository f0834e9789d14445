/**
 * DuckDB results -> Snowflake JSON result sets: the `rowtype` metadata and string-encoded
 * `rowset` values the driver's converters expect (dates as days since the epoch, timestamps as
 * epoch seconds with nine fractional digits, booleans as "1"/"0", semi-structured as JSON text).
 */
export interface SfColumn {
  name: string;
  type: 'text' | 'fixed' | 'real' | 'boolean' | 'date' | 'timestamp_ntz' | 'timestamp_ltz' | 'variant' | 'array' | 'object';
  precision: number | null;
  scale: number | null;
  length: number | null;
  nullable: boolean;
  byteLength: number | null;
  database: string;
  schema: string;
  table: string;
  collation: null;
}

export interface SfResult {
  columns: SfColumn[];
  rows: (string | null)[][];
  /** 0x1000 select, 0x3100 insert, 0x3200 update, 0x3300 delete, 0x3400 merge, 0x6000 ddl. */
  statementTypeId: number;
}

interface DuckType {
  typeId: number;
  alias?: string;
  width?: number;
  scale?: number;
  toString(): string;
}

// @duckdb/node-api DuckDBTypeId values used below.
const T = {
  BOOLEAN: 1,
  TINYINT: 2,
  SMALLINT: 3,
  INTEGER: 4,
  BIGINT: 5,
  UTINYINT: 6,
  USMALLINT: 7,
  UINTEGER: 8,
  UBIGINT: 9,
  FLOAT: 10,
  DOUBLE: 11,
  TIMESTAMP: 12,
  DATE: 13,
  VARCHAR: 17,
  DECIMAL: 19,
  TIMESTAMP_S: 20,
  TIMESTAMP_MS: 21,
  TIMESTAMP_NS: 22,
  LIST: 24,
  STRUCT: 25,
  MAP: 26,
  HUGEINT: 16,
  TIMESTAMP_TZ: 31,
  ARRAY: 33,
} as const;

function column(name: string, t: DuckType): SfColumn {
  const base = {
    name: name.toUpperCase(),
    precision: null,
    scale: null,
    length: null,
    nullable: true,
    byteLength: null,
    database: '',
    schema: '',
    table: '',
    collation: null,
  } as SfColumn;
  switch (t.typeId) {
    case T.BOOLEAN:
      return { ...base, type: 'boolean' };
    case T.TINYINT:
    case T.SMALLINT:
    case T.INTEGER:
    case T.BIGINT:
    case T.UTINYINT:
    case T.USMALLINT:
    case T.UINTEGER:
    case T.UBIGINT:
    case T.HUGEINT:
      return { ...base, type: 'fixed', precision: 38, scale: 0 };
    case T.DECIMAL:
      return { ...base, type: 'fixed', precision: t.width ?? 38, scale: t.scale ?? 0 };
    case T.FLOAT:
    case T.DOUBLE:
      return { ...base, type: 'real' };
    case T.DATE:
      return { ...base, type: 'date' };
    case T.TIMESTAMP:
    case T.TIMESTAMP_S:
    case T.TIMESTAMP_MS:
    case T.TIMESTAMP_NS:
      return { ...base, type: 'timestamp_ntz', scale: 9, precision: 0 };
    case T.TIMESTAMP_TZ:
      return { ...base, type: 'timestamp_ltz', scale: 9, precision: 0 };
    case T.LIST:
    case T.ARRAY:
      return { ...base, type: 'array' };
    case T.STRUCT:
    case T.MAP:
      return { ...base, type: 'object' };
    case T.VARCHAR:
      return t.alias === 'JSON' ? { ...base, type: 'variant' } : { ...base, type: 'text', length: 16777216, byteLength: 16777216 };
    default:
      return { ...base, type: 'text', length: 16777216, byteLength: 16777216 };
  }
}

function epochNanosText(micros: bigint): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  let secs = abs / 1000000n;
  let frac = abs % 1000000n;
  if (neg && frac !== 0n) {
    secs = secs + 1n;
    frac = 1000000n - frac;
  }
  return `${neg ? '-' : ''}${secs}.${frac.toString().padStart(6, '0')}000`;
}

function encode(col: SfColumn, raw: unknown, json: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  switch (col.type) {
    case 'boolean':
      return raw ? '1' : '0';
    case 'fixed':
    case 'real':
      // Integers and floats are themselves as raw values; DECIMAL and HUGEINT are not (needsJson).
      return typeof raw === 'number' || typeof raw === 'bigint' ? String(raw) : String(json);
    case 'date':
      return String((raw as { days: number }).days);
    case 'timestamp_ntz':
    case 'timestamp_ltz': {
      const r = raw as { micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint };
      const micros = r.micros ?? (r.millis !== undefined ? r.millis * 1000n : r.seconds !== undefined ? r.seconds * 1000000n : (r.nanos ?? 0n) / 1000n);
      return epochNanosText(BigInt(micros));
    }
    case 'variant':
      return String(raw);
    case 'array':
    case 'object':
      return JSON.stringify(json);
    default:
      return typeof raw === 'string' ? raw : String(json);
  }
}

/**
 * Whether encoding a result of these column types needs DuckDB's JSON conversion of its rows
 * besides the raw values: only semi-structured values, DECIMAL, HUGEINT and types encode does not
 * name. Most results (a chunk's series: text, dates, floats) need none, which halves their reading.
 */
export function needsJson(types: DuckType[]): boolean {
  return types.some((t) => [T.DECIMAL, T.HUGEINT, T.LIST, T.ARRAY, T.STRUCT, T.MAP].includes(t.typeId as never) || !KNOWN_RAW.has(t.typeId));
}

/** Type ids whose raw values encode needs nothing else for. */
const KNOWN_RAW = new Set<number>([
  T.BOOLEAN,
  T.TINYINT,
  T.SMALLINT,
  T.INTEGER,
  T.BIGINT,
  T.UTINYINT,
  T.USMALLINT,
  T.UINTEGER,
  T.UBIGINT,
  T.FLOAT,
  T.DOUBLE,
  T.TIMESTAMP,
  T.DATE,
  T.VARCHAR,
  T.TIMESTAMP_S,
  T.TIMESTAMP_MS,
  T.TIMESTAMP_NS,
  T.TIMESTAMP_TZ,
]);

/** Converts a DuckDB materialized result; `jsonRows` may be left out when needsJson says so. */
export function toSfResult(names: string[], types: DuckType[], rawRows: unknown[][], jsonRows: unknown[][] | undefined, statementTypeId = 0x1000): SfResult {
  const columns = names.map((n, i) => column(n, types[i]));
  const rows = rawRows.map((r, i) => r.map((v, j) => encode(columns[j], v, jsonRows?.[i][j])));
  return { columns, rows, statementTypeId };
}

/** A one-column status result, as Snowflake returns for DDL and commands. */
export function statusResult(message: string, statementTypeId = 0x6000): SfResult {
  return {
    columns: [
      {
        name: 'status',
        type: 'text',
        precision: null,
        scale: null,
        length: 16777216,
        nullable: true,
        byteLength: 16777216,
        database: '',
        schema: '',
        table: '',
        collation: null,
      },
    ],
    rows: [[message]],
    statementTypeId,
  };
}

/** The DML result: one fixed column per count, as Snowflake names them. */
export function dmlResult(kind: 'insert' | 'update' | 'delete' | 'merge', changed: number): SfResult {
  const name = { insert: 'number of rows inserted', update: 'number of rows updated', delete: 'number of rows deleted', merge: 'number of rows inserted' }[
    kind
  ];
  const id = { insert: 0x3100, update: 0x3200, delete: 0x3300, merge: 0x3400 }[kind];
  return {
    columns: [
      { name, type: 'fixed', precision: 19, scale: 0, length: null, nullable: false, byteLength: null, database: '', schema: '', table: '', collation: null },
    ],
    rows: [[String(changed)]],
    statementTypeId: id,
  };
}
