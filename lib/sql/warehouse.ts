/**
 * SQL of a training pass in a warehouse (TrainingStrategy.warehouse): one set-based statement fits
 * every partition through a JavaScript UDTF built from the reference worker's forecasting core,
 * and a few more put the artifacts on the stage and record the metrics, whatever the number of
 * partitions. The pages this follows:
 *
 * - Tabular JavaScript UDFs (https://docs.snowflake.com/en/developer-guide/udf/javascript/udf-javascript-tabular-functions):
 *   the handler is one object literal; `initialize` runs before a partition's first row,
 *   `processRow` once per row (arguments as upper-case properties), `finalize` once per partition
 *   after its last row; `rowWriter.writeRow({COLUMN: value})` emits a row. Partitions come from
 *   `OVER (PARTITION BY ...)`, the rows' order within one from its ORDER BY.
 * - JavaScript UDF limitations (https://docs.snowflake.com/en/developer-guide/udf/javascript/udf-javascript-limitations):
 *   Snowflake recommends at most 100 KB of source (the core is about 82 KB: test/lib/warehouse/);
 *   too much memory or time fails the call; global state may survive between calls, and setup
 *   is guarded so that it runs once.
 * - CREATE FUNCTION (https://docs.snowflake.com/en/sql-reference/sql/create-function): a
 *   JavaScript handler is written inline (IMPORTS and staged handlers are for Java, Python and
 *   Scala); creating one needs CREATE FUNCTION on the schema.
 * - COPY INTO <location> (https://docs.snowflake.com/en/sql-reference/sql/copy-into-location):
 *   PARTITION BY writes each partition expression's rows to files under `<path>/<value>/` with
 *   names Snowflake chooses (`data_<query id>...`); a JSON unload has one column. A UDTF cannot
 *   write files, so the fits go to a table and one COPY unloads them, one directory per artifact.
 */
import { ObjectName, dollarQuoted, quoteIdentifier, sqlNumber, sqlString } from '../identifiers';
import { FORECAST_CORE_JS, FORECAST_CORE_SHA256 } from '../warehouse/forecast-core.generated';
import { runVar } from './statement';
import { ColumnSpec, FIT_OUTCOME_COLUMNS, METRICS_COLUMNS, PassName, SourceModel, TrainingTablesModel, passDirectory } from './training';

/**
 * What a warehouse pass records as its trainer image (TRAINER_IMAGE, and the training key of a
 * pipeline without a trainer): the forecasting core it runs, by digest, so a new core starts a
 * new run as a new image does.
 */
export const WAREHOUSE_TRAINER_IMAGE = `warehouse:forecast-core@${FORECAST_CORE_SHA256.slice(0, 16)}`;

/** What a warehouse pass's statements name: the function, the fits table and the pipeline's tables. */
export interface WarehousePassSql {
  readonly function: ObjectName;
  readonly fits: ObjectName;
  readonly tables: TrainingTablesModel;
  readonly source: SourceModel;
  readonly pass: PassName;
  /** The contest's settings as the props gave them; undefined: each series' frequency's. */
  readonly holdout?: number;
  readonly period?: number;
  readonly refine: boolean;
  /** The refine pass's keys (a query of PARTITION_KEY); undefined: all of the source's. */
  readonly keysQuery?: string;
}

/** The UDTF's arguments, in order. JavaScript UDFs take FLOAT for numbers (SQL-JavaScript data type mapping). */
export const WAREHOUSE_FIT_ARGUMENTS: readonly (readonly [string, string])[] = [
  ['PARTITION_KEY', 'VARCHAR'],
  ['DS', 'VARCHAR'],
  ['Y', 'FLOAT'],
  ['HOLDOUT', 'FLOAT'],
  ['PERIOD', 'FLOAT'],
  ['REFINE', 'BOOLEAN'],
];

/** The UDTF's output columns: one row per partition. */
export const WAREHOUSE_FIT_COLUMNS: readonly (readonly [string, string])[] = [
  ['PARTITION_KEY', 'VARCHAR'],
  ['STATUS', 'VARCHAR'],
  ['MODEL_FAMILY', 'VARCHAR'],
  ['MAPE', 'FLOAT'],
  ['RMSE', 'FLOAT'],
  ['SMAPE', 'FLOAT'],
  ['N_OBS', 'FLOAT'],
  ['ERROR_MSG', 'VARCHAR'],
  ['ARTIFACT', 'VARIANT'],
];

/** Columns of the fits table (snowflake_table): the UDTF's rows of each run and pass, and where each artifact went. */
export const FITS_COLUMNS: readonly ColumnSpec[] = [
  ...FIT_OUTCOME_COLUMNS,
  ['ERROR_MSG', 'VARCHAR(4000)', true],
  // The artifact's directory under the pass directory: `<2 hex>/<SHA-256 of the artifact's JSON>`.
  ['ARTIFACT_DIR', 'VARCHAR(128)', true],
  ['ARTIFACT', 'VARIANT', true],
  ['TRAINED_AT', 'TIMESTAMP_NTZ', false],
];

