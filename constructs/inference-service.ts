/**
 * A real-time inference service for the aggregator's promoted version (docs/serving.md): Model
 * Serving on Snowpark Container Services, deployed by a post-deploy step after each promotion.
 *
 * Props become a validated model (`inferenceServiceModel`, below); the construct creates the deploy
 * procedure, the endpoint role and the grants from it and registers `servingSteps(model)`
 * (lib/pipeline/serving.ts). Terraform never creates the service itself: a service runs one model
 * version, and versions exist only after the hooks have registered them.
 */
import { Annotations, Token } from '../lib/engine';
import { ProcedurePython } from './resources';
import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { Hooks } from '../lib/hooks/hooks';
import { ObjectName, normalizeIdentifier, unquotedName } from '../lib/identifiers';
import { servingSteps } from '../lib/pipeline/serving';
import { DEPLOY_PROCEDURE_PACKAGES, ML_PYTHON } from '../lib/registry/packages';
import { deployProcedureSourceOf, grantProcedureSourceOf } from '../lib/registry/python/render';
import {
  DEPLOY_PROCEDURE_ARGUMENTS,
  GRANT_PROCEDURE_ARGUMENTS,
  InferenceServiceModel,
  deployProcedureSignature,
  gatewayOf,
  grantProcedureOf,
  grantProcedureSignature,
} from '../lib/sql/serving';
import { IComputePool } from './compute-pool';
import { IRole, Role, Schema, grantUsageOnParents } from './core';
import { dependOn } from './depends';
import { Grant, GrantOn, RoleGrant, grantPrivileges, grantRole } from './grants';
import type { ModelRegistryAggregator } from './model-registry-aggregator';
import { nameFromPath } from './names';
import { claimName } from './object-names';

/**
 * Who can reach an inference service ("Service networking":
 * https://docs.snowflake.com/en/developer-guide/snowpark-container-services/service-network-communications).
 */
export enum ServiceIngress {
  /** Private endpoints only: service functions (SQL) and other services in the account. */
  PRIVATE = 'PRIVATE',
  /**
   * A public endpoint, reachable from outside Snowflake by authenticated callers holding the
   * endpoint role, behind a gateway whose URL stays the same across promotions. Flagged by policy
   * rule MM-SV1.
   */
  PUBLIC = 'PUBLIC',
}

/** An inference service's settings (`aggregator.addInferenceService(id, options)`). */
export interface InferenceServiceOptions {
  /** Compute pool the service's instances run on; the model's image is built there too. */
  readonly computePool: IComputePool;
  /** Instances kept running; 0 lets the service suspend when idle, so a call after a quiet spell waits for it to start. @default 0 */
  readonly minInstances?: number;
  /** Instances the service may scale out to under load. @default - minInstances, at least 1 */
  readonly maxInstances?: number;
  /** Who can reach the service. @default ServiceIngress.PRIVATE */
  readonly ingress?: ServiceIngress;
  /** Alias whose version the service runs. @default - the aggregator's alias */
  readonly alias?: string;
  /** Name of the services (`NAME_<VERSION>_<TAG>`), the gateway and the deploy procedure (`NAME_DEPLOY`). @default - derived from the construct path */
  readonly name?: string;
  /** Role callers are granted: it may call the service (and its gateway) and nothing else. @default - a new role `NAME_CALLER` */
  readonly endpointRole?: IRole;
  /** Time limit of the deploy step, which waits while the model's image is built and the service starts. @default Duration.hours(1) */
  readonly timeout?: Duration;
}

export interface InferenceServiceProps extends InferenceServiceOptions {
  /** The aggregator of a ManyModelPipeline whose promoted version the service runs. */
  readonly aggregator: ModelRegistryAggregator;
}

/** Derived names add `_<VERSION>_<TAG>` (up to 83 characters for a `V_` version); services are named under 255. */
const MAX_NAME_LENGTH = 150;

