/**
 * The Snowflake-only objects of the local server that DuckDB has no notion of: tasks and task
 * graphs, job services (run as local child processes), the model registry catalog, stored
 * procedure and PREDICT stand-ins, and COPY INTO a stage. These statements run outside the
 * engine's statement lock, because a synchronous job or task graph issues statements of its own.
 */
import { ChildProcess, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { Engine, SessionState, nameParts, ownersRightsTemporary } from './engine';
import { ObjectKind } from './access-control';
import { Errors, SfError } from './errors';
import { SfResult, statusResult } from './results';
import { IDENT, QNAME, statementPattern, splitStatements } from './translate';
import { ANY_LITERAL, STRING_LITERAL, outsideLiterals, readLiteral, sfStringLiteral } from './literals';
import { CreateServiceRequest, InferenceSpec, ModelServing, OnlineMethodHandler } from './model-serving';
import { InlineTables, inferColumns, inlinePlaceholder, jsonTable } from './inline-tables';
import { JavascriptFunctions } from './javascript-functions';
import { parsePartitionedUnload, partitionedUnload } from './partitioned-unload';
import { LocalAlerts } from './alerts';
import { LocalModelMonitors } from './model-monitors';
import { runScriptingBlock, scriptingBlockOf } from './scripting';
import { modelVersionSource, versionName } from './model-source';

/** An exception of a stand-in for Snowflake's Python runtime, as Snowflake reports a handler's. */
function standInError(e: unknown): SfError {
  return e instanceof SfError ? e : Errors.handlerFailed(e instanceof Error ? e.message : String(e));
}

/**
 * A value as a SQL literal in the inline tables the server substitutes: NULL, a number, or a quoted
 * string. The text goes through the translator, which reads Snowflake's escapes.
 */
function lit(v: unknown): string {
  return v === null || v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : sfStringLiteral(String(v));
}

/**
 * The container's parent: it runs the command in its own process group (the watchdog leads it)
 * and watches its stdin, a pipe from the server. When the server dies, even by SIGKILL, the pipe
 * closes and the watchdog kills the group, so no worker keeps writing to a stage without its
 * server (Node has no PR_SET_PDEATHSIG). Otherwise it exits as the command did.
 */
const WATCHDOG = `
const { spawn } = require('child_process');
const killGroup = () => { try { process.kill(0, 'SIGKILL'); } finally { process.exit(137); } };
process.stdin.on('end', killGroup);
process.stdin.on('error', killGroup);
process.stdin.resume();
const [command, ...args] = process.argv.slice(1);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('error', (e) => { process.stderr.write('could not start: ' + e.message + '\\n'); process.exit(127); });
child.on('exit', (code, signal) => {
  if (signal === null) process.exit(code);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  setTimeout(() => process.exit(128 + (require('os').constants.signals[signal] || 0)), 100);
});
`;

/** Starts a container's command under the watchdog, in a process group of its own. */
function spawnContainer(argv: readonly string[], cwd: string | undefined, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['-e', WATCHDOG, '--', ...argv], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

/** Kills a container's whole process group: the watchdog, the command and whatever it started. */
function killContainer(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * A path under a stage's directory; a relative path that would leave it (`..`) is refused, so
 * COPY INTO @stage and PUT cannot write the host's files.
 */
export function insideStage(dir: string, rel: string): string {
  const full = path.resolve(dir, rel);
  if (full !== path.resolve(dir) && !full.startsWith(path.resolve(dir) + path.sep)) {
    throw new SfError('003001', `SQL access control error:\nThe path '${rel}' leaves the stage.`, '42501');
  }
  return full;
}

/** How a container image runs locally. */
export interface ImageCommand {
  readonly command: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface ProcedureContext {
  /**
   * The role the procedure runs as: its owner for an owner's-rights procedure (EXECUTE AS OWNER,
   * Snowflake's default), the caller's current role for EXECUTE AS CALLER
   * (https://docs.snowflake.com/en/developer-guide/stored-procedure/stored-procedures-rights).
   */
  readonly role: string;
  readonly executeAs: 'OWNER' | 'CALLER';
  /** Runs SQL on the engine in the caller's session, as `role` (its privileges are checked). */
  query(sql: string): Promise<Record<string, string | null>[]>;
  /** Local directory of an internal stage; `role` needs READ (or WRITE for 'WRITE') on it. */
  stageDir(stage: string, privilege?: 'READ' | 'WRITE'): string;
  /**
   * Creates a named temporary object (as snowflake-ml's `Registry.log_model` creates a temporary
   * stage) and returns its name. Refused in an owner's-rights procedure, as Snowflake refuses it
   * (https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-limitations).
   */
  createTemporary(kind: 'STAGE' | 'TABLE', schema?: string): string;
  /**
   * Registers a model version as `role`: a new model needs CREATE MODEL on its schema (and is owned
   * by `role`), an existing one OWNERSHIP (https://docs.snowflake.com/en/sql-reference/sql/alter-model).
   */
  addModelVersion(model: string, version: string, metadata?: Record<string, unknown>, artifactsDir?: string): ModelVersion;
  /** The models `role` may use (USAGE or ownership); its addVersion is addModelVersion, checked as it is. */
  readonly models: ModelCatalog;
  /**
   * Creates a service from a model version as `role` (the stand-in of snowflake-ml-python's
   * `ModelVersion.create_service`, blocking until it runs: local-server/model-serving.ts).
   */
  createModelService(request: CreateServiceRequest): void;
}

/** A procedure created with CREATE PROCEDURE: its signature, owner's or caller's rights. */
export interface ProcedureEntry {
  readonly name: string;
  readonly argumentTypes: string[];
  readonly executeAs: 'OWNER' | 'CALLER';
  /** The body (between `AS $$` and `$$`): a stand-in may be chosen by it (ObjectsOptions.procedureFromDefinition). */
  readonly definition?: string;
}

/** Stand-in for CALL of a stored procedure. */
export type ProcedureHandler = (args: (string | number | null)[], ctx: ProcedureContext) => Promise<string | number | null>;

export interface ModelVersion {
  readonly name: string;
  alias?: string;
  metadata: Record<string, unknown>;
  /** Local directory holding the version's artifacts (for the predictor stand-in). */
  artifactsDir?: string;
  readonly createdOn: string;
}

export interface ModelEntry {
  readonly name: string;
  readonly versions: ModelVersion[];
  defaultVersion?: string;
}

/** Stand-in for `MODEL(m, v)!PREDICT(...) OVER (PARTITION BY ...)`: rows of one partition in, output rows out. */
export type PredictHandler = (model: ModelEntry, version: ModelVersion, rows: Record<string, unknown>[]) => Promise<Record<string, unknown>[]>;

export class ModelCatalog {
  readonly models = new Map<string, ModelEntry>();

  get(name: string): ModelEntry {
    const m = this.models.get(name);
    if (!m) throw Errors.objectMissing(`Model '${name}'`);
    return m;
  }

  /** Adds a version; versions are immutable, so an existing name is an error. */
  addVersion(model: string, version: string, metadata: Record<string, unknown> = {}, artifactsDir?: string): ModelVersion {
    let m = this.models.get(model);
    if (!m) {
      m = { name: model, versions: [] };
      this.models.set(model, m);
    }
    if (m.versions.some((v) => v.name === version)) throw Errors.alreadyExists(`${model} VERSION ${version}`);
    const v: ModelVersion = { name: version, metadata, artifactsDir, createdOn: new Date().toISOString() };
    m.versions.push(v);
    m.defaultVersion ??= version;
    return v;
  }

  /** A version by name or alias (DEFAULT, FIRST, LAST included). */
  resolve(model: string, versionOrAlias: string): ModelVersion {
    const m = this.get(model);
    const key = versionOrAlias.toUpperCase();
    const v =
      key === 'DEFAULT'
        ? m.versions.find((x) => x.name === m.defaultVersion)
        : key === 'FIRST'
          ? m.versions[0]
          : key === 'LAST'
            ? m.versions[m.versions.length - 1]
            : m.versions.find((x) => x.name.toUpperCase() === key || x.alias === key);
    if (!v) throw Errors.objectMissing(`Model version or alias '${versionOrAlias}' of model '${model}'`);
    return v;
  }
}

interface Task {
  /** As SHOW TASKS' id: TASK_HISTORY's and the graph functions' ROOT_TASK_ID. */
  id: string;
  name: string;
  database: string;
  schema: string;
  after: string[];
  finalize?: string;
  sql: string;
  started: boolean;
  schedule?: string;
  /** WAREHOUSE = w: a user-managed task's session warehouse; none: a serverless task. */
  warehouse?: string;
}

/** One task run, as TASK_HISTORY shows it. */
interface HistoryRow {
  NAME: string;
  DATABASE_NAME: string;
  SCHEMA_NAME: string;
  STATE: 'EXECUTING' | 'SUCCEEDED' | 'FAILED';
  ERROR_CODE: string | null;
  ERROR_MESSAGE: string | null;
  SCHEDULED_TIME: string;
  QUERY_START_TIME: string | null;
  COMPLETED_TIME: string | null;
  ROOT_TASK_ID: string;
  SCHEDULED_FROM: 'EXECUTE_TASK';
  ATTEMPT_NUMBER: number;
  GRAPH_RUN_GROUP_ID: string;
}

/**
 * One run of a task graph, as CURRENT_TASK_GRAPHS (while SCHEDULED or EXECUTING) and
 * COMPLETE_TASK_GRAPHS (once every task of it has finished) show it.
 */
interface GraphRun {
  ROOT_TASK_NAME: string;
  DATABASE_NAME: string;
  SCHEMA_NAME: string;
  STATE: 'SCHEDULED' | 'EXECUTING' | 'SUCCEEDED' | 'FAILED';
  SCHEDULED_FROM: 'EXECUTE_TASK';
  FIRST_ERROR_TASK_NAME: string | null;
  FIRST_ERROR_CODE: string | null;
  FIRST_ERROR_MESSAGE: string | null;
  SCHEDULED_TIME: string;
  QUERY_START_TIME: string | null;
  COMPLETED_TIME: string | null;
  ROOT_TASK_ID: string;
  ATTEMPT_NUMBER: number;
  GRAPH_RUN_GROUP_ID: string;
}

type Column = readonly [name: string, type: 'VARCHAR' | 'NUMBER' | 'TIMESTAMP_LTZ'];

/** Output columns of the task table functions (a subset of Snowflake's, with its names and types). */
const TASK_FUNCTION_COLUMNS: Record<'TASK_HISTORY' | 'CURRENT_TASK_GRAPHS' | 'COMPLETE_TASK_GRAPHS', readonly Column[]> = (() => {
  const graph: Column[] = [
    ['ROOT_TASK_NAME', 'VARCHAR'],
    ['DATABASE_NAME', 'VARCHAR'],
    ['SCHEMA_NAME', 'VARCHAR'],
    ['STATE', 'VARCHAR'],
    ['SCHEDULED_FROM', 'VARCHAR'],
    ['FIRST_ERROR_TASK_NAME', 'VARCHAR'],
    ['FIRST_ERROR_CODE', 'VARCHAR'],
    ['FIRST_ERROR_MESSAGE', 'VARCHAR'],
    ['SCHEDULED_TIME', 'TIMESTAMP_LTZ'],
    ['QUERY_START_TIME', 'TIMESTAMP_LTZ'],
  ];
  const ids: Column[] = [
    ['ROOT_TASK_ID', 'VARCHAR'],
    ['ATTEMPT_NUMBER', 'NUMBER'],
    ['GRAPH_RUN_GROUP_ID', 'VARCHAR'],
  ];
  return {
    TASK_HISTORY: [
      ['NAME', 'VARCHAR'],
      ['DATABASE_NAME', 'VARCHAR'],
      ['SCHEMA_NAME', 'VARCHAR'],
      ['STATE', 'VARCHAR'],
      ['ERROR_CODE', 'VARCHAR'],
      ['ERROR_MESSAGE', 'VARCHAR'],
      ['SCHEDULED_TIME', 'TIMESTAMP_LTZ'],
      ['QUERY_START_TIME', 'TIMESTAMP_LTZ'],
      ['COMPLETED_TIME', 'TIMESTAMP_LTZ'],
      ['SCHEDULED_FROM', 'VARCHAR'],
      ...ids,
    ],
    CURRENT_TASK_GRAPHS: [...graph, ...ids],
    COMPLETE_TASK_GRAPHS: [...graph, ['COMPLETED_TIME', 'TIMESTAMP_LTZ'], ...ids],
  };
})();

/** `TABLE([<db>.]INFORMATION_SCHEMA.<function>(<name> => <constant>, ...))`; arguments hold no parentheses outside string constants. */
const TASK_FUNCTION = String.raw`TABLE\s*\(\s*(?:${IDENT}\.)?INFORMATION_SCHEMA\.(TASK_HISTORY|CURRENT_TASK_GRAPHS|COMPLETE_TASK_GRAPHS)\s*\(((?:${STRING_LITERAL}|[^()'])*)\)\s*\)`;

/** Queries that read what only the server knows, rewritten before they run (rewriteQuery). */
const SERVER_VALUES = new RegExp(String.raw`\bSYSTEM\$GET_SERVICE_(STATUS|LOGS)\s*\(|!PREDICT\s*\(|${TASK_FUNCTION}`, 'i');

/** Those of them that run on the session's warehouse: the information-schema task functions and model inference. */
const ON_WAREHOUSE = new RegExp(String.raw`!PREDICT\s*\(|${TASK_FUNCTION}`, 'i');

/** A statement form SnowflakeObjects carries out: its pattern, and what to do with the captures. */
type Route = readonly [pattern: RegExp, run: (s: SessionState, m: RegExpExecArray) => SfResult | Promise<SfResult>];

export interface Service {
  name: string;
  /** The role that owns it (the role that executed the job); its container connects as it. */
  owner: string;
  image: string;
  startedOn: string;
  pool: string;
  status: 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED';
  message: string;
  container: string;
  logs: string[];
  exitCode: number | null;
  child?: ChildProcess;
  finished: Promise<void>;
  /** A Model Serving service (created from a model version), not a job: what it serves. */
  inference?: InferenceSpec;
  /** ALTER SERVICE ... SET COMMENT. */
  comment?: string;
}

export interface ObjectsOptions {
  readonly imageCommands?: Readonly<Record<string, ImageCommand>>;
  /** The command of an image `imageCommands` does not map; without it such a job is refused. */
  readonly defaultImageCommand?: ImageCommand;
  readonly procedures?: Readonly<Record<string, ProcedureHandler>>;
  /** A stand-in chosen by a created procedure's body, for a CALL `procedures` does not name. */
  readonly procedureFromDefinition?: (definition: string) => ProcedureHandler | undefined;
  readonly predictor?: PredictHandler;
  /** Stand-in for a served model's online methods (REST calls to an inference service). */
  readonly onlineMethod?: OnlineMethodHandler;
  /** `host:port` the server listens on: the root of the ingress URLs it reports. */
  readonly host?: () => string;
  /** Connection settings handed to job containers, with a fresh OAuth token each that logs in as `role`. */
  readonly containerConnection: (role: string, warehouse?: string) => { host: string; port: number; account: string; token: string };
}

export class SnowflakeObjects {
  readonly tasks = new Map<string, Task>();
  readonly history: HistoryRow[] = [];
  readonly graphRuns: GraphRun[] = [];
  readonly services = new Map<string, Service>();
  readonly models = new ModelCatalog();
  /** Procedures created with CREATE PROCEDURE (a CALL runs the stand-in registered for the name). */
  readonly procedures = new Map<string, ProcedureEntry>();
  /** Services created from model versions, their endpoints and the gateways in front of them. */
  readonly serving: ModelServing;
  /** JavaScript table functions (CREATE FUNCTION ... LANGUAGE JAVASCRIPT) and the queries that call them. */
  readonly javascriptFunctions: JavascriptFunctions;
  /** Alerts (CREATE / ALTER / DROP / EXECUTE ALERT): ./alerts.ts. */
  readonly alerts: LocalAlerts;
  /** Model monitors (CREATE / DROP / SHOW MODEL MONITORS): ./model-monitors.ts. */
  readonly modelMonitors: LocalModelMonitors;
  private readonly runningGraphs: Promise<void>[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly opts: ObjectsOptions,
  ) {
    this.serving = new ModelServing(engine, this, { onlineMethod: opts.onlineMethod, host: opts.host ?? (() => '127.0.0.1') });
    this.javascriptFunctions = new JavascriptFunctions(engine);
    this.alerts = new LocalAlerts(engine, async (session, sql) => (await this.handle(session, sql)) ?? this.engine.execute(session, sql));
    this.modelMonitors = new LocalModelMonitors(engine, this.models);
    engine.modelVersions = () =>
      [...this.models.models.values()].flatMap((m) =>
        m.versions.map((v) => ({ model: m.name, version: v.name, aliases: v.alias ? [v.alias] : [], owner: engine.access.ownerOf('MODEL', m.name) })),
      );
    engine.objectExists = (kind: ObjectKind, name: string) =>
      kind === 'TASK'
        ? this.tasks.has(name)
        : kind === 'MODEL'
          ? this.models.models.has(name)
          : kind === 'SERVICE'
            ? this.services.has(name)
            : kind === 'GATEWAY'
              ? this.serving.gateways.has(name)
              : kind === 'PROCEDURE'
                ? this.procedures.has(name)
                : kind === 'FUNCTION'
                  ? this.javascriptFunctions.functions.has(name)
                  : kind === 'ALERT'
                    ? this.alerts.has(name)
                    : kind === 'MODEL MONITOR'
                      ? this.modelMonitors.has(name)
                      : false;
  }

  private get auth() {
    return this.engine.auth;
  }

  /**
   * The statements this class carries out, tried in order: each pattern's captures become the
   * arguments of the method that does the work (compiled once, not per statement).
   */
  private readonly routes: readonly Route[] = [
    [
      statementPattern(`^CREATE\\s+(OR\\s+REPLACE\\s+)?TASK\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})([\\s\\S]*?)\\sAS\\s+([\\s\\S]+)$`),
      (s, m) => this.createTask(s, { replace: Boolean(m[1]), ifNotExists: Boolean(m[2]), ref: m[3], header: m[4], body: m[5] }),
    ],
    [
      statementPattern(`^ALTER\\s+TASK\\s+(IF\\s+EXISTS\\s+)?(${QNAME})\\s+(RESUME|SUSPEND)$`),
      (s, m) => this.resumeOrSuspendTask(s, m[2], m[3].toUpperCase() === 'RESUME'),
    ],
    [statementPattern(`^DROP\\s+TASK\\s+(IF\\s+EXISTS\\s+)?(${QNAME})$`), (s, m) => this.dropTask(s, m[2], Boolean(m[1]))],
    [
      statementPattern(`^EXECUTE\\s+TASK\\s+(${QNAME})(?:\\s+USING\\s+CONFIG\\s*=\\s*(\\$\\$[\\s\\S]*\\$\\$|'(?:[^']|'')*'))?$`),
      (s, m) => this.executeTask(s, m[1], m[2]),
    ],
    [
      statementPattern(
        `^EXECUTE\\s+JOB\\s+SERVICE\\s+IN\\s+COMPUTE\\s+POOL\\s+(${IDENT})\\s+([\\s\\S]*?)FROM\\s+SPECIFICATION\\s+(\\$\\$[\\s\\S]*\\$\\$|'[\\s\\S]*')\\s*$`,
      ),
      (s, m) => this.executeJob(s, nameParts(m[1])[0], m[2], m[3]),
    ],
    [statementPattern(`^DROP\\s+SERVICE\\s+(IF\\s+EXISTS\\s+)?(${QNAME})$`), (s, m) => this.dropService(s, m[2], Boolean(m[1]))],
    [statementPattern(`^(DESCRIBE|DESC)\\s+SERVICE\\s+(${QNAME})$`), (s, m) => this.describeService(s, m[2])],
    [statementPattern(`^SHOW\\s+SERVICE\\s+CONTAINERS\\s+IN\\s+SERVICE\\s+(${QNAME})$`), (s, m) => this.showServiceContainers(s, m[1])],
    [statementPattern(`^SHOW\\s+SERVICES(?:\\s+IN\\s+SCHEMA\\s+(${QNAME}))?\\b`), (s, m) => this.showServices(s, m[1])],
    [
      statementPattern(
        `^CREATE\\s+(OR\\s+REPLACE\\s+)?MODEL\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})(?:\\s+WITH\\s+VERSION\\s+(${IDENT}))?(?![A-Za-z0-9_$.])([\\s\\S]*)$`,
      ),
      (s, m) => this.createModel(s, { replace: Boolean(m[1]), ifNotExists: Boolean(m[2]), ref: m[3], version: m[4], statement: m[0], from: m[5] }),
    ],
    [
      statementPattern(`^ALTER\\s+MODEL\\s+(IF\\s+EXISTS\\s+)?(${QNAME})\\s+([\\s\\S]+)$`),
      (s, m) => this.alterModelStatement(s, m[2], Boolean(m[1]), m[3].trim(), m[0]),
    ],
    [statementPattern(`^SHOW\\s+VERSIONS\\s+IN\\s+MODEL\\s+(${QNAME})$`), (s, m) => this.showVersions(s, m[1])],
    [/^SHOW\s+MODELS\b/i, (s) => this.showModels(s)],
    [statementPattern(`^DROP\\s+MODEL\\s+(IF\\s+EXISTS\\s+)?(${QNAME})$`), (s, m) => this.dropModel(s, m[2], Boolean(m[1]))],
    [
      statementPattern(`^CREATE\\s+(OR\\s+REPLACE\\s+)?(?:SECURE\\s+)?PROCEDURE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})\\s*\\(([^)]*)\\)([\\s\\S]*)$`),
      (s, m) => this.createProcedure(s, Boolean(m[1]), Boolean(m[2]), m[3], m[4], m[5]),
    ],
    [statementPattern(`^DROP\\s+PROCEDURE\\s+(IF\\s+EXISTS\\s+)?(${QNAME})\\s*(?:\\([^)]*\\))?$`), (s, m) => this.dropProcedure(s, m[2], Boolean(m[1]))],
    [statementPattern(`^CALL\\s+(${QNAME})\\s*\\(([\\s\\S]*)\\)$`), (s, m) => this.call(s, m[1], m[2])],
    [/^COPY\s+INTO\s+@(\S+?)\s+FROM\s+\(([\s\S]+)\)\s+FILE_FORMAT\s*=\s*\(([^)]*)\)([\s\S]*)$/i, (s, m) => this.copyIntoStage(s, m[1], m[2], m[3], m[4])],
  ];

  /** Handles the statement when it is one of ours; returns undefined otherwise. */
  async handle(s: SessionState, sql: string): Promise<SfResult | undefined> {
    const served = await this.serving.handle(s, sql);
    if (served) return served;
    const udtf = await this.javascriptFunctions.handle(s, sql);
    if (udtf) return udtf;
    // Before the routes: the plain COPY INTO @stage route would also match a partitioned unload.
    const unload = parsePartitionedUnload(sql);
    if (unload) return partitionedUnload(this.engine, s, unload);
    const alerted = await this.alerts.handle(s, sql);
    if (alerted) return alerted;
    const monitored = await this.modelMonitors.handle(s, sql);
    if (monitored) return monitored;
    for (const [pattern, run] of this.routes) {
      const m = pattern.exec(sql);
      if (m) return run(s, m);
    }
    // A PREDICT or task function inside a string constant (dynamic SQL being built) is text, not a call.
    if (SERVER_VALUES.test(outsideLiterals(sql))) return this.queryWithServerValues(s, sql);
    return undefined;
  }

  /** A query that reads what only the server knows: service status and logs, task history, PREDICT. */
  private async queryWithServerValues(s: SessionState, sql: string): Promise<SfResult> {
    if (ON_WAREHOUSE.test(sql)) this.engine.requireWarehouse(s);
    const q = await this.rewriteQuery(s, sql);
    return this.engine.execute(s, q.sql, undefined, q.tables);
  }

  private createTask(s: SessionState, t: { replace: boolean; ifNotExists: boolean; ref: string; header: string; body: string }): SfResult {
    const [db, schema, name] = this.engine.qualify(s, t.ref);
    const key = `${db}.${schema}.${name}`;
    // CREATE TASK needs CREATE TASK on the schema and USAGE on its database
    // (https://docs.snowflake.com/en/sql-reference/sql/create-task); the creating role owns the task.
    this.auth.create(s, 'TASK', key, this.tasks.has(key) && t.replace);
    if (this.tasks.has(key) && !t.replace) {
      if (t.ifNotExists) return statusResult(`${name} already exists, statement succeeded.`);
      throw Errors.alreadyExists(key);
    }
    const header = t.header;
    // A user-managed task names its warehouse, and its creator needs USAGE on it
    // (https://docs.snowflake.com/en/sql-reference/sql/create-task, access control requirements).
    const warehouseRef = new RegExp(`\\bWAREHOUSE\\s*=\\s*(${IDENT})`, 'i').exec(header)?.[1];
    const warehouse = warehouseRef ? nameParts(warehouseRef)[0] : undefined;
    if (warehouse) this.auth.need(s, 'USAGE', 'WAREHOUSE', warehouse);
    this.auth.created(s, 'TASK', key);
    const after = /\bAFTER\s+([\s\S]+?)(?=\s+(?:FINALIZE|WHEN|WAREHOUSE|SCHEDULE|USER_TASK|ALLOW|COMMENT)\b|$)/i.exec(header)?.[1];
    const finalize = new RegExp(`\\bFINALIZE\\s*=\\s*(${QNAME})`, 'i').exec(header)?.[1];
    const schedule = new RegExp(`\\bSCHEDULE\\s*=\\s*(${STRING_LITERAL})`, 'i').exec(header)?.[1];
    this.tasks.set(key, {
      id: crypto.randomUUID(),
      name,
      database: db,
      schema,
      after: after ? after.split(',').map((a) => this.engine.qualify(s, a.trim()).join('.')) : [],
      finalize: finalize ? this.engine.qualify(s, finalize).join('.') : undefined,
      sql: t.body.trim(),
      started: false,
      schedule: schedule === undefined ? undefined : readLiteral(schedule),
      warehouse,
    });
    return statusResult(`Task ${name} successfully created.`);
  }

  private resumeOrSuspendTask(s: SessionState, ref: string, resume: boolean): SfResult {
    const t = this.task(s, ref);
    const key = `${t.database}.${t.schema}.${t.name}`;
    // ALTER TASK ... RESUME | SUSPEND: OWNERSHIP or OPERATE on the task; resuming also needs the
    // owner's EXECUTE TASK (https://docs.snowflake.com/en/sql-reference/sql/alter-task).
    this.auth.need(s, 'OPERATE', 'TASK', key);
    if (resume) this.auth.ownerMayExecute('TASK', key);
    t.started = resume;
    return statusResult('Statement executed successfully.');
  }

  private dropTask(s: SessionState, ref: string, ifExists: boolean): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    if (this.tasks.has(key)) this.auth.own(s, 'TASK', key);
    if (!this.tasks.delete(key) && !ifExists) throw Errors.objectMissing(`Task '${key}'`);
    this.auth.dropped('TASK', key);
    return statusResult(`Task ${key} successfully dropped.`);
  }

  private executeTask(s: SessionState, ref: string, configText?: string): SfResult {
    const root = this.task(s, ref);
    // USING CONFIG: a JSON object for this run only, read by the graph's tasks through
    // SYSTEM$GET_TASK_GRAPH_CONFIG (https://docs.snowflake.com/en/sql-reference/sql/execute-task).
    // The tasks here have no CONFIG of their own to merge it with.
    let config: Record<string, unknown> | undefined;
    if (configText !== undefined) {
      try {
        config = JSON.parse(readLiteral(configText)) as Record<string, unknown>;
      } catch (e) {
        throw Errors.syntax(`EXECUTE TASK ... USING CONFIG: the configuration is not valid JSON (${(e as Error).message})`);
      }
      if (config === null || typeof config !== 'object' || Array.isArray(config))
        throw Errors.syntax('EXECUTE TASK ... USING CONFIG: the configuration must be a JSON object');
    }
    const rootKey = `${root.database}.${root.schema}.${root.name}`;
    // EXECUTE TASK: the caller needs OWNERSHIP or OPERATE on the task, and the task's owner the
    // global EXECUTE TASK privilege (https://docs.snowflake.com/en/sql-reference/sql/execute-task).
    this.auth.need(s, 'OPERATE', 'TASK', rootKey);
    this.auth.ownerMayExecute('TASK', rootKey);
    // The graph run is visible (CURRENT_TASK_GRAPHS) from here until its last task has finished.
    const run: GraphRun = {
      ROOT_TASK_NAME: root.name,
      DATABASE_NAME: root.database,
      SCHEMA_NAME: root.schema,
      STATE: 'SCHEDULED',
      SCHEDULED_FROM: 'EXECUTE_TASK',
      FIRST_ERROR_TASK_NAME: null,
      FIRST_ERROR_CODE: null,
      FIRST_ERROR_MESSAGE: null,
      SCHEDULED_TIME: new Date().toISOString(),
      QUERY_START_TIME: null,
      COMPLETED_TIME: null,
      ROOT_TASK_ID: root.id,
      ATTEMPT_NUMBER: 1,
      GRAPH_RUN_GROUP_ID: crypto.randomUUID(),
    };
    this.graphRuns.push(run);
    this.runningGraphs.push(this.runGraph(root, run, config));
    return statusResult(`Task ${root.name} is scheduled to run immediately.`);
  }

  private dropService(s: SessionState, ref: string, ifExists: boolean): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    const svc = this.services.get(key);
    if (!svc) {
      if (ifExists) return statusResult('Drop statement executed successfully (service does not exist).');
      throw Errors.objectMissing(`Service '${key}'`);
    }
    // DROP SERVICE needs OWNERSHIP (https://docs.snowflake.com/en/sql-reference/sql/drop-service).
    this.auth.own(s, 'SERVICE', key);
    if (svc.child) killContainer(svc.child);
    this.services.delete(key);
    this.auth.dropped('SERVICE', key);
    return statusResult(`${key} successfully dropped.`);
  }

  private describeService(s: SessionState, ref: string): SfResult {
    const svc = this.monitored(s, ref);
    return this.table(
      ['name', 'compute_pool', 'status', 'is_job', 'owner', 'comment'],
      [[svc.name, svc.pool, svc.status, String(!svc.inference), svc.owner, svc.comment ?? null]],
    );
  }

  private showServiceContainers(s: SessionState, ref: string): SfResult {
    // https://docs.snowflake.com/en/sql-reference/sql/show-service-containers-in-service: OWNERSHIP or MONITOR on the service.
    const svc = this.monitored(s, ref);
    const [db, schema, name] = svc.name.split('.');
    const status = svc.status === 'RUNNING' ? 'READY' : svc.status;
    return this.table(
      [
        'database_name',
        'schema_name',
        'service_name',
        'service_status',
        'instance_id',
        'instance_status',
        'container_name',
        'status',
        'message',
        'image_name',
        'image_digest',
        'restart_count',
        'start_time',
        'last_exit_code',
        'last_restart_time',
      ],
      [
        [
          db,
          schema,
          name,
          svc.status,
          '0',
          svc.status === 'RUNNING' ? 'READY' : svc.status,
          svc.container,
          status,
          svc.message,
          svc.image,
          null,
          '0',
          svc.startedOn,
          svc.exitCode === null ? null : String(svc.exitCode),
          null,
        ],
      ],
    );
  }

  private showServices(s: SessionState, schemaRef: string | undefined): SfResult {
    // SHOW lists only the objects the role has a privilege on; IN SCHEMA narrows to one schema
    // (https://docs.snowflake.com/en/sql-reference/sql/show-services). `name` is qualified here.
    const schema = schemaRef ? this.engine.qualify(s, `${schemaRef}.X`).slice(0, 2).join('.') + '.' : '';
    const visible = [...this.services.values()].filter(
      (v) => v.name.startsWith(schema) && (!this.auth.checked(s) || this.engine.access.any(s.role!, 'SERVICE', v.name)),
    );
    return this.table(
      ['name', 'compute_pool', 'status', 'is_job', 'owner', 'comment'],
      visible.map((v) => [v.name, v.pool, v.status, String(!v.inference), v.owner, v.comment ?? null]),
    );
  }

  private createModel(
    s: SessionState,
    d: { replace: boolean; ifNotExists: boolean; ref: string; version: string | undefined; statement: string; from: string },
  ): SfResult {
    const key = this.engine.qualify(s, d.ref).join('.');
    const existed = this.models.models.has(key);
    // CREATE MODEL: CREATE MODEL on the schema (https://docs.snowflake.com/en/sql-reference/sql/create-model).
    this.auth.create(s, 'MODEL', key, existed && d.replace);
    // The FROM clause is required: a model is made from another model's version or from a stage's files.
    const source = modelVersionSource(this.engine, this.models, s, d.statement, d.from);
    if (existed && !d.replace && !d.ifNotExists) throw Errors.alreadyExists(key);
    if (existed && !d.replace) return statusResult(`${key} already exists, statement succeeded.`);
    if (d.replace) this.models.models.delete(key);
    this.models.models.set(key, { name: key, versions: [] });
    this.auth.created(s, 'MODEL', key);
    // Every model has at least one version, the first its default.
    this.models.addVersion(key, versionName(d.version, source), source.metadata, source.artifactsDir);
    return statusResult(`Model ${key} successfully created.`);
  }

  private alterModelStatement(s: SessionState, ref: string, ifExists: boolean, action: string, statement: string): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    if (!this.models.models.has(key) && ifExists) return statusResult('Statement executed successfully.');
    // ALTER MODEL (versions, aliases, default version, metadata) needs OWNERSHIP of the model
    // (https://docs.snowflake.com/en/sql-reference/sql/alter-model).
    if (this.models.models.has(key)) this.auth.own(s, 'MODEL', key);
    const add = new RegExp(`^ADD\\s+VERSION\\s+(${IDENT})(?![A-Za-z0-9_$.])([\\s\\S]*)$`, 'i').exec(action);
    if (add) {
      this.models.get(key);
      // ADD VERSION needs its FROM clause (https://docs.snowflake.com/en/sql-reference/sql/alter-model-add-version).
      const source = modelVersionSource(this.engine, this.models, s, statement, add[2]);
      this.models.addVersion(key, nameParts(add[1])[0], source.metadata, source.artifactsDir);
      return statusResult('Statement executed successfully.');
    }
    return this.alterModel(key, action);
  }

  private showVersions(s: SessionState, ref: string): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    if (this.models.models.has(key)) this.auth.need(s, 'USAGE', 'MODEL', key);
    const model = this.models.get(key);
    return this.table(
      ['name', 'aliases', 'is_default_version', 'metadata', 'created_on'],
      model.versions.map((v) => [
        v.name,
        JSON.stringify(v.alias ? [v.alias] : []),
        String(v.name === model.defaultVersion),
        JSON.stringify(v.metadata),
        v.createdOn,
      ]),
    );
  }

  private showModels(s: SessionState): SfResult {
    const visible = [...this.models.models.values()].filter((x) => !this.auth.checked(s) || this.engine.access.any(s.role!, 'MODEL', x.name));
    return this.table(
      ['name', 'default_version_name', 'versions'],
      visible.map((x) => [x.name, x.defaultVersion ?? null, JSON.stringify(x.versions.map((v) => v.name))]),
    );
  }

  private dropModel(s: SessionState, ref: string, ifExists: boolean): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    if (this.models.models.has(key)) this.auth.own(s, 'MODEL', key);
    if (!this.models.models.delete(key) && !ifExists) throw Errors.objectMissing(`Model '${key}'`);
    this.auth.dropped('MODEL', key);
    return statusResult(`${key} successfully dropped.`);
  }

  private dropProcedure(s: SessionState, ref: string, ifExists: boolean): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    if (this.procedures.has(key)) this.auth.own(s, 'PROCEDURE', key);
    if (!this.procedures.delete(key) && !ifExists) throw Errors.objectMissing(`Procedure '${key}'`);
    this.auth.dropped('PROCEDURE', key);
    return statusResult(`${key.split('.').pop()} successfully dropped.`);
  }

  /** Durable part of the catalog (tasks, task history, graph runs, models), saved beside the databases. */
  toJSON(): unknown {
    return {
      tasks: [...this.tasks.entries()],
      history: this.history,
      graphRuns: this.graphRuns,
      models: [...this.models.models.entries()],
      procedures: [...this.procedures.entries()],
      serving: this.serving.toJSON(),
      alerts: this.alerts.toJSON(),
      modelMonitors: this.modelMonitors.toJSON(),
      functions: this.javascriptFunctions.toJSON(),
    };
  }

  load(state: {
    tasks?: [string, Task][];
    history?: HistoryRow[];
    graphRuns?: GraphRun[];
    models?: [string, ModelEntry][];
    procedures?: [string, ProcedureEntry][];
    serving?: Parameters<ModelServing['load']>[0];
    alerts?: Parameters<LocalAlerts['load']>[0];
    modelMonitors?: Parameters<LocalModelMonitors['load']>[0];
    functions?: Parameters<JavascriptFunctions['load']>[0];
  }): void {
    this.alerts.load(state.alerts);
    this.modelMonitors.load(state.modelMonitors);
    this.javascriptFunctions.load(state.functions);
    // Inference services run until dropped: they are back after a restart, as their gateways are.
    this.serving.load(state.serving);
    for (const [k, p] of state.procedures ?? []) this.procedures.set(k, p);
    // Files written before tasks had ids get one: they only join history rows of later runs.
    for (const [k, t] of state.tasks ?? []) this.tasks.set(k, { ...t, id: t.id ?? crypto.randomUUID() });
    // Runs cut off by a restart are not resumed: they end FAILED, so no graph shows as running forever.
    const restarted = 'server restarted';
    const now = new Date().toISOString();
    this.history.push(
      ...(state.history ?? []).map((h): HistoryRow => (h.STATE === 'EXECUTING' ? { ...h, STATE: 'FAILED', ERROR_MESSAGE: restarted, COMPLETED_TIME: now } : h)),
    );
    this.graphRuns.push(
      ...(state.graphRuns ?? []).map(
        (g): GraphRun =>
          g.COMPLETED_TIME === null ? { ...g, STATE: 'FAILED', FIRST_ERROR_MESSAGE: g.FIRST_ERROR_MESSAGE ?? restarted, COMPLETED_TIME: now } : g,
      ),
    );
    for (const [k, m] of state.models ?? []) this.models.models.set(k, m);
  }

  /** Waits for task graphs and job services started so far (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.runningGraphs);
    await this.alerts.settle();
    await Promise.allSettled([...this.services.values()].map((v) => v.finished));
  }

  killAll(): void {
    for (const svc of this.services.values()) if (svc.child) killContainer(svc.child);
  }

  /** Kills a running job service's process, as a failed container would die. */
  killService(name: string): boolean {
    const svc = [...this.services.values()].find((v) => v.name === name.toUpperCase() || `${v.name}` === name);
    if (!svc?.child) return false;
    killContainer(svc.child);
    return true;
  }

  /** A service the session's role may watch: OWNERSHIP or MONITOR on it. */
  private monitored(s: SessionState, ref: string): Service {
    const key = this.engine.qualify(s, ref).join('.');
    const svc = this.services.get(key);
    if (!svc) throw Errors.objectMissing(`Service '${key}'`);
    this.auth.need(s, 'MONITOR', 'SERVICE', key);
    return svc;
  }

  /**
   * CREATE [OR REPLACE] PROCEDURE name(args) ... [EXECUTE AS OWNER | CALLER] AS ...: recorded with its
   * signature and rights (owner's by default); CREATE PROCEDURE on the schema
   * (https://docs.snowflake.com/en/sql-reference/sql/create-procedure). The body does not run here:
   * CALL dispatches to the stand-in registered for the name (ObjectsOptions.procedures).
   */
  private createProcedure(s: SessionState, replace: boolean, ifNotExists: boolean, ref: string, args: string, rest: string): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    const existed = this.procedures.has(key);
    this.auth.create(s, 'PROCEDURE', key, existed && replace);
    if (existed && ifNotExists) return statusResult(`${key.split('.').pop()} already exists, statement succeeded.`);
    if (existed && !replace) throw Errors.alreadyExists(key);
    // The header ends where the body starts (AS $$ / AS '); EXECUTE AS is read from the header only.
    const header = rest.split(/\bAS\s*(?:\$\$|')/i)[0];
    const executeAs = /\bEXECUTE\s+AS\s+(?:RESTRICTED\s+)?CALLER\b/i.test(header) ? 'CALLER' : 'OWNER';
    const argumentTypes =
      args.trim() === ''
        ? []
        : args.split(',').map((a) =>
            a
              .trim()
              .split(/\s+/)
              .slice(1)
              .join(' ')
              .replace(/\s+DEFAULT\b[\s\S]*$/i, '')
              .toUpperCase(),
          );
    const body = /\bAS\s*\$\$([\s\S]*)\$\$\s*$/i.exec(rest);
    this.procedures.set(key, { name: key, argumentTypes, executeAs, ...(body ? { definition: body[1] } : {}) });
    this.auth.created(s, 'PROCEDURE', key);
    return statusResult(`Function ${key.split('.').pop()} successfully created.`);
  }

  private task(s: SessionState, ref: string): Task {
    const key = this.engine.qualify(s, ref).join('.');
    const t = this.tasks.get(key);
    if (!t) throw Errors.objectMissing(`Task '${key}'`);
    return t;
  }

  private table(names: string[], rows: (string | null)[][]): SfResult {
    const text = statusResult('').columns[0];
    return { columns: names.map((n) => ({ ...text, name: n })), rows, statementTypeId: 0x1000 };
  }

  private async runGraph(root: Task, run: GraphRun, config?: Readonly<Record<string, unknown>>): Promise<void> {
    const rootKey = `${root.database}.${root.schema}.${root.name}`;
    const children = (key: string) => [...this.tasks.entries()].filter(([, t]) => t.after.includes(key)).map(([k]) => k);
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (k: string) => {
      for (const c of children(k)) {
        const t = this.tasks.get(c)!;
        if (!seen.has(c) && t.after.every((p) => seen.has(p) || p === k)) {
          seen.add(c);
          order.push(c);
          visit(c);
        }
      }
    };
    seen.add(rootKey);
    visit(rootKey);
    const state = new Map<string, string>();
    const runOne = async (key: string): Promise<void> => {
      const t = this.tasks.get(key)!;
      const started = new Date().toISOString();
      const row: HistoryRow = {
        NAME: t.name,
        DATABASE_NAME: t.database,
        SCHEMA_NAME: t.schema,
        STATE: 'EXECUTING',
        ERROR_CODE: null,
        ERROR_MESSAGE: null,
        SCHEDULED_TIME: key === rootKey ? run.SCHEDULED_TIME : started,
        QUERY_START_TIME: started,
        COMPLETED_TIME: null,
        ROOT_TASK_ID: root.id,
        SCHEDULED_FROM: 'EXECUTE_TASK',
        ATTEMPT_NUMBER: run.ATTEMPT_NUMBER,
        GRAPH_RUN_GROUP_ID: run.GRAPH_RUN_GROUP_ID,
      };
      this.history.push(row);
      if (key === rootKey) Object.assign(run, { STATE: 'EXECUTING', QUERY_START_TIME: started });
      // Every failure ends in the row (and the run), so no run stays EXECUTING.
      let session: SessionState | undefined;
      try {
        session = await this.engine.newSession();
        // Tasks run with the privileges of their owner (https://docs.snowflake.com/en/user-guide/tasks-intro).
        session.role = this.engine.access.ownerOf('TASK', key);
        session.baseRole = session.role;
        session.fixedRole = 'task';
        session.taskGraphConfig = config;
        // A user-managed task runs on its WAREHOUSE, which its owner must be able to use (else its
        // statements fail with 000606); a task without one is serverless and needs none.
        if (t.warehouse === undefined) session.serverless = true;
        else if (this.engine.access.has(session.role, 'USAGE', 'WAREHOUSE', t.warehouse)) session.warehouse = t.warehouse;
        await this.engine.execute(session, `USE SCHEMA "${t.database}"."${t.schema}"`);
        await this.executeScript(session, t.sql);
        row.STATE = 'SUCCEEDED';
      } catch (e) {
        row.STATE = 'FAILED';
        row.ERROR_CODE = e instanceof SfError ? e.code : '000603';
        row.ERROR_MESSAGE = (e as Error).message;
        if (run.FIRST_ERROR_TASK_NAME === null)
          Object.assign(run, { FIRST_ERROR_TASK_NAME: t.name, FIRST_ERROR_CODE: row.ERROR_CODE, FIRST_ERROR_MESSAGE: row.ERROR_MESSAGE });
      } finally {
        row.COMPLETED_TIME = new Date().toISOString();
        state.set(key, row.STATE);
        if (session) this.engine.closeSession(session);
      }
    };
    await runOne(rootKey);
    // Children run when every predecessor succeeded; siblings run in parallel, as in Snowflake.
    const pending = new Set(order.filter((k) => this.tasks.get(k)!.started));
    while (pending.size > 0) {
      const ready = [...pending].filter((k) =>
        this.tasks.get(k)!.after.every((p) => state.get(p) === 'SUCCEEDED' || (!pending.has(p) && !this.tasks.get(p)?.started && p !== rootKey)),
      );
      const blocked = [...pending].filter((k) => this.tasks.get(k)!.after.some((p) => state.get(p) === 'FAILED'));
      for (const b of blocked) pending.delete(b);
      if (ready.length === 0) break;
      for (const r of ready) pending.delete(r);
      await Promise.all(ready.map(runOne));
    }
    const fin = [...this.tasks.entries()].find(([, t]) => t.finalize === rootKey && t.started);
    if (fin) await runOne(fin[0]);
    // The run completes only now, with its last task: FAILED when any task of it failed.
    Object.assign(run, { STATE: run.FIRST_ERROR_TASK_NAME === null ? 'SUCCEEDED' : 'FAILED', COMPLETED_TIME: new Date().toISOString() });
  }

  /**
   * A statement fault (server.faults.failStatement) for a statement of a task body: the task's
   * statements never pass the server's request path, where client statements meet their faults.
   */
  private injectedFault(sql: string): void {
    const fault = this.engine.faults?.statementFault(sql);
    if (fault) throw new SfError(fault.code, fault.message ?? `injected failure ${fault.code}`, fault.sqlState ?? '57P01');
  }

  /** Runs a task body: one statement or a BEGIN ... END block, each statement through the server's paths. */
  private async executeScript(s: SessionState, sql: string): Promise<void> {
    // A block with declarations runs through the Snowflake Scripting interpreter (./scripting.ts).
    const block = scriptingBlockOf(sql);
    if (block !== undefined) {
      await runScriptingBlock(block, async (st) => {
        this.injectedFault(st);
        return (await this.handle(s, st.trim())) ?? this.engine.execute(s, st);
      });
      return;
    }
    const body = /^BEGIN\s+([\s\S]*\S)\s*END;?$/i.exec(sql.trim());
    const statements = body ? splitStatements(body[1]) : [sql];
    for (const st of statements) {
      this.injectedFault(st);
      const handled = await this.handle(s, st.trim());
      if (!handled) await this.engine.execute(s, st);
    }
  }

  private async executeJob(s: SessionState, pool: string, options: string, specText: string): Promise<SfResult> {
    const nameRef = new RegExp(`\\bNAME\\s*=\\s*(${QNAME})`, 'i').exec(options)?.[1];
    if (!nameRef) throw Errors.syntax('EXECUTE JOB SERVICE needs NAME = <name>');
    // "NAME does not support quoted names" (https://docs.snowflake.com/en/sql-reference/sql/execute-job-service).
    if (nameRef.includes('"')) throw Errors.syntax(`EXECUTE JOB SERVICE NAME = ${nameRef}: NAME does not support quoted names.`);
    const key = this.engine.qualify(s, nameRef).join('.');
    const isAsync = /\bASYNC\s*=\s*TRUE\b/i.test(options);
    // Access control of EXECUTE JOB SERVICE (same page): CREATE SERVICE on the schema (USAGE on its
    // database), USAGE on the compute pool, READ on the image repository, USAGE on the query
    // warehouse. The job is owned by the role that executes it.
    this.auth.create(s, 'SERVICE', key);
    this.auth.need(s, 'USAGE', 'COMPUTE POOL', pool);
    // QUERY_WAREHOUSE is the containers' session warehouse; without it they must USE WAREHOUSE
    // themselves (the executing session's warehouse is not theirs).
    const warehouse = new RegExp(`\\bQUERY_WAREHOUSE\\s*=\\s*(${IDENT})`, 'i').exec(options)?.[1];
    const wh = warehouse ? nameParts(warehouse)[0] : undefined;
    if (wh) this.auth.need(s, 'USAGE', 'WAREHOUSE', wh);
    if (this.services.has(key)) throw Errors.alreadyExists(key);
    const yamlText = readLiteral(specText);
    let spec: {
      spec?: {
        containers?: {
          name: string;
          image: string;
          command?: string[];
          args?: string[];
          env?: Record<string, unknown>;
          volumeMounts?: { name: string; mountPath: string }[];
        }[];
        volumes?: { name: string; source: string; stageConfig?: { name?: string } }[];
      };
    };
    try {
      spec = parseYaml(yamlText);
    } catch (e) {
      throw new SfError('395018', `Invalid spec: ${(e as Error).message}`, '22000');
    }
    const container = spec.spec?.containers?.[0];
    if (!container?.image) throw new SfError('395018', 'Invalid spec: spec.containers[0].image is required', '22000');
    // `/db/schema/repo/image:tag` names its image repository DB.SCHEMA.REPO: the owner needs READ on it.
    const repoParts = container.image
      .replace(/^[^/]*\.registry[^/]*/, '')
      .split('/')
      .filter((p) => p.length > 0);
    if (repoParts.length >= 4)
      this.auth.need(
        s,
        'READ',
        'IMAGE REPOSITORY',
        repoParts
          .slice(0, 3)
          .map((p) => p.toUpperCase())
          .join('.'),
      );
    // Stage volumes: the deprecated v1 form (`source: "@stage"`) is refused since bundle 2026_08
    // (https://docs.snowflake.com/en/release-notes/bcr-bundles/2026_08/bcr-2449); v2 is `source: stage`
    // with `stageConfig: { name: "@stage" }`
    // (https://docs.snowflake.com/en/developer-guide/snowpark-container-services/snowflake-stage-volume).
    for (const vol of spec.spec?.volumes ?? []) {
      if (typeof vol.source === 'string' && vol.source.startsWith('@'))
        throw new SfError('395018', 'Invalid spec: stage mount v1 not supported, please use v2 instead', '22000');
      if (String(vol.source).toLowerCase() === 'stage' && !vol.stageConfig?.name)
        throw new SfError('395018', `Invalid spec: volume ${vol.name}: source stage needs stageConfig.name`, '22000');
    }
    const mapped = Object.entries(this.opts.imageCommands ?? {}).find(([k]) => container.image === k || container.image.startsWith(k));
    const image = mapped ?? (this.opts.defaultImageCommand ? ([container.image, this.opts.defaultImageCommand] as const) : undefined);
    if (!image) throw new SfError('395019', `Image '${container.image}' is not mapped to a local command (LocalServerOptions.imageCommands)`, '22000');
    const owner = s.role ?? 'ACCOUNTADMIN';
    const mounts: { mount: { name: string; mountPath: string }; dir: string }[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const vol = spec.spec?.volumes?.find((v) => v.name === mount.name);
      if (String(vol?.source).toLowerCase() !== 'stage') continue;
      // The service owner needs READ on a mounted stage, and WRITE: a local mount is the stage's
      // directory and writable, so every mount is taken as a read-write one
      // (https://docs.snowflake.com/en/developer-guide/snowpark-container-services/snowflake-stage-volume).
      const stage = String(vol!.stageConfig!.name).split('/')[0];
      this.engine.stageDir(s, stage, 'READ');
      mounts.push({ mount, dir: this.engine.stageDir(s, stage, 'WRITE').dir });
    }
    // The job's container connects as its owner role (a task-started job: the task owner).
    const conn = this.opts.containerConnection(owner, wh);
    const tokenDir = fs.mkdtempSync(path.join(this.engine.stageRoot, '..', `.svc-`));
    const tokenFile = path.join(tokenDir, 'token');
    fs.writeFileSync(tokenFile, conn.token, { mode: 0o600 });
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(container.env ?? {})) env[k] = String(v);
    for (const { mount, dir } of mounts) {
      env[`SNOWFLAKE_MOUNT_${mount.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = dir;
      // A container sees the stage at its mountPath; locally that path is the stage directory.
      for (const [k, v] of Object.entries(env)) if (v === mount.mountPath) env[k] = dir;
    }
    const childEnv = {
      ...process.env,
      SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
      ...(image[1].env ?? {}),
      ...env,
      SNOWFLAKE_HOST: conn.host,
      SNOWFLAKE_PORT: String(conn.port),
      SNOWFLAKE_PROTOCOL: 'http',
      SNOWFLAKE_ACCOUNT: conn.account,
      SNOWFLAKE_DATABASE: s.database ?? '',
      SNOWFLAKE_SCHEMA: s.schema ?? '',
      SNOWFLAKE_TOKEN_FILE: tokenFile,
      SNOWFLAKE_SERVICE_NAME: key,
    };
    const argv = [...image[1].command, ...(container.command ? [] : []), ...(container.args ?? [])];
    this.auth.created(s, 'SERVICE', key);
    const svc: Service = {
      name: key,
      owner,
      image: container.image,
      startedOn: new Date().toISOString(),
      pool,
      status: 'PENDING',
      message: 'Pending scheduling',
      container: container.name,
      logs: [],
      exitCode: null,
      finished: Promise.resolve(),
    };
    this.services.set(key, svc);
    svc.finished = new Promise<void>((resolve) => {
      const child = spawnContainer(argv, image[1].cwd, childEnv);
      svc.child = child;
      svc.status = 'RUNNING';
      svc.message = 'Running';
      const keep = (d: Buffer) => {
        svc.logs.push(
          ...d
            .toString('utf8')
            .split('\n')
            .filter((l) => l.length > 0),
        );
        if (svc.logs.length > 2000) svc.logs.splice(0, svc.logs.length - 2000);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.on('error', (e) => {
        svc.status = 'FAILED';
        svc.message = `could not start: ${e.message}`;
        resolve();
      });
      child.on('close', (code, signal) => {
        svc.exitCode = code;
        svc.status = code === 0 ? 'DONE' : 'FAILED';
        svc.message = code === 0 ? 'Completed successfully' : `Container exited with ${signal ? `signal ${signal}` : `code ${code}`}`;
        svc.child = undefined;
        fs.rmSync(tokenDir, { recursive: true, force: true });
        resolve();
      });
    });
    if (isAsync) return statusResult(`Job ${key} started asynchronously.`);
    await svc.finished;
    if (svc.status === 'FAILED') {
      throw new SfError('395002', `Job ${key} failed: ${svc.message}. Last log lines:\n${svc.logs.slice(-10).join('\n')}`, '57P01');
    }
    return statusResult(`Job ${key} completed successfully with status: DONE.`);
  }

  private alterModel(key: string, rest: string): SfResult {
    let m: RegExpExecArray | null;
    const model = this.models.get(key);
    if ((m = new RegExp(`^VERSION\\s+(${IDENT})\\s+SET\\s+ALIAS\\s*=\\s*'?(${IDENT})'?$`, 'i').exec(rest))) {
      const v = this.models.resolve(key, nameParts(m[1])[0]);
      const alias = nameParts(m[2])[0];
      if (model.versions.some((x) => x.alias === alias && x !== v))
        throw new SfError('002002', `Alias ${alias} is already used by another version of model ${key}.`, '42710');
      v.alias = alias;
    } else if ((m = new RegExp(`^VERSION\\s+(${IDENT})\\s+UNSET\\s+ALIAS$`, 'i').exec(rest))) {
      const v = this.models.resolve(key, nameParts(m[1])[0]);
      v.alias = undefined;
    } else if ((m = new RegExp(`^SET\\s+DEFAULT_VERSION\\s*=\\s*'?(${IDENT})'?$`, 'i').exec(rest))) {
      model.defaultVersion = this.models.resolve(key, nameParts(m[1])[0]).name;
    } else if ((m = new RegExp(`^MODIFY\\s+VERSION\\s+(${IDENT})\\s+SET\\s+METADATA\\s*=\\s*(\\$\\$[\\s\\S]*\\$\\$|'[\\s\\S]*')$`, 'i').exec(rest))) {
      const v = this.models.resolve(key, nameParts(m[1])[0]);
      const text = readLiteral(m[2]);
      try {
        v.metadata = JSON.parse(text);
      } catch (e) {
        // The statement's mistake, not the server's: Snowflake's JSON parse error.
        throw new SfError('100069', `Error parsing JSON: ${(e as Error).message}`, '22P02');
      }
    } else if ((m = new RegExp(`^DROP\\s+VERSION\\s+(${IDENT})$`, 'i').exec(rest))) {
      const v = this.models.resolve(key, nameParts(m[1])[0]);
      model.versions.splice(model.versions.indexOf(v), 1);
    } else {
      throw Errors.notSupported(`ALTER MODEL ${rest.split(/\s+/).slice(0, 2).join(' ').toUpperCase()}`);
    }
    return statusResult('Statement executed successfully.');
  }

  private async call(s: SessionState, ref: string, argText: string): Promise<SfResult> {
    const parts = nameParts(ref);
    const full = this.engine.qualify(s, ref).join('.');
    const declared = this.procedures.get(full);
    const handler =
      this.opts.procedures?.[full] ??
      this.opts.procedures?.[parts[parts.length - 1]] ??
      (declared?.definition !== undefined ? this.opts.procedureFromDefinition?.(declared.definition) : undefined);
    // CALL needs USAGE on the procedure (and on its database and schema):
    // https://docs.snowflake.com/en/sql-reference/sql/call. A stand-in never created with CREATE
    // PROCEDURE is ACCOUNTADMIN's (local-server/access-control.ts) and runs with the caller's rights.
    if (declared || handler) this.auth.need(s, 'USAGE', 'PROCEDURE', full);
    if (!handler)
      throw declared
        ? Errors.notSupported(`CALL ${full}: no stand-in is registered for it (LocalServerOptions.procedures)`)
        : Errors.objectMissing(`Procedure '${full}'`);
    const executeAs = declared?.executeAs ?? 'CALLER';
    const role = executeAs === 'OWNER' ? this.engine.access.ownerOf('PROCEDURE', full) : (s.role ?? 'ACCOUNTADMIN');
    // The procedure's statements run on the caller's session as the effective role.
    const ps: SessionState = Object.assign(Object.create(Object.getPrototypeOf(s)) as SessionState, s, {
      role: s.role === undefined ? undefined : role,
      ownersRights: executeAs === 'OWNER',
      fixedRole: executeAs === 'OWNER' ? "owner's rights stored procedure" : s.fixedRole,
    });
    const args: (string | number | null)[] = [];
    const re = new RegExp(String.raw`\s*(?:(${ANY_LITERAL})|(-?\d+(?:\.\d+)?)|(NULL))\s*(?:,|$)`, 'giy');
    let m: RegExpExecArray | null;
    while (re.lastIndex < argText.length && (m = re.exec(argText)))
      args.push(m[1] !== undefined ? readLiteral(m[1]) : m[2] !== undefined ? Number(m[2]) : null);
    let temporaries = 0;
    const ctx: ProcedureContext = {
      role,
      executeAs,
      query: async (sql) => {
        const r = (await this.handle(ps, sql)) ?? (await this.engine.execute(ps, sql));
        return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
      },
      stageDir: (stage, privilege = 'READ') => this.engine.stageDir(ps, stage, privilege).dir,
      createTemporary: (kind, schema) => {
        const name = `SNOWPARK_TEMP_${kind}_${crypto.randomBytes(5).toString('hex').toUpperCase()}_${++temporaries}`;
        if (ps.ownersRights) throw ownersRightsTemporary(kind.toLowerCase(), name);
        // Creating it needs CREATE STAGE (TABLE) on its schema, as any CREATE TEMPORARY STAGE does
        // (https://docs.snowflake.com/en/sql-reference/sql/create-stage, access control requirements).
        const full = this.engine.qualify(ps, schema ? `${schema}.${name}` : name).join('.');
        this.auth.create(ps, kind, full);
        return name;
      },
      addModelVersion: (model, version, metadata, artifactsDir) => {
        const key = this.engine.qualify(ps, model).join('.');
        if (this.models.models.has(key)) this.auth.own(ps, 'MODEL', key);
        else this.auth.create(ps, 'MODEL', key);
        const isNew = !this.models.models.has(key);
        const v = this.models.addVersion(key, version, metadata, artifactsDir);
        if (isNew) this.auth.created(ps, 'MODEL', key);
        return v;
      },
      models: new ModelCatalog(),
      createModelService: (request) => this.serving.createService(ps, request),
    };
    Object.assign(ctx, { models: this.visibleModels(ps, ctx.addModelVersion) });
    // The stand-in's own exception is the procedure's, as a Python handler's would be (not 000603).
    const out = await Promise.resolve()
      .then(() => handler(args, ctx))
      .catch((e: unknown) => Promise.reject(standInError(e)));
    return this.table([parts[parts.length - 1]], [[out === null ? null : String(out)]]);
  }

  /** The models the session's role may use (USAGE or ownership), sharing their entries. */
  private visibleModels(s: SessionState, addVersion: ModelCatalog['addVersion']): ModelCatalog {
    const view = new ModelCatalog();
    for (const [k, m] of this.models.models) if (!this.auth.checked(s) || this.engine.access.has(s.role, 'USAGE', 'MODEL', k)) view.models.set(k, m);
    // Registering through the view is registering through ctx.addModelVersion, with its checks.
    return Object.assign(view, { addVersion });
  }

  private async copyIntoStage(s: SessionState, target: string, select: string, format: string, options: string): Promise<SfResult> {
    if (!/TYPE\s*=\s*'?JSON'?/i.test(format)) throw Errors.notSupported(`COPY INTO @stage with FILE_FORMAT (${format.trim()})`);
    const slash = target.indexOf('/');
    const stageRef = slash < 0 ? target : target.slice(0, slash);
    const rel = slash < 0 ? '' : target.slice(slash + 1);
    const { dir } = this.engine.stageDir(s, stageRef, 'WRITE');
    this.engine.requireWarehouse(s);
    if (!/SINGLE\s*=\s*TRUE/i.test(options) || !rel || rel.endsWith('/')) throw Errors.notSupported('COPY INTO @stage without SINGLE = TRUE and a file name');
    const file = insideStage(dir, rel);
    if (fs.existsSync(file) && !/OVERWRITE\s*=\s*TRUE/i.test(options))
      throw new SfError('001030', `Files already existing at the unload destination: ${rel}. Use overwrite option to force unloading.`, '22000');
    const q = await this.rewriteQuery(s, select);
    const r = await this.engine.execute(s, q.sql, undefined, q.tables);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, r.rows.map((row) => row[0] ?? 'null').join('\n') + '\n');
    fs.renameSync(tmp, file);
    return this.table(['rows_unloaded', 'input_bytes', 'output_bytes'], [[String(r.rows.length), '0', String(fs.statSync(file).size)]]);
  }

  /** Replaces service-status calls, task history tables and PREDICT with inline values (PREDICT's as an inline table: `tables`). */
  private async rewriteQuery(s: SessionState, sql: string): Promise<{ sql: string; tables?: InlineTables }> {
    let out = sql.replace(new RegExp(String.raw`SYSTEM\$GET_SERVICE_STATUS\s*\(\s*(${STRING_LITERAL})\s*(?:,\s*\d+\s*)?\)`, 'gi'), (_m, ref: string) => {
      const svc = this.monitored(s, readLiteral(ref));
      return lit(
        JSON.stringify([{ status: svc.status, message: svc.message, containerName: svc.container, instanceId: '0', serviceName: svc.name, restartCount: 0 }]),
      );
    });
    out = out.replace(
      new RegExp(String.raw`SYSTEM\$GET_SERVICE_LOGS\s*\(\s*(${STRING_LITERAL})\s*,\s*\d+\s*,\s*${STRING_LITERAL}(?:\s*,\s*(\d+))?\s*\)`, 'gi'),
      (_m, ref: string, n?: string) => {
        const svc = this.monitored(s, readLiteral(ref));
        return lit(svc.logs.slice(-Number(n ?? 100)).join('\n'));
      },
    );
    out = out.replace(new RegExp(TASK_FUNCTION, 'gi'), (_m, which: string, args: string) =>
      this.taskFunctionTable(s, which.toUpperCase() as keyof typeof TASK_FUNCTION_COLUMNS, args),
    );
    if (/!PREDICT\s*\(/i.test(out)) return this.rewritePredict(s, out);
    return { sql: out };
  }

  /**
   * The rows of TASK_HISTORY, CURRENT_TASK_GRAPHS or COMPLETE_TASK_GRAPHS as an inline table with
   * Snowflake's column names and types. Arguments as Snowflake applies them, before any WHERE:
   * TASK_NAME / ROOT_TASK_NAME (unqualified, case-insensitive), ROOT_TASK_ID, ERROR_ONLY, and
   * RESULT_LIMIT over the newest rows (TASK_HISTORY defaults to 100, the graph functions to 1000).
   */
  private taskFunctionTable(s: SessionState, which: keyof typeof TASK_FUNCTION_COLUMNS, argText: string): string {
    const args = new Map<string, string>();
    for (const m of argText.matchAll(new RegExp(String.raw`(\w+)\s*=>\s*(${STRING_LITERAL}|[^,]+)`, 'g'))) {
      const v = m[2].trim();
      args.set(m[1].toUpperCase(), v.startsWith("'") ? readLiteral(v) : v);
    }
    const known = ['RESULT_LIMIT', 'ERROR_ONLY', ...(which === 'TASK_HISTORY' ? ['TASK_NAME', 'ROOT_TASK_ID'] : ['ROOT_TASK_NAME'])];
    const unknown = [...args.keys()].filter((k) => !known.includes(k));
    if (unknown.length > 0) throw Errors.notSupported(`${which} argument ${unknown.join(', ')}`);
    type Row = Record<string, string | number | null>;
    let rows: Row[];
    if (which === 'TASK_HISTORY') {
      rows = [...this.history].sort((a, b) => b.SCHEDULED_TIME.localeCompare(a.SCHEDULED_TIME)) as unknown as Row[];
    } else {
      const current = which === 'CURRENT_TASK_GRAPHS';
      rows = this.graphRuns
        .filter((g) => (g.COMPLETED_TIME === null) === current)
        .sort((a, b) =>
          current ? b.SCHEDULED_TIME.localeCompare(a.SCHEDULED_TIME) : (b.COMPLETED_TIME ?? '').localeCompare(a.COMPLETED_TIME ?? ''),
        ) as unknown as Row[];
    }
    // Only the runs of tasks the role owns or holds MONITOR or OPERATE on (bundle 2025_01:
    // https://docs.snowflake.com/en/release-notes/bcr-bundles/2025_01/bcr-1799); the graph
    // functions by their root task.
    if (this.auth.checked(s)) {
      const role = s.role;
      const visible = (r: Row) => {
        const key = `${r.DATABASE_NAME}.${r.SCHEMA_NAME}.${which === 'TASK_HISTORY' ? r.NAME : r.ROOT_TASK_NAME}`;
        return ['MONITOR', 'OPERATE'].some((p) => this.engine.access.has(role, p, 'TASK', key));
      };
      rows = rows.filter(visible);
    }
    const name = args.get('TASK_NAME') ?? args.get('ROOT_TASK_NAME');
    const nameColumn = which === 'TASK_HISTORY' ? 'NAME' : 'ROOT_TASK_NAME';
    if (name !== undefined) rows = rows.filter((r) => String(r[nameColumn]).toUpperCase() === name.toUpperCase());
    if (args.has('ROOT_TASK_ID')) rows = rows.filter((r) => r.ROOT_TASK_ID === args.get('ROOT_TASK_ID'));
    if (args.get('ERROR_ONLY')?.toUpperCase() === 'TRUE') rows = rows.filter((r) => r.STATE === 'FAILED' || r.STATE === 'CANCELLED');
    rows = rows.slice(0, Number(args.get('RESULT_LIMIT') ?? (which === 'TASK_HISTORY' ? 100 : 1000)));
    const cols = TASK_FUNCTION_COLUMNS[which];
    // Typed in the outer select: the translator mistypes casts inside VALUES.
    const typed = cols.map(([c, t]) => `CAST(H.${c} AS ${t}) AS ${c}`).join(', ');
    const values = rows.length > 0 ? rows.map((r) => `(${cols.map(([c]) => lit(r[c])).join(', ')})`) : [`(${cols.map(() => 'NULL').join(', ')})`];
    return `(SELECT ${typed} FROM (VALUES ${values.join(', ')}) AS H(${cols.map(([c]) => c).join(', ')})${rows.length > 0 ? '' : ' WHERE FALSE'})`;
  }

  /**
   * `FROM (<input query>) I, TABLE(MODEL(m, v)!PREDICT(I.a, ...) OVER (PARTITION BY I.k)) P`
   * becomes `FROM <predictions> P`: the input runs on the engine, rows are grouped by the
   * partition column and handed to the predictor stand-in one partition at a time; the
   * predictions are an inline table (local-server/inline-tables.ts).
   */
  private async rewritePredict(s: SessionState, sql: string): Promise<{ sql: string; tables?: InlineTables }> {
    const head =
      /TABLE\s*\(\s*MODEL\s*\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)\s*!PREDICT\s*\(([^)]*)\)\s*OVER\s*\(\s*PARTITION\s+BY\s+([^)]+?)\s*\)\s*\)\s*(\w+)/i.exec(sql);
    if (!head) throw Errors.notSupported('this form of MODEL(...)!PREDICT');
    if (!this.opts.predictor) throw Errors.notSupported('MODEL(...)!PREDICT without a predictor stand-in (LocalServerOptions.predictor)');
    // Find the "(<input>) <alias>," right before TABLE(MODEL ...).
    const before = sql.slice(0, head.index);
    const aliasMatch = /\)\s*(\w+)\s*,\s*$/.exec(before);
    if (!aliasMatch) throw Errors.notSupported('PREDICT input that is not a parenthesized subquery');
    const close = before.length - aliasMatch[0].length;
    let depth = 0;
    let open = -1;
    for (let i = close; i >= 0; i--) {
      if (before[i] === ')') depth++;
      else if (before[i] === '(') {
        depth--;
        if (depth === 0) {
          open = i;
          break;
        }
      }
    }
    const input = before.slice(open + 1, close);
    const modelKey = this.engine.qualify(s, head[1]).join('.');
    // Predicting needs USAGE on the model (https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/model-management).
    if (this.models.models.has(modelKey)) this.auth.need(s, 'USAGE', 'MODEL', modelKey);
    const version = this.models.resolve(modelKey, nameParts(head[2])[0]);
    const model = this.models.get(modelKey);
    const partitionCol = head[4].split('.').pop()!.replace(/"/g, '').toUpperCase();
    const r = await this.engine.execute(s, input);
    const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const row of rows) {
      const k = String(row[partitionCol]);
      const group = groups.get(k);
      if (group) group.push(row);
      else groups.set(k, [row]);
    }
    const outRows: Record<string, unknown>[] = [];
    for (const g of groups.values()) {
      const rows = await Promise.resolve()
        .then(() => this.opts.predictor!(model, version, g))
        .catch((e: unknown) => Promise.reject(standInError(e)));
      for (const r of rows) outRows.push(r);
    }
    const alias = head[5];
    const tables = new Map<string, string>();
    let replacement: string;
    if (outRows.length === 0) {
      replacement = `(SELECT NULL AS PARTITION_KEY WHERE FALSE) ${alias}`;
    } else {
      const placeholder = inlinePlaceholder('PREDICT', 0);
      tables.set(placeholder, jsonTable(inferColumns(Object.keys(outRows[0]), outRows), outRows));
      replacement = `${placeholder} ${alias}`;
    }
    return { sql: sql.slice(0, open) + replacement + sql.slice(head.index + head[0].length), tables };
  }
}
