import { ProcedurePython, Stage } from './resources';
import { Construct, IConstruct } from 'constructs';
import { InvalidValueError, ValidationError, validateProp } from '../lib/errors';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { PromotionGateModel } from '../lib/pipeline/model';
import { ML_PYTHON, PROCEDURE_PACKAGES, checkPackagePins } from '../lib/registry/packages';
import { ONLINE_METHOD_NAME, renderRegisterProcedureSource } from '../lib/registry/python/render';
import { GateMetric, GateMetricName, REGISTER_PROCEDURE_ARGUMENTS, registerProcedureArgumentTypes, registerProcedureSignature } from '../lib/sql/registry';
import { IRole, ISchema, Schema, grantUsageOnParents } from './core';
import { Grant, GrantOn, grantPrivileges } from './grants';
import { nameFromPath } from './names';
import { claimName } from './object-names';
import { checkPreviewFeatures } from './preview-features';
import { dependOn } from './depends';
import { useRelativeLocalState } from './local-backend';
import { InferenceService, InferenceServiceOptions } from './inference-service';

/** Where the registered model runs its inference ("Model Registry: target platforms"). */
export enum TargetPlatform {
  WAREHOUSE = 'WAREHOUSE',
  SNOWPARK_CONTAINER_SERVICES = 'SNOWPARK_CONTAINER_SERVICES',
}

/** A typed column of the aggregator's schema contract. */
export interface ColumnDefinition {
  /** Column name. */
  readonly name: string;
  /** Snowflake type, e.g. VARCHAR, NUMBER(10,0), FLOAT, DATE. */
  readonly type: string;
}

/** Promotion rule: the alias moves to a new version only when the run's metric passes. */
export class PromotionGate {
  /** Promote when the metric is at most `threshold` (MEDIAN_MAPE is a fraction: 0.2 = 20 %). */
  static metricAtMost(metric: GateMetricName, threshold: number): PromotionGate {
    return new PromotionGate(metric, threshold);
  }
  /** Always promote a registered version (not recommended for production aliases). */
  static none(): PromotionGate {
    return new PromotionGate(undefined, undefined);
  }
  private constructor(
    /** The metric, or undefined for no gate. */
    public readonly metric: GateMetricName | undefined,
    /** The threshold. */
    public readonly threshold: number | undefined,
  ) {}
}

/** The forecast input contract: partition key and horizon step. */
export const DEFAULT_INPUT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'PARTITION_KEY', type: 'VARCHAR' },
  { name: 'STEP', type: 'NUMBER(10,0)' },
];

/** The forecast output contract: point forecast with interval bounds per partition and step. */
export const DEFAULT_OUTPUT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'PARTITION_KEY', type: 'VARCHAR' },
  { name: 'STEP', type: 'NUMBER(10,0)' },
  { name: 'DS', type: 'DATE' },
  { name: 'FORECAST', type: 'FLOAT' },
  { name: 'LOWER', type: 'FLOAT' },
  { name: 'UPPER', type: 'FLOAT' },
];

/** A registered (or to-be-registered) aggregator model, owned or imported. */
export interface IModelRegistryAggregator extends IConstruct {
  /** `"DB"."SCHEMA"."MODEL"`. */
  readonly modelName: ObjectName;
  /** Alias that scoring uses and promotion moves. */
  readonly alias: string;
  readonly inputColumns: readonly ColumnDefinition[];
  readonly outputColumns: readonly ColumnDefinition[];
  /** Grants what inference needs and nothing more: USAGE on the database and schema, USAGE on the model. */
  grantPredict(role: IRole): Grant;
}

abstract class AggregatorBase extends Construct implements IModelRegistryAggregator {
  abstract readonly modelName: ObjectName;
  abstract readonly alias: string;
  abstract readonly inputColumns: readonly ColumnDefinition[];
  abstract readonly outputColumns: readonly ColumnDefinition[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    useRelativeLocalState(this);
  }

  grantPredict(role: IRole): Grant {
    const [db, schema] = this.modelName.parts;
    // The model itself is created after deploy by the registration step, so Terraform cannot
    // grant on it by name: a future grant on the schema's models covers every version it logs.
    return Grant.combine(
      grantUsageOnParents(this, role, this.modelName),
      grantPrivileges(this, role, GrantOn.future('MODELS', ObjectName.of(db, schema).quoted), ['USAGE']),
    );
  }
}

