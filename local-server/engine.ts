/**
 * The local server's SQL engine: an embedded DuckDB standing in for Snowflake. Each Snowflake
 * database is an attached DuckDB database (a file under `dataDir/databases/` when durable), so
 * `"DB"."SCHEMA"."TABLE"` names work unchanged. Statements are executed one at a time across all
 * sessions, which makes every single statement atomic with respect to the others (the hybrid-table
 * compare-and-set relies on it); explicit transactions run on the session's own connection.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DuckDBConnection, DuckDBInstance, DuckDBMaterializedResult, DuckDBPreparedStatement, JsonDuckDBValueConverter } from '@duckdb/node-api';
import { Errors, SfError, fromEngineError } from './errors';
import { SfResult, dmlResult, needsJson, statusResult, toSfResult } from './results';
import { Faults } from './faults';
import { DirectoryEntry, DirectoryTable, ListingHook, listFiles, refreshDirectory, walk } from './stage-directory';
import { IDENT, QNAME, statementPattern, batchedInsertSelect, initTranslator, splitStatements, toDuckDb } from './translate';
import { STRING_LITERAL, readLiteral, sfStringLiteral } from './literals';
import { AccessControl, ObjectKind } from './access-control';
import { Authorizer } from './authorize';
import { tableRefs, tableRefsByScan } from './table-refs';
import { INLINE_PREFIX, InlineColumn, InlineTables, inlinePlaceholder, jsonTable, substituteInline } from './inline-tables';
import { ML_PYTHON, ML_PYTHON_REQUIREMENTS, PROCEDURE_PACKAGES, SNOWPARK } from '../lib/registry/packages';

/** The stand-in PACKAGES view's rows: the snowflake-ml-python releases this project records, and the pinned Snowpark. */
const LOCAL_PACKAGES: readonly (readonly [string, string])[] = [
  ...ML_PYTHON_REQUIREMENTS.map((r) => [ML_PYTHON, r.mlPython] as const),
  [SNOWPARK, PROCEDURE_PACKAGES.snowpark],
];

export type BindValue = string | number | boolean | null;

export interface EngineOptions {
  /** Durable state directory; default: in-memory databases and a temporary stage directory. */
  readonly dataDir?: string;
}

export interface SessionState {
  database?: string;
  schema?: string;
  warehouse?: string;
  /**
   * The session's current role; every privilege check is made against it (local-server/authorize.ts).
   * Undefined only for the server's own sessions (test assertions), which are not checked.
   */
  role?: string;
  /** The user the session belongs to (USE ROLE checks the roles granted to it); none for task and service sessions. */
  user?: string;
  /** Set inside an owner's-rights procedure: named temporary objects are refused. */
  ownersRights?: boolean;
  /**
   * A session without a user (a task's, a job container's): the role it started with. USE ROLE may
   * reach only roles this role inherits (local-server/authorize.ts, useRole).
   */
  baseRole?: string;
  /** Where USE ROLE is refused outright: a task body, an owner's-rights procedure. */
  fixedRole?: 'task' | "owner's rights stored procedure";
  /** A serverless task's session: its compute is Snowflake's, it needs no warehouse. */
  serverless?: boolean;
  /**
   * A task's session: its graph run's configuration (EXECUTE TASK ... USING CONFIG), which
   * SYSTEM$GET_TASK_GRAPH_CONFIG reads. Undefined outside a task.
   */
  taskGraphConfig?: Readonly<Record<string, unknown>>;
  conn: DuckDBConnection;
  /** Prepared DuckDB statements by translated SQL, most recently used last (see Engine.runPrepared). */
  readonly prepared: Map<string, DuckDBPreparedStatement>;
  /** The engine's catalog generation when `prepared` was last valid. */
  preparedGeneration: number;
}

/** Statements that read or write rows but cannot change the catalog or a session's name resolution. */
const DATA_STATEMENT = /^(SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|VALUES|\()/i;

/** Rows of an array bind per batched statement. */
const ARRAY_BATCH = 1000;
/** Rows of an array-bound INSERT ... VALUES per statement when they travel as one JSON string. */
const JSON_BATCH = 50_000;

/** Prepared statements kept per session: the statements a worker or runner repeats are few. */
const PREPARED_PER_SESSION = 64;

/** Splits `"A".b.C` into upper-cased parts (quoted parts keep their case). */
export function nameParts(qualified: string): string[] {
  const parts = qualified.match(/"[^"]+"|[^.]+/g) ?? [];
  return parts.map((p) => (p.startsWith('"') ? p.slice(1, -1) : p.toUpperCase()));
}

/** First keywords of Snowflake commands (refused as unsupported rather than as syntax errors). */
const SNOWFLAKE_COMMANDS = new Set([
  'EXECUTE',
  'CALL',
  'PUT',
  'GET',
  'COPY',
  'SHOW',
  'DESCRIBE',
  'DESC',
  'UNDROP',
  'COMMENT',
  'EXPLAIN',
  'UNSET',
  'SET',
  'UNDROP',
  'REMOVE',
  'LIST',
]);

class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}

