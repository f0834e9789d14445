/**
 * Model Serving on the local server (docs/local-server.md, "Inference services"): services created
 * from a model version (the stand-in of snowflake-ml-python's `ModelVersion.create_service`, which
 * a procedure stand-in calls through its context), their endpoint and service role, gateways, and
 * the HTTP ingress that answers a REST call with the model's online method in Snowflake's request
 * and response shapes. What Snowflake documents, each check cites; the REST shapes are
 * snowflake-ml-python's (its REST tests post `{"data": [[i, ...]]}`, `{"dataframe_split": ...}`
 * and `{"dataframe_records": ...}` to `https://<ingress>/<method-with-dashes>` and read
 * `{"data": [[i, {column: value}]]}` back).
 */
import { parse as parseYaml } from 'yaml';
import { ALL_ENDPOINTS_USAGE_ROLE } from './access-control';
import type { Engine, SessionState } from './engine';
import { nameParts } from './engine';
import { Errors, SfError } from './errors';
import { readLiteral } from './literals';
import { SfResult, statusResult } from './results';
import { IDENT, QNAME } from './translate';
import type { ModelCatalog, ModelEntry, ModelVersion, Service } from './objects';

/** The endpoint of a model inference service (snowflake-ml-python `INFERENCE_SERVICE_ENDPOINT_NAME`). */
export const INFERENCE_ENDPOINT = 'inference';

/** What a model service runs, beside a job service's fields. */
export interface InferenceSpec {
  readonly model: string;
  readonly version: string;
  /** A public endpoint (ingress_enabled). */
  readonly ingress: boolean;
  readonly minInstances: number;
  readonly maxInstances: number;
}

/** `create_service`'s arguments, as the procedure stand-in passes them (ProcedureContext.createModelService). */
export interface CreateServiceRequest {
  /** `DB.SCHEMA.NAME`. */
  readonly name: string;
  readonly model: string;
  readonly version: string;
  readonly computePool: string;
  readonly ingressEnabled: boolean;
  readonly minInstances: number;
  readonly maxInstances: number;
}

export interface Gateway {
  readonly name: string;
  /** Targets `DB.S.SERVICE!endpoint` with their weights (they add up to 100). */
  targets: { endpoint: string; service: string; weight: number }[];
  spec: string;
  readonly createdOn: string;
}

/**
 * Stand-in for a model's online (FUNCTION) method as Model Serving runs it: input rows in, one output
 * row per input row, in order.
 */
export type OnlineMethodHandler = (
  model: ModelEntry,
  version: ModelVersion,
  method: string,
  rows: Record<string, unknown>[],
) => Promise<Record<string, unknown>[]>;

/** What an ingress request is answered with. */
export interface IngressResponse {
  readonly status: number;
  readonly body: unknown;
}

interface Objects {
  readonly services: Map<string, Service>;
  readonly models: ModelCatalog;
}

/** The version metadata the registration stand-in writes for a version logged with an online method. */
export const ONLINE_METHODS_METADATA = 'onlineMethods';

export class ModelServing {
  readonly gateways = new Map<string, Gateway>();

  constructor(
    private readonly engine: Engine,
    private readonly objects: Objects,
    private readonly opts: {
      readonly onlineMethod?: OnlineMethodHandler;
      /** `host:port` of the server, the root of the ingress URLs it reports. */
      readonly host: () => string;
    },
  ) {}

  private get auth() {
    return this.engine.auth;
  }

  /** The ingress URL of a public service endpoint or a gateway (a hostname on Snowflake; a path here). */
  ingressUrl(name: string): string {
    return `${this.opts.host()}/ingress/${name}`;
  }

