/**
 * SQL of a real-time inference service (docs/serving.md): the statements the deploy procedure runs
 * around snowflake-ml-python's `ModelVersion.create_service` (the documented way to serve a model
 * version; there is no SQL form of it), and the hook statements that call the procedure.
 *
 * A service runs ONE model version, so following an alias is blue/green: the deploy step resolves
 * the alias to its version, creates that version's service (`<NAME>_<VERSION>_<TAG>`, the tag a
 * digest of the settings) unless it exists, grants the endpoint role its service role, re-points
 * the gateway (PUBLIC ingress: a stable URL), and only then drops the services of earlier versions.
 *
 * The statements about one service name it by the `<SERVICE>` token, which the procedure replaces
 * with the service's own name after checking it is an unquoted identifier. Service names are
 * unquoted everywhere, as the job services' are (lib/sql/services.ts).
 */
import { createHash } from 'crypto';
import { InvalidValueError } from '../errors';
import { canonicalJson } from '../hooks/manifest';
import { ObjectName, UNQUOTED_UPPER_IDENTIFIER, quoteIdentifier, sqlString, unquotedName } from '../identifiers';
import { runVar } from './statement';

/** Whether a service has a public endpoint (ingress from outside Snowflake) or only private ones. */
export type ServiceIngressKind = 'PRIVATE' | 'PUBLIC';

/** The token the deploy procedure replaces with a service's own (unqualified) name. */
export const SERVICE_TOKEN = '<SERVICE>';

/**
 * The endpoint of a model inference service: Model Serving names it `inference`
 * (snowflake-ml-python `ModelOperator.INFERENCE_SERVICE_ENDPOINT_NAME`), and a gateway target is
 * `db.schema.service!endpoint` (https://docs.snowflake.com/en/sql-reference/sql/create-gateway).
 */
export const INFERENCE_ENDPOINT = 'inference';

/**
 * The service role Snowflake defines for every service with endpoints: USAGE on all of them
 * (https://docs.snowflake.com/en/sql-reference/sql/grant-service-role, "Managing service-related
 * privileges"). Only the service's owner may grant it.
 */
export const ALL_ENDPOINTS_USAGE = 'ALL_ENDPOINTS_USAGE';

/**
 * The row-wise method the aggregator exposes for online inference. Model Serving does not serve
 * TABLE_FUNCTION methods (snowflake-ml-python 1.33+ refuses a model whose only methods are table
 * functions: `ModelVersion.create_service`), and the partitioned `predict` is one, so a served
 * aggregator also logs this FUNCTION method: one output row per input row, any mix of partitions.
 * Its REST path is the method name with `_` as `-` (`/predict-rows`).
 */
export const ONLINE_METHOD = 'predict_rows';

/** The REST path of a model method on a service or gateway (`predict_rows` -> `/predict-rows`). */
export function restPath(method: string): string {
  return `/${method.replace(/_/g, '-')}`;
}

/** What the deploy procedure and its step are rendered from (constructs/inference-service.ts builds it). */
export interface InferenceServiceModel {
  /** The construct's path: the step id's prefix. */
  readonly path: string;
  /** `DB.SCHEMA.NAME`: services are `NAME_<VERSION>_<TAG>` in that schema; with PUBLIC ingress the gateway is `NAME`. */
  readonly name: ObjectName;
  /** The aggregator model whose alias the service follows. */
  readonly model: ObjectName;
  /** The alias followed. */
  readonly alias: string;
  /** The deploy procedure `(VERSION_NAME VARCHAR)`. */
  readonly procedure: ObjectName;
  readonly computePool: ObjectName;
  readonly ingress: ServiceIngressKind;
  readonly minInstances: number;
  readonly maxInstances: number;
  /** The role callers are granted (it holds the service role and, with a gateway, USAGE on it). */
  readonly endpointRole: string;
  /** The steps the deploy step runs after (the pipeline's promotion) and its run group. */
  readonly dependsOn: readonly string[];
  readonly runGroup: string;
  /** The deploy step's time limit: it waits while the model's image is built and the service starts. */
  readonly timeoutSeconds: number;
}

/** The gateway of a service with PUBLIC ingress: the stable URL callers use (`NAME`). */
export function gatewayOf(m: Pick<InferenceServiceModel, 'name' | 'ingress'>): ObjectName | undefined {
  return m.ingress === 'PUBLIC' ? m.name : undefined;
}

/**
 * A digest of what a service is created with (model, pool, ingress, instances): part of its name,
 * so a change of settings creates a new service beside the old one (then retires the old one)
 * instead of leaving the old settings in place.
 */
export function settingsTag(m: Pick<InferenceServiceModel, 'model' | 'computePool' | 'ingress' | 'minInstances' | 'maxInstances'>): string {
  const settings = {
    model: m.model.toString(),
    computePool: m.computePool.toString(),
    ingress: m.ingress,
    minInstances: m.minInstances,
    maxInstances: m.maxInstances,
  };
  return createHash('sha256').update(canonicalJson(settings)).digest('hex').slice(0, 8).toUpperCase();
}

