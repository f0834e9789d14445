/**
 * SQL of the training passes: which keys to train, how a worker reads a chunk (one bulk query),
 * where artifacts go, the run-control rows, and the post-pass verification.
 */
import { createHash } from 'crypto';
import { ObjectName, quoteIdentifier, sqlString } from '../identifiers';
import { BoundStatement, runVar } from './statement';

/** The two training passes of a pipeline. `screen` covers all partitions, `refine` the worst. */
export const Pass = { SCREEN: 'screen', REFINE: 'refine' } as const;
export type PassName = (typeof Pass)[keyof typeof Pass];

export interface SourceModel {
  readonly table: ObjectName;
  readonly partitionColumn: string;
  readonly orderColumn: string;
  readonly targetColumn: string;
  /** Extra covariate columns passed through to the worker. */
  readonly covariateColumns: readonly string[];
}

/** Tables the training writes to. */
export interface TrainingTablesModel {
  readonly metrics: ObjectName;
  readonly runs: ObjectName;
  readonly stage: ObjectName;
}

/** A column: name, Snowflake type, nullable. */
export type ColumnSpec = readonly [name: string, type: string, nullable: boolean];

/** The outcome of one partition's fit, the first columns of TRAINING_METRICS and of a warehouse pass's fits table. */
export const FIT_OUTCOME_COLUMNS: readonly ColumnSpec[] = [
  ['RUN_ID', 'VARCHAR(64)', false],
  ['PASS', 'VARCHAR(16)', false],
  ['PARTITION_KEY', 'VARCHAR(1024)', false],
  ['STATUS', 'VARCHAR(16)', false],
  ['MODEL_FAMILY', 'VARCHAR(64)', true],
  ['MAPE', 'FLOAT', true],
  ['RMSE', 'FLOAT', true],
  ['SMAPE', 'FLOAT', true],
  ['N_OBS', 'NUMBER(10,0)', true],
];

/** Columns of TRAINING_METRICS, shared by the construct (snowflake_table) and the statements. */
export const METRICS_COLUMNS: readonly ColumnSpec[] = [
  ...FIT_OUTCOME_COLUMNS,
  ['STAGE_PATH', 'VARCHAR(1024)', true],
  ['ERROR_MSG', 'VARCHAR(4000)', true],
  ['TRAINED_AT', 'TIMESTAMP_NTZ', false],
  // Lineage: the image that trained the row's model (MM_TRAINER_IMAGE); NULL from workers that do not say.
  ['TRAINER_IMAGE', 'VARCHAR(1024)', true],
];

/** Columns of TRAINING_RUNS: one row per run and pass; workers find their run here. */
export const RUNS_COLUMNS: readonly (readonly [string, string, boolean])[] = [
  ['RUN_ID', 'VARCHAR(64)', false],
  ['PASS', 'VARCHAR(16)', false],
  ['STATUS', 'VARCHAR(16)', false],
  ['STARTED_AT', 'TIMESTAMP_NTZ', false],
  ['FINISHED_AT', 'TIMESTAMP_NTZ', true],
  // The trainer a run was started for (image and settings, MM_TRAINING_KEY): a worker only joins
  // runs of its own trainer, so a worker left over from an abandoned run never trains a new one.
  ['TRAINING_KEY', 'VARCHAR(64)', true],
];

/** All distinct partition keys of the source, as VARCHAR. */
export function renderAllKeysQuery(s: SourceModel): string {
  const p = quoteIdentifier(s.partitionColumn);
  return `SELECT DISTINCT TO_VARCHAR(${p}) AS PARTITION_KEY FROM ${s.table.quoted} WHERE ${p} IS NOT NULL`;
}

/**
 * The source tables that the all-keys queries (renderAllKeysQuery) in `sql` read: how a tool that
 * has only the manifest finds the sources a pipeline reads. Follows renderAllKeysQuery's text.
 */
export function sourcesOfKeysQueries(sql: string): ObjectName[] {
  const out = new Map<string, ObjectName>();
  for (const m of sql.matchAll(/SELECT DISTINCT TO_VARCHAR\([^)]*\) AS PARTITION_KEY FROM "([^"]+)"\."([^"]+)"\."([^"]+)"/g)) {
    const name = ObjectName.of(m[1], m[2], m[3]);
    out.set(name.toString(), name);
  }
  return [...out.values()];
}

