/**
 * Model monitors on the local server: CREATE [OR REPLACE] MODEL MONITOR [IF NOT EXISTS] ... WITH ...,
 * DROP MODEL MONITOR [IF EXISTS], SHOW MODEL MONITORS [LIKE '...'] [IN ACCOUNT | DATABASE d |
 * SCHEMA s]. A monitor here is its definition, checked as Snowflake's pages say, and nothing
 * computed: Snowflake refreshes a monitor's logs from its source on its own (dynamic tables), which
 * is not modelled.
 *
 * What is checked, and where it is written:
 * - the syntax and required properties (MODEL, VERSION, FUNCTION, SOURCE, WAREHOUSE,
 *   REFRESH_INTERVAL, AGGREGATION_WINDOW, TIMESTAMP_COLUMN), REFRESH_INTERVAL of at least
 *   60 seconds in seconds/minutes/hours/days, AGGREGATION_WINDOW in days, at least one prediction
 *   column, the monitor in the model's schema, the version existing
 *   (https://docs.snowflake.com/en/sql-reference/sql/create-model-monitor);
 * - one monitor per model version, CREATE MODEL MONITOR on the schema, at most 250 monitors per
 *   account (https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/model-observability);
 * - at most 5 segment columns, each of type STRING in the source
 *   (https://docs.snowflake.com/en/sql-reference/sql/alter-model-monitor);
 * - the timestamp column of type TIMESTAMP_NTZ, every named column present in the source.
 * Assumed, not found in those pages: the creating role needs USAGE on the model (or owns it), USAGE
 * on the warehouse and SELECT on the source, as for any object that reads them. Snowflake's error
 * codes for these refusals are not documented; the server answers 001003 (compilation error),
 * 000904 (a column), 002003 (a missing object), 002002 (exists) and 003001 (privilege).
 */
import { Engine, SessionState, nameParts } from './engine';
import { Errors, SfError } from './errors';
import type { ModelCatalog } from './objects';
import { SfResult, statusResult } from './results';
import { QNAME } from './translate';

/** Limits from the pages above. */
export const MODEL_MONITOR_LIMITS = { perAccount: 250, segmentColumns: 5, minRefreshSeconds: 60 } as const;

export interface ModelMonitorEntry {
  readonly name: string;
  readonly model: string;
  readonly version: string;
  readonly function: string;
  readonly source: string;
  readonly warehouse: string;
  readonly refreshInterval: string;
  readonly aggregationWindow: string;
  readonly timestampColumn: string;
  readonly idColumns: readonly string[];
  readonly predictionColumns: readonly string[];
  readonly actualColumns: readonly string[];
  readonly segmentColumns: readonly string[];
  readonly createdOn: string;
}

const REQUIRED = ['MODEL', 'VERSION', 'FUNCTION', 'SOURCE', 'WAREHOUSE', 'REFRESH_INTERVAL', 'AGGREGATION_WINDOW', 'TIMESTAMP_COLUMN'] as const;
const ARRAYS = [
  'ID_COLUMNS',
  'PREDICTION_CLASS_COLUMNS',
  'PREDICTION_SCORE_COLUMNS',
  'ACTUAL_CLASS_COLUMNS',
  'ACTUAL_SCORE_COLUMNS',
  'SEGMENT_COLUMNS',
  'CUSTOM_METRIC_COLUMNS',
] as const;
const KNOWN = new Set<string>([...REQUIRED, ...ARRAYS, 'BASELINE', 'COMMENT']);

const compileError = (message: string) => new SfError('001003', `SQL compilation error:\n${message}`, '42601');
const SECONDS: Record<string, number> = { SECOND: 1, MINUTE: 60, HOUR: 3600, DAY: 86400 };