/** The comment the deploy procedure marks its services with: which services it may retire. */
export function serviceMarker(m: Pick<InferenceServiceModel, 'name'>): string {
  return `many-model inference service ${m.name.toString()}`;
}

/** The name of version `version`'s service (what the procedure computes at run time), for tests and docs. */
export function serviceNameFor(
  m: Pick<InferenceServiceModel, 'name' | 'model' | 'computePool' | 'ingress' | 'minInstances' | 'maxInstances'>,
  version: string,
): ObjectName {
  if (!UNQUOTED_UPPER_IDENTIFIER.test(version))
    throw new InvalidValueError(`version ${JSON.stringify(version)} is not an unquoted identifier`, 'Use the version name as SHOW VERSIONS IN MODEL lists it');
  const [db, schema, name] = m.name.parts;
  return ObjectName.of(db, schema, `${name}_${version}_${settingsTag(m)}`);
}

/** `DB.S.<SERVICE>`: a service of the construct, named by the token. */
function serviceRef(m: Pick<InferenceServiceModel, 'name'>): string {
  const [db, schema] = unquotedName(m.name).split('.');
  return `${db}.${schema}.${SERVICE_TOKEN}`;
}

/**
 * The gateway specification: all traffic to the current service's endpoint ("CREATE GATEWAY",
 * specification parameters: type traffic_split, split_type custom, targets of type endpoint whose
 * weights add up to 100).
 */
export function renderGatewaySpec(m: Pick<InferenceServiceModel, 'name'>): string {
  return [
    'spec:',
    '  type: traffic_split',
    '  split_type: custom',
    '  targets:',
    '  - type: endpoint',
    `    value: ${serviceRef(m)}!${INFERENCE_ENDPOINT}`,
    '    weight: 100',
  ].join('\n');
}

/** The statements the deploy procedure runs, by purpose; `<SERVICE>` is the service each is about. */
export interface DeployStatements {
  /** Lists the schema's services with their status and comment. */
  readonly show: string;
  /** Status of one service (`status` column), polled while an interrupted deploy's service starts. */
  readonly describe: string;
  /** Marks a service as this construct's (its comment): only marked services are ever retired. */
  readonly mark: string;
  /** Has the grant procedure give the endpoint role what calling the service needs. */
  readonly grant: string;
  /** Creates the gateway pointing at the service (PUBLIC only). */
  readonly createGateway?: string;
  /** Re-points the gateway at the service (PUBLIC only). */
  readonly alterGateway?: string;
  /** Drops a retired service. */
  readonly drop: string;
}

/**
 * The deploy procedure's statements.
 * - SHOW SERVICES IN SCHEMA: https://docs.snowflake.com/en/sql-reference/sql/show-services
 * - DESCRIBE SERVICE (its status column): lib/sql/services.ts renderDescribeService
 * - ALTER SERVICE ... SET COMMENT: https://docs.snowflake.com/en/sql-reference/sql/alter-service
 * - CREATE / ALTER GATEWAY: https://docs.snowflake.com/en/sql-reference/sql/create-gateway ,
 *   https://docs.snowflake.com/en/sql-reference/sql/alter-gateway (CREATE GATEWAY on the schema and
 *   BIND SERVICE ENDPOINT; USAGE on the target endpoint, which the owner of the service has)
 * - DROP SERVICE: https://docs.snowflake.com/en/sql-reference/sql/drop-service (ownership)
 * The grants go through the grant procedure (renderGrantStatements).
 */
export function renderDeployStatements(m: InferenceServiceModel): DeployStatements {
  const [db, schema] = unquotedName(m.name).split('.');
  const service = serviceRef(m);
  const gateway = gatewayOf(m);
  const spec = renderGatewaySpec(m);
  return {
    show: `SHOW SERVICES IN SCHEMA ${db}.${schema}`,
    describe: `DESCRIBE SERVICE ${service}`,
    mark: `ALTER SERVICE ${service} SET COMMENT = ${sqlString(serviceMarker(m))}`,
    grant: `CALL ${grantProcedureOf(m).quoted}(${sqlString(SERVICE_TOKEN)})`,
    ...(gateway
      ? {
          // A string constant, not $$...$$: these statements live in the deploy procedure's body,
          // which is itself dollar-quoted and so cannot hold $$.
          createGateway: `CREATE GATEWAY IF NOT EXISTS ${unquotedName(gateway)} FROM SPECIFICATION ${sqlString(spec)}`,
          alterGateway: `ALTER GATEWAY ${unquotedName(gateway)} FROM SPECIFICATION ${sqlString(spec)}`,
        }
      : {}),
    drop: `DROP SERVICE IF EXISTS ${service}`,
  };
}

