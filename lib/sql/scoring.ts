/**
 * Batch scoring: partitioned inference of the aggregator over every partition of the source, into
 * a results table keyed by RUN_ID and replaced atomically (delete + insert in one transaction).
 */
import { ObjectName, quoteIdentifier, sqlString } from '../identifiers';
import { StatementCapture } from '../hooks/manifest';
import { runVar } from './statement';
import { BEGIN_TRANSACTION, COMMIT } from './session';

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

/**
 * The partitioned PREDICT query producing the output columns for every partition and step.
 * `version` is what MODEL(m, ...) names and MODEL_VERSION records: by default the alias or version
 * the job was given; the post-deploy step passes the concrete version the alias points to.
 */
export function renderScoringSelect(
  m: ScoringModel,
  runIdExpr: string,
  version: { readonly name: string; readonly recorded: string } = { name: m.modelVersionOrAlias, recorded: sqlString(m.modelVersionOrAlias) },
): string {
  const p = quoteIdentifier(m.partitionColumn);
  const cov = m.covariateInputs.map((c) => `, ${quoteIdentifier(c)}`).join('');
  const keys = m.covariateInputs.length
    ? `(SELECT TO_VARCHAR(${p}) AS PARTITION_KEY${cov} FROM ${m.source.quoted} WHERE ${p} IS NOT NULL QUALIFY ROW_NUMBER() OVER (PARTITION BY ${p} ORDER BY ${p}) = 1)`
    : `(SELECT DISTINCT TO_VARCHAR(${p}) AS PARTITION_KEY FROM ${m.source.quoted} WHERE ${p} IS NOT NULL)`;
  const args = ['I.PARTITION_KEY', 'I.STEP', ...m.covariateInputs.map((c) => `I.${quoteIdentifier(c)}`)].join(', ');
  const outs = m.outputColumns.map((c) => `P.${quoteIdentifier(c.name)}`).join(', ');
  return [
    `SELECT ${outs}, ${runIdExpr}, ${version.recorded}, CURRENT_TIMESTAMP()`,
    `FROM (SELECT K.*, H.STEP FROM ${keys} K CROSS JOIN ${stepsTable(m.horizon)} H) I,`,
    `  TABLE(MODEL(${m.model.quoted}, ${version.name})!PREDICT(${args}) OVER (PARTITION BY I.PARTITION_KEY)) P`,
  ].join('\n');
}

/** The results table's columns an insert names: the model's outputs, then RESULT_META_COLUMNS. */
export function insertColumns(m: ScoringModel): string {
  return [...m.outputColumns, ...RESULT_META_COLUMNS].map((c) => quoteIdentifier(c.name)).join(', ');
}

/** A statement of the batchScore step (the shape of a manifest statement). */
export interface ScoringStatement {
  readonly id: string;
  readonly sql: string;
  readonly capture?: StatementCapture;
}

/**
 * The statement that resolves an alias (or a version name) to the concrete version, which the
 * runner captures as {{MODEL_VERSION}} for the step's later statements: `SHOW VERSIONS IN MODEL`
 * lists each version with its aliases (https://docs.snowflake.com/en/sql-reference/sql/show-versions-in-model).
 * `consequence` says what the step cannot do without one.
 */
export function renderResolveVersion(model: ObjectName, versionOrAlias: string, consequence: string): ScoringStatement {
  return {
    id: 'resolve-version',
    sql: `SHOW VERSIONS IN MODEL ${model.quoted}`,
    capture: {
      variable: 'MODEL_VERSION',
      column: 'name',
      match: { value: versionOrAlias, arrayColumn: 'aliases' },
      missing: `no version of ${model} holds ${versionOrAlias}: ${consequence}`,
    },
  };
}

/**
 * The statements of the post-deploy `batchScore` step, in order. The alias (or version) the job
 * scores with is first resolved to the concrete version (`SHOW VERSIONS IN MODEL`, whose `aliases`
 * column lists each version's aliases: https://docs.snowflake.com/en/sql-reference/sql/show-versions-in-model),
 * which the runner captures as {{MODEL_VERSION}}: the rows are scored by that version and record
 * it, so results say which version made them even when a gate left the alias on an older run's
 * version, or the alias moves while the step runs. The replace of the run's rows is one transaction.
 */
export function renderBatchScore(m: ScoringModel): ScoringStatement[] {
  const run = sqlString(runVar('RUN_ID'));
  const v = runVar('MODEL_VERSION');
  // An alias (PRODUCTION) or a version name: either way the row that names it or holds it.
  const target = m.modelVersionOrAlias;
  return [
    renderResolveVersion(m.model, target, 'nothing to score with. Promote a version (or score with a version name)'),
    { id: 'begin', sql: BEGIN_TRANSACTION },
    { id: 'delete-run', sql: `DELETE FROM ${m.results.quoted} WHERE RUN_ID = ${run}` },
    { id: 'insert', sql: `INSERT INTO ${m.results.quoted} (${insertColumns(m)})\n${renderScoringSelect(m, run, { name: v, recorded: sqlString(v) })}` },
    { id: 'commit', sql: COMMIT },
  ];
}

/** How the run ids of scheduled scoring start (runner run ids start with R: RUN_VARIABLES). */
export const SCHEDULED_RUN_PREFIX = 'S';

/** How the run ids of a challenger's daily scoring beside the champion start (lib/sql/challenger.ts). */
export const CHALLENGE_SCORING_RUN_PREFIX = 'C';

/**
 * The body of the scheduled scoring task: a Snowflake Scripting block doing the same replace,
 * keyed by a run id derived from the scheduled date (`S` + YYYYMMDD), so a re-run of the same day
 * replaces rather than duplicates.
 */
export function renderScheduledScoringBody(m: ScoringModel): string {
  const run = `${sqlString(SCHEDULED_RUN_PREFIX)} || TO_VARCHAR(CURRENT_DATE(), ${sqlString('YYYYMMDD')})`;
  return [
    'BEGIN',
    `  ${BEGIN_TRANSACTION};`,
    `  DELETE FROM ${m.results.quoted} WHERE RUN_ID = ${run};`,
    `  INSERT INTO ${m.results.quoted} (${insertColumns(m)})`,
    renderScoringSelect(m, run).replace(/^/gm, '  ') + ';',
    `  ${COMMIT};`,
    'END',
  ].join('\n');
}