  /**
   * The stand-in of `ModelVersion.create_service` (block=True: the service runs when it returns), run
   * as the calling procedure's role. Access control, as the real-time inference page lists it
   * (https://docs.snowflake.com/en/developer-guide/snowflake-ml/inference/real-time-inference-rest-api):
   * USAGE on the compute pool, BIND SERVICE ENDPOINT for a public endpoint; and as any CREATE SERVICE
   * does, CREATE SERVICE on the schema. The version must be usable (USAGE on the model) and have a
   * method Model Serving serves: snowflake-ml-python refuses a model whose methods are all
   * TABLE_FUNCTIONs ("Online inference services do not support TABLE_FUNCTION methods").
   */
  createService(ps: SessionState, r: CreateServiceRequest): void {
    const key = this.engine.qualify(ps, r.name).join('.');
    const model = this.engine.qualify(ps, r.model).join('.');
    this.auth.create(ps, 'SERVICE', key);
    this.auth.need(ps, 'USAGE', 'COMPUTE POOL', nameParts(r.computePool)[0]);
    if (r.ingressEnabled) this.auth.onAccount(ps, 'BIND SERVICE ENDPOINT');
    if (this.objects.models.models.has(model)) this.auth.need(ps, 'USAGE', 'MODEL', model);
    const version = this.objects.models.resolve(model, r.version);
    const methods = version.metadata[ONLINE_METHODS_METADATA];
    if (!Array.isArray(methods) || methods.length === 0) {
      throw new SfError(
        '100357',
        'Python Interpreter Error:\nValueError: Online inference services do not support TABLE_FUNCTION methods. The following methods have TABLE_FUNCTION type: PREDICT. Consider using batch inference jobs instead.',
        'P0000',
      );
    }
    if (!(Number.isInteger(r.minInstances) && r.minInstances >= 0 && Number.isInteger(r.maxInstances) && r.maxInstances >= Math.max(1, r.minInstances))) {
      throw new SfError(
        '100357',
        `Python Interpreter Error:\nValueError: min_instances ${r.minInstances} and max_instances ${r.maxInstances} are not a valid range`,
        'P0000',
      );
    }
    if (this.objects.services.has(key)) throw Errors.alreadyExists(key);
    const now = new Date().toISOString();
    this.objects.services.set(key, {
      name: key,
      owner: ps.role ?? 'ACCOUNTADMIN',
      image: `model-serving:${model}/${version.name}`,
      startedOn: now,
      pool: nameParts(r.computePool)[0],
      status: 'RUNNING',
      message: 'Running',
      container: 'model-inference',
      logs: [],
      exitCode: null,
      finished: Promise.resolve(),
      inference: { model, version: version.name, ingress: r.ingressEnabled, minInstances: r.minInstances, maxInstances: r.maxInstances },
    });
    this.auth.created(ps, 'SERVICE', key);
  }

