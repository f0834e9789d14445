/**
 * Renders the Python sources of the registration procedure and the aggregator model from the
 * template files beside this module. Placeholders are `{{NAME}}`; every value is a Python literal
 * produced by JSON.stringify (JSON strings, lists and numbers are valid Python), except the
 * source blocks, which are inlined as code. A missing or unknown placeholder throws.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface RegisterProcedureOptions {
  /** `DB.SCHEMA.MODEL`. */
  readonly modelName: string;
  /** `DB.SCHEMA.STAGE` holding `models/<run>/...`. */
  readonly stageName: string;
  /** `DB.SCHEMA.TABLE` of training metrics. */
  readonly metricsTable: string;
  readonly inputColumns: readonly { readonly name: string; readonly type: string }[];
  readonly outputColumns: readonly { readonly name: string; readonly type: string }[];
  readonly targetPlatform: 'WAREHOUSE' | 'SNOWPARK_CONTAINER_SERVICES';
  readonly condaDependencies: readonly string[];
  readonly pipRequirements: readonly string[];
  readonly pythonVersion: string;
  /** A user aggregator class named ManyModelAggregator (bring your own); default: the built-in one. */
  readonly aggregatorSource?: string;
}

/** Where the templates live (copied next to the compiled module by `npm run build`). */
export const TEMPLATE_DIR = __dirname;

function readTemplate(name: string): string {
  return fs.readFileSync(path.join(TEMPLATE_DIR, name), 'utf8');
}

/** Substitutes every `{{NAME}}`; throws on a placeholder without value or a value without placeholder. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>, name: string): string {
  const used = new Set<string>();
  const out = template.replace(/\{\{([A-Z_]+)\}\}/g, (_m, key: string) => {
    if (!(key in values)) throw new Error(`${name}: placeholder {{${key}}} has no value`);
    used.add(key);
    return values[key];
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`${name}: values without a placeholder: ${unused.join(', ')}`);
  return out;
}

const py = (v: unknown) => JSON.stringify(v);

/** The aggregator model class (built-in, or the user's source with the predict core available). */
export function renderAggregatorModelSource(opts: RegisterProcedureOptions): string {
  const core = readTemplate('predict_core.py');
  if (opts.aggregatorSource !== undefined) {
    if (!/class\s+ManyModelAggregator\s*\(/.test(opts.aggregatorSource)) {
      throw new Error('a custom aggregator source must define class ManyModelAggregator(custom_model.CustomModel)');
    }
    return `${core}\n\nOUTPUT_COLUMNS = ${py(opts.outputColumns.map((c) => [c.name, c.type]))}\n\n${opts.aggregatorSource.trim()}\n`;
  }
  return fillTemplate(readTemplate('aggregator_model.py.tmpl'), { PREDICT_CORE: core.trim(), OUTPUT_COLUMNS: py(opts.outputColumns.map((c) => [c.name, c.type])) }, 'aggregator_model.py.tmpl');
}

/** The registration procedure's handler module (`main`). */
export function renderRegisterProcedureSource(opts: RegisterProcedureOptions): string {
  return fillTemplate(
    readTemplate('register_procedure.py.tmpl'),
    {
      MODEL_NAME: py(opts.modelName),
      STAGE_NAME: py(opts.stageName),
      METRICS_TABLE: py(opts.metricsTable),
      INPUT_COLUMNS: py(opts.inputColumns.map((c) => [c.name, c.type])),
      TARGET_PLATFORM: py(opts.targetPlatform),
      CONDA_DEPENDENCIES: py(opts.condaDependencies),
      PIP_REQUIREMENTS: py(opts.pipRequirements),
      PYTHON_VERSION: py(opts.pythonVersion),
      AGGREGATOR_SOURCE: renderAggregatorModelSource(opts).trim(),
    },
    'register_procedure.py.tmpl',
  );
}