/**
 * The handler: the bundled core (evaluated once per JavaScript environment, as the limitations
 * page advises for costly setup), the partition's rows collected in processRow, the contest run in
 * finalize. Errors of one series become its FAILED row, never the statement's, as a worker records
 * a partition it cannot fit (docs/worker-contract.md, step 5).
 */
export function renderWarehouseHandler(): string {
  return `{
  initialize: function (argumentInfo, context) {
    if (typeof MM_FORECAST_CORE === "undefined") {
      MM_FORECAST_CORE = ${FORECAST_CORE_JS};
    }
    this.key = null;
    this.options = null;
    this.rows = [];
  },
  processRow: function (row, rowWriter, context) {
    if (this.key === null) {
      var given = function (v) { return v === undefined || v === null ? undefined : v; };
      this.key = row.PARTITION_KEY;
      this.options = { holdout: given(row.HOLDOUT), period: given(row.PERIOD), refine: row.REFINE === true };
    }
    this.rows.push({ date: row.DS, y: row.Y === undefined ? null : row.Y });
  },
  finalize: function (rowWriter, context) {
    if (this.key === null) return;
    var core = MM_FORECAST_CORE;
    try {
      var series = core.prepareSeries(this.rows);
      var best = core.selectBest(series, this.options);
      rowWriter.writeRow({ PARTITION_KEY: this.key, STATUS: "OK", MODEL_FAMILY: best.winner, MAPE: best.metrics.mape, RMSE: best.metrics.rmse, SMAPE: best.metrics.smape, N_OBS: series.values.length, ARTIFACT: best.model });
    } catch (e) {
      var reason = e instanceof core.SeriesError ? e.message : "fit failed: " + (e && e.message ? e.message : String(e));
      rowWriter.writeRow({ PARTITION_KEY: this.key, STATUS: "FAILED", N_OBS: this.rows.length, ERROR_MSG: reason.slice(0, 4000) });
    }
  }
}`;
}

/** The function's argument types, as a grant or DROP names it. */
export function warehouseFunctionSignature(fn: ObjectName): string {
  return `${fn.quoted}(${WAREHOUSE_FIT_ARGUMENTS.map(([, t]) => t).join(', ')})`;
}

/**
 * Creates (or replaces) the UDTF. The runner creates it as the pass starts, so the function the
 * pass calls is the one its manifest holds: a new core is a new fingerprint and a new run.
 */
export function renderCreateWarehouseFunction(fn: ObjectName): string {
  const args = WAREHOUSE_FIT_ARGUMENTS.map(([n, t]) => `${n} ${t}`).join(', ');
  const cols = WAREHOUSE_FIT_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ');
  return `CREATE OR REPLACE FUNCTION ${fn.quoted}(${args})\nRETURNS TABLE (${cols})\nLANGUAGE JAVASCRIPT\nAS ${dollarQuoted(renderWarehouseHandler())}`;
}

/** Clears this run's and pass's fits (a re-run replaces them). */
export function renderClearFits(w: WarehousePassSql): string {
  return `DELETE FROM ${w.fits.quoted} WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND PASS = ${sqlString(w.pass)}`;
}

/**
 * The ONE fitting statement: every row of the pass's partitions through the UDTF, partitioned by
 * key and ordered by date, into the fits table. Each artifact's directory is named after its
 * content's digest, sharded by its first two hex digits as workers shard theirs.
 */
export function renderWarehouseFit(w: WarehousePassSql): string {
  const s = w.source;
  const p = quoteIdentifier(s.partitionColumn);
  const keys = w.keysQuery === undefined ? `${p} IS NOT NULL` : `TO_VARCHAR(${p}) IN (${w.keysQuery})`;
  const opt = (v: number | undefined) => (v === undefined ? 'NULL' : sqlNumber(v));
  const digest = 'SHA2(TO_JSON(F.ARTIFACT), 256)';
  return [
    `INSERT INTO ${w.fits.quoted} (${FITS_COLUMNS.map(([c]) => c).join(', ')})`,
    `SELECT ${sqlString(runVar('RUN_ID'))}, ${sqlString(w.pass)}, F.PARTITION_KEY, F.STATUS, F.MODEL_FAMILY, F.MAPE, F.RMSE, F.SMAPE, F.N_OBS, F.ERROR_MSG,`,
    `  IFF(F.STATUS = 'OK', LEFT(${digest}, 2) || '/' || ${digest}, NULL), F.ARTIFACT, CURRENT_TIMESTAMP()`,
    `FROM (SELECT TO_VARCHAR(${p}) AS PARTITION_KEY, TO_VARCHAR(TO_DATE(${quoteIdentifier(s.orderColumn)}), 'YYYY-MM-DD') AS DS, ${quoteIdentifier(s.targetColumn)}::FLOAT AS Y FROM ${s.table.quoted} WHERE ${keys}) I,`,
    `  TABLE(${w.function.quoted}(I.PARTITION_KEY, I.DS, I.Y, ${opt(w.holdout)}, ${opt(w.period)}, ${w.refine ? 'TRUE' : 'FALSE'}) OVER (PARTITION BY I.PARTITION_KEY ORDER BY I.DS)) F`,
  ].join('\n');
}