  /** Handles the statements about model services and gateways; undefined for any other. */
  async handle(s: SessionState, sql: string): Promise<SfResult | undefined> {
    if (
      !/^(ALTER\s+SERVICE|GRANT\s+SERVICE\s+ROLE|REVOKE\s+SERVICE\s+ROLE|SHOW\s+ENDPOINTS|(CREATE|ALTER|DROP|DESC|DESCRIBE|SHOW)\s+(OR\s+REPLACE\s+)?GATEWAYS?)\b/i.test(
        sql,
      )
    )
      return undefined;
    let m: RegExpExecArray | null;
    // ALTER SERVICE ... SET COMMENT: OWNERSHIP or OPERATE (https://docs.snowflake.com/en/sql-reference/sql/alter-service).
    if ((m = new RegExp(`^ALTER\\s+SERVICE\\s+(IF\\s+EXISTS\\s+)?(${QNAME})\\s+SET\\s+COMMENT\\s*=\\s*('(?:[^'\\\\]|''|\\\\[\\s\\S])*')$`, 'i').exec(sql))) {
      const key = this.engine.qualify(s, m[2]).join('.');
      const svc = this.objects.services.get(key);
      if (!svc) {
        if (m[1]) return statusResult('Statement executed successfully.');
        throw Errors.objectMissing(`Service '${key}'`);
      }
      this.auth.need(s, 'OPERATE', 'SERVICE', key);
      svc.comment = readLiteral(m[3]);
      return statusResult('Statement executed successfully.');
    }
    if (/^ALTER\s+SERVICE\b/i.test(sql)) throw Errors.notSupported('this form of ALTER SERVICE');
    // GRANT SERVICE ROLE <service>!<role> TO ROLE <r>: "Only the service owner can grant the service
    // role" (https://docs.snowflake.com/en/sql-reference/sql/grant-service-role).
    if ((m = new RegExp(`^(GRANT|REVOKE)\\s+SERVICE\\s+ROLE\\s+(${QNAME})!(${IDENT})\\s+(TO|FROM)\\s+ROLE\\s+(${IDENT})$`, 'i').exec(sql))) {
      const key = this.engine.qualify(s, m[2]).join('.');
      const serviceRole = nameParts(m[3])[0];
      const role = nameParts(m[5])[0];
      const svc = this.objects.services.get(key);
      if (!svc) throw Errors.objectMissing(`Service '${key}'`);
      this.auth.own(s, 'SERVICE', key);
      if (serviceRole !== 'ALL_ENDPOINTS_USAGE') throw Errors.objectMissing(`Service role '${key}!${serviceRole}'`);
      if (!this.engine.access.roleExists(role)) throw Errors.objectMissing(`Role '${role}'`);
      if (m[1].toUpperCase() === 'GRANT')
        this.engine.access.grant({
          privilege: ALL_ENDPOINTS_USAGE_ROLE,
          kind: 'SERVICE',
          name: key,
          role,
          grantOption: false,
          grantedBy: s.role ?? 'ACCOUNTADMIN',
        });
      else this.engine.access.revoke(ALL_ENDPOINTS_USAGE_ROLE, 'SERVICE', key, role);
      return statusResult('Statement executed successfully.');
    }
    // SHOW ENDPOINTS IN SERVICE: the endpoints the role may use (bundle 2024_04:
    // https://docs.snowflake.com/en/release-notes/bcr-bundles/2024_04/bcr-1611).
    if ((m = new RegExp(`^SHOW\\s+ENDPOINTS\\s+IN\\s+SERVICE\\s+(${QNAME})$`, 'i').exec(sql))) {
      const key = this.engine.qualify(s, m[1]).join('.');
      const svc = this.objects.services.get(key);
      if (!svc || (this.auth.checked(s) && !this.engine.access.any(s.role, 'SERVICE', key))) throw Errors.objectMissing(`Service '${key}'`);
      const usable = !this.auth.checked(s) || this.mayCallService(s.role, key);
      const rows =
        svc.inference && usable
          ? [[INFERENCE_ENDPOINT, '5000', 'HTTP', String(svc.inference.ingress), svc.inference.ingress ? this.ingressUrl(key) : 'Endpoints not public']]
          : [];
      return table(['name', 'port', 'protocol', 'is_public', 'ingress_url'], rows);
    }
    if (
      (m = new RegExp(
        `^CREATE\\s+(OR\\s+REPLACE\\s+)?GATEWAY\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})\\s+FROM\\s+SPECIFICATION\\s+(\\$\\$[\\s\\S]*\\$\\$|'[\\s\\S]*')$`,
        'i',
      ).exec(sql))
    ) {
      const key = this.engine.qualify(s, m[3]).join('.');
      const exists = this.gateways.has(key);
      // CREATE GATEWAY on the schema, BIND SERVICE ENDPOINT on the account, USAGE on the target
      // endpoints (https://docs.snowflake.com/en/sql-reference/sql/create-gateway).
      this.auth.create(s, 'GATEWAY', key, exists && Boolean(m[1]));
      if (exists && !m[1]) {
        if (m[2]) return statusResult(`${key.split('.').pop()} already exists, statement succeeded.`);
        throw Errors.alreadyExists(key);
      }
      this.auth.onAccount(s, 'BIND SERVICE ENDPOINT');
      const spec = readLiteral(m[4]);
      const targets = this.gatewayTargets(s, spec);
      this.gateways.set(key, { name: key, targets, spec, createdOn: new Date().toISOString() });
      this.auth.created(s, 'GATEWAY', key);
      return statusResult(`Gateway ${key.split('.').pop()} successfully created.`);
    }
    if (
      (m = new RegExp(`^ALTER\\s+GATEWAY\\s+(IF\\s+EXISTS\\s+)?(${QNAME})\\s+FROM\\s+SPECIFICATION\\s+(\\$\\$[\\s\\S]*\\$\\$|'[\\s\\S]*')$`, 'i').exec(sql))
    ) {
      const key = this.engine.qualify(s, m[2]).join('.');
      const g = this.gateways.get(key);
      if (!g) {
        if (m[1]) return statusResult('Statement executed successfully.');
        throw Errors.objectMissing(`Gateway '${key}'`);
      }
      // MODIFY or OWNERSHIP on the gateway, BIND SERVICE ENDPOINT, USAGE on the targets (https://docs.snowflake.com/en/sql-reference/sql/alter-gateway).
      this.auth.need(s, 'MODIFY', 'GATEWAY', key);
      this.auth.onAccount(s, 'BIND SERVICE ENDPOINT');
      const spec = readLiteral(m[3]);
      g.targets = this.gatewayTargets(s, spec);
      g.spec = spec;
      return statusResult('Statement executed successfully.');
    }
    if ((m = new RegExp(`^(DESCRIBE|DESC)\\s+GATEWAY\\s+(${QNAME})$`, 'i').exec(sql))) {
      const key = this.engine.qualify(s, m[2]).join('.');
      const g = this.gateways.get(key);
      if (!g || (this.auth.checked(s) && !this.engine.access.any(s.role, 'GATEWAY', key))) throw Errors.objectMissing(`Gateway '${key}'`);
      const [db, schema, name] = key.split('.');
      return table(
        ['name', 'ingress_url', 'database_name', 'schema_name', 'owner', 'spec', 'created_on'],
        [[name, this.ingressUrl(key), db, schema, this.engine.access.ownerOf('GATEWAY', key), g.spec, g.createdOn]],
      );
    }
    if ((m = new RegExp(`^DROP\\s+GATEWAY\\s+(IF\\s+EXISTS\\s+)?(${QNAME})$`, 'i').exec(sql))) {
      const key = this.engine.qualify(s, m[2]).join('.');
      if (!this.gateways.has(key)) {
        if (m[1]) return statusResult('Drop statement executed successfully (gateway does not exist).');
        throw Errors.objectMissing(`Gateway '${key}'`);
      }
      this.auth.own(s, 'GATEWAY', key);
      this.gateways.delete(key);
      this.auth.dropped('GATEWAY', key);
      return statusResult(`${key} successfully dropped.`);
    }
    if (/^SHOW\s+GATEWAYS\b/i.test(sql)) {
      // Listed when the role has USAGE, MODIFY or OWNERSHIP (gateway page).
      const visible = [...this.gateways.values()].filter((g) => !this.auth.checked(s) || this.engine.access.any(s.role, 'GATEWAY', g.name));
      return table(
        ['name', 'ingress_url', 'owner'],
        visible.map((g) => [g.name, this.ingressUrl(g.name), this.engine.access.ownerOf('GATEWAY', g.name)]),
      );
    }
    throw Errors.notSupported(sql.split(/\s+/).slice(0, 3).join(' ').toUpperCase());
  }