export interface ModelRegistryAggregatorProps {
  /** Schema holding the model, its stage and its registration procedure. */
  readonly schema: ISchema;
  /** Fully qualified TRAINING_METRICS table the registration reads (`DB.SCHEMA.TABLE`). */
  readonly metricsTableName: string;
  /** Model name in the registry. @default - derived from the construct path */
  readonly modelName?: string;
  /** Stage for per-partition artifacts and model_index.json. @default - derived from the construct path */
  readonly stageName?: string;
  /** Prefix of version names; a version is `<prefix><run id>` and never overwritten. @default 'V_' */
  readonly versionPrefix?: string;
  /** Alias promotion moves and scoring uses (a version holds at most one alias). @default 'PRODUCTION' */
  readonly alias?: string;
  /** Gate a run must pass before the alias moves to it. @default PromotionGate.none() */
  readonly promotionGate?: PromotionGate;
  /** Typed inputs of predict. @default DEFAULT_INPUT_COLUMNS (PARTITION_KEY, STEP) */
  readonly inputColumns?: ColumnDefinition[];
  /** Typed outputs of predict. @default DEFAULT_OUTPUT_COLUMNS (PARTITION_KEY, STEP, DS, FORECAST, LOWER, UPPER) */
  readonly outputColumns?: ColumnDefinition[];
  /** Where inference runs. @default TargetPlatform.WAREHOUSE */
  readonly targetPlatform?: TargetPlatform;
  /** Conda packages the model needs at inference, e.g. `pandas==2.2.3`. @default - none beyond the runtime */
  readonly condaDependencies?: string[];
  /** Pip requirements (SNOWPARK_CONTAINER_SERVICES only). @default - none */
  readonly pipRequirements?: string[];
  /** Python source of a custom aggregator model class replacing the built-in one (bring your own). @default - the built-in forecast aggregator */
  readonly aggregatorSource?: string;
  /** Python version of the procedure and the model. @default '3.11' */
  readonly pythonVersion?: string;
}

const PACKAGE_SPEC = /^[A-Za-z0-9_.-]+(\[[A-Za-z0-9_,-]+\])?((==|>=|<=|~=|>|<)[A-Za-z0-9_.*+-]+)?$/;
const SQL_TYPE =
  /^(VARCHAR|STRING|TEXT|NUMBER|INT|INTEGER|FLOAT|DOUBLE|REAL|BOOLEAN|DATE|TIMESTAMP_NTZ|TIMESTAMP_LTZ|TIMESTAMP_TZ|VARIANT|OBJECT|ARRAY)(\(\d+(,\d+)?\))?$/;

/**
 * The many-model aggregator: a stage for per-partition artifacts (directory table, server-side
 * encryption), the registration procedure that logs ONE partitioned model version per run (O(1)
 * in the number of partitions), the schema contract, the alias and the promotion gate.
 */
export class ModelRegistryAggregator extends AggregatorBase {
  /** References a model already in the registry (`DB.SCHEMA.MODEL`), e.g. to score with it. */
  static fromName(
    scope: Construct,
    id: string,
    qualifiedName: string,
    options: { alias?: string; inputColumns?: ColumnDefinition[]; outputColumns?: ColumnDefinition[] } = {},
  ): IModelRegistryAggregator {
    const path = `${scope.node.path}/${id}`;
    const name = validateProp(path, 'qualifiedName', () => ObjectName.parse(qualifiedName, 3));
    const alias = validateProp(path, 'alias', () => normalizeIdentifier(options.alias ?? 'PRODUCTION', 'alias'));
    const inputs = checkColumns(path, 'inputColumns', options.inputColumns ?? DEFAULT_INPUT_COLUMNS);
    const outputs = checkColumns(path, 'outputColumns', options.outputColumns ?? DEFAULT_OUTPUT_COLUMNS);
    return new (class extends AggregatorBase {
      readonly modelName = name;
      readonly alias = alias;
      readonly inputColumns = inputs;
      readonly outputColumns = outputs;
    })(scope, id);
  }