/**
 * Serves the aggregator's promoted version for low-latency REST calls (PUBLIC ingress) or service
 * functions (PRIVATE). After each promotion its deploy step starts the new version's service,
 * re-points the gateway and retires the previous service, so callers are never without a service.
 */
export class InferenceService extends Construct {
  /** `DB.SCHEMA.NAME`: the services are `NAME_<VERSION>_<TAG>`, the gateway (PUBLIC) `NAME`. */
  readonly name: ObjectName;
  /** The gateway callers use (PUBLIC ingress): its `ingress_url` (DESCRIBE GATEWAY) stays the same across promotions. */
  readonly gateway?: ObjectName;
  /** The role callers are granted (`grantInvoke`). */
  readonly endpointRole: IRole;
  /** The procedure the deploy step calls (caller's rights: the runner creates the services). */
  readonly deployProcedure: ProcedurePython;
  /** The procedure the deploy procedure grants through (owner's rights: the deploy role decides grants). */
  readonly grantProcedure: ProcedurePython;
  /** The deploy step's id (it runs after the pipeline's promotion). */
  readonly hookStepIds: readonly string[];
  /** The settings, checked and defaulted: what the procedure and the step are rendered from. */
  readonly model: InferenceServiceModel;

  constructor(scope: Construct, id: string, props: InferenceServiceProps) {
    super(scope, id);
    const aggregator = props.aggregator;
    const binding = aggregator.pipelineBinding;
    if (!binding) {
      throw new ValidationError(
        this.node.path,
        'aggregator',
        `${aggregator.node.path} is not the aggregator of a ManyModelPipeline, so no promotion moves its alias for the service to follow`,
        "Add the service to a pipeline's aggregator: pipeline.aggregator.addInferenceService(...)",
      );
    }
    const endpointRoleName = props.endpointRole?.roleName;
    this.model = inferenceServiceModel(this, props, binding, endpointRoleName);
    const m = this.model;
    this.name = m.name;
    this.gateway = gatewayOf(m);
    claimName(this, 'name', 'SERVICE', m.name);
    if (this.gateway) claimName(this, 'name', 'GATEWAY', this.gateway);
    claimName(this, 'name', 'PROCEDURE', m.procedure, '(VARCHAR)');
    claimName(this, 'name', 'PROCEDURE', grantProcedureOf(m), '(VARCHAR)');
    this.endpointRole = props.endpointRole ?? new Role(this, 'EndpointRole', { name: m.endpointRole, comment: `May call the inference service ${m.name}` });
    // Served versions are logged with the row-wise online method, for SNOWPARK_CONTAINER_SERVICES too.
    aggregator.enableOnlineInference();
    this.deployProcedure = this.createProcedure(aggregator);
    this.grantProcedure = this.createGrantProcedure(aggregator);
    this.grant(aggregator, binding.runnerRole, binding.ownerRole, props);
    const hooks = Hooks.of(this);
    const steps = servingSteps(m);
    for (const step of steps) hooks.addStep(step);
    this.hookStepIds = steps.map((s) => s.id);
    binding.addStepIds(this.hookStepIds);
    this.warnOnPoolCapacity(props.computePool);
  }

  /** Lets `role` call the service: grants it the endpoint role (role hierarchy). */
  grantInvoke(role: IRole): RoleGrant {
    return grantRole(this, this.endpointRole, role);
  }