  /**
   * A gateway specification's targets ("CREATE GATEWAY", specification parameters): type
   * traffic_split, split_type custom, targets of type endpoint naming `db.schema.service!endpoint`
   * that exist, weights adding up to 100, at most 5. The creator needs USAGE on each target endpoint.
   */
  private gatewayTargets(s: SessionState, text: string): Gateway['targets'] {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new SfError('395018', `Invalid gateway specification: ${(e as Error).message}`, '22023');
    }
    const spec = (doc as { spec?: { type?: string; split_type?: string; targets?: unknown } } | null)?.spec;
    const bad = (why: string) => new SfError('395018', `Invalid gateway specification: ${why}`, '22023');
    if (spec?.type !== 'traffic_split') throw bad("spec.type must be 'traffic_split'");
    if (spec.split_type !== 'custom') throw bad("spec.split_type must be 'custom'");
    if (!Array.isArray(spec.targets) || spec.targets.length === 0) throw bad('spec.targets must list at least one endpoint');
    if (spec.targets.length > 5) throw bad('a gateway routes to at most 5 endpoints');
    const targets = spec.targets.map((t: { type?: string; value?: string; weight?: number }) => {
      if (t?.type !== 'endpoint' || typeof t.value !== 'string' || !Number.isInteger(t.weight))
        throw bad('each target needs type endpoint, a value db.schema.service!endpoint and an integer weight');
      const [ref, endpoint] = t.value.split('!');
      const service = this.engine.qualify(s, ref).join('.');
      const svc = this.objects.services.get(service);
      if (!svc || endpoint?.toLowerCase() !== INFERENCE_ENDPOINT) throw Errors.objectMissing(`Endpoint '${t.value}'`);
      if (this.auth.checked(s) && !this.mayCallService(s.role, service))
        throw Errors.insufficient('service endpoint', t.value, s.role, 'USAGE (the service role ALL_ENDPOINTS_USAGE)');
      return { endpoint: endpoint.toLowerCase(), service, weight: t.weight! };
    });
    if (targets.reduce((a, t) => a + t.weight, 0) !== 100) throw bad('the weights of the targets must add up to 100');
    return targets;
  }

  /**
   * Whether a role may call a service's endpoints: "The owner role for a service always has access
   * to that service's endpoints"; another role needs USAGE on the endpoint, granted through a
   * service role (https://docs.snowflake.com/en/release-notes/bcr-bundles/2024_04/bcr-1611).
   */
  mayCallService(role: string, service: string): boolean {
    return this.engine.access.has(role, ALL_ENDPOINTS_USAGE_ROLE, 'SERVICE', service);
  }

  /**
   * An ingress request: `target` is a gateway or a service with a public endpoint, `path` the
   * method's REST path (`/predict-rows`), `role` the caller's (its token's) role.
   */
  async ingress(role: string, target: string, path: string, body: unknown): Promise<IngressResponse> {
    const refuse = (status: number, message: string): IngressResponse => ({ status, body: { message } });
    let service: string | undefined;
    const gateway = this.gateways.get(target);
    if (gateway) {
      // A gateway is called by roles with USAGE on it (its owner included; gateway page, access control).
      if (!this.engine.access.has(role, 'USAGE', 'GATEWAY', target)) return refuse(403, `Role ${role} may not use gateway ${target}.`);
      // Traffic split by weight; the local gateway routes to the heaviest target (ties: the first).
      service = [...gateway.targets].sort((a, b) => b.weight - a.weight)[0]?.service;
    } else {
      const svc = this.objects.services.get(target);
      if (!svc?.inference?.ingress) return refuse(404, `No public endpoint ${target}.`);
      if (!this.mayCallService(role, target)) return refuse(403, `Role ${role} may not use the endpoints of service ${target}.`);
      service = target;
    }
    const svc = service ? this.objects.services.get(service) : undefined;
    if (!svc?.inference) return refuse(503, `The gateway's target service ${service ?? ''} is not available.`);
    const method = path.replace(/^\//, '').replace(/-/g, '_').toLowerCase();
    const model = this.objects.models.models.get(svc.inference.model);
    const version = model?.versions.find((v) => v.name === svc.inference!.version);
    if (!model || !version) return refuse(503, `The model version ${svc.inference.model}@${svc.inference.version} the service runs is gone.`);
    const methods = (version.metadata[ONLINE_METHODS_METADATA] as { name: string; inputs: string[] }[] | undefined) ?? [];
    const m = methods.find((x) => x.name === method);
    if (!m) return refuse(404, `The service has no method at ${path}; it serves ${methods.map((x) => `/${x.name.replace(/_/g, '-')}`).join(', ') || 'none'}.`);
    let rows: { index: unknown; row: Record<string, unknown> }[];
    try {
      rows = readRequest(body, m.inputs);
    } catch (e) {
      return refuse(400, (e as Error).message);
    }
    if (!this.opts.onlineMethod) return refuse(501, 'the local server has no stand-in for online methods (LocalServerOptions.onlineMethod)');
    let out: Record<string, unknown>[];
    try {
      out = await this.opts.onlineMethod(
        model,
        version,
        method,
        rows.map((r) => r.row),
      );
    } catch (e) {
      return refuse(400, (e as Error).message);
    }
    if (out.length !== rows.length) return refuse(500, `the method returned ${out.length} rows for ${rows.length}`);
    return { status: 200, body: { data: rows.map((r, i) => [r.index, out[i]]) } };
  }

  toJSON(): unknown {
    return {
      gateways: [...this.gateways.values()],
      services: [...this.objects.services.values()].filter((v) => v.inference).map(({ finished: _f, child: _c, ...rest }) => rest),
    };
  }

  load(state: { gateways?: Gateway[]; services?: Omit<Service, 'finished'>[] } | undefined): void {
    for (const g of state?.gateways ?? []) this.gateways.set(g.name, g);
    for (const v of state?.services ?? []) this.objects.services.set(v.name, { ...v, finished: Promise.resolve() } as Service);
  }
}