  readonly modelName: ObjectName;
  readonly stageName: ObjectName;
  readonly procedureName: ObjectName;
  readonly metricsTable: ObjectName;
  readonly alias: string;
  readonly versionPrefix: string;
  readonly gate: PromotionGate;
  readonly inputColumns: readonly ColumnDefinition[];
  readonly outputColumns: readonly ColumnDefinition[];
  readonly targetPlatform: TargetPlatform;
  readonly stage: Stage;
  readonly procedure: ProcedurePython;
  /** The schema holding the model, its stage and its procedures. */
  readonly schema: ISchema;
  /** What the registration procedure is rendered from: rendered again when a service needs the online method. */
  private readonly registration: RegistrationSettings;
  private readonly aggregatorSource?: string;
  private pipeline?: AggregatorPipelineBinding;
  private online = false;

  constructor(scope: Construct, id: string, props: ModelRegistryAggregatorProps) {
    super(scope, id);
    const path = this.node.path;
    this.schema = props.schema;
    const settings = aggregatorSettings(scope, id, props.schema.qualifiedName, props);
    this.modelName = settings.modelName;
    this.stageName = settings.stageName;
    this.procedureName = settings.procedureName;
    claimName(this, 'modelName', 'MODEL', this.modelName);
    claimName(this, 'stageName', 'STAGE', this.stageName);
    claimName(this, 'the procedure name (derived from the construct path: change its id)', 'PROCEDURE', this.procedureName, registerProcedureArgumentTypes());
    this.metricsTable = validateProp(path, 'metricsTableName', () => ObjectName.parse(props.metricsTableName, 3));
    this.alias = settings.alias;
    this.versionPrefix = settings.versionPrefix;
    this.gate = props.promotionGate ?? PromotionGate.none();
    const registration = registrationSettings(path, props);
    this.inputColumns = registration.inputColumns;
    this.outputColumns = registration.outputColumns;
    this.targetPlatform = registration.targetPlatform;

    this.registration = registration;
    this.aggregatorSource = props.aggregatorSource;

    checkPreviewFeatures(this);
    this.stage = this.createStage();
    this.procedure = this.createProcedure(registration, props.aggregatorSource);
    if (props.schema instanceof Schema) {
      dependOn(this.stage, props.schema.resource);
      dependOn(this.procedure, props.schema.resource);
    }
  }

  /** The artifacts' stage: a directory table (the runner refreshes it) and server-side encryption. */
  private createStage(): Stage {
    const [database, schema] = this.schema.qualifiedName.parts;
    return new Stage(this, 'Stage', {
      database,
      schema,
      name: this.stageName.name,
      directory: 'ENABLE = true',
      encryption: "TYPE = 'SNOWFLAKE_SSE'",
      comment: `Per-partition model artifacts and model_index.json of ${this.modelName}`,
    });
  }

  /** The registration procedure: its Python body rendered from the templates (lib/registry/python). */
  private createProcedure(r: RegistrationSettings, aggregatorSource: string | undefined): ProcedurePython {
    const source = this.registrationSource(r, aggregatorSource);
    const [database, schema] = this.schema.qualifiedName.parts;
    return new ProcedurePython(this, 'RegisterProcedure', {
      database,
      schema,
      name: this.procedureName.name,
      arguments: REGISTER_PROCEDURE_ARGUMENTS.map(([argName, argDataType]) => ({ argName, argDataType })),
      returnType: 'VARCHAR',
      runtimeVersion: r.pythonVersion,
      // A pair snowflake-ml-python's conda recipe allows (lib/registry/packages.ts): 1.26.0 is excluded.
      snowparkPackage: PROCEDURE_PACKAGES.snowpark,
      packages: [`${ML_PYTHON}==${PROCEDURE_PACKAGES.mlPython}`],
      handler: 'main',
      // Caller's rights, so the runner that calls it creates and OWNS the model:
      // - owner's-rights procedures cannot create named temporary objects, and Registry.log_model
      //   creates a temporary stage in the model's schema (snowflake-ml-python's
      //   ModelOperator.prepare_model_stage_path) —
      //   https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-limitations
      // - promotion (ALTER MODEL ... SET ALIAS / SET DEFAULT_VERSION), which the runner runs
      //   outside the procedure, needs OWNERSHIP of the model —
      //   https://docs.snowflake.com/en/sql-reference/sql/alter-model
      // The caller therefore needs what the body does: CREATE MODEL and CREATE STAGE on the schema
      // (grantRegister), SELECT on the metrics table and READ on the stage (docs/roles.md).
      executeAs: 'CALLER',
      procedureDefinition: source,
      comment: `Registers one version of ${this.modelName} per training run`,
    });
  }