/**
 * The grant procedure of a service (`NAME_GRANT(SERVICE_NAME VARCHAR)`): owned by the deploy role and
 * run with its rights, because the pipeline's schema is managed access, where "the schema owner
 * manages all privilege grants" and object owners (the runner, which creates the service and the
 * gateway) cannot grant on their objects
 * ("Overview of Access Control", managed access schemas: https://docs.snowflake.com/en/user-guide/security-access-control-overview).
 * The deploy role owns the schema and inherits the runner's objects (the runner role is granted to
 * it), so it is both the schema owner and, through the hierarchy, the services' owner, who alone
 * may grant a service role.
 */
export function grantProcedureOf(m: Pick<InferenceServiceModel, 'name'>): ObjectName {
  const [db, schema, name] = m.name.parts;
  return ObjectName.of(db, schema, `${name}_GRANT`);
}

/** The grants the grant procedure makes, by key; `<SERVICE>` is the service. */
export interface GrantStatements {
  /** The endpoint role may call the service's endpoints (and its service functions). */
  readonly grantEndpoints: string;
  /** The endpoint role may call through the gateway (PUBLIC only). */
  readonly grantGateway?: string;
}

/**
 * - GRANT SERVICE ROLE <service>!ALL_ENDPOINTS_USAGE: https://docs.snowflake.com/en/sql-reference/sql/grant-service-role
 *   ("Only the service owner can grant the service role")
 * - GRANT USAGE ON GATEWAY: USAGE is a gateway privilege (DESCRIBE GATEWAY, SHOW GATEWAYS:
 *   https://docs.snowflake.com/en/sql-reference/sql/desc-gateway); which privilege a gateway's
 *   callers need is not spelled out in the pages read: docs/serving.md, "Not verified".
 */
export function renderGrantStatements(m: InferenceServiceModel): GrantStatements {
  const role = quoteIdentifier(m.endpointRole);
  const gateway = gatewayOf(m);
  return {
    grantEndpoints: `GRANT SERVICE ROLE ${serviceRef(m)}!${ALL_ENDPOINTS_USAGE} TO ROLE ${role}`,
    ...(gateway ? { grantGateway: `GRANT USAGE ON GATEWAY ${unquotedName(gateway)} TO ROLE ${role}` } : {}),
  };
}

/** The grant procedure's argument types. */
export const GRANT_PROCEDURE_ARGUMENTS: readonly (readonly [name: string, type: string])[] = [['SERVICE_NAME', 'VARCHAR']];

/** The grant procedure as a grant names it. */
export function grantProcedureSignature(procedure: ObjectName): string {
  return `${procedure.quoted}(${GRANT_PROCEDURE_ARGUMENTS.map(([, t]) => t).join(', ')})`;
}

/** The deploy procedure's argument types, in the order renderDeployCall passes them. */
export const DEPLOY_PROCEDURE_ARGUMENTS: readonly (readonly [name: string, type: string])[] = [['VERSION_NAME', 'VARCHAR']];

/** The procedure as a grant names it (with its argument types). */
export function deployProcedureSignature(procedure: ObjectName): string {
  return `${procedure.quoted}(${DEPLOY_PROCEDURE_ARGUMENTS.map(([, t]) => t).join(', ')})`;
}

/** Calls the deploy procedure with the version the step captured; idempotent (the service of a version is created once). */
export function renderDeployCall(procedure: ObjectName): string {
  return `CALL ${procedure.quoted}(${sqlString(runVar('MODEL_VERSION'))})`;
}

/** `SHOW ENDPOINTS IN SERVICE`: a service's endpoints and their ingress URLs (https://docs.snowflake.com/en/sql-reference/sql/show-endpoints). */
export function renderShowEndpoints(service: ObjectName): string {
  return `SHOW ENDPOINTS IN SERVICE ${unquotedName(service)}`;
}

/** `DESCRIBE GATEWAY`: its `ingress_url` column is the stable URL (https://docs.snowflake.com/en/sql-reference/sql/desc-gateway). */
export function renderDescribeGateway(gateway: ObjectName): string {
  return `DESCRIBE GATEWAY ${unquotedName(gateway)}`;
}

/** The statements by the keys the deploy procedure reads them with (deploy_procedure.py.tmpl `STATEMENTS`). */
export function deployStatementsByKey(m: InferenceServiceModel): Record<string, string> {
  const st = renderDeployStatements(m);
  const out: Record<string, string> = { show: st.show, describe: st.describe, mark: st.mark, grant: st.grant, drop: st.drop };
  if (st.createGateway && st.alterGateway) Object.assign(out, { create_gateway: st.createGateway, alter_gateway: st.alterGateway });
  return out;
}

/** The grants by the keys the grant procedure reads them with (grant_procedure.py.tmpl `STATEMENTS`). */
export function grantStatementsByKey(m: InferenceServiceModel): Record<string, string> {
  const st = renderGrantStatements(m);
  return { grant_endpoints: st.grantEndpoints, ...(st.grantGateway ? { grant_gateway: st.grantGateway } : {}) };
}