/**
 * The rows of a REST request, with the index each is answered under. The formats Model Serving
 * accepts: `{"data": [[index, value1, ...]]}` (positional, in the signature's input order, as the
 * external function protocol sends them), `{"data": [[index, {column: value}]]}`,
 * `{"dataframe_split": {"index": [...], "columns": [...], "data": [[...]]}}` and
 * `{"dataframe_records": [{column: value}]}`. Column names are matched case-insensitively.
 */
export function readRequest(body: unknown, inputs: readonly string[]): { index: unknown; row: Record<string, unknown> }[] {
  const b = body as { data?: unknown; dataframe_split?: { index?: unknown[]; columns?: unknown; data?: unknown }; dataframe_records?: unknown };
  const named = (o: Record<string, unknown>) => {
    const row: Record<string, unknown> = {};
    for (const input of inputs) {
      const k = Object.keys(o).find((x) => x.toUpperCase() === input.toUpperCase());
      if (k === undefined) throw new Error(`the request has no ${input} column; the method's inputs are ${inputs.join(', ')}`);
      row[input] = o[k];
    }
    return row;
  };
  if (b && b.dataframe_split !== undefined) {
    const { index, columns, data } = b.dataframe_split;
    if (!Array.isArray(columns) || !Array.isArray(data) || !data.every(Array.isArray))
      throw new Error('dataframe_split needs columns and data (a list of rows)');
    return data.map((values, i) => ({
      index: Array.isArray(index) ? index[i] : i,
      row: named(Object.fromEntries((columns as string[]).map((c, j) => [c, (values as unknown[])[j]]))),
    }));
  }
  if (b && b.dataframe_records !== undefined) {
    if (!Array.isArray(b.dataframe_records)) throw new Error('dataframe_records must be a list of rows');
    return b.dataframe_records.map((r, i) => ({ index: i, row: named(r as Record<string, unknown>) }));
  }
  if (b && Array.isArray(b.data)) {
    return b.data.map((r) => {
      if (!Array.isArray(r) || r.length < 2) throw new Error('each row of data is [index, values...]');
      if (r.length === 2 && r[1] !== null && typeof r[1] === 'object' && !Array.isArray(r[1]))
        return { index: r[0], row: named(r[1] as Record<string, unknown>) };
      if (r.length !== inputs.length + 1) throw new Error(`each row of data is [index, ${inputs.join(', ')}]`);
      return { index: r[0], row: Object.fromEntries(inputs.map((c, j) => [c, r[j + 1]])) };
    });
  }
  throw new Error('the request body must hold data, dataframe_split or dataframe_records');
}

function table(names: string[], rows: (string | null)[][]): SfResult {
  const text = statusResult('').columns[0];
  return { columns: names.map((n) => ({ ...text, name: n })), rows, statementTypeId: 0x1000 };
}