  private createProcedure(aggregator: ModelRegistryAggregator): ProcedurePython {
    const m = this.model;
    const source = deployProcedureSourceOf(m);
    const [database, schema] = m.procedure.parts;
    const procedure = new ProcedurePython(this, 'DeployProcedure', {
      database,
      schema,
      name: m.procedure.name,
      arguments: DEPLOY_PROCEDURE_ARGUMENTS.map(([argName, argDataType]) => ({ argName, argDataType })),
      returnType: 'VARCHAR',
      runtimeVersion: '3.11',
      // min_instances arrived in 1.25.0 (lib/registry/packages.ts); its recipe allows Snowpark 1.25.0.
      snowparkPackage: DEPLOY_PROCEDURE_PACKAGES.snowpark,
      packages: [`${ML_PYTHON}==${DEPLOY_PROCEDURE_PACKAGES.mlPython}`],
      handler: 'main',
      // Caller's rights, as the registration procedure: the hooks runner, which owns the model,
      // creates and therefore owns the services (only a service's owner may grant its service
      // role: https://docs.snowflake.com/en/sql-reference/sql/grant-service-role), and
      // create_service uploads its deployment spec through a temporary stage, which an owner's-rights
      // procedure may not create (procedure-python-limitations).
      executeAs: 'CALLER',
      procedureDefinition: source,
      comment: `Deploys the version ${m.model}@${m.alias} to the inference service ${m.name} (blue/green)`,
    });
    if (aggregator.schema instanceof Schema) dependOn(procedure, aggregator.schema.resource);
    return procedure;
  }

  /**
   * The grant procedure, owner's rights: it runs as the deploy role, which creates it. The
   * pipeline's schema is managed access, where only the schema owner (or MANAGE GRANTS) grants on
   * the objects in it, whoever owns them; the deploy role owns the schema it creates and, the
   * runner role being granted to it, the services and gateway the runner creates, whose owner alone
   * may grant a service role. It grants to the endpoint role only, and only on this construct's
   * services (the names are in its body).
   */
  private createGrantProcedure(aggregator: ModelRegistryAggregator): ProcedurePython {
    const m = this.model;
    const name = grantProcedureOf(m);
    const [database, schema] = name.parts;
    const procedure = new ProcedurePython(this, 'GrantProcedure', {
      database,
      schema,
      name: name.name,
      arguments: GRANT_PROCEDURE_ARGUMENTS.map(([argName, argDataType]) => ({ argName, argDataType })),
      returnType: 'VARCHAR',
      runtimeVersion: '3.11',
      snowparkPackage: DEPLOY_PROCEDURE_PACKAGES.snowpark,
      handler: 'main',
      executeAs: 'OWNER',
      procedureDefinition: grantProcedureSourceOf(m),
      comment: `Grants ${m.endpointRole} the use of the inference service ${m.name}`,
    });
    if (aggregator.schema instanceof Schema) dependOn(procedure, aggregator.schema.resource);
    return procedure;
  }

  /**
   * Least privilege (docs/roles.md). The runner, which runs the deploy step: USAGE on the pool
   * ("USAGE or OWNERSHIP on the compute pool where the service runs", real-time inference page),
   * CREATE SERVICE on the schema (and CREATE GATEWAY for PUBLIC ingress: CREATE GATEWAY's access
   * control), USAGE on the deploy and grant procedures; it owns the model. The endpoint role: USAGE
   * on the service's database and schema; the service role and, with a gateway, USAGE on it are
   * granted by the grant procedure during the deploy step, since the service and gateway exist only then.
   */
  private grant(aggregator: ModelRegistryAggregator, runner: IRole, owner: IRole, props: InferenceServiceProps): Grant {
    const m = this.model;
    props.computePool.grantUsage(runner);
    const schemaPrivileges = m.ingress === 'PUBLIC' ? ['CREATE SERVICE', 'CREATE GATEWAY'] : ['CREATE SERVICE'];
    aggregator.schema.grant(runner, ...schemaPrivileges);
    grantPrivileges(this, runner, GrantOn.schemaObject('PROCEDURE', deployProcedureSignature(m.procedure)), ['USAGE'], [this.deployProcedure]);
    grantPrivileges(this, runner, GrantOn.schemaObject('PROCEDURE', grantProcedureSignature(grantProcedureOf(m))), ['USAGE'], [this.grantProcedure]);
    // A role this service creates sits under the owner role, as the pipeline's roles do.
    if (this.endpointRole instanceof Role) grantRole(this, this.endpointRole, owner);
    return grantUsageOnParents(this, this.endpointRole, m.name);
  }