/** `KEY = value` pairs of a WITH list: a name, a string constant or an array constant (`[...]` or `(...)`). */
function properties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const item = new RegExp(`^\\s*([A-Za-z_]+)\\s*=\\s*('(?:[^']|'')*'|\\[[^\\]]*\\]|\\([^)]*\\)|${QNAME})`);
  let rest = text;
  while (rest.trim() !== '') {
    const m = item.exec(rest);
    if (!m) throw Errors.syntax(`line 1 unexpected '${rest.trim().split(/\s+/)[0]}'.`);
    const key = m[1].toUpperCase();
    if (!KNOWN.has(key)) throw Errors.syntax(`line 1 unexpected '${m[1]}'.`);
    if (out.has(key)) throw compileError(`duplicate property ${key}.`);
    out.set(key, m[2]);
    rest = rest.slice(m[0].length);
  }
  return out;
}

const unquote = (v: string) => (v.startsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : v);

/** An array constant of column names, upper-cased as unquoted identifiers are. */
function columnList(v: string | undefined): string[] {
  if (v === undefined) return [];
  return v
    .slice(1, -1)
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .map((x) => unquote(x).toUpperCase());
}

/** `'<n> <unit>'` in seconds; undefined when it is not a time period of the units given. */
function period(v: string, units: readonly string[]): number | undefined {
  const m = /^\s*(\d+)\s+([A-Za-z]+?)S?\s*$/i.exec(unquote(v));
  const unit = m?.[2].toUpperCase();
  if (!m || !unit || !units.includes(unit)) return undefined;
  return Number(m[1]) * SECONDS[unit];
}

export class LocalModelMonitors {
  readonly monitors = new Map<string, ModelMonitorEntry>();

  constructor(
    private readonly engine: Engine,
    private readonly models: ModelCatalog,
  ) {}

  private get auth() {
    return this.engine.auth;
  }

  has(name: string): boolean {
    return this.monitors.has(name);
  }