/** A read of one row of `table`: fails when the table is missing or the role may not read it. */
export function renderReadProbe(table: ObjectName): string {
  return `SELECT 1 FROM ${table.quoted} LIMIT 1`;
}

/**
 * The refine pass's keys: partitions of this run's screen pass that failed, plus the worst
 * `topPercent` % by MAPE (at least one when any exist).
 */
export function renderWorstKeysQuery(t: TrainingTablesModel, topPercent: number): string {
  const run = sqlString(runVar('RUN_ID'));
  return [
    `SELECT PARTITION_KEY FROM ${t.metrics.quoted}`,
    `WHERE RUN_ID = ${run} AND PASS = 'screen'`,
    `QUALIFY STATUS = 'FAILED' OR ROW_NUMBER() OVER (ORDER BY MAPE DESC NULLS FIRST, PARTITION_KEY) <= CEIL(COUNT(*) OVER () * ${topPercent / 100})`,
  ].join(' ');
}

/**
 * The worker's ONE bulk read per chunk: every row of the chunk's partitions, ordered by key then
 * time. Bind: the chunk's PARTITION_KEYS as a JSON array string.
 */
export function renderChunkReadStatement(s: SourceModel): BoundStatement {
  const p = quoteIdentifier(s.partitionColumn);
  const cols = [
    `TO_VARCHAR(${p}) AS PARTITION_KEY`,
    `${quoteIdentifier(s.orderColumn)} AS DS`,
    `${quoteIdentifier(s.targetColumn)} AS Y`,
    ...s.covariateColumns.map((c) => quoteIdentifier(c)),
  ];
  return {
    sql:
      `SELECT ${cols.join(', ')} FROM ${s.table.quoted} ` +
      `WHERE TO_VARCHAR(${p}) IN (SELECT VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?)))) ` +
      `ORDER BY PARTITION_KEY, DS`,
    params: ['PARTITION_KEYS_JSON'],
  };
}

/**
 * Hex digits of a partition's shard directory: 2 give 256 directories per pass, so a pass of
 * 20,000 partitions puts about 80 files in each and a directory stays under the stage volume's
 * advice of fewer than 100,000 files ("Using Snowflake stage volumes with services",
 * https://docs.snowflake.com/en/developer-guide/snowpark-container-services/snowflake-stage-volume)
 * up to millions of partitions per pass.
 */
export const ARTIFACT_SHARD_HEX_DIGITS = 2;

/**
 * A partition's shard directory: the first two hex digits (lower case) of the SHA-256 of the
 * partition key's UTF-8 bytes. Stable across runs and languages (SQL: `LEFT(SHA2(key, 256), 2)`).
 */
export function artifactShard(partitionKey: string): string {
  return createHash('sha256').update(partitionKey, 'utf8').digest('hex').slice(0, ARTIFACT_SHARD_HEX_DIGITS);
}

/** A run's pass directory on the stage, relative to the stage: `models/<run>/<pass>`. */
export function passDirectory(runId: string, pass: string): string {
  return `models/${runId}/${pass}`;
}

/**
 * Relative stage path of one partition's artifact (docs/worker-contract.md, contract version 2):
 * `models/<run>/<pass>/<shard>/<url-encoded key>.<ext>`. Written once under this name by the worker.
 */
export function artifactPath(runId: string, pass: string, partitionKey: string, extension: string): string {
  return `${passDirectory(runId, pass)}/${artifactShard(partitionKey)}/${encodeURIComponent(partitionKey)}.${extension}`;
}

/** The layout of artifactPath, for documentation. */
export function artifactPathPattern(pass: PassName, extension: string): string {
  return `models/<RUN_ID>/${pass}/<first 2 hex digits of SHA-256(PARTITION_KEY)>/<urlencoded PARTITION_KEY>.${extension}`;
}

