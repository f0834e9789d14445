/**
 * Renders the Python sources of the registration procedure and of the aggregator model from the
 * template files beside this module (copied next to the compiled module by `npm run build`).
 *
 * Placeholders are `{{NAME}}` (upper case and `_`). Every template's placeholder set is fixed
 * (AGGREGATOR_PLACEHOLDERS, REGISTER_PROCEDURE_PLACEHOLDERS): a placeholder without a value, or a
 * value without a placeholder, throws. Settings are substituted as Python literals written by
 * JSON.stringify (a JSON string or list of strings is a valid Python literal); the source blocks
 * (PREDICT_CORE, AGGREGATOR_SOURCE) are inlined as code. Substitution is a single pass, so a
 * `{{...}}` inside a substituted value is never expanded.
 *
 * The predict core is inlined rather than imported: the procedure is one source string
 * (procedureDefinition) and the registry pickles the aggregator's module by value, so the model
 * version carries its predict code and needs no extra import path.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InferenceServiceModel, ONLINE_METHOD, deployStatementsByKey, gatewayOf, grantStatementsByKey, serviceMarker, settingsTag } from '../../sql/serving';

/** A typed column of the aggregator's schema contract. */
export interface PythonColumn {
  readonly name: string;
  readonly type: string;
}

/** What the aggregator model source needs. */
export interface AggregatorModelOptions {
  /** Declared outputs of predict, `(name, SQL type)`; DATE/TIMESTAMP outputs are converted to datetimes. */
  readonly outputColumns: readonly PythonColumn[];
  /** A user aggregator class named ManyModelAggregator (bring your own); default: the built-in one. */
  readonly aggregatorSource?: string;
  /**
   * The aggregator is served by an inference service (docs/serving.md): the built-in class gets the
   * row-wise `predict_rows` method (aggregator_online.py.tmpl), a user's class must define it, and
   * the version is logged with it and for SNOWPARK_CONTAINER_SERVICES too.
   */
  readonly online?: boolean;
}

/** What the registration procedure source needs. */
export interface RegisterProcedureOptions extends AggregatorModelOptions {
  /** `DB.SCHEMA.MODEL`. */
  readonly modelName: string;
  /** `DB.SCHEMA.STAGE` holding `models/<run>/...`. */
  readonly stageName: string;
  /** `DB.SCHEMA.TABLE` of training metrics. */
  readonly metricsTable: string;
  /** Declared inputs of predict, `(name, SQL type)`. */
  readonly inputColumns: readonly PythonColumn[];
  readonly targetPlatform: 'WAREHOUSE' | 'SNOWPARK_CONTAINER_SERVICES';
  readonly condaDependencies: readonly string[];
  readonly pipRequirements: readonly string[];
  /** Python runtime of the model, e.g. '3.11'. */
  readonly pythonVersion: string;
}

/** Where the templates live. */
export const TEMPLATE_DIR = __dirname;

/** Placeholders of aggregator_model.py.tmpl. */
export const AGGREGATOR_PLACEHOLDERS = ['PREDICT_CORE', 'OUTPUT_COLUMNS'] as const;
/** The row-wise method a served aggregator adds (lib/sql/serving.ts). */
export const ONLINE_METHOD_NAME = ONLINE_METHOD;
/** Placeholders of register_procedure.py.tmpl. */
export const REGISTER_PROCEDURE_PLACEHOLDERS = [
  'MODEL_NAME',
  'STAGE_NAME',
  'METRICS_TABLE',
  'INPUT_COLUMNS',
  'TARGET_PLATFORM',
  'CONDA_DEPENDENCIES',
  'PIP_REQUIREMENTS',
  'PYTHON_VERSION',
  'AGGREGATOR_SOURCE',
  // Empty unless the aggregator is served, so an unserved procedure renders as before.
  'SERVING_CONSTANTS',
  'SERVING_SIGNATURES',
  'SERVING_OPTIONS',
  'SERVING_PLATFORMS',
] as const;
/** Placeholders of grant_procedure.py.tmpl. */
export const GRANT_PROCEDURE_PLACEHOLDERS = ['SERVICE_PREFIX', 'STATEMENTS'] as const;
/** Placeholders of deploy_procedure.py.tmpl. */
export const DEPLOY_PROCEDURE_PLACEHOLDERS = [
  'MODEL_NAME',
  'SERVICE_PREFIX',
  'SETTINGS_TAG',
  'COMPUTE_POOL',
  'INGRESS_ENABLED',
  'MIN_INSTANCES',
  'MAX_INSTANCES',
  'GATEWAY',
  'SERVICE_MARKER',
  'STATEMENTS',
] as const;

