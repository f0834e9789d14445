/**
 * A Snowflake model monitor on the version the pipeline's alias points to (issue #17, item 6), with
 * the partition as its segment: the statements that put it there and keep it there.
 *
 * A monitor watches exactly one model version and a version has exactly one monitor ("ML
 * Observability": https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/model-observability),
 * so it must follow promotion. One task body does it, idempotently: it reads which version holds the
 * alias (`<db>.INFORMATION_SCHEMA.MODEL_VERSIONS`), and when that is not the version the log table's
 * latest row names, it replaces the source view (the alias's version's forecasts joined with the
 * actuals) and the monitor (`CREATE OR REPLACE MODEL MONITOR`:
 * https://docs.snowflake.com/en/sql-reference/sql/create-model-monitor), then logs the version. A run
 * killed between the two is finished by the next run (the log has no row for the version yet, and
 * both statements replace). The version is a value only known at run time, so the two statements run
 * as `EXECUTE IMMEDIATE` of their text with the version REPLACEd in
 * (https://docs.snowflake.com/en/sql-reference/sql/execute-immediate).
 */
import { ObjectName, dollarQuoted, quoteIdentifier, sqlNumber, sqlString } from '../identifiers';
import { renderVersionsHoldingAlias } from './registry';
import { SourceModel } from './training';

/** What the monitor and its source view are rendered from. */
export interface VersionMonitorSqlModel {
  /** The model monitor: in the model's schema, as Snowflake requires. */
  readonly monitor: ObjectName;
  /** The view the monitor reads (its SOURCE). */
  readonly view: ObjectName;
  /** One row per version the monitor was put on (the task's memory, and a history). */
  readonly log: ObjectName;
  readonly model: ObjectName;
  /** The alias whose version is monitored. */
  readonly alias: string;
  /** The monitored method. */
  readonly function: string;
  /** The scoring job's results table (PARTITION_KEY, DS, FORECAST, RUN_ID, MODEL_VERSION, SCORED_AT). */
  readonly results: ObjectName;
  /** The actuals. */
  readonly source: SourceModel;
  /** The monitor's warehouse (its refreshes run there). */
  readonly warehouse: ObjectName;
  /** `'<n> <unit>'`, at least 60 seconds. */
  readonly refreshInterval: string;
  readonly aggregationWindowDays: number;
  /** Whether the partition is the monitor's segment column. */
  readonly segmentByPartition: boolean;
  /**
   * The alias the scheduled scoring task records as MODEL_VERSION when it scores with the monitored
   * alias (it has no runner to resolve the version: docs/architecture.md); undefined otherwise.
   */
  readonly scheduledAs?: string;
}

/** The placeholder of the version (a SQL string constant) in the monitor statement the task body runs as dynamic SQL. */
export const VERSION_PLACEHOLDER = '{{MONITORED_VERSION}}';
/** The placeholder of the view's row filter (which results rows are the version's) in its statement. */
export const ROWS_PLACEHOLDER = '{{MONITORED_ROWS}}';

/**
 * Which results rows are the version's: those recorded under its name, and, when the scheduled
 * scoring task scores with the monitored alias, those it recorded under the alias from `since` on
 * (the time the monitor moved to the version; both SQL constants).
 */
export function versionRows(m: VersionMonitorSqlModel, version: string, since: string): string {
  const named = `"MODEL_VERSION" = ${version}`;
  return m.scheduledAs === undefined ? named : `(${named} OR ("MODEL_VERSION" = ${sqlString(m.scheduledAs)} AND "SCORED_AT" >= ${since}))`;
}

/** Columns of the log table. */
export const VERSION_MONITOR_LOG_COLUMNS: readonly (readonly [string, string, boolean])[] = [
  ['MONITOR_NAME', 'VARCHAR(1024)', false],
  ['MODEL_VERSION', 'VARCHAR(256)', false],
  ['CREATED_AT', 'TIMESTAMP_NTZ', false],
];

/**
 * The view over the version's forecasts (the results rows `rows` selects: versionRows) and the
 * actuals, one row per partition and day: the latest scored forecast of that day (SCORED_AT, then
 * RUN_ID, as the accuracy refresh picks it), its actual when one has arrived (NULL before: a monitor
 * reads predictions and ground truth from the same rows). ROW_ID identifies a row; FORECAST_TIME is
 * the day as TIMESTAMP_NTZ, the type TIMESTAMP_COLUMN must have.
 */
export function renderVersionMonitorView(m: VersionMonitorSqlModel, rows: string): string {
  const s = m.source;
  const target = quoteIdentifier(s.targetColumn);
  return (
    `CREATE OR REPLACE VIEW ${m.view.quoted} AS ` +
    `SELECT R."PARTITION_KEY" || '/' || CAST(R."DS" AS VARCHAR) AS "ROW_ID", R."PARTITION_KEY", CAST(R."DS" AS TIMESTAMP_NTZ) AS "FORECAST_TIME", ` +
    `R."FORECAST", A."ACTUAL", R."MODEL_VERSION" ` +
    `FROM (SELECT "PARTITION_KEY", CAST("DS" AS DATE) AS "DS", "FORECAST", "MODEL_VERSION" FROM ${m.results.quoted} WHERE ${rows} ` +
    `QUALIFY ROW_NUMBER() OVER (PARTITION BY "PARTITION_KEY", "DS" ORDER BY "SCORED_AT" DESC, "RUN_ID" DESC) = 1) R ` +
    `LEFT JOIN (SELECT TO_VARCHAR(${quoteIdentifier(s.partitionColumn)}) AS "PARTITION_KEY", CAST(${quoteIdentifier(s.orderColumn)} AS DATE) AS "DS", AVG(${target}) AS "ACTUAL" ` +
    `FROM ${s.table.quoted} WHERE ${target} IS NOT NULL GROUP BY 1, 2) A ON A."PARTITION_KEY" = R."PARTITION_KEY" AND A."DS" = R."DS"`
  );
}