  /** Handles a MODEL MONITOR statement; undefined for anything else. */
  async handle(s: SessionState, sql: string): Promise<SfResult | undefined> {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^CREATE\\s+(OR\\s+REPLACE\\s+)?MODEL\\s+MONITOR\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})\\s+WITH\\b([\\s\\S]*)$`, 'i').exec(sql)))
      return this.create(s, { replace: Boolean(m[1]), ifNotExists: Boolean(m[2]), ref: m[3], props: m[4] });
    if (/^CREATE\s+(OR\s+REPLACE\s+)?MODEL\s+MONITOR\b/i.test(sql)) throw Errors.syntax(`line 1 at position ${sql.trimEnd().length} unexpected '<EOF>'.`);
    if ((m = new RegExp(`^DROP\\s+MODEL\\s+MONITOR\\s+(IF\\s+EXISTS\\s+)?(${QNAME})$`, 'i').exec(sql))) return this.drop(s, m[2], Boolean(m[1]));
    if ((m = /^SHOW\s+MODEL\s+MONITORS(?:\s+LIKE\s+('(?:[^']|'')*'))?(?:\s+IN\s+(ACCOUNT|DATABASE|SCHEMA)(?:\s+(\S+))?)?$/i.exec(sql)))
      return this.show(s, m[1] ? unquote(m[1]) : undefined, m[2]?.toUpperCase(), m[3]);
    return undefined;
  }

  private async create(s: SessionState, d: { replace: boolean; ifNotExists: boolean; ref: string; props: string }): Promise<SfResult> {
    const [db, schema, name] = this.engine.qualify(s, d.ref);
    const key = `${db}.${schema}.${name}`;
    const existed = this.monitors.has(key);
    this.auth.create(s, 'MODEL MONITOR', key, existed && d.replace);
    if (existed && !d.replace) {
      if (d.ifNotExists) return statusResult(`${name} already exists, statement succeeded.`);
      throw Errors.alreadyExists(key);
    }
    const p = properties(d.props);
    const missing = REQUIRED.filter((k) => !p.has(k));
    if (missing.length > 0) throw compileError(`missing required propert${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')} for MODEL MONITOR ${name}.`);
    const refresh = period(p.get('REFRESH_INTERVAL')!, ['SECOND', 'MINUTE', 'HOUR', 'DAY']);
    if (refresh === undefined || refresh < MODEL_MONITOR_LIMITS.minRefreshSeconds)
      throw compileError(`invalid REFRESH_INTERVAL ${p.get('REFRESH_INTERVAL')}: a period of at least '60 seconds' in seconds, minutes, hours or days.`);
    const windowSeconds = period(p.get('AGGREGATION_WINDOW')!, ['DAY']);
    if (windowSeconds === undefined || windowSeconds < SECONDS.DAY)
      throw compileError(`invalid AGGREGATION_WINDOW ${p.get('AGGREGATION_WINDOW')}: a number of days, at least 1.`);

    const model = this.engine.qualify(s, p.get('MODEL')!);
    const modelKey = model.join('.');
    if (model[0] !== db || model[1] !== schema)
      throw compileError(`model monitor ${key} must be in the schema of the model it monitors, ${model[0]}.${model[1]}.`);
    if (this.models.models.has(modelKey)) this.auth.need(s, 'USAGE', 'MODEL', modelKey);
    const version = this.models.resolve(modelKey, unquote(p.get('VERSION')!)).name;
    const watching = [...this.monitors.values()].find((x) => x.model === modelKey && x.version === version && x.name !== key);
    if (watching) throw compileError(`version ${version} of model ${modelKey} already has a model monitor, ${watching.name}; a version has exactly one.`);
    if (!existed && this.monitors.size >= MODEL_MONITOR_LIMITS.perAccount)
      throw compileError(`the account has ${this.monitors.size} model monitors, the most it may have (${MODEL_MONITOR_LIMITS.perAccount}).`);

    const segments = columnList(p.get('SEGMENT_COLUMNS'));
    if (segments.length > MODEL_MONITOR_LIMITS.segmentColumns)
      throw compileError(`${segments.length} SEGMENT_COLUMNS; a model monitor has at most ${MODEL_MONITOR_LIMITS.segmentColumns}.`);
    const predictions = [...columnList(p.get('PREDICTION_SCORE_COLUMNS')), ...columnList(p.get('PREDICTION_CLASS_COLUMNS'))];
    if (predictions.length === 0)
      throw compileError('a model monitor needs at least one prediction column (PREDICTION_SCORE_COLUMNS or PREDICTION_CLASS_COLUMNS).');
    const warehouse = nameParts(p.get('WAREHOUSE')!)[0];
    this.auth.need(s, 'USAGE', 'WAREHOUSE', warehouse);
    const source = this.engine.qualify(s, p.get('SOURCE')!).join('.');
    const types = await this.sourceColumns(s, source);
    const timestamp = nameParts(p.get('TIMESTAMP_COLUMN')!)[0];
    const ids = columnList(p.get('ID_COLUMNS'));
    const actuals = [...columnList(p.get('ACTUAL_SCORE_COLUMNS')), ...columnList(p.get('ACTUAL_CLASS_COLUMNS'))];
    for (const c of [timestamp, ...ids, ...predictions, ...actuals, ...segments])
      if (!types.has(c))
        throw new SfError('000904', `SQL compilation error: error line 0 at position 0\ninvalid identifier '${c}' in source ${source}`, '42000');
    if (types.get(timestamp) !== 'timestamp_ntz')
      throw compileError(`TIMESTAMP_COLUMN ${timestamp} of ${source} is ${types.get(timestamp)}; it must be TIMESTAMP_NTZ.`);
    for (const c of segments)
      if (types.get(c) !== 'text') throw compileError(`segment column ${c} of ${source} is ${types.get(c)}; segment columns must be STRING.`);

    this.monitors.set(key, {
      name: key,
      model: modelKey,
      version,
      function: unquote(p.get('FUNCTION')!),
      source,
      warehouse,
      refreshInterval: unquote(p.get('REFRESH_INTERVAL')!),
      aggregationWindow: unquote(p.get('AGGREGATION_WINDOW')!),
      timestampColumn: timestamp,
      idColumns: ids,
      predictionColumns: predictions,
      actualColumns: actuals,
      segmentColumns: segments,
      createdOn: new Date().toISOString(),
    });
    if (!existed || d.replace) this.auth.created(s, 'MODEL MONITOR', key);
    return statusResult(`Model monitor ${name} successfully created.`);
  }

  /** The source's columns and their types, read as the session's role (SELECT on it); no warehouse is needed to create a monitor. */
  private async sourceColumns(s: SessionState, source: string): Promise<Map<string, string>> {
    const r = await this.engine.execute(
      { ...s, serverless: true },
      `SELECT * FROM ${source
        .split('.')
        .map((x) => `"${x}"`)
        .join('.')} LIMIT 0`,
    );
    return new Map(r.columns.map((c) => [c.name.toUpperCase(), c.type]));
  }

  private drop(s: SessionState, ref: string, ifExists: boolean): SfResult {
    const key = this.engine.qualify(s, ref).join('.');
    if (this.monitors.has(key)) this.auth.own(s, 'MODEL MONITOR', key);
    if (!this.monitors.delete(key)) {
      if (ifExists) return statusResult('Statement executed successfully.');
      throw Errors.objectMissing(`Model monitor '${key}'`);
    }
    this.auth.dropped('MODEL MONITOR', key);
    return statusResult(`${key.split('.').pop()} successfully dropped.`);
  }

  private show(s: SessionState, like: string | undefined, scope: string | undefined, ref: string | undefined): SfResult {
    const pattern =
      like === undefined
        ? undefined
        : new RegExp(
            `^${like
              .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
              .replace(/%/g, '.*')
              .replace(/_/g, '.')}$`,
            'i',
          );
    const within = (name: string) => {
      const [db, schema] = name.split('.');
      if (scope === 'DATABASE') return db === (ref ? nameParts(ref)[0] : s.database);
      if (scope === 'SCHEMA') {
        const [d, sc] = ref ? this.engine.qualify(s, `${ref}.X`) : [s.database, s.schema];
        return db === d && schema === sc;
      }
      return true;
    };
    const rows = [...this.monitors.values()]
      .filter((x) => within(x.name) && (!pattern || pattern.test(x.name.split('.')[2])))
      .filter((x) => !this.auth.checked(s) || this.engine.access.any(s.role, 'MODEL MONITOR', x.name))
      .map((x) => {
        const [db, schema, name] = x.name.split('.');
        const [mdb, msc, mname] = x.model.split('.');
        return [
          x.createdOn,
          name,
          db,
          schema,
          x.warehouse,
          x.refreshInterval,
          x.aggregationWindow,
          'TABULAR_REGRESSION',
          'ACTIVE',
          JSON.stringify({ name: x.source, timestamp_column: x.timestampColumn, segment_columns: x.segmentColumns }),
          JSON.stringify({ database_name: mdb, schema_name: msc, model_name: mname, version_name: x.version, function_name: x.function }),
          this.engine.access.ownerOf('MODEL MONITOR', x.name) ?? null,
        ];
      });
    const text = statusResult('').columns[0];
    const names = [
      'created_on',
      'name',
      'database_name',
      'schema_name',
      'warehouse_name',
      'refresh_interval',
      'aggregation_window',
      'model_task',
      'monitor_state',
      'source',
      'model',
      'owner',
    ];
    return { columns: names.map((n) => ({ ...text, name: n })), rows, statementTypeId: 0x1000 };
  }

  toJSON(): ModelMonitorEntry[] {
    return [...this.monitors.values()];
  }

  load(entries: ModelMonitorEntry[] | undefined): void {
    for (const e of entries ?? []) this.monitors.set(e.name, e);
  }
}
