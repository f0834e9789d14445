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
    if (!Object.prototype.hasOwnProperty.call(values, key)) throw new Error(`${name}: placeholder {{${key}}} has no value`);
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
  if (!opts.outputColumns.some((c) => c.name === 'PARTITION_KEY')) throw new Error('outputColumns must include PARTITION_KEY: a partitioned model returns its key');
  if (opts.aggregatorSource !== undefined) {
    if (!/class\s+ManyModelAggregator\s*\(/.test(opts.aggregatorSource)) {
      throw new Error('a custom aggregator source must define class ManyModelAggregator(custom_model.CustomModel)');
    }
    return `${predictCoreSource()}\n\nOUTPUT_COLUMNS = ${outputs}\n\n${opts.aggregatorSource.trim()}\n`;
  }
  return fillTemplate(readTemplate('aggregator_model.py.tmpl'), { PREDICT_CORE: predictCoreSource(), OUTPUT_COLUMNS: outputs }, 'aggregator_model.py.tmpl');
}

/** The registration procedure's handler module (`main(session, run_id, version_name, index_path)`). */
export function renderRegisterProcedureSource(opts: RegisterProcedureOptions): string {
  if (opts.targetPlatform !== 'WAREHOUSE' && opts.targetPlatform !== 'SNOWPARK_CONTAINER_SERVICES') {
    throw new Error(`targetPlatform must be WAREHOUSE or SNOWPARK_CONTAINER_SERVICES, got ${JSON.stringify(opts.targetPlatform)}`);
  }
  if (!/^3\.\d+$/.test(opts.pythonVersion)) throw new Error(`pythonVersion must look like 3.11, got ${JSON.stringify(opts.pythonVersion)}`);
  for (const [what, v] of [['modelName', opts.modelName], ['stageName', opts.stageName], ['metricsTable', opts.metricsTable]] as const) {
    // An unresolved cdktf token (${TfToken[...]}) is resolved at synth; only literal names are checked.
    if (typeof v !== 'string' || (!v.includes('${') && v.split('.').length !== 3)) throw new Error(`${what} must be DATABASE.SCHEMA.NAME, got ${JSON.stringify(v)}`);
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
    },
    'register_procedure.py.tmpl',
  );
}