/** An ARRAY constant of column names (https://docs.snowflake.com/en/sql-reference/data-types-semistructured). */
const columns = (...names: string[]) => `[${names.map(sqlString).join(', ')}]`;

/** The monitor on `version` (a SQL string constant), replacing the one there is. */
export function renderCreateModelMonitor(m: VersionMonitorSqlModel, version: string): string {
  return [
    `CREATE OR REPLACE MODEL MONITOR ${m.monitor.quoted} WITH`,
    `MODEL = ${m.model.quoted} VERSION = ${version} FUNCTION = ${sqlString(m.function)}`,
    `SOURCE = ${m.view.quoted} WAREHOUSE = ${m.warehouse.quoted}`,
    `REFRESH_INTERVAL = ${sqlString(m.refreshInterval)} AGGREGATION_WINDOW = ${sqlString(`${m.aggregationWindowDays} ${m.aggregationWindowDays === 1 ? 'day' : 'days'}`)}`,
    `TIMESTAMP_COLUMN = "FORECAST_TIME" ID_COLUMNS = ${columns('ROW_ID')}`,
    `PREDICTION_SCORE_COLUMNS = ${columns('FORECAST')} ACTUAL_SCORE_COLUMNS = ${columns('ACTUAL')}`,
    ...(m.segmentByPartition ? [`SEGMENT_COLUMNS = ${columns('PARTITION_KEY')}`] : []),
  ].join('\n');
}

/**
 * The version holding the alias, as a scalar subquery (NULL when none does): the view shows the
 * versions of models the role has a privilege on
 * (https://docs.snowflake.com/en/sql-reference/info-schema/model_versions).
 */
function aliasVersion(m: VersionMonitorSqlModel): string {
  return `(SELECT MAX("MODEL_VERSION_NAME") ${renderVersionsHoldingAlias(m.model, m.alias)})`;
}

/** The version the log's latest row names, as a scalar subquery. */
function loggedVersion(m: VersionMonitorSqlModel): string {
  return `(SELECT MAX("MODEL_VERSION") FROM ${m.log.quoted} WHERE "CREATED_AT" = (SELECT MAX("CREATED_AT") FROM ${m.log.quoted}))`;
}

/**
 * The task body: a Snowflake Scripting block (CREATE TASK's form for a block with declarations:
 * https://docs.snowflake.com/en/sql-reference/sql/create-task). Nothing happens while no version
 * holds the alias, or when the monitor is already on the one that does.
 */
export function renderVersionMonitorBody(m: VersionMonitorSqlModel): string {
  const dynamic = (sql: string, placeholder: string, variable: string) => [
    `STMT := REPLACE(${sqlString(sql)}, ${sqlString(placeholder)}, ${variable});`,
    'EXECUTE IMMEDIATE :STMT;',
  ];
  // The version and the time as SQL string constants inside the statements' text (a version name
  // is an identifier, the time digits and separators: no quote in either).
  const rows = sqlString(versionRows(m, "'@VERSION@'", "'@SINCE@'"))
    .replace('@VERSION@', "' || :PROMOTED || '")
    .replace('@SINCE@', "' || :FOLLOWED_AT || '");
  const lines = [
    `SELECT ${aliasVersion(m)} INTO :PROMOTED;`,
    `IF (PROMOTED IS NULL) THEN RETURN ${sqlString(`no version holds ${m.alias}`)}; END IF;`,
    `SELECT ${loggedVersion(m)} INTO :WATCHED;`,
    `IF (WATCHED = PROMOTED) THEN RETURN 'the monitor is on the promoted version'; END IF;`,
    `SELECT TO_VARCHAR(CURRENT_TIMESTAMP()::TIMESTAMP_NTZ, 'YYYY-MM-DD HH24:MI:SS.FF3') INTO :FOLLOWED_AT;`,
    `SELECT '''' || :PROMOTED || '''', ${rows} INTO :QUOTED, :ROWS_OF;`,
    ...dynamic(renderVersionMonitorView(m, ROWS_PLACEHOLDER), ROWS_PLACEHOLDER, 'ROWS_OF'),
    ...dynamic(renderCreateModelMonitor(m, VERSION_PLACEHOLDER), VERSION_PLACEHOLDER, 'QUOTED'),
    `INSERT INTO ${m.log.quoted} ("MONITOR_NAME", "MODEL_VERSION", "CREATED_AT") SELECT ${sqlString(String(m.monitor))}, :PROMOTED, :FOLLOWED_AT;`,
    `RETURN 'the monitor follows the promoted version';`,
  ];
  const declare = ['PROMOTED', 'WATCHED', 'FOLLOWED_AT', 'QUOTED', 'ROWS_OF', 'STMT'].map((v) => `  ${v} VARCHAR;`);
  const text = ['DECLARE', ...declare, 'BEGIN', ...lines.map((l) => `  ${l}`), 'END;'].join('\n');
  return `EXECUTE IMMEDIATE ${dollarQuoted(`\n${text}\n`)}`;
}

/** How often a refresh interval in seconds reads as Snowflake's period string, in its largest whole unit. */
export function refreshIntervalText(seconds: number): string {
  for (const [unit, n] of [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ] as const)
    if (seconds % n === 0) return `${sqlNumber(seconds / n)} ${unit}${seconds === n ? '' : 's'}`;
  return `${sqlNumber(seconds)} seconds`;
}
