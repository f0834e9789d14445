/**
 * The local Snowflake-protocol server: the REST endpoints snowflake-sdk uses, over plain HTTP on
 * 127.0.0.1, backed by the Engine. A test double of Snowflake: see docs/local-server.md for what
 * it implements and what is only verified against it.
 */
import * as crypto from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { promisify } from 'util';
import * as zlib from 'zlib';
import { BindValue, Engine, SessionState, nameParts, walk } from './engine';
import { Errors, SfError, fromEngineError } from './errors';
import { Faults } from './faults';
import { SfResult, statusResult } from './results';
import { splitStatements } from './translate';
import { ImageCommand, PredictHandler, ProcedureHandler, SnowflakeObjects, insideStage } from './objects';
import { OnlineMethodHandler } from './model-serving';
import * as fs from 'fs';
import * as path from 'path';

export interface LocalUser {
  readonly name: string;
  readonly password?: string;
  /** PEM public key for key-pair (SNOWFLAKE_JWT) login. */
  readonly publicKeyPem?: string;
  /** Programmatic access token. */
  readonly pat?: string;
  /**
   * Account roles granted to the user (created at start when missing, owned by USERADMIN).
   * @default ['ACCOUNTADMIN']: a user given no roles is an account administrator, so sessions that
   * name no role may do anything, as before access control was enforced.
   */
  readonly roles?: readonly string[];
  /** The role a login that names none uses. @default the first of `roles` (ACCOUNTADMIN) */
  readonly defaultRole?: string;
}

export interface LocalServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Durable state directory. @default in-memory */
  readonly dataDir?: string;
  /** Accepted users. @default one user `test` with password `test` */
  readonly users?: readonly LocalUser[];
  /** Account name the server answers to. @default 'local' */
  readonly account?: string;
  /** SPCS image name (exact or prefix) -> local command that runs it. @default none */
  readonly imageCommands?: Readonly<Record<string, ImageCommand>>;
  /** The command of an image `imageCommands` does not map. @default none: such a job is refused */
  readonly defaultImageCommand?: ImageCommand;
  /** Stand-ins for CALL of stored procedures, by upper-case qualified or bare name. @default none */
  readonly procedures?: Readonly<Record<string, ProcedureHandler>>;
  /** A stand-in chosen by a created procedure's body (`AS $$...$$`), for a CALL `procedures` does not name. @default none */
  readonly procedureFromDefinition?: (definition: string) => ProcedureHandler | undefined;
  /** Stand-in for MODEL(...)!PREDICT. @default none */
  readonly predictor?: PredictHandler;
  /** Stand-in for a served model's online methods, called over the ingress (`/ingress/...`). @default none */
  readonly onlineMethod?: OnlineMethodHandler;
}

interface Session {
  readonly id: number;
  readonly user: string;
  /** A job service container's session (it logged in with the token the server gave the job). */
  readonly container: boolean;
  token: string;
  readonly masterToken: string;
  readonly state: SessionState;
  expiredOnce: boolean;
  /** The session's MULTI_STATEMENT_COUNT (`ALTER SESSION SET`); a statement's own parameter wins. */
  multiStatementCount?: number;
}

interface AsyncQuery {
  status: 'RUNNING' | 'SUCCESS' | 'FAILED_WITH_ERROR' | 'ABORTED';
  body?: unknown;
  error?: SfError;
}

const gunzip = promisify(zlib.gunzip) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

const SESSION_PARAMETERS = [
  { name: 'TIMEZONE', value: 'UTC' },
  // Keep array binds inline: the driver would otherwise upload them to a temporary stage.
  { name: 'CLIENT_STAGE_ARRAY_BINDING_THRESHOLD', value: 1000000000 },
  { name: 'CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY', value: 3600 },
];

