/**
 * Batch scoring: partitioned inference of the aggregator over every partition of the source, into
 * a results table keyed by RUN_ID and replaced atomically (delete + insert in one transaction).
 */
import { ObjectName, quoteIdentifier, sqlString } from '../identifiers';
import { runVar } from './statement';

export interface ColumnSpec {
  readonly name: string;
  readonly type: string;
}

export interface ScoringModel {
  readonly source: ObjectName;
  readonly partitionColumn: string;
  /** Covariate inputs read from the source (latest row per partition). */
  readonly covariateInputs: readonly string[];
  readonly model: ObjectName;
  /** Alias or version name the job scores with. */
  readonly modelVersionOrAlias: string;
  readonly results: ObjectName;
  readonly outputColumns: readonly ColumnSpec[];
  readonly horizon: number;
}

/** Bookkeeping columns every results table has after the model's outputs. */
export const RESULT_META_COLUMNS: readonly ColumnSpec[] = [
  { name: 'RUN_ID', type: 'VARCHAR(64)' },
  { name: 'MODEL_VERSION', type: 'VARCHAR(256)' },
  { name: 'SCORED_AT', type: 'TIMESTAMP_NTZ' },
];

function stepsTable(horizon: number): string {
  const rows = Array.from({ length: horizon }, (_, i) => `(${i + 1})`).join(', ');
  return `(SELECT COLUMN1 AS STEP FROM VALUES ${rows})`;
}

/** The partitioned PREDICT query producing the output columns for every partition and step. */
export function renderScoringSelect(m: ScoringModel, runIdExpr: string): string {
  const p = quoteIdentifier(m.partitionColumn);
  const cov = m.covariateInputs.map((c) => `, ${quoteIdentifier(c)}`).join('');
  const keys = m.covariateInputs.length
    ? `(SELECT TO_VARCHAR(${p}) AS PARTITION_KEY${cov} FROM ${m.source.quoted} WHERE ${p} IS NOT NULL QUALIFY ROW_NUMBER() OVER (PARTITION BY ${p} ORDER BY ${p}) = 1)`
    : `(SELECT DISTINCT TO_VARCHAR(${p}) AS PARTITION_KEY FROM ${m.source.quoted} WHERE ${p} IS NOT NULL)`;
  const args = ['I.PARTITION_KEY', 'I.STEP', ...m.covariateInputs.map((c) => `I.${quoteIdentifier(c)}`)].join(', ');
  const outs = m.outputColumns.map((c) => `P.${quoteIdentifier(c.name)}`).join(', ');
  return [
    `SELECT ${outs}, ${runIdExpr}, ${sqlString(m.modelVersionOrAlias)}, CURRENT_TIMESTAMP()`,
    `FROM (SELECT K.*, H.STEP FROM ${keys} K CROSS JOIN ${stepsTable(m.horizon)} H) I,`,
    `  TABLE(MODEL(${m.model.quoted}, ${m.modelVersionOrAlias})!PREDICT(${args}) OVER (PARTITION BY I.PARTITION_KEY)) P`,
  ].join('\n');
}

function insertColumns(m: ScoringModel): string {
  return [...m.outputColumns, ...RESULT_META_COLUMNS].map((c) => quoteIdentifier(c.name)).join(', ');
}

/** The statements of the post-deploy `batchScore` step, in order, run in one transaction. */
export function renderBatchScore(m: ScoringModel): string[] {
  const run = sqlString(runVar('RUN_ID'));
  return [
    'BEGIN TRANSACTION',
    `DELETE FROM ${m.results.quoted} WHERE RUN_ID = ${run}`,
    `INSERT INTO ${m.results.quoted} (${insertColumns(m)})\n${renderScoringSelect(m, run)}`,
    'COMMIT',
  ];
}

/**
 * The body of the scheduled scoring task: a Snowflake Scripting block doing the same replace,
 * keyed by a run id derived from the scheduled date (`S` + YYYYMMDD), so a re-run of the same day
 * replaces rather than duplicates.
 */
export function renderScheduledScoringBody(m: ScoringModel): string {
  const run = `'S' || TO_VARCHAR(CURRENT_DATE(), 'YYYYMMDD')`;
  return [
    'BEGIN',
    '  BEGIN TRANSACTION;',
    `  DELETE FROM ${m.results.quoted} WHERE RUN_ID = ${run};`,
    `  INSERT INTO ${m.results.quoted} (${insertColumns(m)})`,
    renderScoringSelect(m, run).replace(/^/gm, '  ') + ';',
    '  COMMIT;',
    'END',
  ].join('\n');
}