  /** The registration procedure's source, with the online method when a service serves the versions. */
  private registrationSource(r: RegistrationSettings, aggregatorSource: string | undefined): string {
    return validateProp(this.node.path, 'aggregatorSource', () => {
      try {
        return renderRegisterProcedureSource({
          modelName: this.modelName.toString(),
          stageName: this.stageName.toString(),
          metricsTable: this.metricsTable.toString(),
          inputColumns: r.inputColumns,
          outputColumns: r.outputColumns,
          targetPlatform: r.targetPlatform,
          condaDependencies: r.condaDependencies,
          pipRequirements: r.pipRequirements,
          pythonVersion: r.pythonVersion,
          aggregatorSource,
          online: this.online,
        });
      } catch (e) {
        throw new InvalidValueError(
          `could not be rendered into the registration procedure: ${(e as Error).message}`,
          this.online
            ? `Define the row-wise method predict_rows in the aggregator source (docs/serving.md), or do not add an inference service`
            : 'Check the aggregator source',
        );
      }
    });
  }

  /**
   * Serves the alias's version from an inference service on Snowpark Container Services, for
   * low-latency REST calls and external apps (docs/serving.md). The service follows the alias: each
   * promotion deploys the new version's service, re-points the stable endpoint to it and then
   * retires the old one. Callers get `service.endpointRole` (`service.grantInvoke(role)`).
   * Only the aggregator of a `ManyModelPipeline` has a promotion to follow.
   */
  addInferenceService(id: string, options: InferenceServiceOptions): InferenceService {
    return new InferenceService(this, id, { ...options, aggregator: this });
  }

  /**
   * @internal What a service of this aggregator follows: the pipeline's promotion step, its run
   * group and runner role (set by ManyModelPipeline), or undefined for an aggregator on its own.
   */
  get pipelineBinding(): AggregatorPipelineBinding | undefined {
    return this.pipeline;
  }

  /** @internal ManyModelPipeline binds its aggregator to its promotion. */
  bindPipeline(binding: AggregatorPipelineBinding): void {
    this.pipeline = binding;
  }

  /**
   * @internal A service serves this aggregator's versions: they are logged with the row-wise
   * online method and for SNOWPARK_CONTAINER_SERVICES too (the registration procedure is rendered
   * again, and a pipeline's registration step is triggered anew: ManyModelPipeline, onServed).
   */
  enableOnlineInference(): void {
    if (this.online) return;
    this.online = true;
    this.procedure.procedureDefinition = this.registrationSource(this.registration, this.aggregatorSource);
    this.pipeline?.onServed(ONLINE_METHOD_NAME);
  }

  /** Grants READ and WRITE on the model stage (workers write artifacts, the registration reads them). */
  grantStageReadWrite(role: IRole): Grant {
    return grantPrivileges(this, role, GrantOn.schemaObject('STAGE', this.stageName.quoted), ['READ', 'WRITE'], [this.stage]);
  }

  /**
   * Grants what calling the registration procedure needs beyond reading the metrics table and the
   * stage (SELECT, READ: grant those too, as the pipeline does): USAGE on the procedure, and
   * CREATE MODEL and CREATE STAGE (log_model's temporary stage) on the schema, since the
   * procedure runs with the caller's rights and the caller owns the model it creates.
   */
  grantRegister(role: IRole): Grant {
    return Grant.combine(
      this.schema.grant(role, 'CREATE MODEL', 'CREATE STAGE'),
      grantPrivileges(this, role, GrantOn.schemaObject('PROCEDURE', registerProcedureSignature(this.procedureName)), ['USAGE'], [this.procedure]),
    );
  }
}

/** @internal What an aggregator's inference service follows in its pipeline. */
export interface AggregatorPipelineBinding {
  /** The promotion step: the service is deployed after it, in the same run. */
  readonly promoteStepId: string;
  readonly runGroup: string;
  /** The role the pipeline's hooks run as: it creates and owns the services. */
  readonly runnerRole: IRole;
  /** The role the pipeline's roles are granted to (the deploy role). */
  readonly ownerRole: IRole;
  /** Adds step ids to the pipeline's `hookStepIds`. */
  addStepIds(ids: readonly string[]): void;
  /** Versions are to be registered with the online `method` (a trigger of the registration step). */
  onServed(method: string): void;
}