const PLACEHOLDER = /\{\{([A-Z_]+)\}\}/g;

/** Templates are package files that do not change while the process runs: read each once. */
const TEMPLATES = new Map<string, string>();

function readTemplate(name: string): string {
  let text = TEMPLATES.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(TEMPLATE_DIR, name), 'utf8');
    TEMPLATES.set(name, text);
  }
  return text;
}

/** The placeholder names of a template, in order of first appearance. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** Substitutes every `{{NAME}}`; throws on a placeholder without value or a value without placeholder. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>, name: string): string {
  const used = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_m, key: string) => {
    if (!Object.hasOwn(values, key)) throw new Error(`${name}: placeholder {{${key}}} has no value`);
    used.add(key);
    return values[key];
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`${name}: values without a placeholder: ${unused.join(', ')}`);
  return out;
}

function pyString(value: string, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} must be a string, got ${typeof value}`);
  return JSON.stringify(value);
}

function pyStrings(values: readonly string[], what: string): string {
  if (!Array.isArray(values)) throw new Error(`${what} must be a list of strings`);
  return `[${values.map((v, i) => pyString(v, `${what}[${i}]`)).join(', ')}]`;
}

function pyColumns(cols: readonly PythonColumn[], what: string): string {
  if (!Array.isArray(cols) || cols.length === 0) throw new Error(`${what} must be a non-empty list of columns`);
  return `[${cols.map((c, i) => `(${pyString(c.name, `${what}[${i}].name`)}, ${pyString(c.type, `${what}[${i}].type`)})`).join(', ')}]`;
}

/** The predict core (lib/registry/python/predict_core.py) as inlined in the aggregator. */
export function predictCoreSource(): string {
  return readTemplate('predict_core.py').trim();
}