export class LocalSnowflakeServer {
  static async start(opts: LocalServerOptions = {}): Promise<LocalSnowflakeServer> {
    const engine = await Engine.create({ dataDir: opts.dataDir });
    const server = new LocalSnowflakeServer(engine, opts);
    const saved = opts.dataDir ? path.join(opts.dataDir, 'objects.json') : undefined;
    if (saved && fs.existsSync(saved)) server.objects.load(JSON.parse(fs.readFileSync(saved, 'utf8')));
    await new Promise<void>((resolve, reject) => {
      server.http.once('error', reject);
      server.http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    return server;
  }

  readonly faults = new Faults();
  readonly http: http.Server;
  private readonly sessions = new Map<string, Session>();
  private readonly byMaster = new Map<string, Session>();
  private readonly async = new Map<string, AsyncQuery>();
  private readonly inflight = new Map<string, { cancel: () => void }>();
  private readonly users: readonly LocalUser[];
  private nextSessionId = 1;
  /** Statements executed, for tests and benchmarks (polls included). */
  statementCount = 0;
  /**
   * What clients sent and received, by who sent it (benchmarks): `containers` are job services'
   * sessions (OAuth token logins), `users` every other login (runner, administrators, consumers).
   */
  readonly counters: ServerCounters = { users: emptyTraffic(), containers: emptyTraffic() };
  readonly account: string;
  /** Tasks, job services, the model catalog and the stand-ins. */
  readonly objects: SnowflakeObjects;
  private readonly dataDir?: string;

  private constructor(
    /** The engine, for direct assertions in tests. */
    readonly engine: Engine,
    opts: LocalServerOptions,
  ) {
    engine.faults = this.faults;
    this.users = opts.users ?? [{ name: 'TEST', password: 'test' }];
    this.account = (opts.account ?? 'local').toUpperCase();
    this.http = http.createServer({ noDelay: true }, (req, res) => {
      this.handle(req, res).catch((e) => this.sendError(res, 500, fromEngineError(e)));
    });
    // Node's client stops reusing a socket 1 s before the server's keep-alive hint: leave room.
    this.http.keepAliveTimeout = 5000;
    this.dataDir = opts.dataDir;
    // Users' roles: created when missing (as USERADMIN would) and granted to the user.
    for (const u of this.users) {
      for (const r of rolesOf(u)) {
        const role = r.toUpperCase();
        if (!engine.access.roleExists(role)) engine.access.createRole(role, 'USERADMIN');
        engine.access.grantRoleToUser(role, u.name.toUpperCase());
      }
    }
    this.objects = new SnowflakeObjects(engine, {
      imageCommands: opts.imageCommands,
      defaultImageCommand: opts.defaultImageCommand,
      procedures: opts.procedures,
      procedureFromDefinition: opts.procedureFromDefinition,
      predictor: opts.predictor,
      onlineMethod: opts.onlineMethod,
      host: () => `127.0.0.1:${this.port}`,
      containerConnection: (role: string, warehouse?: string) => {
        const token = `OAUTH-${crypto.randomBytes(18).toString('hex')}`;
        this.oauthTokens.set(token, role);
        if (warehouse) this.oauthWarehouses.set(token, warehouse);
        return { host: '127.0.0.1', port: this.port, account: this.account.toLowerCase(), token };
      },
    });
  }

  private saveObjects(): void {
    if (this.dataDir) fs.writeFileSync(path.join(this.dataDir, 'objects.json'), JSON.stringify(this.objects.toJSON()));
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** snowflake-sdk connection options for this server (add credentials for other users). */
  connectionOptions(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      account: this.account.toLowerCase(),
      username: 'test',
      password: 'test',
      host: '127.0.0.1',
      port: this.port,
      protocol: 'http',
      accessUrl: this.url,
      ...extra,
    };
  }

  /**
   * The same settings as SNOWFLAKE_* variables (runner/snowflake/connection.ts reads them), for the
   * CLI's processes and resolveConnection: the default user, with a role and warehouse when given.
   */
  connectionEnv(opts: { role?: string; warehouse?: string; password?: string } = {}): Record<string, string> {
    return {
      SNOWFLAKE_ACCOUNT: 'local',
      SNOWFLAKE_USER: 'test',
      SNOWFLAKE_PASSWORD: opts.password ?? 'test',
      SNOWFLAKE_HOST: '127.0.0.1',
      SNOWFLAKE_PORT: String(this.port),
      SNOWFLAKE_PROTOCOL: 'http',
      ...(opts.role ? { SNOWFLAKE_ROLE: opts.role } : {}),
      ...(opts.warehouse ? { SNOWFLAKE_WAREHOUSE: opts.warehouse } : {}),
    };
  }

  /** Runs SQL directly on the engine (tests' assertions), outside any client session. */
  async engineQuery(sql: string): Promise<Record<string, string | null>[]> {
    const s = await this.engine.newSession();
    try {
      const r = (await this.objects.handle(s, sql.trim())) ?? (await this.engine.execute(s, sql));
      return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
    } finally {
      this.engine.closeSession(s);
    }
  }

  async close(): Promise<void> {
    this.objects.killAll();
    await this.objects.settle();
    this.saveObjects();
    for (const q of this.inflight.values()) q.cancel();
    for (const s of this.sessions.values()) this.engine.closeSession(s.state);
    this.sessions.clear();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    await this.engine.close();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Reads a request body within the limits (docs/local-server.md): at most MAX_REQUEST_BYTES on
   * the wire (refused up front when Content-Length says more, otherwise when the count passes it)
   * and MAX_JSON_BYTES once gunzipped (zlib stops inflating at the cap, so a gzip bomb costs at
   * most that much memory).
   */
  private async readBody(req: http.IncomingMessage): Promise<unknown> {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_REQUEST_BYTES) throw tooLarge('Request body', MAX_REQUEST_BYTES);
    let buf = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const onData = (c: Buffer) => {
        length += c.length;
        if (length <= MAX_REQUEST_BYTES) return void chunks.push(c);
        // Stop reading but keep the socket, so the 413 still reaches the client.
        req.off('data', onData);
        req.pause();
        reject(tooLarge('Request body', MAX_REQUEST_BYTES));
      };
      req.on('data', onData);
      req.once('end', () => resolve(Buffer.concat(chunks)));
      req.once('error', reject);
      req.once('close', () => reject(new SfError('390400', 'Request body was cut off.', '08P01', 400)));
    });
    if (buf.length === 0) return {};
    if ((req.headers['content-encoding'] ?? '').includes('gzip') || (buf[0] === 0x1f && buf[1] === 0x8b)) {
      try {
        buf = await gunzip(buf, { maxOutputLength: MAX_JSON_BYTES });
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('Decompressed request body', MAX_JSON_BYTES);
        throw new SfError('390400', 'Request body is not valid gzip.', '08P01', 400);
      }
    }
    if (buf.length > MAX_JSON_BYTES) throw tooLarge('Request body', MAX_JSON_BYTES);
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch {
      throw new SfError('390400', 'Request body is not valid JSON.', '08P01', 400);
    }
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private sendError(res: http.ServerResponse, status: number, e: SfError, queryId?: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // Refused before its body was read (unauthenticated, too large): answer and hang up, rather
    // than keep the connection and have Node pull the rest of the upload off the wire first.
    if (!res.req.complete) res.setHeader('connection', 'close');
    this.send(res, e.httpStatus !== 200 ? e.httpStatus : status, {
      success: false,
      code: e.code,
      message: e.message,
      data: { errorCode: e.code, sqlState: e.sqlState, queryId: queryId ?? null, age: 0 },
    });
  }

  private session(req: http.IncomingMessage): Session {
    const auth = String(req.headers.authorization ?? '');
    const m = /Snowflake Token="([^"]+)"/.exec(auth);
    if (!m) throw new SfError('390101', 'Authorization header is missing or malformed. Expected: Snowflake Token="<session token>".', '08001', 401);
    const s = this.sessions.get(m[1]);
    if (!s) throw Errors.sessionGone();
    return s;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const p = url.pathname;
    const httpFault = this.faults.httpFault(p);
    if (httpFault) {
      await this.readBody(req).catch(() => undefined);
      res.writeHead(httpFault.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: false, code: String(httpFault.status), message: `injected HTTP ${httpFault.status}` }));
      return;
    }
    try {
      // Only the login request is read before its sender has shown a token.
      if (req.method === 'POST' && p === '/session/v1/login-request') return this.send(res, 200, await this.login(url, await this.readBody(req)));
      if (req.method === 'POST' && p === '/session/token-request') {
        const s = this.masterSession(req);
        return this.send(res, 200, this.renew(s, await this.readBody(req)));
      }
      if (req.method === 'POST' && p === '/session' && url.searchParams.get('delete') === 'true') {
        const s = this.session(req);
        this.sessions.delete(s.token);
        this.byMaster.delete(s.masterToken);
        this.engine.closeSession(s.state);
        return this.send(res, 200, { success: true, code: null, message: null, data: null });
      }
      if (req.method === 'POST' && p === '/session/heartbeat') {
        this.session(req);
        return this.send(res, 200, { success: true, code: null, message: null, data: null });
      }
      if (req.method === 'POST' && p === '/queries/v1/query-request') {
        const s = this.session(req);
        return await this.query(req, res, s, await this.readBody(req));
      }
      let m: RegExpExecArray | null;
      if (req.method === 'POST' && (m = /^\/ingress\/([A-Za-z0-9_$]+\.[A-Za-z0-9_$]+\.[A-Za-z0-9_$]+)(\/[A-Za-z0-9_-]+)$/.exec(p))) {
        return await this.ingress(req, res, m[1].toUpperCase(), m[2]);
      }
      if (req.method === 'POST' && (p === '/queries/v1/abort-request' || (m = /^\/queries\/([0-9a-f-]+)\/abort-request$/.exec(p)))) {
        this.session(req);
        const body = (await this.readBody(req)) as { requestId?: string };
        const key = (m! && m[1]) || body.requestId || '';
        this.inflight.get(key)?.cancel();
        return this.send(res, 200, { success: true, code: null, message: null, data: null });
      }
      if (req.method === 'GET' && (m = /^\/monitoring\/queries\/([0-9a-f-]+)$/.exec(p))) {
        this.session(req);
        const q = this.async.get(m[1]);
        const status = q ? q.status : 'NO_DATA';
        return this.send(res, 200, {
          success: true,
          code: null,
          message: null,
          data: { queries: q ? [{ id: m[1], status, errorCode: q.error?.code ?? null, errorMessage: q.error?.message ?? null }] : [] },
        });
      }
      if (req.method === 'GET' && (m = /^\/queries\/([0-9a-f-]+)\/result$/.exec(p))) {
        this.session(req);
        const q = this.async.get(m[1]);
        if (!q) throw new SfError('000709', `Statement ${m[1]} not found`, '02000');
        if (q.status === 'RUNNING')
          return this.send(res, 200, {
            success: true,
            code: '333334',
            message: 'Asynchronous execution in progress.',
            data: { queryId: m[1], getResultUrl: `/queries/${m[1]}/result` },
          });
        if (q.error) return this.sendError(res, 200, q.error, m[1]);
        return this.send(res, 200, q.body);
      }
      return this.sendError(res, 404, new SfError('390404', `Unknown endpoint ${req.method} ${p}`, '08P01', 404));
    } catch (e) {
      const err = fromEngineError(e);
      const status = err.code === '390101' ? 401 : err.httpStatus;
      this.sendError(res, status, err);
    }
  }

  /**
   * A REST call to an inference service's public endpoint or gateway (docs/local-server.md,
   * "Inference services"). The caller authenticates as SPCS ingress accepts it
   * (`Authorization: Snowflake Token="..."`: a programmatic access token, or a session token, as
   * snowflake-ml-python's SnowflakePATAuth and SnowflakeJWTTokenAuth send them) and acts with the
   * role of that token: a session's current role, a token user's default role.
   */
  private async ingress(req: http.IncomingMessage, res: http.ServerResponse, target: string, path: string): Promise<void> {
    const token = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''))?.[1];
    const session = token ? this.sessions.get(token) : undefined;
    const patUser = token && !session ? this.users.find((u) => u.pat !== undefined && u.pat === token) : undefined;
    const role = session?.state.role ?? (patUser ? (patUser.defaultRole ?? rolesOf(patUser)[0]).toUpperCase() : undefined);
    if (!role) {
      res.setHeader('connection', 'close');
      return this.send(res, 401, { message: 'Authentication required: send Authorization: Snowflake Token="<token>".' });
    }
    const body = await this.readBody(req);
    const answer = await this.objects.serving.ingress(role, target, path, body);
    this.statementCount++;
    this.send(res, answer.status, answer.body);
  }

  private async login(url: URL, body: unknown): Promise<unknown> {
    const data = ((body as { data?: Record<string, unknown> }).data ?? {}) as Record<string, string | undefined>;
    const name = String(data.LOGIN_NAME ?? '').toUpperCase();
    const user = this.users.find((u) => u.name.toUpperCase() === name);
    const auth = String(data.AUTHENTICATOR ?? 'SNOWFLAKE').toUpperCase();
    // SPCS containers log in with the OAuth token the server wrote to their token file.
    const serviceToken = auth === 'OAUTH' && this.oauthTokens.has(String(data.TOKEN ?? ''));
    const ok = (() => {
      if (serviceToken) return true;
      if (!user) return false;
      if (auth === 'SNOWFLAKE') return user.password !== undefined && data.PASSWORD === user.password;
      if (auth === 'SNOWFLAKE_JWT')
        return user.publicKeyPem !== undefined && verifyJwt(String(data.TOKEN ?? ''), user.publicKeyPem, this.account, user.name.toUpperCase());
      if (auth === 'PROGRAMMATIC_ACCESS_TOKEN') return user.pat !== undefined && data.TOKEN === user.pat;
      if (auth === 'OAUTH') return this.oauthTokens.has(String(data.TOKEN ?? '')) || (user.pat !== undefined && data.TOKEN === user.pat);
      return false;
    })();
    if (!ok) throw auth === 'SNOWFLAKE_JWT' ? new SfError('390144', 'JWT token is invalid.', '08001') : Errors.badCredentials();
    // The session's role: a service container's token carries its service owner's role (SPCS
    // connects as the owner role); a user names a role granted to it, or gets its default role.
    // A role the user was not granted is refused at login, as Snowflake does (390189).
    const asked = url.searchParams.get('roleName') ? nameParts(url.searchParams.get('roleName')!)[0] : undefined;
    let role: string;
    if (serviceToken) {
      role = this.oauthTokens.get(String(data.TOKEN))!;
      if (asked && asked !== role && !this.engine.access.effectiveRoles(role).has(asked)) throw Errors.roleNotGranted(asked);
      if (asked) role = asked;
    } else {
      const name = user!.name.toUpperCase();
      role = asked ?? (user!.defaultRole ?? rolesOf(user!)[0]).toUpperCase();
      if (!this.engine.access.roleExists(role) || !this.engine.access.userHasRole(name, role)) throw Errors.roleNotGranted(role);
    }
    const state = await this.engine.newSession();
    state.user = serviceToken ? undefined : user!.name.toUpperCase();
    state.role = role;
    // A container's session has no user: USE ROLE reaches only what its token's role inherits.
    if (serviceToken) state.baseRole = this.oauthTokens.get(String(data.TOKEN))!;
    const session: Session = {
      id: this.nextSessionId++,
      user: user ? user.name.toUpperCase() : 'SPCS_SERVICE',
      container: serviceToken,
      token: `ST-${crypto.randomBytes(18).toString('hex')}`,
      masterToken: `MT-${crypto.randomBytes(18).toString('hex')}`,
      state,
      expiredOnce: false,
    };
    const db = url.searchParams.get('databaseName');
    const schema = url.searchParams.get('schemaName');
    // A job container that names no warehouse gets its job's QUERY_WAREHOUSE ("Warehouse to use if a
    // service container connects to Snowflake to execute a query without explicitly specifying a
    // warehouse": https://docs.snowflake.com/en/sql-reference/sql/execute-job-service).
    const warehouse = url.searchParams.get('warehouse')
      ? nameParts(url.searchParams.get('warehouse')!)[0]
      : serviceToken
        ? this.oauthWarehouses.get(String(data.TOKEN))
        : undefined;
    // A warehouse the role may not use is not the session's (Snowflake leaves it unset).
    if (warehouse && this.engine.access.has(role, 'USAGE', 'WAREHOUSE', warehouse)) state.warehouse = warehouse;
    if (db) await this.engine.execute(state, `USE DATABASE ${db}`).catch(() => undefined);
    if (db && schema) await this.engine.execute(state, `USE SCHEMA ${db}.${schema}`).catch(() => undefined);
    this.sessions.set(session.token, session);
    this.byMaster.set(session.masterToken, session);
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token: session.token,
        validityInSeconds: 3600,
        masterToken: session.masterToken,
        masterValidityInSeconds: 14400,
        sessionId: session.id,
        parameters: SESSION_PARAMETERS,
        sessionInfo: {
          databaseName: state.database ?? null,
          schemaName: state.schema ?? null,
          warehouseName: state.warehouse ?? null,
          roleName: state.role ?? 'PUBLIC',
        },
      },
    };
  }

  /** OAuth tokens the server accepts (e.g. the SPCS token file it hands to job containers). */
  readonly oauthTokens = new Map<string, string>();
  /** The job's QUERY_WAREHOUSE by OAuth token: the warehouse of a container's session that names none. */
  private readonly oauthWarehouses = new Map<string, string>();

  private masterSession(req: http.IncomingMessage): Session {
    const m = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''));
    const s = m ? this.byMaster.get(m[1]) : undefined;
    if (!s) throw new SfError('390115', 'Master token is invalid.', '08001');
    return s;
  }

  private renew(s: Session, body: unknown): unknown {
    const old = (body as { oldSessionToken?: string }).oldSessionToken;
    if (old) this.sessions.delete(old);
    this.sessions.delete(s.token);
    s.token = `ST-${crypto.randomBytes(18).toString('hex')}`;
    this.sessions.set(s.token, s);
    return {
      success: true,
      code: null,
      message: null,
      data: { sessionToken: s.token, validityInSecondsST: 3600, masterToken: s.masterToken, validityInSecondsMT: 14400 },
    };
  }

  private async query(req: http.IncomingMessage, res: http.ServerResponse, s: Session, body: unknown): Promise<void> {
    if (this.faults.expireSessionsOnce && !s.expiredOnce) {
      s.expiredOnce = true;
      throw Errors.sessionGone();
    }
    const b = body as {
      sqlText?: string;
      asyncExec?: boolean;
      bindings?: Record<string, { type: string; value: unknown }>;
      parameters?: Record<string, unknown>;
    };
    if (typeof b.sqlText !== 'string' || b.sqlText.trim() === '') throw Errors.syntax('empty SQL text');
    const requestId = new URL(req.url ?? '/', 'http://x').searchParams.get('requestId') ?? crypto.randomUUID();
    const queryId = crypto.randomUUID();
    const binds = decodeBindings(b.bindings);
    const multi = statementCount(b.parameters?.MULTI_STATEMENT_COUNT ?? s.multiStatementCount ?? 1);
    const run = () => this.runStatement(s, b.sqlText!, binds, multi, requestId, queryId);
    if (b.asyncExec) {
      const entry: AsyncQuery = { status: 'RUNNING' };
      this.async.set(queryId, entry);
      run().then(
        (data) => Object.assign(entry, { status: 'SUCCESS', body: { success: true, code: null, message: null, data } }),
        (e) => Object.assign(entry, { status: e instanceof SfError && e.code === '000604' ? 'ABORTED' : 'FAILED_WITH_ERROR', error: fromEngineError(e) }),
      );
      return this.send(res, 200, {
        success: true,
        code: '333334',
        message: 'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.',
        data: { queryId, getResultUrl: `/queries/${queryId}/result` },
      });
    }
    let data: unknown;
    try {
      data = await run();
    } catch (e) {
      return this.sendError(res, 200, fromEngineError(e), queryId);
    }
    const text = JSON.stringify({ success: true, code: null, message: null, data });
    if (this.faults.dropFault('/queries/v1/query-request')) {
      // Cut the response off half-way, as a dropped connection would.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async runStatement(
    s: Session,
    sqlText: string,
    binds: BindValue[] | BindValue[][] | undefined,
    multi: number,
    requestId: string,
    queryId: string,
  ): Promise<unknown> {
    let cancelled = false;
    let wake: (() => void) | undefined;
    const cancel = () => {
      cancelled = true;
      wake?.();
    };
    this.inflight.set(requestId, { cancel });
    this.inflight.set(queryId, { cancel });
    try {
      const delay = this.faults.delayFault(sqlText);
      if (delay) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (delay.ms !== undefined) setTimeout(resolve, delay.ms);
        });
      }
      if (cancelled) throw Errors.cancelled();
      // Snowflake refuses a text whose statement count differs from MULTI_STATEMENT_COUNT (default
      // 1; 0 accepts any number), so an injected or accidental second statement never runs:
      // "Submitting multiple SQL statements in a single request" (SQL API) and "Executing a batch
      // of SQL statements" (Node.js driver). A Snowflake Scripting block is one statement.
      const body = sqlText.trim().replace(/;\s*$/, '');
      const statements = body.includes(';') || body.startsWith('--') ? splitStatements(sqlText) : [sqlText];
      if (statements.length === 0) throw new SfError('000900', 'Empty SQL statement.', '42000');
      if (multi !== 0 && statements.length !== multi) {
        throw new SfError('000008', `Actual statement count ${statements.length} did not match the desired statement count ${multi}.`, '0A000');
      }
      if (statements.length > 1) {
        // Multi-statement: each child runs now; the parent returns their ids for the driver to fetch.
        const ids: string[] = [];
        for (const st of statements) {
          const childId = crypto.randomUUID();
          const r = await this.executeOne(s, st, undefined, childId);
          this.async.set(childId, { status: 'SUCCESS', body: { success: true, code: null, message: null, data: r } });
          ids.push(childId);
        }
        return {
          ...resultData(statusResult('Multiple statements executed successfully.', 0x1000), queryId, s.state),
          resultIds: ids.join(','),
          resultTypes: ids.map(() => '4096').join(','),
        };
      }
      return await this.executeOne(s, sqlText, binds, queryId);
    } finally {
      this.inflight.delete(requestId);
      this.inflight.delete(queryId);
    }
  }

  /**
   * PUT and GET answer with LOCAL_FS stage information; the driver then copies the files itself
   * (its local-storage transfer path), exactly as it would for a stage on a local file system.
   */
  private fileTransfer(state: SessionState, sql: string, queryId: string): Record<string, unknown> | undefined {
    let m: RegExpExecArray | null;
    const stageRef = String.raw`@((?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)){0,2})(/\S*)?`;
    if ((m = new RegExp(`^PUT\\s+${FILE_URL}\\s+${stageRef}([\\s\\S]*)$`, 'i').exec(sql))) {
      const { dir } = this.engine.stageDir(state, m[2], 'WRITE');
      const sub = (m[3] ?? '').replace(/^\//, '');
      const opts = m[4] ?? '';
      return {
        command: 'UPLOAD',
        src_locations: [m[1]],
        autoCompress: !/AUTO_COMPRESS\s*=\s*FALSE/i.test(opts),
        sourceCompression: 'auto_detect',
        parallel: 1,
        overwrite: /OVERWRITE\s*=\s*TRUE/i.test(opts),
        stageInfo: {
          locationType: 'LOCAL_FS',
          location: insideStage(dir, sub) + path.sep,
          path: sub,
          region: null,
          storageAccount: null,
          isClientSideEncrypted: false,
          creds: {},
        },
        encryptionMaterial: null,
        queryId,
      };
    }
    if ((m = new RegExp(`^GET\\s+${stageRef}\\s+${FILE_URL}\\s*$`, 'i').exec(sql))) {
      const { dir } = this.engine.stageDir(state, m[1], 'READ');
      const prefix = (m[2] ?? '').replace(/^\//, '');
      const files = walk(dir).filter((f) => f.startsWith(prefix));
      if (!fs.existsSync(m[3])) fs.mkdirSync(m[3], { recursive: true });
      return {
        command: 'DOWNLOAD',
        src_locations: files,
        localLocation: m[3],
        parallel: 1,
        stageInfo: {
          locationType: 'LOCAL_FS',
          location: dir + path.sep,
          path: '',
          region: null,
          storageAccount: null,
          isClientSideEncrypted: false,
          creds: {},
        },
        encryptionMaterial: [],
        queryId,
      };
    }
    return undefined;
  }

  private async executeOne(s: Session, sql: string, binds: BindValue[] | BindValue[][] | undefined, queryId: string): Promise<unknown> {
    this.statementCount++;
    const traffic = this.counters[s.container ? 'containers' : 'users'];
    traffic.statements++;
    // An array bind (a batch insert) moves one row per element; a scalar bind list is one row.
    if (binds !== undefined && binds.length > 0) traffic.rowsIn += Array.isArray(binds[0]) ? binds.length : 1;
    const t0 = process.hrtime.bigint();
    try {
      const data = await this.executeUncounted(s, sql, binds, queryId);
      traffic.rowsOut += Number((data as { returned?: number }).returned ?? 0);
      return data;
    } finally {
      traffic.ms += Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }

  private async executeUncounted(s: Session, sql: string, binds: BindValue[] | BindValue[][] | undefined, queryId: string): Promise<unknown> {
    const multi = /^ALTER\s+SESSION\s+(?:SET\s+MULTI_STATEMENT_COUNT\s*=\s*(\S+?)|UNSET\s+MULTI_STATEMENT_COUNT)\s*;?\s*$/i.exec(sql.trim());
    if (multi) s.multiStatementCount = multi[1] === undefined ? undefined : statementCount(multi[1]);
    const fault = this.faults.statementFault(sql);
    if (fault) throw new SfError(fault.code, fault.message ?? `injected failure ${fault.code}`, fault.sqlState ?? '57P01');
    const transfer = this.fileTransfer(s.state, sql.trim().replace(/;\s*$/, ''), queryId);
    if (transfer) return transfer;
    const own = binds === undefined ? await this.objects.handle(s.state, sql.trim().replace(/;\s*$/, '')) : undefined;
    // What a read changes is nothing: the runner's polls (DESCRIBE SERVICE, the task graph
    // functions) would otherwise rewrite both files, whose size grows with the run, twice a second.
    if (own && !READ_ONLY.test(sql.trim())) {
      this.saveObjects();
      this.engine.saveCatalog();
    }
    const r = own ?? (await this.engine.execute(s.state, sql, binds));
    return resultData(r, queryId, s.state);
  }
}

/** Statements and rows of one kind of client (LocalSnowflakeServer.counters). */
export interface Traffic {
  statements: number;
  /** Rows bound into statements: one per element of an array bind, one for a scalar bind list. */
  rowsIn: number;
  /** Rows of the results returned. */
  rowsOut: number;
  /** Time from a statement's start to its result, summed (statements overlap: not wall time). */
  ms: number;
}

export interface ServerCounters {
  readonly users: Traffic;
  readonly containers: Traffic;
}

function emptyTraffic(): Traffic {
  return { statements: 0, rowsIn: 0, rowsOut: 0, ms: 0 };
}

/**
 * Request body limits. The largest bodies the project sends are array binds: 6.5 MB for the demo's
 * load (218,856 rows of three columns), 1.9 MB for the bench's 20,000-row inserts; the driver sends
 * them uncompressed. Snowflake documents 128 MB as the maximum payload of a request (Node.js
 * driver, "Executing statements"); half of it is ten times the demo's load.
 */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/** Limit of a body once gunzipped. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

function tooLarge(what: string, limit: number): SfError {
  return new SfError('390413', `${what} exceeds the local server's limit of ${limit} bytes.`, '08P01', 413);
}

/** A user's roles; none means ACCOUNTADMIN (LocalUser.roles). */
function rolesOf(u: LocalUser): readonly string[] {
  return u.roles && u.roles.length > 0 ? u.roles : ['ACCOUNTADMIN'];
}

/** Statements of SnowflakeObjects that only read: no state file is written after them. */
const READ_ONLY = /^(SHOW|DESCRIBE|DESC|SELECT|WITH|LIST|LS)\b/i;

const FILE_URL = String.raw`'?file://([^'\s]+)'?`;

/** A MULTI_STATEMENT_COUNT value: a non-negative integer (sent as a number or a string). */
function statementCount(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new SfError('002211', `Invalid value [${String(v)}] for parameter 'MULTI_STATEMENT_COUNT'`, '22023');
  return n;
}

function resultData(r: SfResult, queryId: string, state: SessionState): Record<string, unknown> {
  return {
    parameters: SESSION_PARAMETERS,
    rowtype: r.columns,
    rowset: r.rows,
    total: r.rows.length,
    returned: r.rows.length,
    queryId,
    databaseProvider: null,
    finalDatabaseName: state.database ?? null,
    finalSchemaName: state.schema ?? null,
    finalWarehouseName: state.warehouse ?? null,
    finalRoleName: state.role ?? 'PUBLIC',
    numberOfBinds: 0,
    arrayBindSupported: true,
    statementTypeId: r.statementTypeId,
    version: 1,
    sendResultTime: Date.now(),
    queryResultFormat: 'json',
  };
}

/** Driver bindings `{ "1": { type, value } }` -> positional values (arrays of rows for array binds). */
export function decodeBindings(bindings?: Record<string, { type: string; value: unknown }>): BindValue[] | BindValue[][] | undefined {
  if (!bindings || Object.keys(bindings).length === 0) return undefined;
  const keys = Object.keys(bindings).sort((a, b) => Number(a) - Number(b));
  const conv = (type: string, v: unknown): BindValue => {
    if (v === null || v === undefined) return null;
    const t = type.toUpperCase();
    if (t === 'FIXED' || t === 'REAL') return Number(v);
    if (t === 'BOOLEAN') return v === true || v === 'true' || v === '1';
    return String(v);
  };
  const first = bindings[keys[0]];
  if (Array.isArray(first.value)) {
    const n = (first.value as unknown[]).length;
    return Array.from({ length: n }, (_, row) => keys.map((k) => conv(bindings[k].type, (bindings[k].value as unknown[])[row])));
  }
  return keys.map((k) => conv(bindings[k].type, bindings[k].value));
}

/** Verifies an RS256 JWT as Snowflake's key-pair authentication would: signature, issuer, subject, expiry. */
export function verifyJwt(token: string, publicKeyPem: string, account: string, user: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKeyPem, Buffer.from(parts[2], 'base64url'));
    if (!ok) return false;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { iss?: string; sub?: string; exp?: number };
    const sub = String(claims.sub ?? '').toUpperCase();
    if (sub !== `${account}.${user}`) return false;
    if (
      !String(claims.iss ?? '')
        .toUpperCase()
        .startsWith(`${account}.${user}.SHA256:`)
    )
      return false;
    return typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
  } catch {
    return false;
  }
}