  // Capacity is only a warning: an imported pool's size may be unknown, and training shares it.
  private warnOnPoolCapacity(pool: IComputePool): void {
    const cap = pool.maxNodes;
    if (cap !== undefined && this.model.maxInstances > cap) {
      Annotations.of(this).addWarning(
        `${this.node.path}: maxInstances is ${this.model.maxInstances} but compute pool ${pool.poolName} has maxNodes ${cap}; instances beyond it wait for nodes. Raise the pool's maxNodes or lower maxInstances.`,
      );
    }
  }
}

/**
 * The service `service`'s model from its props: every prop checked (errors name the service's path
 * and the prop), every default applied, every name derived.
 */
export function inferenceServiceModel(
  service: Construct,
  props: InferenceServiceProps,
  binding: { readonly promoteStepId: string; readonly runGroup: string },
  endpointRoleName: string | undefined,
): InferenceServiceModel {
  const path = service.node.path;
  const aggregator = props.aggregator;
  const schema = aggregator.schema.qualifiedName;
  const name = validateProp(path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(service), 'service name'));
  if (name.length > MAX_NAME_LENGTH) {
    throw new ValidationError(
      path,
      'name',
      `${name} is ${name.length} characters; a service is named NAME_<VERSION>_<TAG>, which must stay under 255`,
      `Give a name of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  const qualified = schema.child(name);
  // Services are named unquoted, as the job services are (EXECUTE JOB SERVICE takes no quoted name).
  validateProp(path, 'name', () => unquotedName(qualified));
  const minInstances = props.minInstances ?? 0;
  if (!Token.isUnresolved(minInstances) && !(Number.isInteger(minInstances) && minInstances >= 0)) {
    throw new ValidationError(
      path,
      'minInstances',
      `is ${minInstances}; it must be a whole number >= 0`,
      'Use 0 to let the service suspend when idle, or 1 or more to keep instances running',
    );
  }
  const maxInstances = props.maxInstances ?? Math.max(1, minInstances);
  if (!Token.isUnresolved(maxInstances) && !(Number.isInteger(maxInstances) && maxInstances >= 1)) {
    throw new ValidationError(
      path,
      'maxInstances',
      `is ${maxInstances}; it must be a whole number >= 1`,
      'Give the most instances the service may scale out to, e.g. 2',
    );
  }
  if (maxInstances < minInstances) {
    throw new ValidationError(path, 'maxInstances', `(${maxInstances}) is below minInstances (${minInstances})`, 'Raise maxInstances or lower minInstances');
  }
  const ingress = props.ingress ?? ServiceIngress.PRIVATE;
  if (!Object.values(ServiceIngress).includes(ingress)) {
    throw new ValidationError(path, 'ingress', `${JSON.stringify(ingress)} is unknown`, 'Use ServiceIngress.PRIVATE or ServiceIngress.PUBLIC');
  }
  const alias = validateProp(path, 'alias', () => normalizeIdentifier(props.alias ?? aggregator.alias, 'alias'));
  const timeoutSeconds = validateProp(path, 'timeout', () => (props.timeout ?? Duration.hours(1)).toSeconds());
  if (timeoutSeconds < 60) {
    throw new ValidationError(
      path,
      'timeout',
      `is ${timeoutSeconds} s; building the model's image and starting the service take minutes`,
      'Give at least Duration.minutes(10)',
    );
  }
  return {
    path,
    name: qualified,
    model: aggregator.modelName,
    alias,
    procedure: schema.child(`${name}_DEPLOY`),
    computePool: props.computePool.qualifiedName,
    ingress,
    minInstances,
    maxInstances,
    endpointRole: endpointRoleName ?? `${name}_CALLER`,
    dependsOn: [binding.promoteStepId],
    runGroup: binding.runGroup,
    timeoutSeconds,
  };
}