/** The aggregator model module: the built-in one, or the user's class with the predict core and OUTPUT_COLUMNS available. */
export function renderAggregatorModelSource(opts: AggregatorModelOptions): string {
  const outputs = pyColumns(opts.outputColumns, 'outputColumns');
  if (!opts.outputColumns.some((c) => c.name === 'PARTITION_KEY'))
    throw new Error('outputColumns must include PARTITION_KEY: a partitioned model returns its key');
  if (opts.aggregatorSource !== undefined) {
    if (!/class\s+ManyModelAggregator\s*\(/.test(opts.aggregatorSource)) {
      throw new Error('a custom aggregator source must define class ManyModelAggregator(custom_model.CustomModel)');
    }
    if (opts.online && !new RegExp(`def\\s+${ONLINE_METHOD_NAME}\\s*\\(`).test(opts.aggregatorSource)) {
      throw new Error(`a custom aggregator with an inference service must define the row-wise method ${ONLINE_METHOD_NAME} (@custom_model.inference_api)`);
    }
    return `${predictCoreSource()}\n\nOUTPUT_COLUMNS = ${outputs}\n\n${opts.aggregatorSource.trim()}\n`;
  }
  const source = fillTemplate(
    readTemplate('aggregator_model.py.tmpl'),
    { PREDICT_CORE: predictCoreSource(), OUTPUT_COLUMNS: outputs },
    'aggregator_model.py.tmpl',
  );
  // The online method is a method of the class, which ends the module: appended after it.
  return opts.online ? source + readTemplate('aggregator_online.py.tmpl') : source;
}

/** The registration procedure's handler module (`main(session, run_id, version_name, index_path)`). */
export function renderRegisterProcedureSource(opts: RegisterProcedureOptions): string {
  if (opts.targetPlatform !== 'WAREHOUSE' && opts.targetPlatform !== 'SNOWPARK_CONTAINER_SERVICES') {
    throw new Error(`targetPlatform must be WAREHOUSE or SNOWPARK_CONTAINER_SERVICES, got ${JSON.stringify(opts.targetPlatform)}`);
  }
  if (!/^3\.\d+$/.test(opts.pythonVersion)) throw new Error(`pythonVersion must look like 3.11, got ${JSON.stringify(opts.pythonVersion)}`);
  for (const [what, v] of [
    ['modelName', opts.modelName],
    ['stageName', opts.stageName],
    ['metricsTable', opts.metricsTable],
  ] as const) {
    // An unresolved cdktf token (${TfToken[...]}) is resolved at synth; only literal names are checked.
    if (typeof v !== 'string' || (!v.includes('${') && v.split('.').length !== 3))
      throw new Error(`${what} must be DATABASE.SCHEMA.NAME, got ${JSON.stringify(v)}`);
  }
  return fillTemplate(
    readTemplate('register_procedure.py.tmpl'),
    {
      MODEL_NAME: pyString(opts.modelName, 'modelName'),
      STAGE_NAME: pyString(opts.stageName, 'stageName'),
      METRICS_TABLE: pyString(opts.metricsTable, 'metricsTable'),
      INPUT_COLUMNS: pyColumns(opts.inputColumns, 'inputColumns'),
      TARGET_PLATFORM: pyString(opts.targetPlatform, 'targetPlatform'),
      CONDA_DEPENDENCIES: pyStrings(opts.condaDependencies, 'condaDependencies'),
      PIP_REQUIREMENTS: pyStrings(opts.pipRequirements, 'pipRequirements'),
      PYTHON_VERSION: pyString(opts.pythonVersion, 'pythonVersion'),
      AGGREGATOR_SOURCE: renderAggregatorModelSource(opts).trim(),
      ...servingValues(opts),
    },
    'register_procedure.py.tmpl',
  );
}

/**
 * A served version is logged with its online method as a FUNCTION (the partitioned predict stays
 * a TABLE_FUNCTION: `method_options` per method, snowflake-ml-python `model_method.py`) and for
 * SNOWPARK_CONTAINER_SERVICES too, where Model Serving runs it; WAREHOUSE stays for batch PREDICT.
 */
function servingValues(opts: RegisterProcedureOptions): Record<string, string> {
  if (!opts.online) return { SERVING_CONSTANTS: '', SERVING_SIGNATURES: '', SERVING_OPTIONS: '', SERVING_PLATFORMS: '' };
  return {
    SERVING_CONSTANTS: `\nONLINE_METHOD = ${pyString(ONLINE_METHOD_NAME, 'online method')}`,
    SERVING_SIGNATURES: ', ONLINE_METHOD: signature',
    SERVING_OPTIONS: ', "method_options": {ONLINE_METHOD: {"function_type": "FUNCTION"}}',
    SERVING_PLATFORMS: opts.targetPlatform === 'SNOWPARK_CONTAINER_SERVICES' ? '' : ', "SNOWPARK_CONTAINER_SERVICES"',
  };
}

/** What the deploy procedure source needs (lib/sql/serving.ts renders its statements). */
export interface DeployProcedureOptions {
  /** `DB.SCHEMA.MODEL` whose versions are served. */
  readonly modelName: string;
  /** `DB.SCHEMA.NAME`: services are `NAME_<VERSION>_<TAG>`. */
  readonly servicePrefix: string;
  /** 8 upper-case hex digits: the settings' digest. */
  readonly settingsTag: string;
  readonly computePool: string;
  readonly ingressEnabled: boolean;
  readonly minInstances: number;
  readonly maxInstances: number;
  /** `DB.SCHEMA.NAME` of the gateway (PUBLIC ingress), else undefined. */
  readonly gateway?: string;
  /** The comment that marks this construct's services. */
  readonly serviceMarker: string;
  /** The statements by key (snake_case, as the template reads them). */
  readonly statements: Readonly<Record<string, string>>;
}

function pyInt(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${what} must be a whole number >= 0, got ${value}`);
  return String(value);
}

/** The deploy procedure's handler module (`main(session, version_name)`). */
export function renderDeployProcedureSource(opts: DeployProcedureOptions): string {
  for (const [what, v] of [
    ['modelName', opts.modelName],
    ['servicePrefix', opts.servicePrefix],
  ] as const) {
    if (typeof v !== 'string' || v.split('.').length !== 3) throw new Error(`${what} must be DATABASE.SCHEMA.NAME, got ${JSON.stringify(v)}`);
  }
  if (!/^[0-9A-F]{8}$/.test(opts.settingsTag)) throw new Error(`settingsTag must be 8 upper-case hex digits, got ${JSON.stringify(opts.settingsTag)}`);
  return fillTemplate(
    readTemplate('deploy_procedure.py.tmpl'),
    {
      MODEL_NAME: pyString(opts.modelName, 'modelName'),
      SERVICE_PREFIX: pyString(opts.servicePrefix, 'servicePrefix'),
      SETTINGS_TAG: pyString(opts.settingsTag, 'settingsTag'),
      COMPUTE_POOL: pyString(opts.computePool, 'computePool'),
      INGRESS_ENABLED: opts.ingressEnabled ? 'True' : 'False',
      MIN_INSTANCES: pyInt(opts.minInstances, 'minInstances'),
      MAX_INSTANCES: pyInt(opts.maxInstances, 'maxInstances'),
      GATEWAY: opts.gateway === undefined ? 'None' : pyString(opts.gateway, 'gateway'),
      SERVICE_MARKER: pyString(opts.serviceMarker, 'serviceMarker'),
      STATEMENTS: pyStatements(opts.statements),
    },
    'deploy_procedure.py.tmpl',
  );
}

/**
 * Statements as a Python dict literal, one `"key": "statement",` line each, sorted by key. The
 * body is created as `AS $$...$$`, which cannot hold $$ (lib/identifiers.ts dollarQuoted).
 */
function pyStatements(statements: Readonly<Record<string, string>>): string {
  const entries = Object.entries(statements).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [k, v] of entries) if (v.includes('$$')) throw new Error(`statement ${k} contains $$, which the procedure's dollar-quoted body cannot hold`);
  return `{\n${entries.map(([k, v]) => `    ${pyString(k, 'statement key')}: ${pyString(v, `statement ${k}`)},`).join('\n')}\n}`;
}

/** The grant procedure's handler module (`main(session, service_name)`). */
export function renderGrantProcedureSource(opts: { readonly servicePrefix: string; readonly statements: Readonly<Record<string, string>> }): string {
  if (typeof opts.servicePrefix !== 'string' || opts.servicePrefix.split('.').length !== 3)
    throw new Error(`servicePrefix must be DATABASE.SCHEMA.NAME, got ${JSON.stringify(opts.servicePrefix)}`);
  return fillTemplate(
    readTemplate('grant_procedure.py.tmpl'),
    { SERVICE_PREFIX: pyString(opts.servicePrefix, 'servicePrefix'), STATEMENTS: pyStatements(opts.statements) },
    'grant_procedure.py.tmpl',
  );
}

/** The deploy procedure of the inference service `m` (the construct creates it; tests run it). */
export function deployProcedureSourceOf(m: InferenceServiceModel): string {
  return renderDeployProcedureSource({
    modelName: m.model.toString(),
    servicePrefix: m.name.toString(),
    settingsTag: settingsTag(m),
    computePool: m.computePool.toString(),
    ingressEnabled: m.ingress === 'PUBLIC',
    minInstances: m.minInstances,
    maxInstances: m.maxInstances,
    gateway: gatewayOf(m)?.toString(),
    serviceMarker: serviceMarker(m),
    statements: deployStatementsByKey(m),
  });
}

/** The grant procedure of the inference service `m`. */
export function grantProcedureSourceOf(m: InferenceServiceModel): string {
  return renderGrantProcedureSource({ servicePrefix: m.name.toString(), statements: grantStatementsByKey(m) });
}