/** Statements a worker issues besides the queue's, with their binds. */
export function renderWorkerStatements(t: TrainingTablesModel): Record<'runStatus' | 'clearMetrics' | 'insertMetrics', BoundStatement> {
  const cols = METRICS_COLUMNS.map(([c]) => c);
  return {
    // The state of the worker's own run (MM_RUN_ID), started for its trainer: a worker claims only
    // while it is RUNNING, and exits once it is not (finished, abandoned, or never this trainer's).
    runStatus: {
      sql: `SELECT STATUS FROM ${t.runs.quoted} WHERE RUN_ID = ? AND PASS = ? AND TRAINING_KEY = ?`,
      params: ['RUN_ID', 'PASS', 'TRAINING_KEY'],
    },
    clearMetrics: {
      sql: `DELETE FROM ${t.metrics.quoted} WHERE RUN_ID = ? AND PASS = ? AND PARTITION_KEY IN (SELECT VALUE::VARCHAR FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))))`,
      params: ['RUN_ID', 'PASS', 'PARTITION_KEYS_JSON'],
    },
    insertMetrics: {
      sql: `INSERT INTO ${t.metrics.quoted} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      params: cols,
    },
  };
}

/** Claimable chunks of a pass: PENDING, or CLAIMED with an expired lease. */
export function renderPendingChunks(queue: ObjectName, pass: PassName): string {
  return (
    `SELECT COUNT(*) AS PENDING FROM ${queue.quoted} WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND PASS = ${sqlString(pass)} ` +
    `AND (STATUS = 'PENDING' OR (STATUS = 'CLAIMED' AND LEASE_UNTIL < CURRENT_TIMESTAMP()))`
  );
}

/** Up to 20 failed partitions of a pass with their errors, for the runner's report. */
export function renderFailedPartitions(t: TrainingTablesModel, pass: PassName): string {
  return (
    `SELECT PARTITION_KEY, ERROR_MSG FROM ${t.metrics.quoted} ` +
    `WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND PASS = ${sqlString(pass)} AND STATUS = 'FAILED' ORDER BY PARTITION_KEY LIMIT 20`
  );
}

/**
 * Marks a pass of this run as running for the trainer `trainingKey` (idempotent: a resumed runner
 * inserts nothing new).
 */
export function renderStartPass(t: TrainingTablesModel, pass: PassName, trainingKey: string): string {
  const run = sqlString(runVar('RUN_ID'));
  return (
    `MERGE INTO ${t.runs.quoted} R USING (SELECT ${run} AS RUN_ID, ${sqlString(pass)} AS PASS) S ` +
    `ON R.RUN_ID = S.RUN_ID AND R.PASS = S.PASS ` +
    `WHEN NOT MATCHED THEN INSERT (RUN_ID, PASS, STATUS, STARTED_AT, TRAINING_KEY) VALUES (S.RUN_ID, S.PASS, 'RUNNING', CURRENT_TIMESTAMP(), ${sqlString(trainingKey)})`
  );
}

/** Marks a pass finished so idle workers stop looking for it. */
export function renderFinishPass(t: TrainingTablesModel, pass: PassName): string {
  return (
    `UPDATE ${t.runs.quoted} SET STATUS = 'FINISHED', FINISHED_AT = CURRENT_TIMESTAMP() ` +
    `WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND PASS = ${sqlString(pass)} AND STATUS = 'RUNNING'`
  );
}

/**
 * Abandons a run's passes: a worker claims for its run only while the run is RUNNING
 * (renderWorkerStatements.runStatus), so the workers of an abandoned run stop.
 */
export function renderAbandonPasses(t: TrainingTablesModel): string {
  return `UPDATE ${t.runs.quoted} SET STATUS = 'ABANDONED', FINISHED_AT = CURRENT_TIMESTAMP() WHERE RUN_ID = ${sqlString(runVar('RUN_ID'))} AND STATUS = 'RUNNING'`;
}

/**
 * What the runner polls while a pass runs: queue chunk states and metrics rows, never the stage.
 * (A stage's directory table changes only when it is refreshed, so a poll joining it would read
 * metadata as old as the last refresh; see renderRefreshPass.)
 */
export function renderPassProgress(t: TrainingTablesModel, queue: ObjectName, pass: PassName): string {
  return ['SELECT', passCounts(t, queue, pass).join(',\n')].join('\n');
}

/** The counts both the poll and the verification report, one select-list line each. */
function passCounts(t: TrainingTablesModel, queue: ObjectName, pass: PassName): string[] {
  const run = sqlString(runVar('RUN_ID'));
  const p = sqlString(pass);
  return [
    `  (SELECT COUNT(*) FROM ${queue.quoted} WHERE RUN_ID = ${run} AND PASS = ${p}) AS CHUNKS`,
    `  (SELECT COUNT(*) FROM ${queue.quoted} WHERE RUN_ID = ${run} AND PASS = ${p} AND STATUS = 'DONE') AS CHUNKS_DONE`,
    `  (SELECT COUNT(*) FROM ${queue.quoted} WHERE RUN_ID = ${run} AND PASS = ${p} AND STATUS = 'FAILED') AS CHUNKS_FAILED`,
    `  (SELECT COALESCE(SUM(ARRAY_SIZE(PARTITION_KEYS)), 0) FROM ${queue.quoted} WHERE RUN_ID = ${run} AND PASS = ${p}) AS PARTITIONS`,
    `  (SELECT COUNT(*) FROM ${t.metrics.quoted} WHERE RUN_ID = ${run} AND PASS = ${p} AND STATUS = 'OK') AS PARTITIONS_OK`,
    `  (SELECT COUNT(*) FROM ${t.metrics.quoted} WHERE RUN_ID = ${run} AND PASS = ${p} AND STATUS = 'FAILED') AS PARTITIONS_FAILED`,
  ];
}

/**
 * Brings the stage's directory table up to date with the pass's artifacts before the pass is
 * verified. Directory tables on internal stages change only on `ALTER STAGE ... REFRESH`
 * ("Managing directory tables", https://docs.snowflake.com/en/user-guide/data-load-dirtables-manage;
 * automatic refresh of internal stages exists only on AWS-hosted accounts, "Automated directory
 * table metadata refreshes", https://docs.snowflake.com/en/user-guide/data-load-dirtables-auto).
 * SUBPATH limits the listing to this run's pass, as that page advises for large stages. WRITE on
 * an internal stage is enough to refresh it ("WRITE/USAGE stage privileges: Directory table
 * refreshes allowed", https://docs.snowflake.com/en/release-notes/bcr-bundles/2023_06/bcr-1222);
 * the runner role has READ and WRITE on the model stage.
 */
export function renderRefreshPass(stage: ObjectName, pass: PassName): string {
  // The pass directory and, below it, its shard directories.
  return `ALTER STAGE ${stage.quoted} REFRESH SUBPATH = ${sqlString(passDirectory(runVar('RUN_ID'), pass))}`;
}

/**
 * Verification once a pass has ended, right after renderRefreshPass: queue chunk states, and
 * metrics rows marked OK whose artifact is not in the stage's directory table (a root task can
 * report success before its jobs have written anything). The text is unchanged since it was the
 * pass's poll: it is hashed under that name (lib/hooks/manifest.ts), so fingerprints stay as they were.
 */
export function renderVerifyPass(t: TrainingTablesModel, queue: ObjectName, pass: PassName): string {
  const run = sqlString(runVar('RUN_ID'));
  const p = sqlString(pass);
  const missing = [
    `  (SELECT COUNT(*) FROM ${t.metrics.quoted} M LEFT JOIN DIRECTORY(@${t.stage.quoted}) D ON D.RELATIVE_PATH = M.STAGE_PATH`,
    `     WHERE M.RUN_ID = ${run} AND M.PASS = ${p} AND M.STATUS = 'OK' AND D.RELATIVE_PATH IS NULL) AS ARTIFACTS_MISSING`,
  ].join('\n');
  return ['SELECT', [...passCounts(t, queue, pass), missing].join(',\n')].join('\n');
}

/** Internal stages' directory tables are refreshed by hand ("Directory tables on internal stages"). */
export function renderRefreshStage(stage: ObjectName): string {
  return `ALTER STAGE ${stage.quoted} REFRESH`;
}