/** What registering and promoting a version need of an aggregator: its names and promotion rule. */
export interface AggregatorSettings {
  readonly modelName: ObjectName;
  readonly stageName: ObjectName;
  readonly procedureName: ObjectName;
  readonly alias: string;
  readonly versionPrefix: string;
  /** The promotion gate, checked; undefined for none. */
  readonly gate?: PromotionGateModel;
}

/**
 * The settings of the aggregator `id` in `scope` (in `schema`), from its props, checked and with defaults
 * applied. The aggregator reads them here, and so does a pipeline's model before the pipeline
 * creates its aggregator (its steps are rendered from them): both derive the same names, and a
 * wrong value is reported at the aggregator's path either way.
 */
export function aggregatorSettings(
  scope: IConstruct,
  id: string,
  schema: ObjectName,
  props: Pick<ModelRegistryAggregatorProps, 'modelName' | 'stageName' | 'alias' | 'versionPrefix' | 'promotionGate'>,
): AggregatorSettings {
  const path = `${scope.node.path}/${id}`;
  // nameFromPath(scope, id, ...) is the name the aggregator derives from its own path.
  const modelName = schema.child(validateProp(path, 'modelName', () => normalizeIdentifier(props.modelName ?? nameFromPath(scope, id, 'MODEL'), 'model name')));
  const stageName = schema.child(validateProp(path, 'stageName', () => normalizeIdentifier(props.stageName ?? nameFromPath(scope, id, 'STAGE'), 'stage name')));
  const procedureName = schema.child(nameFromPath(scope, id, 'REGISTER'));
  const alias = validateProp(path, 'alias', () => normalizeIdentifier(props.alias ?? 'PRODUCTION', 'alias'));
  if (['DEFAULT', 'FIRST', 'LAST'].includes(alias)) {
    throw new ValidationError(path, 'alias', `${alias} is a system alias`, "Choose another name, e.g. 'PRODUCTION'");
  }
  const versionPrefix = props.versionPrefix ?? 'V_';
  if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(versionPrefix)) {
    throw new ValidationError(
      path,
      'versionPrefix',
      `${JSON.stringify(versionPrefix)} must be 1-32 upper-case letters, digits or _ starting with a letter`,
      "Use e.g. 'V_'",
    );
  }
  const { metric, threshold } = props.promotionGate ?? PromotionGate.none();
  if (metric === undefined) return { modelName, stageName, procedureName, alias, versionPrefix };
  if (!Object.values(GateMetric).includes(metric)) {
    throw new ValidationError(path, 'promotionGate', `metric ${JSON.stringify(metric)} is unknown`, `Use one of ${Object.values(GateMetric).join(', ')}`);
  }
  if (!(typeof threshold === 'number' && Number.isFinite(threshold) && threshold >= 0)) {
    throw new ValidationError(
      path,
      'promotionGate',
      `threshold ${threshold} must be a finite number >= 0`,
      'Give e.g. PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.2)',
    );
  }
  return { modelName, stageName, procedureName, alias, versionPrefix, gate: { metric, threshold } };
}

/** What the registration procedure is rendered from, checked and with defaults applied. */
interface RegistrationSettings {
  readonly inputColumns: ColumnDefinition[];
  readonly outputColumns: ColumnDefinition[];
  readonly targetPlatform: TargetPlatform;
  readonly condaDependencies: string[];
  readonly pipRequirements: string[];
  readonly pythonVersion: string;
}