export class Engine {
  static async create(opts: EngineOptions = {}): Promise<Engine> {
    await initTranslator();
    const dataDir = opts.dataDir;
    const stageRoot = dataDir ? path.join(dataDir, 'stages') : fs.mkdtempSync(path.join(os.tmpdir(), 'mm-local-stages-'));
    if (dataDir) fs.mkdirSync(path.join(dataDir, 'databases'), { recursive: true });
    fs.mkdirSync(stageRoot, { recursive: true });
    // Statements run one at a time and are small: DuckDB's parallel execution and the Top-N late
    // materialization (a self-join) cost more in thread hand-offs and buffer set-up than they save
    // (the queue's claim candidate, ORDER BY ... LIMIT 1 over 1,000 rows: 3.5 -> 1.5 ms).
    // Statistics propagation folds what the table's statistics say when a statement is planned
    // into the plan (a filter on a value no row had yet becomes FALSE): sessions keep prepared
    // statements across data changes (runPrepared), and a repeated poll then returned the counts
    // of its first run (seen with the runner's progress query: 0 chunks done, forever).
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '1',
      late_materialization_max_rows: '0',
      disabled_optimizers: 'statistics_propagation',
    });
    // DuckDB spills to its temp directory, by default `.tmp` in the working directory: one of the
    // server's own instead (DuckDB creates it when it first spills and removes it on close).
    const spillDir = path.resolve(dataDir ? path.join(dataDir, 'duckdb-tmp') : path.join(stageRoot, '.duckdb-tmp'));
    const engine = new Engine(instance, dataDir, stageRoot, spillDir);
    const admin = await instance.connect();
    await admin.run("SET GLOBAL TimeZone = 'UTC'");
    engine.admin = admin;
    if (dataDir) {
      for (const f of fs.readdirSync(path.join(dataDir, 'databases'))) {
        if (f.endsWith('.duckdb')) await engine.attach(f.slice(0, -'.duckdb'.length));
      }
    }
    await engine.loadCatalog();
    await engine.closeFileAccess(admin);
    return engine;
  }

  /**
   * Takes the host's file system away from SQL: DuckDB's file functions (read_text, read_csv,
   * read_parquet, glob, ...), COPY ... TO, ATTACH, EXPORT, INSTALL/LOAD would otherwise read and
   * write any file the server's user can, which Snowflake's SQL never reaches. With external access
   * off DuckDB refuses every path outside `allowed_directories` (its spill directory, and the
   * durable databases' directory so CREATE DATABASE can attach a new file), and it cannot be
   * turned on again while the instance runs; the locked configuration keeps every other setting
   * (temp_directory, memory_limit, ...) as set here. Stages never go through DuckDB: PUT/GET,
   * LIST, DIRECTORY() and COPY INTO @stage are the server's own file operations.
   */
  private async closeFileAccess(admin: DuckDBConnection): Promise<void> {
    const dirs = this.dataDir ? [`'${(path.resolve(this.dataDir, 'databases') + path.sep).replace(/'/g, "''")}'`] : [];
    await admin.run(`SET temp_directory = '${this.spillDir.replace(/'/g, "''")}'`);
    await admin.run(`SET allowed_directories = [${dirs.join(', ')}]`);
    await admin.run('SET enable_external_access = false');
    await admin.run('SET lock_configuration = true');
  }

  private admin!: DuckDBConnection;
  private readonly lock = new Mutex();
  /**
   * Bumped before every statement that is not a data statement (DDL, USE, transactions, blocks),
   * by any session: prepared statements of an older generation may be bound to tables that changed.
   */
  private generation = 0;
  /** Internal stages: fully qualified name -> local directory. */
  readonly stages = new Map<string, string>();
  /** Internal stages' directory tables (local-server/stage-directory.ts), by stage name. */
  private readonly directories = new Map<string, DirectoryTable>();
  /** The server's fault injection (stage listings), when the engine runs in a server. */
  faults?: Faults;
  private readonly ephemeralStageRoot: boolean;
  /** Roles, ownership and grants (local-server/access-control.ts), saved in catalog.json. */
  readonly access = new AccessControl();
  /** Tables created as hybrid tables (for SHOW HYBRID TABLES; kept in memory, not in catalog.json). */
  private readonly hybridTables = new Set<string>();
  /** Privilege checks and access-control statements. */
  readonly auth: Authorizer;
  /** Whether a task, model, service or procedure exists (set by the server's SnowflakeObjects). */
  objectExists?: (kind: ObjectKind, name: string) => boolean;
  /** The model versions of the catalog, `DB.SCHEMA.MODEL` with each version's name and alias (set by SnowflakeObjects). */
  modelVersions?: () => { model: string; version: string; aliases: string[]; owner: string }[];

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly dataDir: string | undefined,
    readonly stageRoot: string,
    /** DuckDB's temp_directory (spilled intermediate results). */
    private readonly spillDir: string,
  ) {
    this.ephemeralStageRoot = !dataDir;
    this.auth = new Authorizer(
      this.access,
      (kind, name) => this.exists(kind, name),
      () => this.saveCatalog(),
      'LOCAL',
    );
  }

  /** Whether an object exists, for GRANT on it. */
  async exists(kind: ObjectKind, name: string): Promise<boolean> {
    const [db, schema, obj] = name.split('.');
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const any = async (sql: string) => (await this.admin.runAndReadAll(sql)).getRows().length > 0;
    switch (kind) {
      case 'DATABASE':
        return (await this.databases()).includes(db);
      case 'SCHEMA':
        return any(`SELECT 1 FROM duckdb_schemas() WHERE database_name = ${lit(db)} AND lower(schema_name) = lower(${lit(schema)})`);
      case 'TABLE':
      case 'VIEW':
        return any(
          `SELECT 1 FROM duckdb_tables() WHERE database_name = ${lit(db)} AND lower(schema_name) = lower(${lit(schema)}) AND lower(table_name) = lower(${lit(obj)}) UNION ALL SELECT 1 FROM duckdb_views() WHERE database_name = ${lit(db)} AND lower(schema_name) = lower(${lit(schema)}) AND lower(view_name) = lower(${lit(obj)})`,
        );
      case 'STAGE':
        return this.stages.has(name);
      case 'ROLE':
        return this.access.roleExists(name);
      case 'WAREHOUSE':
      case 'COMPUTE POOL':
      case 'IMAGE REPOSITORY':
        return this.access.recorded(kind, name);
      default:
        return this.objectExists?.(kind, name) ?? false;
    }
  }

  async newSession(): Promise<SessionState> {
    // The instance's TimeZone (UTC) is global: the configuration is locked (closeFileAccess).
    const conn = await this.instance.connect();
    return { conn, prepared: new Map(), preparedGeneration: this.generation };
  }

  closeSession(s: SessionState): void {
    this.dropPrepared(s);
    try {
      s.conn.closeSync();
    } catch {
      /* already closed */
    }
  }

  async close(): Promise<void> {
    await this.lock.run(async () => {
      this.saveCatalog();
      for (const name of await this.databases()) {
        try {
          await this.admin.run(`DETACH "${name}"`);
        } catch {
          /* in use or already gone */
        }
      }
      this.admin.closeSync();
      this.instance.closeSync();
    });
    if (this.ephemeralStageRoot) fs.rmSync(this.stageRoot, { recursive: true, force: true });
    fs.rmSync(this.spillDir, { recursive: true, force: true });
  }

  private async databases(): Promise<string[]> {
    const r = await this.admin.runAndReadAll("SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> 'memory'");
    return r.getRows().map((x) => String(x[0]));
  }

  private async attach(name: string): Promise<void> {
    const target = this.dataDir ? path.join(this.dataDir, 'databases', `${name}.duckdb`).replace(/'/g, "''") : ':memory:';
    await this.admin.run(`ATTACH '${target}' AS "${name}"`);
  }

  // ---- catalog of Snowflake-only objects (stages), durable as JSON beside the databases
  private catalogFile(): string | undefined {
    return this.dataDir ? path.join(this.dataDir, 'catalog.json') : undefined;
  }

  private async loadCatalog(): Promise<void> {
    const f = this.catalogFile();
    if (!f || !fs.existsSync(f)) return;
    const c = JSON.parse(fs.readFileSync(f, 'utf8')) as {
      stages?: Record<string, string>;
      directories?: Record<string, DirectoryTable>;
      access?: ReturnType<AccessControl['toJSON']>;
    };
    // A catalog written before access control was kept has none: its objects are ACCOUNTADMIN's.
    if (c.access) this.access.load(c.access);
    for (const [k, v] of Object.entries(c.stages ?? {})) this.stages.set(k, v);
    // A catalog written before directory tables were kept has none: they are empty until refreshed.
    for (const [k, v] of Object.entries(c.directories ?? {})) this.directories.set(k, v);
  }

  saveCatalog(): void {
    const f = this.catalogFile();
    if (!f) return;
    fs.writeFileSync(
      f,
      JSON.stringify({ stages: Object.fromEntries(this.stages), directories: Object.fromEntries(this.directories), access: this.access.toJSON() }, null, 2),
    );
  }

  /** Qualifies a possibly partial name with the session's database and schema. */
  qualify(s: SessionState, qualified: string): string[] {
    const parts = nameParts(qualified);
    if (parts.length === 3) return parts;
    if (parts.length === 2) {
      if (!s.database) throw Errors.objectMissing(`Database for '${qualified}'`);
      return [s.database, ...parts];
    }
    if (!s.database || !s.schema)
      throw new SfError(
        '090105',
        `Cannot perform operation. This session does not have a current database and schema. Call 'USE DATABASE', or use a qualified name.`,
        '22000',
      );
    return [s.database, s.schema, parts[0]];
  }

  /**
   * The local directory of an internal stage (`@name` or `@db.schema.name`), after checking the
   * session role's privilege on it: READ to read its files, WRITE to change them (and USAGE on its
   * database and schema) — https://docs.snowflake.com/en/user-guide/security-access-control-privileges#stage-privileges
   */
  stageDir(s: SessionState, ref: string, privilege?: 'READ' | 'WRITE'): { dir: string; name: string } {
    const key = this.qualify(s, ref.replace(/^@/, '')).join('.');
    const dir = this.stages.get(key);
    if (privilege) this.auth.need(s, privilege === 'READ' ? ['READ', 'WRITE'] : 'WRITE', 'STAGE', key);
    if (!dir) throw Errors.objectMissing(`Stage '${key}'`);
    return { dir, name: key };
  }

  /**
   * The privileges a query or DML statement needs on each table it names, and USAGE on their
   * databases and schemas (Access control privileges, table privileges:
   * https://docs.snowflake.com/en/user-guide/security-access-control-privileges#table-privileges).
   */
  private checkTables(s: SessionState, sql: string): void {
    if (!this.auth.checked(s)) return;
    // DIRECTORY(@stage) is a table function on a stage (READ on the stage, checked where it is
    // expanded), not a table: its name must not read as one, as it did in a session with a schema.
    const scanned = sql.replace(new RegExp(`DIRECTORY\\(\\s*@(${QNAME})\\s*\\)`, 'gi'), `${INLINE_PREFIX}DIRECTORY`);
    const refs = tableRefs(scanned) ?? tableRefsByScan(scanned);
    // Compute: DML, and a query that reads a table or a stage's directory; a SELECT of literals
    // and context functions (SELECT CURRENT_ROLE()) is answered without a warehouse.
    if (/^(INSERT|UPDATE|DELETE|MERGE)\b/i.test(sql) || refs.length > 0 || /\bDIRECTORY\s*\(/i.test(sql)) this.requireWarehouse(s);
    for (const r of refs) {
      const parts =
        r.parts.length === 3
          ? r.parts
          : r.parts.length === 2 && s.database
            ? [s.database, ...r.parts]
            : r.parts.length === 1 && s.database && s.schema
              ? [s.database, s.schema, r.parts[0]]
              : undefined;
      if (!parts) continue; // unqualifiable: DuckDB reports it missing
      if (parts[parts.length - 1].startsWith(INLINE_PREFIX)) continue; // rows the server computed (inline-tables.ts)
      // A view is granted and owned as a VIEW (GRANT SELECT ON VIEW v), not as a table.
      const name = parts.join('.');
      const kind = this.access.recorded('VIEW', name) || this.access.grants.some((g) => g.kind === 'VIEW' && g.name === name) ? 'VIEW' : 'TABLE';
      this.auth.need(s, r.privilege, kind, name);
    }
  }

  /**
   * A statement that needs compute needs a current warehouse the session's role may use: USAGE
   * (or ownership), else 000606 ("A warehouse must be specified for a session and the warehouse
   * must be running before queries and other DML statements can be executed":
   * https://docs.snowflake.com/en/sql-reference/sql/use-warehouse). Not required of ACCOUNTADMIN
   * sessions (the default user's, which connect without one: docs/local-server.md, "Access
   * control"), nor of a serverless task's. In an owner's-rights procedure the warehouse is the
   * caller's session's, checked when the caller chose it.
   */
  requireWarehouse(s: SessionState): void {
    if (!this.auth.checked(s) || s.role === 'ACCOUNTADMIN' || s.serverless) return;
    if (s.warehouse !== undefined && (s.ownersRights || this.access.has(s.role, 'USAGE', 'WAREHOUSE', s.warehouse))) return;
    throw Errors.noWarehouse();
  }

  /**
   * `<db>.INFORMATION_SCHEMA.MODEL_VERSIONS` (https://docs.snowflake.com/en/sql-reference/info-schema/model_versions):
   * one row per version of the database's models, VERSION_ALIASES an ARRAY; "the view only displays
   * objects for which the current role for the session has been granted access privileges". The
   * columns this project reads (names, aliases, owner, created), as an inline table.
   */
  private modelVersionsView(s: SessionState, sql: string): string {
    return sql.replace(new RegExp(`(?:(${IDENT})\\s*\\.\\s*)?"?INFORMATION_SCHEMA"?\\s*\\.\\s*"?MODEL_VERSIONS"?`, 'gi'), (_all, dbRef: string | undefined) => {
      const db = dbRef ? nameParts(dbRef)[0] : s.database;
      if (!db) throw Errors.syntax("Cannot perform SELECT. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.");
      const visible = (this.modelVersions?.() ?? []).filter(
        (v) => v.model.split('.')[0] === db && (!this.auth.checked(s) || this.access.any(s.role, 'MODEL', v.model)),
      );
      const lit = (x: string) => `'${x.replace(/'/g, "''")}'`;
      const rows = visible.map((v) => {
        const [d, sc, m] = v.model.split('.');
        return `(${lit(d)}, ${lit(sc)}, ${lit(m)}, ${lit(v.version)}, PARSE_JSON(${lit(JSON.stringify(v.aliases))}), ${lit(v.owner)})`;
      });
      // No version: an empty table of the same columns.
      const values = rows.length > 0 ? rows.join(', ') : `(NULL, NULL, NULL, NULL, PARSE_JSON('[]'), NULL)`;
      return `(SELECT * FROM (VALUES ${values}) AS MV(DATABASE_NAME, SCHEMA_NAME, MODEL_NAME, MODEL_VERSION_NAME, VERSION_ALIASES, OWNER)${rows.length > 0 ? '' : ' WHERE FALSE'})`;
    });
  }

  /** Runs one Snowflake statement (or a `BEGIN ... END` block) for a session. */
  /** `inline` fills placeholders (local-server/inline-tables.ts) with tables the server computed. */
  execute(s: SessionState, sql: string, binds?: BindValue[] | BindValue[][], inline?: InlineTables): Promise<SfResult> {
    return this.lock.run(() => this.executeUnlocked(s, sql, binds, inline));
  }

  private async executeUnlocked(s: SessionState, rawSql: string, binds?: BindValue[] | BindValue[][], inline?: InlineTables): Promise<SfResult> {
    const sql = rawSql.trim().replace(/;\s*$/, '');
    try {
      return await this.dispatch(s, sql, binds, inline);
    } catch (e) {
      throw fromEngineError(e);
    }
  }

  /**
   * Statements the engine carries out itself, tried in order before the refusals and DuckDB: each
   * pattern's captures become the arguments of the method that does the work.
   */
  private readonly routes: readonly EngineRoute[] = [
    [/^(BEGIN|START)(\s+(TRANSACTION|WORK))?$/i, (s) => this.transaction(s, 'BEGIN TRANSACTION')],
    [/^COMMIT(\s+WORK)?$/i, (s) => this.transaction(s, 'COMMIT')],
    [/^ROLLBACK(\s+WORK)?$/i, (s) => this.transaction(s, 'ROLLBACK')],
    [statementPattern(`^USE\\s+(DATABASE\\s+|SCHEMA\\s+|WAREHOUSE\\s+|ROLE\\s+)?(${QNAME})$`), (s, m) => this.use(s, (m[1] ?? '').trim().toUpperCase(), m[2])],
    [
      statementPattern(`^CREATE\\s+(OR\\s+REPLACE\\s+)?DATABASE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT})`),
      (s, m) => this.createDatabase(s, { replace: Boolean(m[1]), ifNotExists: Boolean(m[2]), ref: m[3] }),
    ],
    [
      statementPattern(`^CREATE\\s+(OR\\s+REPLACE\\s+)?SCHEMA\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})`),
      (s, m, sql) => this.createSchema(s, sql, { replace: Boolean(m[1]), ifNotExists: Boolean(m[2]), ref: m[3] }),
    ],
    [ACCESS_STATEMENT, (s, _m, sql) => this.accessStatement(s, sql)],
    [/^ALTER\s+SESSION\b/i, () => statusResult('Statement executed successfully.')],
    [
      statementPattern(`^CREATE\\s+(OR\\s+REPLACE\\s+)?(TEMPORARY\\s+)?STAGE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})`),
      (s, m, sql) => this.createStage(s, sql, { replace: Boolean(m[1]), temporary: Boolean(m[2]), ifNotExists: Boolean(m[3]), ref: m[4] }),
    ],
    [
      statementPattern(`^ALTER\\s+STAGE\\s+(?:IF\\s+EXISTS\\s+)?(${QNAME})\\s+REFRESH(?:\\s+SUBPATH\\s*=\\s*(${STRING_LITERAL}))?$`),
      (s, m) => this.refreshStage(s, m[1], m[2]),
    ],
    [statementPattern(`^(LIST|LS)\\s+@(${QNAME})(/\\S*)?$`), (s, m) => this.listStage(s, m[2], (m[3] ?? '').replace(/^\//, ''))],
    [statementPattern(`^(REMOVE|RM)\\s+@(${QNAME})(/\\S*)?$`), (s, m) => this.removeFromStage(s, m[2], m[3])],
    [/^CREATE\s+(OR\s+REPLACE\s+)?HYBRID\s+TABLE\s+/i, (s, _m, sql, binds) => this.createHybridTable(s, sql, binds)],
    [/^SHOW\s+(?:TERSE\s+)?HYBRID\s+TABLES(?:\s+IN\s+ACCOUNT)?(?:\s+LIMIT\s+(\d+))?$/i, (s, m) => this.showHybridTables(s, m[1])],
  ];

  private async dispatch(s: SessionState, sql: string, binds?: BindValue[] | BindValue[][], inline?: InlineTables): Promise<SfResult> {
    if (!DATA_STATEMENT.test(sql)) this.generation++;
    // Snowflake Scripting anonymous block: run its statements in order.
    const block = /^BEGIN\s+([\s\S]*\S)\s*END$/i.exec(sql);
    if (block && !/^BEGIN\s+(TRANSACTION|WORK)\s*$/i.test(sql)) {
      let last = statusResult('Anonymous block executed successfully.');
      for (const st of splitStatements(block[1])) last = await this.dispatch(s, st);
      return last;
    }
    for (const [pattern, run] of this.routes) {
      const m = pattern.exec(sql);
      if (m) return run(s, m, sql, binds);
    }
    let query = withPackagesView(sql);
    if (/\bINFORMATION_SCHEMA"?\s*\.\s*"?MODEL_VERSIONS\b/i.test(query)) query = this.modelVersionsView(s, query);
    refuseUnemulated(query);
    if (/^(CREATE|DROP|ALTER|TRUNCATE)\b/i.test(query)) return this.ddl(s, query, binds);
    this.checkTables(s, query);
    const { sql: withDirectories, tables } = this.expandDirectory(s, query);
    return this.runDuck(s, sessionFunctions(s, withDirectories), binds, new Map([...(inline ?? []), ...tables]));
  }

  /** BEGIN / COMMIT / ROLLBACK on the session's DuckDB connection (a COMMIT or ROLLBACK outside a transaction succeeds, as in Snowflake). */
  private async transaction(s: SessionState, statement: 'BEGIN TRANSACTION' | 'COMMIT' | 'ROLLBACK'): Promise<SfResult> {
    if (statement === 'BEGIN TRANSACTION') await s.conn.run(statement);
    else if (statement === 'COMMIT') {
      await s.conn.run('COMMIT').catch((e: Error) => {
        if (!/no transaction is active/i.test(e.message)) throw e;
      });
    } else await s.conn.run('ROLLBACK').catch(() => undefined);
    return statusResult('Statement executed successfully.', 0x5000);
  }

  private async createDatabase(s: SessionState, d: { replace: boolean; ifNotExists: boolean; ref: string }): Promise<SfResult> {
    const name = nameParts(d.ref)[0];
    const exists = (await this.databases()).includes(name);
    // CREATE DATABASE is an account privilege (SYSADMIN's by default): https://docs.snowflake.com/en/sql-reference/sql/create-database
    this.auth.onAccount(s, 'CREATE DATABASE');
    if (exists && !d.ifNotExists && !d.replace) throw Errors.alreadyExists(name);
    if (exists && d.replace && !d.ifNotExists) this.auth.own(s, 'DATABASE', name);
    if (!exists) {
      await this.attach(name);
      this.auth.created(s, 'DATABASE', name);
      this.auth.created(s, 'SCHEMA', `${name}.PUBLIC`);
    }
    s.database = name;
    s.schema = 'PUBLIC';
    await this.admin.run(`CREATE SCHEMA IF NOT EXISTS "${name}"."PUBLIC"`);
    await s.conn.run(`USE "${name}"."PUBLIC"`);
    return statusResult(`Database ${name} successfully created.`);
  }

  private async createSchema(s: SessionState, sql: string, d: { replace: boolean; ifNotExists: boolean; ref: string }): Promise<SfResult> {
    const parts = nameParts(d.ref);
    const [db, schema] = parts.length === 2 ? parts : [s.database, parts[0]];
    if (!db) throw Errors.objectMissing(`Database for schema '${schema}'`);
    if (!(await this.databases()).includes(db)) throw Errors.objectMissing(`Database '${db}'`);
    const exists = await this.exists('SCHEMA', `${db}.${schema}`);
    // CREATE SCHEMA needs CREATE SCHEMA on the database (https://docs.snowflake.com/en/sql-reference/sql/create-schema).
    this.auth.need(s, 'CREATE SCHEMA', 'DATABASE', db);
    if (exists && d.replace && !d.ifNotExists) this.auth.own(s, 'SCHEMA', `${db}.${schema}`);
    await s.conn.run(`CREATE SCHEMA ${d.ifNotExists || d.replace ? 'IF NOT EXISTS ' : ''}"${db}"."${schema}"`);
    if (!exists) {
      this.auth.created(s, 'SCHEMA', `${db}.${schema}`);
      // WITH MANAGED ACCESS: only the schema owner (or MANAGE GRANTS) grants on its objects.
      if (/\bWITH\s+MANAGED\s+ACCESS\b/i.test(sql)) {
        this.access.managedSchemas.add(`${db}.${schema}`);
        this.saveCatalog();
      }
    }
    return statusResult(`Schema ${schema} successfully created.`);
  }

  /** Roles, grants, warehouses, compute pools, users and image repositories: access control's (authorize.ts). */
  private async accessStatement(s: SessionState, sql: string): Promise<SfResult> {
    const r = await this.auth.statement(s, sql);
    if (r) return r;
    throw Errors.notSupported(sql.split(/\s+/).slice(0, 3).join(' ').toUpperCase());
  }

  private createStage(s: SessionState, sql: string, d: { replace: boolean; temporary: boolean; ifNotExists: boolean; ref: string }): SfResult {
    const key = this.qualify(s, d.ref).join('.');
    if (this.stages.has(key) && !d.replace && !d.ifNotExists) throw Errors.alreadyExists(key);
    if (d.temporary && s.ownersRights) throw ownersRightsTemporary('stage', key);
    const existed = this.stages.has(key);
    this.auth.create(s, 'STAGE', key, existed && d.replace);
    const dir = this.stages.get(key) ?? path.join(this.stageRoot, key.replace(/[^A-Za-z0-9_.$-]/g, '_'));
    if (d.replace) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    // A new stage's directory table is empty until ALTER STAGE ... REFRESH ("Managing directory tables").
    if (d.replace || !this.directories.has(key)) this.directories.set(key, { autoRefresh: /\bAUTO_REFRESH\s*=\s*TRUE\b/i.test(sql), files: [] });
    this.stages.set(key, dir);
    if (!existed || d.replace) this.auth.created(s, 'STAGE', key);
    this.saveCatalog();
    return statusResult(`Stage area ${key.split('.').pop()} successfully created.`);
  }

  private refreshStage(s: SessionState, ref: string, subpath: string | undefined): SfResult {
    // WRITE is enough to refresh an internal stage's directory table since bundle 2023_06
    // (https://docs.snowflake.com/en/release-notes/bcr-bundles/2023_06/bcr-1222).
    const { dir, name } = this.stageDir(s, ref, 'WRITE');
    refreshDirectory(this.directoryTable(name), dir, subpath === undefined ? '' : readLiteral(subpath), this.listingHook(name));
    this.saveCatalog();
    return statusResult('Statement executed successfully.');
  }

  private removeFromStage(s: SessionState, ref: string, subpath: string | undefined): SfResult {
    const { dir } = this.stageDir(s, ref, 'WRITE');
    const prefix = (subpath ?? '').replace(/^\//, '');
    const files = walk(dir).filter((f) => f.startsWith(prefix));
    // A file another process removed meanwhile is gone either way.
    for (const f of files) fs.rmSync(path.join(dir, f), { force: true });
    return { ...statusResult(''), rows: files.map((f) => [f]), columns: [{ ...statusResult('').columns[0], name: 'name' }] };
  }

  private async createHybridTable(s: SessionState, sql: string, binds: BindValue[] | BindValue[][] | undefined): Promise<SfResult> {
    // A hybrid table is a table whose PRIMARY KEY is enforced; secondary INDEX clauses only speed
    // up Snowflake, so they are dropped here.
    const ddl = sql.replace(/HYBRID\s+TABLE/i, 'TABLE').replace(/,\s*INDEX\s+\w+\s*\([^)]*\)/gi, '');
    // CREATE HYBRID TABLE on the schema, not CREATE TABLE, since bundle 2026_02
    // (https://docs.snowflake.com/en/release-notes/bcr-bundles/2026_02/bcr-2157: "The CREATE HYBRID
    // TABLE privilege is required to create a new hybrid table"; the schema's owner needs none).
    const r = await this.createTable(s, ddl, binds, 'CREATE HYBRID TABLE');
    const name = new RegExp(`HYBRID\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})`, 'i').exec(sql);
    if (name) this.hybridTables.add(this.qualify(s, name[1]).join('.'));
    return r;
  }

  private showHybridTables(s: SessionState, limit: string | undefined): SfResult {
    // SHOW HYBRID TABLES (https://docs.snowflake.com/en/sql-reference/sql/show-hybrid-tables): the
    // hybrid tables the role has a privilege on; here only the name columns, and only the forms
    // without LIKE or a narrower scope.
    const visible = [...this.hybridTables].filter((t) => !this.auth.checked(s) || this.access.any(s.role, 'TABLE', t)).sort();
    const rows = visible
      .slice(0, limit === undefined ? undefined : Number(limit))
      .map((t) => t.split('.'))
      .map(([db, schema, name]) => [name, db, schema, 'HYBRID TABLE']);
    const text = statusResult('').columns[0];
    return { columns: ['name', 'database_name', 'schema_name', 'kind'].map((n) => ({ ...text, name: n })), rows, statementTypeId: 0x1000 };
  }

  /** CREATE TABLE / VIEW: USAGE on the database and CREATE TABLE (VIEW) on the schema; the session's role owns it. */
  private async createTable(s: SessionState, sql: string, binds?: BindValue[] | BindValue[][], privilege?: string): Promise<SfResult> {
    const m = new RegExp(
      `^CREATE\\s+(OR\\s+REPLACE\\s+)?(?:(?:LOCAL\\s+|GLOBAL\\s+)?(TEMP|TEMPORARY|VOLATILE|TRANSIENT)\\s+)?(TABLE|VIEW)\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})`,
      'i',
    ).exec(sql);
    if (!m) return this.runDuck(s, sql, binds);
    const kind = m[3].toUpperCase() as 'TABLE' | 'VIEW';
    const key = this.qualify(s, m[5]).join('.');
    if (/^TEMP/i.test(m[2] ?? '') && s.ownersRights) throw ownersRightsTemporary(kind.toLowerCase(), key);
    const existed = await this.exists(kind, key);
    // Checked even when the table exists and IF NOT EXISTS makes the statement a no-op, as Snowflake
    // does (snowflakedb/snowpark-python#425).
    this.auth.create(s, kind, key, existed && Boolean(m[1]), privilege);
    const asSelect = /\bAS\s*\(?\s*(SELECT|WITH)\b([\s\S]*)$/i.exec(sql);
    if (asSelect) {
      // CREATE TABLE ... AS SELECT runs its query; CREATE VIEW ... AS only records it.
      if (kind === 'TABLE') this.requireWarehouse(s);
      const check = { ...s, warehouse: s.warehouse ?? '', serverless: s.serverless || kind === 'VIEW' };
      this.checkTables(kind === 'VIEW' ? check : s, `${asSelect[1]}${asSelect[2]}`.replace(/\)\s*$/, ''));
    }
    const r = await this.runDuck(s, sql, binds);
    if (!existed || m[1]) this.auth.created(s, kind, key);
    return r;
  }

  /** DDL on tables, views, schemas and databases: CREATE as above; DROP, ALTER need ownership; TRUNCATE the TRUNCATE privilege. */
  private async ddl(s: SessionState, sql: string, binds?: BindValue[] | BindValue[][]): Promise<SfResult> {
    let m: RegExpExecArray | null;
    if (/^CREATE\b/i.test(sql)) return this.createTable(s, sql, binds);
    if ((m = new RegExp(`^(DROP|ALTER)\\s+(TABLE|VIEW|SCHEMA|DATABASE)\\s+(IF\\s+EXISTS\\s+)?(${QNAME})`, 'i').exec(sql))) {
      const kind = m[2].toUpperCase() as 'TABLE' | 'VIEW' | 'SCHEMA' | 'DATABASE';
      const parts = nameParts(m[4]);
      const key =
        kind === 'DATABASE'
          ? parts[0]
          : kind === 'SCHEMA'
            ? (parts.length === 2 ? parts : [s.database ?? '', parts[0]]).join('.')
            : this.qualify(s, m[4]).join('.');
      const exists = await this.exists(kind, key);
      // DROP and ALTER need OWNERSHIP of the object (e.g. https://docs.snowflake.com/en/sql-reference/sql/drop-table).
      if (exists) this.auth.own(s, kind, key);
      const r = await this.runDuck(s, sql, binds);
      if (exists && m[1].toUpperCase() === 'DROP') this.auth.dropped(kind, key);
      if (m[1].toUpperCase() === 'DROP' && kind === 'TABLE') this.hybridTables.delete(key);
      return r;
    }
    if (/^TRUNCATE\b/i.test(sql)) this.checkTables(s, sql);
    return this.runDuck(s, sql, binds);
  }

  private async use(s: SessionState, kind: string, name: string): Promise<SfResult> {
    const parts = nameParts(name);
    if (kind === 'WAREHOUSE') {
      // USE WAREHOUSE needs USAGE on it (https://docs.snowflake.com/en/sql-reference/sql/use-warehouse).
      this.auth.need(s, ['USAGE', 'OPERATE'], 'WAREHOUSE', parts[0]);
      s.warehouse = parts[0];
    } else if (kind === 'ROLE') {
      // USE ROLE: a role granted to the user, directly or below a granted role (https://docs.snowflake.com/en/sql-reference/sql/use-role).
      this.auth.useRole(s, parts[0]);
      s.role = parts[0];
    } else if (kind === 'SCHEMA' || (kind === '' && parts.length === 2)) {
      const [db, schema] = parts.length === 2 ? parts : [s.database, parts[0]];
      if (!db) throw Errors.objectMissing(`Schema '${schema}'`);
      this.auth.need(s, 'USAGE', 'SCHEMA', `${db}.${schema}`);
      await s.conn.run(`USE "${db}"."${schema}"`).catch(() => {
        throw Errors.objectMissing(`Schema '${db}.${schema}'`);
      });
      s.database = db;
      s.schema = schema;
    } else {
      if (!(await this.databases()).includes(parts[0])) throw Errors.objectMissing(`Database '${parts[0]}'`);
      this.auth.need(s, 'USAGE', 'DATABASE', parts[0]);
      s.database = parts[0];
      s.schema = 'PUBLIC';
      await s.conn.run(`USE "${parts[0]}"."PUBLIC"`).catch(() => undefined);
    }
    return statusResult('Statement executed successfully.');
  }

  /** What runs between listing a stage's files and reading them, when a test injected it. */
  private listingHook(stage: string): ListingHook {
    return (dir, listed) => this.faults?.stageListingFault(stage)?.meanwhile(dir, listed);
  }

  /** A stage's directory table (a stage from a catalog that kept none has an empty one). */
  private directoryTable(stage: string): DirectoryTable {
    let t = this.directories.get(stage);
    if (!t) this.directories.set(stage, (t = { autoRefresh: false, files: [] }));
    return t;
  }

  /**
   * `DIRECTORY(@stage)` becomes an inline table of the stage's directory table: its rows as of the
   * last refresh, not the files now (local-server/stage-directory.ts). The statement names it by a
   * placeholder, which runDuck replaces once translated (local-server/inline-tables.ts).
   */
  private expandDirectory(s: SessionState, sql: string): { sql: string; tables: Map<string, string> } {
    const tables = new Map<string, string>();
    const out = sql.replace(new RegExp(`DIRECTORY\\(\\s*@(${QNAME})\\s*\\)`, 'gi'), (_m, ref: string) => {
      const { dir, name } = this.stageDir(s, ref, 'READ');
      const table = this.directoryTable(name);
      if (table.autoRefresh) refreshDirectory(table, dir, '', this.listingHook(name));
      const placeholder = inlinePlaceholder('DIRECTORY', tables.size);
      tables.set(placeholder, directoryRows(dir, table.files));
      return placeholder;
    });
    return { sql: out, tables };
  }

  private listStage(s: SessionState, ref: string, prefix: string): SfResult {
    const { dir, name } = this.stageDir(s, ref, 'READ');
    const stageShort = name.split('.').pop()!.toLowerCase();
    // LIST reads the stage's files, not its directory table; files that go meanwhile are left out.
    const files = listFiles(dir, '', this.listingHook(name)).filter((f) => f.relativePath.startsWith(prefix));
    const text = statusResult('').columns[0];
    return {
      columns: [
        { ...text, name: 'name' },
        { ...text, name: 'size', type: 'fixed', precision: 38, scale: 0, length: null, byteLength: null },
        { ...text, name: 'md5' },
        { ...text, name: 'last_modified' },
      ],
      rows: files.map((f) => [`${stageShort}/${f.relativePath}`, String(f.size), f.md5, new Date(f.lastModified).toUTCString()]),
      statementTypeId: 0x1000,
    };
  }

  /**
   * Runs a query or DML statement through the session's prepared statements: a statement seen
   * before in this catalog generation skips DuckDB's parse and plan and costs one threadpool round
   * trip (execute) instead of three to five (extract, prepare, execute, fetch until empty).
   */
  private async runPrepared(s: SessionState, duck: string, values?: BindValue[]): Promise<DuckDBMaterializedResult> {
    const p = await this.prepared(s, duck);
    // Not preparable alone (several statements, or an error) or binds missing: the plain path runs it
    // or reports its error exactly as before.
    if (!p || (!values && p.parameterCount > 0)) return values ? s.conn.run(duck, values as never) : s.conn.run(duck);
    p.clearBindings();
    if (values) p.bind(values as never);
    return p.run();
  }

  /** The session's prepared statement for `duck` (prepared now unless cached in this generation). */
  private async prepared(s: SessionState, duck: string): Promise<DuckDBPreparedStatement | undefined> {
    if (s.preparedGeneration !== this.generation) {
      this.dropPrepared(s);
      s.preparedGeneration = this.generation;
    }
    let p = s.prepared.get(duck);
    if (p) {
      s.prepared.delete(duck); // re-inserted below as the most recently used
    } else {
      try {
        p = await s.conn.prepare(duck);
      } catch {
        return undefined;
      }
      const oldest = s.prepared.keys().next();
      if (s.prepared.size >= PREPARED_PER_SESSION && !oldest.done) {
        s.prepared.get(oldest.value)!.destroySync();
        s.prepared.delete(oldest.value);
      }
    }
    s.prepared.set(duck, p);
    return p;
  }

  private dropPrepared(s: SessionState): void {
    for (const p of s.prepared.values()) p.destroySync();
    s.prepared.clear();
  }

  /**
   * Array binding: every row as if executed alone, in order, in as few statements as keep that
   * meaning. A plain `INSERT ... VALUES (?, ...)` becomes an INSERT ... SELECT from the rows as
   * JSON when each bound column binds as one type, else multi-row VALUES; an `INSERT ... SELECT`
   * of bind expressions runs over a VALUES list of the binds (batchedInsertSelect) when each bound
   * column binds as one type and DuckDB prepares the batch (it refuses aggregates over a lateral
   * subquery; the statement prepared for that check is the first batch's); anything else runs one
   * execution per row.
   */
  private async runArrayBind(s: SessionState, duck: string, kind: string | undefined, rows: BindValue[][]): Promise<number> {
    const values = kind === 'insert' ? /^([\s\S]*\b)VALUES\s*(\(\s*\?(?:\s*,\s*\?)*\s*\))\s*$/i.exec(duck) : null;
    const jsonTypes = values ? columnTypesForJson(rows) : undefined;
    if (values && jsonTypes) {
      // The rows as one JSON string, each column cast to its values' type: one bound value per
      // batch instead of one per cell (250,000 rows of three columns: 0.2 s, not 10 s).
      const cols = jsonTypes.map((t, i) => `CAST(R[${i + 1}] AS ${t})`).join(', ');
      const sql = `${values[1]}SELECT ${cols} FROM (SELECT UNNEST(from_json($1::VARCHAR, '[["VARCHAR"]]')) AS R)`;
      return this.runBatches(
        s,
        rows,
        () => sql,
        (batch) => [JSON.stringify(batch)],
        JSON_BATCH,
      ).catch((e: Error) => {
        // The statement that ran is internal: report the value, not where it sits in that text.
        e.message = e.message.replace(/\s*LINE \d+:[\s\S]*$/, '');
        throw e;
      });
    }
    if (values)
      return this.runBatches(
        s,
        rows,
        (n) => `${values[1]}VALUES ` + Array(n).fill(values[2]).join(', '),
        (batch) => batch.flat(),
      );
    const types = kind === 'insert' ? bindTypes(rows) : undefined;
    const select = types && batchedInsertSelect(duck, types);
    if (select && (await this.prepared(s, select(Math.min(ARRAY_BATCH, rows.length))))) {
      return this.runBatches(s, rows, select, (batch) => batch.flat()).catch((e: Error) => {
        // The batch's VALUES columns are internal: report a bad row as executing it alone would.
        e.message = e.message.replace(/ when casting from source column __mm_c\d+[\s\S]*$/, '');
        throw e;
      });
    }
    const prepared = await s.conn.prepare(duck);
    try {
      let changed = 0;
      for (const row of rows) {
        prepared.bind(row as never);
        changed += Number((await prepared.run()).rowsChanged);
      }
      return changed;
    } finally {
      prepared.destroySync();
    }
  }

  /**
   * Runs `rows` in batches of ARRAY_BATCH through `sql(batch size)`, as the session's prepared
   * statements (full batches repeat the same text); returns the rows changed.
   */
  private async runBatches(
    s: SessionState,
    rows: BindValue[][],
    sql: (n: number) => string,
    binds: (batch: BindValue[][]) => BindValue[],
    size = ARRAY_BATCH,
  ): Promise<number> {
    let changed = 0;
    for (let i = 0; i < rows.length; i += size) {
      const batch = rows.slice(i, i + size);
      changed += Number((await this.runPrepared(s, sql(batch.length), binds(batch))).rowsChanged);
    }
    return changed;
  }

  /** Runs a Snowflake statement on DuckDB; `tables` fill the placeholders in its translation. */
  private async runDuck(s: SessionState, sfSql: string, binds?: BindValue[] | BindValue[][], tables?: InlineTables): Promise<SfResult> {
    const duck = substituteInline(toDuckDb(sfSql), tables);
    const kind = /^\s*(INSERT|UPDATE|DELETE|MERGE)\b/i.exec(duck)?.[1]?.toLowerCase() as 'insert' | 'update' | 'delete' | 'merge' | undefined;
    const isQuery = /^\s*(SELECT|WITH|VALUES|\(|FROM|PRAGMA|DESCRIBE|SHOW)\b/i.test(duck) && !kind;
    const rowsOfBinds: BindValue[][] | undefined =
      binds === undefined ? undefined : Array.isArray(binds[0]) ? (binds as BindValue[][]) : [binds as BindValue[]];
    if (isQuery) return readResult(await this.runPrepared(s, duck, rowsOfBinds?.[0]));
    let changed = 0;
    if (rowsOfBinds && rowsOfBinds.length > 1) {
      // Array binding, all or nothing.
      await s.conn.run('BEGIN TRANSACTION').catch(() => undefined);
      try {
        changed = await this.runArrayBind(s, duck, kind, rowsOfBinds);
        await s.conn.run('COMMIT');
      } catch (e) {
        await s.conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    } else if (kind) {
      changed = Number((await this.runPrepared(s, duck, rowsOfBinds?.[0])).rowsChanged);
    } else {
      // DDL is not repeated: nothing to gain from preparing it apart.
      const r = rowsOfBinds ? await s.conn.run(duck, rowsOfBinds[0] as never) : await s.conn.run(duck);
      changed = Number(r.rowsChanged);
    }
    if (kind) return dmlResult(kind, changed);
    const verb = /^\s*(\w+)/.exec(duck)?.[1]?.toUpperCase() ?? 'STATEMENT';
    return statusResult(`${verb} executed successfully.`);
  }
}

/**
 * The DuckDB type each bound column binds as (@duckdb/node-api's choice for a JS value; "NULL" for a
 * column of nulls only), or undefined when a column's values bind as different types.
 */
/** CURRENT_ROLE() and CURRENT_WAREHOUSE() are the session's: literals here (DuckDB has neither). */
/** Statements access control carries out (authorize.ts). */
const ACCESS_STATEMENT =
  /^(?:(?:GRANT|REVOKE|SHOW\s+GRANTS|SHOW\s+IMAGE\s+REPOSITORIES|SHOW\s+COMPUTE\s+POOL\s+INSTANCE\s+FAMILIES)(?:\s|$)|(?:CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(?:ROLE|WAREHOUSE|COMPUTE\s+POOL|USER|IMAGE\s+REPOSITORY)\b)/i;

/** A statement form the engine carries out itself: its pattern, and what to do with the captures. */
type EngineRoute = readonly [
  pattern: RegExp,
  run: (s: SessionState, m: RegExpExecArray, sql: string, binds: BindValue[] | BindValue[][] | undefined) => SfResult | Promise<SfResult>,
];

/**
 * A stand-in for the PACKAGES view (https://docs.snowflake.com/en/sql-reference/info-schema/packages):
 * only the package versions this project pins (lib/registry/packages.ts), as Python 3.11 packages.
 */
function withPackagesView(sql: string): string {
  if (!/\bINFORMATION_SCHEMA\.PACKAGES\b/i.test(sql)) return sql;
  return sql.replace(
    new RegExp(`(?:${IDENT}\\.)?INFORMATION_SCHEMA\\.PACKAGES\\b`, 'gi'),
    `(SELECT * FROM (VALUES ${LOCAL_PACKAGES.map(([n, v]) => `('${n}', '${v}', 'python', '3.11')`).join(', ')}) AS P(PACKAGE_NAME, VERSION, LANGUAGE, RUNTIME_VERSION))`,
  );
}

/** Refuses what the engine does not emulate by the command's name, and anything that is no statement as a syntax error. */
function refuseUnemulated(sql: string): void {
  if (
    /^(EXECUTE|CALL|PUT|GET|COPY\s+INTO\s+@|UNDROP|SHOW|DESCRIBE|DESC)\b/i.test(sql) ||
    /^(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+)?(TASK|ALERT|SERVICE|MODEL|PROCEDURE|FUNCTION|STREAM|PIPE|DYNAMIC\s+TABLE|EXTERNAL|NOTEBOOK|STREAMLIT)\b/i.test(
      sql,
    )
  ) {
    throw Errors.notSupported(
      sql
        .split(/\s+/)
        .slice(0, /^(CREATE|ALTER|DROP)$/i.test(sql.split(/\s+/)[0]) ? 3 : 2)
        .join(' ')
        .toUpperCase(),
    );
  }
  if (!/^(SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE|VALUES|\()/i.test(sql)) {
    const word = sql.split(/\s+/)[0].toUpperCase();
    // Snowflake commands the server does not emulate are refused by name; anything else is a typo.
    if (SNOWFLAKE_COMMANDS.has(word)) throw Errors.notSupported(word);
    throw Errors.syntax(`line 1 at position 0 unexpected '${word}'.`);
  }
}

function sessionFunctions(s: SessionState, sql: string): string {
  // Written into Snowflake SQL, which the translator reads with Snowflake's escapes.
  const literal = (v: string | undefined) => (v === undefined ? 'NULL' : sfStringLiteral(v));
  return sql
    .replace(/\bCURRENT_ROLE\s*\(\s*\)/gi, () => literal(s.role ?? 'ACCOUNTADMIN'))
    .replace(/\bCURRENT_WAREHOUSE\s*\(\s*\)/gi, () => literal(s.warehouse))
    .replace(/\bSYSTEM\$GET_TASK_GRAPH_CONFIG\s*\(\s*'([A-Za-z0-9_]+)'\s*\)/gi, (_, key: string) => {
      // SYSTEM$GET_TASK_GRAPH_CONFIG('<key>'): the value of a top-level key of the graph run's
      // configuration, NULL when it has none (https://docs.snowflake.com/en/sql-reference/functions/system_get_task_graph_config).
      // Only top-level keys, as this project's task bodies use it.
      const v = s.taskGraphConfig?.[key];
      return v === undefined || v === null ? 'NULL' : literal(typeof v === 'string' ? v : JSON.stringify(v));
    });
}

/**
 * The type of each column of an array bind sent as JSON text (runArrayBind): VARCHAR for strings
 * (and a column of nulls only), BOOLEAN, BIGINT for integers only, DOUBLE for numbers with a
 * fraction among them (a bound 57 among 57.12s lands in a numeric column as the same value);
 * undefined when a column mixes kinds or holds a number JSON cannot write (NaN, Infinity).
 */
function columnTypesForJson(rows: BindValue[][]): string[] | undefined {
  const types: string[] = [];
  for (let j = 0; j < rows[0].length; j++) {
    let kind: string | undefined;
    let fraction = false;
    for (const row of rows) {
      const v = row[j];
      if (v === null) continue;
      if (typeof v === 'number' && (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v)))) return undefined;
      const k = typeof v;
      if (kind !== undefined && k !== kind) return undefined;
      kind = k;
      if (k === 'number' && !Number.isInteger(v)) fraction = true;
    }
    types.push(kind === 'number' ? (fraction ? 'DOUBLE' : 'BIGINT') : kind === 'boolean' ? 'BOOLEAN' : 'VARCHAR');
  }
  return types;
}

function bindTypes(rows: BindValue[][]): string[] | undefined {
  const typeOf = (v: BindValue) =>
    typeof v === 'string'
      ? 'VARCHAR'
      : typeof v === 'boolean'
        ? 'BOOLEAN'
        : !Number.isInteger(v)
          ? 'DOUBLE'
          : (v as number) >= -2147483648 && (v as number) <= 2147483647
            ? 'INTEGER'
            : 'BIGINT';
  const types: string[] = [];
  for (let j = 0; j < rows[0].length; j++) {
    let seen: string | undefined;
    for (const row of rows) {
      if (row[j] === null) continue;
      const t = typeOf(row[j]);
      if (seen !== undefined && t !== seen) return undefined;
      seen = t;
    }
    types.push(seen ?? '"NULL"');
  }
  return types;
}

/** A materialized result as a Snowflake result set; its chunks are read on this thread, no fetch round trips. */
function readResult(r: DuckDBMaterializedResult): SfResult {
  const types = r.columnTypes();
  const withJson = needsJson(types as never);
  const rows: unknown[][] = [];
  const json: unknown[][] = [];
  for (let i = 0; i < r.chunkCount; i++) {
    const chunk = r.getChunk(i);
    for (const row of chunk.getRows()) rows.push(row);
    if (withJson) for (const row of chunk.convertRows(JsonDuckDBValueConverter)) json.push(row);
  }
  return toSfResult(r.columnNames(), types as never, rows, withJson ? json : undefined);
}

export { walk };

/**
 * Owner's-rights stored procedures cannot create named temporary objects
 * (https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-limitations).
 */
export function ownersRightsTemporary(kind: string, name: string): SfError {
  return new SfError(
    '003001',
    `SQL access control error:\nCannot create the temporary ${kind} '${name}': creating named temporary objects is not supported in an owner's rights stored procedure.`,
    '42501',
  );
}

/** A directory table's rows as an inline DuckDB table with DIRECTORY's columns. */
function directoryRows(dir: string, files: readonly DirectoryEntry[]): string {
  const rows = files.map((f) => ({
    RELATIVE_PATH: f.relativePath,
    SIZE: f.size,
    LAST_MODIFIED: f.lastModified.replace('T', ' ').replace('Z', ''),
    MD5: f.md5,
    FILE_URL: `file://${path.join(dir, f.relativePath)}`,
  }));
  return jsonTable(DIRECTORY_COLUMNS, rows);
}

const DIRECTORY_COLUMNS: readonly InlineColumn[] = [
  ['RELATIVE_PATH', 'VARCHAR'],
  ['SIZE', 'BIGINT'],
  ['LAST_MODIFIED', 'TIMESTAMP'],
  ['MD5', 'VARCHAR'],
  ['FILE_URL', 'VARCHAR'],
];