/** Removes what an earlier attempt of this run's pass unloaded (COPY with PARTITION BY does not overwrite: its file names hold the query id). */
export function renderRemovePassArtifacts(w: WarehousePassSql): string {
  return `REMOVE @${w.tables.stage.quoted}/${passDirectory(runVar('RUN_ID'), w.pass)}/`;
}

/**
 * Unloads each distinct artifact of the pass once, under `<pass dir>/<shard>/<digest>/`: a JSON
 * unload of one VARIANT column, partitioned by an expression of that column only, so every file
 * holds exactly one artifact (partitions whose models are identical share it).
 */
export function renderUnloadArtifacts(w: WarehousePassSql): string {
  const digest = 'SHA2(TO_JSON(ARTIFACT), 256)';
  return [
    `COPY INTO @${w.tables.stage.quoted}/${passDirectory(runVar('RUN_ID'), w.pass)}/`,
    `FROM (SELECT DISTINCT ARTIFACT FROM ${w.fits.quoted} WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND PASS = ${sqlString(w.pass)} AND STATUS = 'OK')`,
    `PARTITION BY (LEFT(${digest}, 2) || '/' || ${digest})`,
    `FILE_FORMAT = (TYPE = JSON COMPRESSION = NONE)`,
  ].join('\n');
}

/** Replaces this run's and pass's metrics rows (as a worker clears a chunk's before writing). */
export function renderClearPassMetrics(w: WarehousePassSql): string {
  return `DELETE FROM ${w.tables.metrics.quoted} WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND PASS = ${sqlString(w.pass)}`;
}

/**
 * The pass's metrics rows from its fits, after the stage's directory table has been refreshed:
 * STAGE_PATH is the file found under the artifact's directory. A fit whose file is not there is
 * recorded FAILED, so nothing downstream names a file that does not exist.
 */
export function renderInsertPassMetrics(w: WarehousePassSql): string {
  const run = sqlString(runVar('RUN_ID'));
  const dir = `${sqlString(`${passDirectory(runVar('RUN_ID'), w.pass)}/`)} || F.ARTIFACT_DIR || '/'`;
  const cols = METRICS_COLUMNS.map(([c]) => c);
  return [
    `INSERT INTO ${w.tables.metrics.quoted} (${cols.join(', ')})`,
    `SELECT F.RUN_ID, F.PASS, F.PARTITION_KEY, IFF(F.STATUS = 'OK' AND D.RELATIVE_PATH IS NULL, 'FAILED', F.STATUS), F.MODEL_FAMILY, F.MAPE, F.RMSE, F.SMAPE, F.N_OBS, D.RELATIVE_PATH,`,
    `  IFF(F.STATUS = 'OK' AND D.RELATIVE_PATH IS NULL, 'the artifact was not found on the stage after the unload', F.ERROR_MSG), F.TRAINED_AT, ${sqlString(WAREHOUSE_TRAINER_IMAGE)}`,
    `FROM ${w.fits.quoted} F LEFT JOIN DIRECTORY(@${w.tables.stage.quoted}) D ON F.STATUS = 'OK' AND STARTSWITH(D.RELATIVE_PATH, ${dir})`,
    `WHERE F.RUN_ID = ${run} AND F.PASS = ${sqlString(w.pass)}`,
    `QUALIFY ROW_NUMBER() OVER (PARTITION BY F.PARTITION_KEY ORDER BY D.RELATIVE_PATH) = 1`,
  ].join('\n');
}

/**
 * The pass's verification, in the columns the runner reads for every pass (PARTITIONS,
 * PARTITIONS_OK, ARTIFACTS_MISSING): partitions are the fits' rows.
 */
export function renderVerifyWarehousePass(w: WarehousePassSql): string {
  const run = sqlString(runVar('RUN_ID'));
  const p = sqlString(w.pass);
  return [
    'SELECT',
    `  (SELECT COUNT(*) FROM ${w.fits.quoted} WHERE RUN_ID = ${run} AND PASS = ${p}) AS PARTITIONS,`,
    `  (SELECT COUNT(*) FROM ${w.tables.metrics.quoted} WHERE RUN_ID = ${run} AND PASS = ${p} AND STATUS = 'OK') AS PARTITIONS_OK,`,
    `  (SELECT COUNT(*) FROM ${w.tables.metrics.quoted} M LEFT JOIN DIRECTORY(@${w.tables.stage.quoted}) D ON D.RELATIVE_PATH = M.STAGE_PATH`,
    `     WHERE M.RUN_ID = ${run} AND M.PASS = ${p} AND M.STATUS = 'OK' AND D.RELATIVE_PATH IS NULL) AS ARTIFACTS_MISSING`,
  ].join('\n');
}
