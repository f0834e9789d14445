/**
 * SQL of registration and promotion. The index is built from ONE DIRECTORY(@stage) query joined
 * with the metrics, so its cost does not grow in statements with the number of partitions; ONE
 * model version is registered per run, whatever the partition count.
 */
import { ObjectName, quoteIdentifier, sqlNumber, sqlString } from '../identifiers';
import { runVar } from './statement';
import { TrainingTablesModel } from './training';

/** Relative stage path of a run's index. */
export function modelIndexPath(): string {
  return `models/${runVar('RUN_ID')}/model_index.json`;
}

/** The version name of a run: immutable, derived from the run id. */
export function versionName(prefix: string): string {
  return `${prefix}${runVar('RUN_ID')}`;
}

/**
 * Writes model_index.json (partition key -> stage path of the winning artifact) with one COPY.
 * The winner per partition is the lowest holdout MAPE across passes (refine replaces screen only
 * when it improved; ties keep the screen model), and only artifacts present on the stage count.
 */
export function renderBuildModelIndex(t: TrainingTablesModel): string {
  const run = sqlString(runVar('RUN_ID'));
  return [
    `COPY INTO @${t.stage.quoted}/${modelIndexPath()}`,
    `FROM (`,
    `  SELECT OBJECT_CONSTRUCT('format', 'many-model-index', 'formatVersion', 1, 'runId', ${run}, 'partitions', OBJECT_AGG(PARTITION_KEY, RELATIVE_PATH::VARIANT))`,
    `  FROM (`,
    `    SELECT M.PARTITION_KEY, D.RELATIVE_PATH`,
    `    FROM ${t.metrics.quoted} M JOIN DIRECTORY(@${t.stage.quoted}) D ON D.RELATIVE_PATH = M.STAGE_PATH`,
    `    WHERE M.RUN_ID = ${run} AND M.STATUS = 'OK'`,
    `    QUALIFY ROW_NUMBER() OVER (PARTITION BY M.PARTITION_KEY ORDER BY M.MAPE ASC NULLS LAST, IFF(M.PASS = 'screen', 0, 1)) = 1`,
    `  )`,
    `)`,
    `FILE_FORMAT = (TYPE = JSON COMPRESSION = NONE) SINGLE = TRUE OVERWRITE = TRUE`,
  ].join('\n');
}

/** The registration procedure's arguments, in the order renderRegisterCall passes them. */
export const REGISTER_PROCEDURE_ARGUMENTS: readonly (readonly [name: string, type: string])[] = [
  ['RUN_ID', 'VARCHAR'],
  ['VERSION_NAME', 'VARCHAR'],
  ['INDEX_PATH', 'VARCHAR'],
];

/** `(VARCHAR, VARCHAR, VARCHAR)`: the argument types that tell the procedure from its overloads. */
export function registerProcedureArgumentTypes(): string {
  return `(${REGISTER_PROCEDURE_ARGUMENTS.map(([, type]) => type).join(', ')})`;
}

/** The procedure as a grant names it (a procedure is named with its argument types). */
export function registerProcedureSignature(procedure: ObjectName): string {
  return `${procedure.quoted}${registerProcedureArgumentTypes()}`;
}

/** Calls the registration procedure; it is idempotent (an existing version is returned as is). */
export function renderRegisterCall(procedure: ObjectName, versionPrefix: string): string {
  return `CALL ${procedure.quoted}(${sqlString(runVar('RUN_ID'))}, ${sqlString(versionName(versionPrefix))}, ${sqlString(modelIndexPath())})`;
}

/** Metrics a promotion gate can compare. */
export const GateMetric = { MEDIAN_MAPE: 'MEDIAN_MAPE', MEAN_RMSE: 'MEAN_RMSE', FAILED_PERCENT: 'FAILED_PERCENT' } as const;
export type GateMetricName = (typeof GateMetric)[keyof typeof GateMetric];

const GATE_EXPR: Record<GateMetricName, string> = {
  MEDIAN_MAPE: "MEDIAN(IFF(STATUS = 'OK', MAPE, NULL))",
  MEAN_RMSE: "AVG(IFF(STATUS = 'OK', RMSE, NULL))",
  FAILED_PERCENT: "100 * COUNT_IF(STATUS = 'FAILED') / NULLIF(COUNT(*), 0)",
};

/**
 * One row: VALUE (the run's metric over its winning models) and PASSED (VALUE <= threshold).
 * A NULL value (nothing trained) never passes.
 */
export function renderGateQuery(t: TrainingTablesModel, metric: GateMetricName, threshold: number): string {
  const run = sqlString(runVar('RUN_ID'));
  return [
    `SELECT VALUE, COALESCE(VALUE <= ${sqlNumber(threshold)}, FALSE) AS PASSED FROM (`,
    `  SELECT ${GATE_EXPR[metric]} AS VALUE FROM (`,
    `    SELECT STATUS, MAPE, RMSE FROM ${t.metrics.quoted} WHERE RUN_ID = ${run}`,
    `    QUALIFY ROW_NUMBER() OVER (PARTITION BY PARTITION_KEY ORDER BY IFF(STATUS = 'OK', 0, 1), MAPE ASC NULLS LAST, IFF(PASS = 'screen', 0, 1)) = 1`,
    `  )`,
    `)`,
  ].join('\n');
}

/** Moves `alias` to this run's version and makes it the default version. */
export function renderPromote(model: ObjectName, alias: string, versionPrefix: string): { unsetAlias: string; setAlias: string; setDefault: string } {
  const v = versionName(versionPrefix);
  return {
    unsetAlias: `ALTER MODEL ${model.quoted} VERSION ${alias} UNSET ALIAS`,
    setAlias: `ALTER MODEL ${model.quoted} VERSION ${v} SET ALIAS = ${alias}`,
    setDefault: `ALTER MODEL ${model.quoted} SET DEFAULT_VERSION = ${sqlString(v)}`,
  };
}

/**
 * `FROM <db>.INFORMATION_SCHEMA.MODEL_VERSIONS WHERE <the versions of model that hold alias>`, for
 * the task bodies that read who holds an alias. The view lists the versions of models the role has
 * a privilege on; VERSION_ALIASES is an ARRAY
 * (https://docs.snowflake.com/en/sql-reference/info-schema/model_versions).
 */
export function renderVersionsHoldingAlias(model: ObjectName, alias: string): string {
  const [db, schema, name] = model.parts;
  return (
    `FROM ${quoteIdentifier(db)}.INFORMATION_SCHEMA.MODEL_VERSIONS ` +
    `WHERE "SCHEMA_NAME" = ${sqlString(schema)} AND "MODEL_NAME" = ${sqlString(name)} AND ARRAY_CONTAINS(${sqlString(alias)}::VARIANT, "VERSION_ALIASES")`
  );
}