/** The model's signature, platform, packages and runtime: each prop checked against what Snowflake and the built-in aggregator accept. */
function registrationSettings(path: string, props: ModelRegistryAggregatorProps): RegistrationSettings {
  const inputColumns = checkColumns(path, 'inputColumns', props.inputColumns ?? DEFAULT_INPUT_COLUMNS);
  const outputColumns = checkColumns(path, 'outputColumns', props.outputColumns ?? DEFAULT_OUTPUT_COLUMNS);
  for (const [prop, cols] of [
    ['inputColumns', inputColumns],
    ['outputColumns', outputColumns],
  ] as const) {
    if (!cols.some((c) => c.name === 'PARTITION_KEY')) {
      throw new ValidationError(
        path,
        prop,
        'has no PARTITION_KEY column; a partitioned model is called per partition and must receive and return its key',
        "Add { name: 'PARTITION_KEY', type: 'VARCHAR' }",
      );
    }
  }
  const targetPlatform = props.targetPlatform ?? TargetPlatform.WAREHOUSE;
  if (!Object.values(TargetPlatform).includes(targetPlatform)) {
    throw new ValidationError(
      path,
      'targetPlatform',
      `${JSON.stringify(targetPlatform)} is unknown`,
      'Use TargetPlatform.WAREHOUSE or TargetPlatform.SNOWPARK_CONTAINER_SERVICES',
    );
  }
  const condaDependencies = checkPackages(path, 'condaDependencies', props.condaDependencies ?? []);
  const pipRequirements = checkPackages(path, 'pipRequirements', props.pipRequirements ?? []);
  validateProp(path, 'condaDependencies', () => checkPackagePins(condaDependencies));
  validateProp(path, 'pipRequirements', () => checkPackagePins(pipRequirements));
  if (pipRequirements.length > 0 && targetPlatform === TargetPlatform.WAREHOUSE) {
    throw new ValidationError(
      path,
      'pipRequirements',
      'are set for a WAREHOUSE target, which installs only conda packages from the Snowflake channel',
      'Use condaDependencies, or targetPlatform: TargetPlatform.SNOWPARK_CONTAINER_SERVICES',
    );
  }
  const pythonVersion = props.pythonVersion ?? '3.11';
  if (!/^3\.(9|10|11|12)$/.test(pythonVersion)) {
    throw new ValidationError(
      path,
      'pythonVersion',
      `${JSON.stringify(pythonVersion)} is not a Python runtime Snowflake offers`,
      "Use '3.9', '3.10', '3.11' or '3.12'",
    );
  }
  if (props.aggregatorSource === undefined && !inputColumns.some((c) => c.name === 'STEP')) {
    throw new ValidationError(
      path,
      'inputColumns',
      'have no STEP column, which the built-in forecast aggregator reads to know which horizon steps to return',
      "Add { name: 'STEP', type: 'NUMBER(10,0)' }, or bring your own aggregatorSource",
    );
  }
  if (props.aggregatorSource !== undefined && !/class\s+ManyModelAggregator\s*\(/.test(props.aggregatorSource)) {
    throw new ValidationError(
      path,
      'aggregatorSource',
      'does not define class ManyModelAggregator',
      'Name your custom_model.CustomModel subclass ManyModelAggregator (docs/constructs.md, bring your own aggregator)',
    );
  }
  return { inputColumns, outputColumns, targetPlatform, condaDependencies, pipRequirements, pythonVersion };
}

function checkColumns(path: string, prop: string, cols: readonly ColumnDefinition[]): ColumnDefinition[] {
  if (cols.length === 0) throw new ValidationError(path, prop, 'is empty', 'Declare at least the PARTITION_KEY column');
  const out = cols.map((c, i) => ({
    name: validateProp(path, `${prop}[${i}].name`, () => normalizeIdentifier(c.name, 'column name')),
    type: c.type.toUpperCase().replace(/\s+/g, ''),
  }));
  out.forEach((c, i) => {
    if (!SQL_TYPE.test(c.type))
      throw new ValidationError(
        path,
        `${prop}[${i}].type`,
        `${JSON.stringify(cols[i].type)} is not a supported column type`,
        'Use VARCHAR, NUMBER(p,s), FLOAT, BOOLEAN, DATE, TIMESTAMP_NTZ, VARIANT, ...',
      );
    if (out.findIndex((o) => o.name === c.name) !== i) throw new ValidationError(path, prop, `declares ${c.name} twice`, 'Give each column once');
  });
  return out;
}

function checkPackages(path: string, prop: string, pkgs: string[]): string[] {
  pkgs.forEach((p, i) => {
    if (!PACKAGE_SPEC.test(p))
      throw new ValidationError(path, `${prop}[${i}]`, `${JSON.stringify(p)} is not a package specification`, "Write it as 'name' or 'name==1.2.3'");
  });
  return [...pkgs].sort();
}
