/**
 * The closed loop's selection (issue #17, slice 4, first part): which partitions the monitor sends
 * back to training, and their enqueue into the pipeline's queue as a refine pass of a run of their
 * own. The run id derives from the evaluation date (`M` + YYYYMMDD of AS_OF), so a re-run of the
 * same evaluation enqueues nothing more, and an evaluation that finds nothing to retrain enqueues
 * nothing at all (ARRAY_AGG over no rows gives no group, so no queue row).
 *
 * A partition is retrained when, on the latest evaluation date, its realized accuracy is degraded
 * (any version scored for it) or its level or scale drifted. Missing or late data alone does not
 * retrain: a model fitted on a gap would be worse, not better.
 */
import { ObjectName, quoteIdentifier, sqlNumber, sqlString } from '../identifiers';
import type { ChallengeOpening } from './challenger';
import { dynamicSql, scriptingBlock as block } from './scripting';
import { QueueModel, renderAbandonChunks, renderEnqueue, renderQueueStatements, renderRequeueOrphaned } from './queue';
import { MonitoringSqlModel } from './monitoring';
import { GateMetricName, renderBuildModelIndex, renderGateQuery, renderPromote, renderRegisterCall, renderVersionsHoldingAlias } from './registry';
import { inlineParams, runVar } from './statement';
import { beginEnd, runBoundJobLines } from './task-graph';
import { TaskRunLedgerModel, renderTaskRunFailed, renderTaskRunFinish, renderTaskRunStart, renderTaskRunsSuperseded } from './ledger';
import {
  METRICS_COLUMNS,
  Pass,
  TrainingTablesModel,
  renderAbandonPasses,
  renderFinishPass,
  renderRefreshPass,
  renderStartPass,
  renderVerifyPass,
} from './training';

/** How the run ids of monitor-triggered retraining start (runner: R, scheduled scoring: S). */
export const RETRAIN_RUN_PREFIX = 'M';

/** The pass name of a retraining run's queue rows. */
export const RETRAIN_PASS = 'refine';

/** The pass name of the metrics rows a retraining run carries over from the run it replaces. */
export const CARRIED_PASS = 'carried';

/** The latest evaluation date of the accuracy table, as a scalar subquery. */
function latest(m: MonitoringSqlModel): string {
  return `(SELECT MAX("AS_OF") FROM ${m.accuracy.quoted})`;
}

/** The partitions to retrain (one column, PARTITION_KEY), each once. */
export function renderRetrainKeysQuery(m: MonitoringSqlModel): string {
  return [
    `SELECT "PARTITION_KEY" FROM ${m.accuracy.quoted} WHERE "AS_OF" = ${latest(m)} AND "DEGRADED"`,
    `UNION`,
    `SELECT "PARTITION_KEY" FROM ${m.drift.quoted} WHERE "AS_OF" = (SELECT MAX("AS_OF") FROM ${m.drift.quoted}) AND ("LEVEL_DRIFT" OR "SCALE_DRIFT")`,
  ].join('\n');
}

/** The retraining run's id as SQL: `M` and the latest evaluation date. */
export function renderRetrainRunId(m: MonitoringSqlModel): string {
  return `(SELECT ${sqlString(RETRAIN_RUN_PREFIX)} || TO_VARCHAR(MAX("AS_OF"), ${sqlString('YYYYMMDD')}) FROM ${m.accuracy.quoted})`;
}

/** Enqueues the partitions to retrain in chunks of `chunkSize`, once per evaluation date. */
export function renderEnqueueRetrain(m: MonitoringSqlModel, queue: QueueModel, chunkSize: number): string {
  return renderEnqueue(queue, RETRAIN_PASS, chunkSize, { keysQuery: renderRetrainKeysQuery(m) }, renderRetrainRunId(m));
}

/**
 * The head of a carry-over: the winning OK row of each partition in `fromRun` (lowest MAPE, the
 * screen pass first on a tie), inserted into run `to` as `pass` ('carried'); the caller adds WHERE.
 */
export function carryWinners(t: TrainingTablesModel, to: string, fromRun: string, pass: string = CARRIED_PASS): string[] {
  const cols = METRICS_COLUMNS.map(([c]) => quoteIdentifier(c));
  const copied = METRICS_COLUMNS.map(([c]) => (c === 'RUN_ID' ? to : c === 'PASS' ? sqlString(pass) : `W.${quoteIdentifier(c)}`));
  return [
    `INSERT INTO ${t.metrics.quoted} (${cols.join(', ')})`,
    `SELECT ${copied.join(', ')}`,
    `FROM (SELECT * FROM ${t.metrics.quoted} WHERE "RUN_ID" = ${fromRun} AND "STATUS" = 'OK'`,
    `  QUALIFY ROW_NUMBER() OVER (PARTITION BY "PARTITION_KEY" ORDER BY "MAPE" ASC NULLS LAST, IFF("PASS" = 'screen', 0, 1)) = 1) W`,
  ];
}

/**
 * Carries every partition the retraining run does not retrain over from the run whose version it
 * replaces (`fromRun`, a SQL expression): that run's winning OK row per partition, chosen as its
 * index chose (lowest MAPE, screen before refine on ties: lib/sql/registry.ts), copied into the
 * retraining run under the pass `carried` with its artifact's stage path, MAPE and training time.
 * The retraining run's index (renderBuildModelIndex, unchanged) then holds the new artifacts of
 * the retrained partitions and the current artifact of every other one, and its gate measures the
 * whole version. Once per run; nothing at all when nothing is to be retrained.
 */
export function renderCarryOver(t: TrainingTablesModel, m: MonitoringSqlModel, fromRun: string): string {
  const to = renderRetrainRunId(m);
  return [
    ...carryWinners(t, to, fromRun),
    `WHERE W."PARTITION_KEY" NOT IN (${renderRetrainKeysQuery(m)})`,
    `  AND EXISTS (${renderRetrainKeysQuery(m)})`,
    `  AND NOT EXISTS (SELECT 1 FROM ${t.metrics.quoted} WHERE "RUN_ID" = ${to} AND "PASS" = ${sqlString(CARRIED_PASS)})`,
  ].join('\n');
}

/**
 * The closed loop inside the account (issue #17, slice 4): a task graph after the monitoring task
 * whose bodies are Snowflake Scripting blocks ("BEGIN ... END", DECLARE, SELECT ... INTO, IF,
 * RAISE: https://docs.snowflake.com/en/developer-guide/snowflake-scripting/index). No runner
 * substitutes `{{RUN_ID}}` there, so the bodies reuse the runner's own renderers in two ways:
 * - a statement whose run id is a string constant `'{{RUN_ID}}'` gets the Scripting variable
 *   `:RETRAIN_RUN` in its place ("Using a variable in a SQL statement (binding)",
 *   https://docs.snowflake.com/en/developer-guide/snowflake-scripting/variables);
 * - a statement whose run id is part of a path or a name (COPY INTO @stage/models/{{RUN_ID}}/...,
 *   ALTER MODEL ... VERSION V_{{RUN_ID}}, the registration CALL) is run as dynamic SQL:
 *   `STMT := REPLACE('<text>', '{{RUN_ID}}', RETRAIN_RUN); EXECUTE IMMEDIATE :STMT;`
 *   ("EXECUTE IMMEDIATE": https://docs.snowflake.com/en/sql-reference/sql/execute-immediate).
 * The run id is `M` + 8 digits (renderRetrainRunId), so nothing user-given reaches the text.
 */
export interface RetrainLoopModel {
  readonly monitoring: MonitoringSqlModel;
  readonly tables: TrainingTablesModel;
  readonly queue: QueueModel;
  /** Partitions per queue row. */
  readonly chunkSize: number;
  /** The trainer's digest (TRAINING_RUNS.TRAINING_KEY): the loop's workers are the pipeline's. */
  readonly trainingKey: string;
  readonly model: ObjectName;
  readonly procedure: ObjectName;
  readonly versionPrefix: string;
  readonly alias: string;
  readonly gate?: { readonly metric: GateMetricName; readonly threshold: number };
  /** Share of retrained partitions (0-100) allowed to fail before the run fails. */
  readonly allowedFailurePercent: number;
  /** With a champion/challenger policy: the run's version becomes the challenger instead of moving the alias (lib/sql/challenger.ts). */
  readonly challenge?: ChallengeOpening;
  /** Where the loop records its runs beside the runner's (the stack's HOOK_RUNS); none: not recorded. */
  readonly ledger?: TaskRunLedgerModel;
}

/** A ledger statement of the loop, when it records its runs (RetrainLoopModel.ledger). */
function ledgerLines(l: RetrainLoopModel, render: (ledger: TaskRunLedgerModel) => string): string[] {
  return l.ledger ? [`${render(l.ledger)};`] : [];
}

/** `lines` with the ledger statements run before each of their RETURNs (a line's own, or after THEN). */
function withLedgerOnReturn(lines: readonly string[], ledger: readonly string[]): string[] {
  if (ledger.length === 0) return [...lines];
  return lines.map((line) => line.replace(/(^|THEN )RETURN /g, (_, before: string) => `${before}${ledger.join(' ')} RETURN `));
}

/** The variable an exception handler copies SQLERRM into, for the ledger row (declared with the ledger only). */
const ERROR_VAR = 'LOOP_ERROR';

/** The declaration of ERROR_VAR, when the loop records its runs. */
function errorDeclare(l: RetrainLoopModel): string[] {
  return l.ledger ? [`${ERROR_VAR} VARCHAR`] : [];
}

/**
 * The exception handler's statements of a loop task that records its runs: any statement of the
 * body that fails (or RAISE) ends the run's RUNNING row FAILED with the task and the error
 * (SQLERRM: "Handling exceptions", https://docs.snowflake.com/en/developer-guide/snowflake-scripting/exceptions),
 * before scriptingBlock's handler raises it again, so the task fails as before. None without a
 * ledger: the body is then what it was.
 */
function recordFailure(l: RetrainLoopModel, task: string): string[] {
  if (!l.ledger) return [];
  return [
    `${ERROR_VAR} := ${sqlString(`closed loop ${task} task: `)} || SQLERRM;`,
    ...ledgerLines(l, (g) => renderTaskRunFailed(g, `:${RUN}`, `:${ERROR_VAR}`)),
  ];
}

/**
 * The retraining runs older than this one's evaluation date (`M` + an earlier YYYYMMDD) that
 * never finished are abandoned as the runner abandons a run (lib/sql/training.ts
 * renderAbandonPasses, lib/sql/queue.ts renderAbandonChunks): their passes ABANDONED, their open
 * chunks FAILED ('run abandoned'), their RUNNING ledger rows ABANDONED with the run that
 * superseded them. The loop's tasks only ever work on the newest date's run, so an older one
 * could never finish; abandoned, no worker claims for it and no finish task registers or
 * promotes it. Idempotent: each statement changes only what is still open.
 */
function abandonStaleRuns(l: RetrainLoopModel): string[] {
  const stale = `STARTSWITH(RUN_ID, ${sqlString(RETRAIN_RUN_PREFIX)}) AND RUN_ID < :${RUN}`;
  const older = (sql: string) => {
    const one = `RUN_ID = ${sqlString(runVar('RUN_ID'))}`;
    if (!sql.includes(one)) throw new Error(`abandonStaleRuns: expected "${one}" in ${sql}`);
    return sql.split(one).join(stale);
  };
  return [
    `IF (${RUN} IS NOT NULL) THEN`,
    `  ${older(renderAbandonChunks(l.queue))};`,
    `  ${older(renderAbandonPasses(l.tables))};`,
    ...ledgerLines(l, (g) => renderTaskRunsSuperseded(g, `:${RUN}`)).map((s) => `  ${s}`),
    'END IF;',
  ];
}

/** The loop's outcome in its ledger row: what it retrained, how many trained or failed, the version. */
function finishDetails(l: RetrainLoopModel, promoted: boolean): string {
  return (
    `OBJECT_CONSTRUCT('trigger', 'closed loop', 'fromRun', :FROM_RUN, 'partitions', :PARTITIONS, 'trained', :TRAINED, 'failed', :FAILED, ` +
    `'version', ${sqlString(l.versionPrefix)} || :${RUN}, 'promoted', ${promoted ? 'TRUE' : 'FALSE'})`
  );
}

/** The Scripting variable that holds the retraining run id in the loop's task bodies. */
const RUN = 'RETRAIN_RUN';

/** `'{{RUN_ID}}'` constants of a runner statement as the bound variable `:RETRAIN_RUN`. */
export function bindRetrainRun(sql: string): string {
  return sql.split(sqlString(runVar('RUN_ID'))).join(`:${RUN}`);
}

/** A runner statement run as dynamic SQL with the retraining run id in place of `{{RUN_ID}}`. */
function dynamic(sql: string): string[] {
  return dynamicSql(sql, { RUN_ID: RUN });
}

/**
 * The run the production alias points to, as a scalar subquery: the version holding `alias` in
 * `<db>.INFORMATION_SCHEMA.MODEL_VERSIONS` (VERSION_ALIASES, an ARRAY:
 * https://docs.snowflake.com/en/sql-reference/info-schema/model_versions), without its prefix.
 * NULL when no version holds it. The view shows what the task owner has a privilege on.
 */
export function renderAliasRunQuery(l: RetrainLoopModel): string {
  return (
    `(SELECT SUBSTR(MAX("MODEL_VERSION_NAME"), ${sqlNumber(l.versionPrefix.length + 1)}) ${renderVersionsHoldingAlias(l.model, l.alias)} ` +
    `AND STARTSWITH("MODEL_VERSION_NAME", ${sqlString(l.versionPrefix)}))`
  );
}

/** Counts the retraining run's queue rows into the variable ENQUEUED. */
function countEnqueued(l: RetrainLoopModel): string {
  return `SELECT COUNT(*) INTO :ENQUEUED FROM ${l.queue.table.quoted} WHERE RUN_ID = :${RUN} AND PASS = ${sqlString(RETRAIN_PASS)};`;
}

/**
 * The first task after the monitoring refresh: the retraining run id of this evaluation date,
 * the degraded partitions enqueued (renderEnqueueRetrain: once per date, nothing when nothing is
 * degraded), every other partition carried over from the run PRODUCTION points to
 * (renderCarryOver), and the pass marked running for the pipeline's trainer (renderStartPass), so
 * the worker tasks' job services find it. Returns early, doing nothing, when no version holds the
 * alias or nothing is degraded, or (with a champion/challenger policy) while a challenger is
 * being scored. Every statement is idempotent, so a re-run adds nothing. Before anything else,
 * older retraining runs left open are abandoned (abandonStaleRuns); with a ledger, a statement
 * that fails ends the run's RUNNING row FAILED before the task fails (recordFailure).
 */
export function renderRetrainStartBody(l: RetrainLoopModel): string {
  return block(
    [`${RUN} VARCHAR`, 'FROM_RUN VARCHAR', 'ENQUEUED NUMBER', 'STMT VARCHAR', ...(l.challenge?.declare ?? []), ...errorDeclare(l)],
    [
      `SELECT ${renderRetrainRunId(l.monitoring)} INTO :${RUN};`,
      ...abandonStaleRuns(l),
      `SELECT ${renderAliasRunQuery(l)} INTO :FROM_RUN;`,
      `IF (${RUN} IS NULL OR FROM_RUN IS NULL) THEN RETURN 'nothing to retrain: no evaluation or no version holds ${l.alias}'; END IF;`,
      ...(l.challenge?.whileOpen ?? []),
      `${renderEnqueueRetrain(l.monitoring, l.queue, l.chunkSize)};`,
      countEnqueued(l),
      `IF (ENQUEUED = 0) THEN RETURN 'nothing to retrain'; END IF;`,
      `${renderCarryOver(l.tables, l.monitoring, ':FROM_RUN')};`,
      ...dynamic(renderStartPass(l.tables, Pass.REFINE, l.trainingKey)),
      // A chunk still CLAIMED now is held by a worker of an earlier run of this graph that died
      // (its task failed, so that run never finished): runs of one task graph do not overlap
      // (ALLOW_OVERLAPPING_EXECUTION defaults to FALSE: https://docs.snowflake.com/en/sql-reference/sql/create-task),
      // so no worker of this graph runs before this task ends. Its chunks are claimable again at
      // once (or failed when their attempts are used up), and this run's workers resume them.
      `${bindRetrainRun(renderRequeueOrphaned(l.queue, RETRAIN_PASS))};`,
      // The run in the stack's ledger, beside the runner's: what it retrains and from which run.
      ...ledgerLines(l, (g) =>
        renderTaskRunStart(
          g,
          `:${RUN}`,
          `OBJECT_CONSTRUCT('trigger', 'closed loop', 'fromRun', :FROM_RUN, 'partitions', (SELECT SUM(ARRAY_SIZE(PARTITION_KEYS)) FROM ${l.queue.table.quoted} WHERE RUN_ID = :${RUN} AND PASS = ${sqlString(RETRAIN_PASS)}))`,
        ),
      ),
      `RETURN ${RUN};`,
    ],
    recordFailure(l, 'start'),
  );
}

/**
 * A worker task's body: this evaluation's retraining run (the start task's, renderRetrainRunId);
 * when it is running for this trainer, the slot's previous job service is dropped and its job
 * service run synchronously for that run only (runBoundJobLines: the task ends with the job);
 * otherwise nothing starts, so a scheduled run that found nothing degraded uses no compute pool.
 */
export function renderRetrainWorkerBody(l: RetrainLoopModel, jobService: ObjectName, executeJobService: string): string {
  // A BEGIN ... END block with LET, not EXECUTE IMMEDIATE $$...$$: the job specification is itself
  // dollar-quoted, and dollar quotes do not nest.
  return beginEnd([
    `LET ${RUN} VARCHAR := '';`,
    `SELECT ${renderRetrainRunId(l.monitoring)} INTO :${RUN};`,
    'LET RUNNING NUMBER := 0;',
    `SELECT COUNT(*) INTO :RUNNING FROM ${l.tables.runs.quoted} WHERE RUN_ID = :${RUN} AND PASS = ${sqlString(RETRAIN_PASS)} AND STATUS = 'RUNNING' AND TRAINING_KEY = ${sqlString(l.trainingKey)};`,
    `IF (RUNNING = 0) THEN RETURN 'nothing to retrain'; END IF;`,
    // The run id is `M` + 8 digits (renderRetrainRunId): nothing user-given reaches the specification.
    ...runBoundJobLines(RUN, jobService, executeJobService),
    `RETURN 'trained for ' || ${RUN};`,
  ]);
}

/** Whether the retraining run's version holds the alias, into the variable PROMOTED. */
function countPromoted(l: RetrainLoopModel): string {
  return `SELECT COUNT(*) INTO :PROMOTED ${renderVersionsHoldingAlias(l.model, l.alias)} AND "MODEL_VERSION_NAME" = ${sqlString(l.versionPrefix)} || :${RUN};`;
}

/**
 * The retrained partitions whose training failed keep their current artifact: the winning row of
 * the run PRODUCTION points to (`fromRun`, SQL), carried into the retraining run (pass `carried`),
 * for every partition the run enqueued that has no OK row in it. Idempotent (a carried row is OK).
 */
export function renderCarryOverUntrained(t: TrainingTablesModel, queue: QueueModel, to: string, fromRun: string): string {
  return [
    ...carryWinners(t, to, fromRun),
    `WHERE EXISTS (SELECT 1 FROM ${queue.table.quoted} Q WHERE Q.RUN_ID = ${to} AND Q.PASS = ${sqlString(RETRAIN_PASS)} AND ARRAY_CONTAINS(W."PARTITION_KEY"::VARIANT, Q.PARTITION_KEYS))`,
    `  AND W."PARTITION_KEY" NOT IN (SELECT "PARTITION_KEY" FROM ${t.metrics.quoted} WHERE "RUN_ID" = ${to} AND "STATUS" = 'OK')`,
  ].join('\n');
}

/**
 * The last task, after every worker task: the same policy as the runner's waitQueue step. Expired
 * leases are re-queued and chunks whose attempts are used up failed (the queue's requeueExpired
 * and failExhausted); while chunks remain open the run stays RUNNING and the next scheduled run
 * resumes it (its workers claim them again). Then the pass is finished, the stage refreshed under
 * the pass and verified (renderVerifyPass: artifacts missing fail the task), the allowed-failure
 * share checked, failed partitions keep their current artifact, and the index (renderBuildModelIndex),
 * ONE version (renderRegisterCall), the gate (renderGateQuery) and the alias move (renderPromote)
 * follow, as the runner's steps render them. A run whose version already holds the alias does
 * nothing, so re-runs of an evaluation date are no-ops. With a champion/challenger policy
 * (`challenge`) the version becomes the challenger in place of the alias move, and a run whose
 * challenge is open or decided does nothing. With a ledger, any statement that fails (the
 * registration CALL, the index build, ...) ends the run's RUNNING row FAILED with its error before
 * the task fails (recordFailure); the next graph run resumes the run as its next attempt.
 */
export function renderRetrainFinishBody(l: RetrainLoopModel): string {
  const q = renderQueueStatements(l.queue);
  const promote = renderPromote(l.model, l.alias, l.versionPrefix);
  const held = `SELECT COUNT(*) INTO :HELD ${renderVersionsHoldingAlias(l.model, l.alias)};`;
  const allowed = sqlNumber(l.allowedFailurePercent);
  // With a challenger the run ends by opening a challenge (or finding it open): SUCCEEDED, not promoted.
  const opened = ledgerLines(l, (g) => renderTaskRunFinish(g, `:${RUN}`, 'SUCCEEDED', null));
  const challenging = ledgerLines(l, (g) => renderTaskRunFinish(g, `:${RUN}`, 'SUCCEEDED', null, finishDetails(l, false)));
  return block(
    [
      `${RUN} VARCHAR`,
      'FROM_RUN VARCHAR',
      'ENQUEUED NUMBER',
      'PROMOTED NUMBER',
      'OPEN_CHUNKS NUMBER',
      'CHUNKS NUMBER',
      'CHUNKS_DONE NUMBER',
      'CHUNKS_FAILED NUMBER',
      'PARTITIONS NUMBER',
      'TRAINED NUMBER',
      'FAILED NUMBER',
      'MISSING NUMBER',
      'HELD NUMBER',
      'PASSED BOOLEAN',
      'STMT VARCHAR',
      ...(l.challenge?.declare ?? []),
      `ARTIFACTS_MISSING EXCEPTION (-20001, 'retraining: artifacts of trained partitions are missing on the stage')`,
      `TOO_MANY_FAILED EXCEPTION (-20002, 'retraining: more than ${allowed} % of the retrained partitions failed')`,
      ...errorDeclare(l),
    ],
    [
      `SELECT ${renderRetrainRunId(l.monitoring)} INTO :${RUN};`,
      countEnqueued(l),
      `IF (ENQUEUED = 0) THEN RETURN 'nothing to retrain'; END IF;`,
      countPromoted(l),
      // Promoted by an earlier run of the graph that ended before its ledger row did.
      `IF (PROMOTED > 0) THEN ${ledgerLines(l, (g) => renderTaskRunFinish(g, `:${RUN}`, 'SUCCEEDED', null)).join(' ')} RETURN 'already promoted'; END IF;`,
      ...withLedgerOnReturn(l.challenge?.opened ?? [], opened),
      ...dynamic(inlineParams(q.requeueExpired, { RUN_ID: runVar('RUN_ID') })),
      ...dynamic(inlineParams(q.failExhausted, { RUN_ID: runVar('RUN_ID') })),
      `SELECT COUNT(*) INTO :OPEN_CHUNKS FROM ${l.queue.table.quoted} WHERE RUN_ID = :${RUN} AND PASS = ${sqlString(RETRAIN_PASS)} AND STATUS IN ('PENDING', 'CLAIMED');`,
      `IF (OPEN_CHUNKS > 0) THEN RETURN 'unfinished: the next run resumes it'; END IF;`,
      ...dynamic(renderFinishPass(l.tables, Pass.REFINE)),
      ...dynamic(renderRefreshPass(l.tables.stage, Pass.REFINE)),
      // The verification's columns in order: CHUNKS, CHUNKS_DONE, CHUNKS_FAILED, PARTITIONS, PARTITIONS_OK, PARTITIONS_FAILED, ARTIFACTS_MISSING.
      `${bindRetrainRun(renderVerifyPass(l.tables, l.queue.table, Pass.REFINE))}\nINTO :CHUNKS, :CHUNKS_DONE, :CHUNKS_FAILED, :PARTITIONS, :TRAINED, :FAILED, :MISSING;`,
      `IF (MISSING > 0) THEN ${ledgerLines(l, (g) => renderTaskRunFinish(g, `:${RUN}`, 'FAILED', 'retraining: artifacts of trained partitions are missing on the stage')).join(' ')} RAISE ARTIFACTS_MISSING; END IF;`,
      `IF (100 * (PARTITIONS - TRAINED) > ${allowed} * PARTITIONS) THEN ${ledgerLines(l, (g) => renderTaskRunFinish(g, `:${RUN}`, 'FAILED', `retraining: more than ${allowed} % of the retrained partitions failed`)).join(' ')} RAISE TOO_MANY_FAILED; END IF;`,
      `SELECT ${renderAliasRunQuery(l)} INTO :FROM_RUN;`,
      `IF (FROM_RUN IS NOT NULL) THEN`,
      `  ${renderCarryOverUntrained(l.tables, l.queue, `:${RUN}`, ':FROM_RUN').replace(/\n/g, '\n  ')};`,
      `END IF;`,
      ...dynamic(renderBuildModelIndex(l.tables)),
      ...dynamic(renderRegisterCall(l.procedure, l.versionPrefix)),
      ...(l.gate
        ? [
            `SELECT G.PASSED INTO :PASSED FROM (${bindRetrainRun(renderGateQuery(l.tables, l.gate.metric, l.gate.threshold))}) G;`,
            `IF (NOT PASSED) THEN ${ledgerLines(l, (g) => renderTaskRunFinish(g, `:${RUN}`, 'GATED', `registered, not promoted: ${l.gate!.metric} above ${sqlNumber(l.gate!.threshold)}`, finishDetails(l, false))).join(' ')} RETURN 'registered, not promoted: ${l.gate.metric} above ${sqlNumber(l.gate.threshold)}'; END IF;`,
          ]
        : []),
      ...(l.challenge
        ? withLedgerOnReturn(l.challenge.open, challenging)
        : [
            held,
            `IF (HELD > 0) THEN`,
            ...dynamic(promote.unsetAlias).map((s) => `  ${s}`),
            `END IF;`,
            ...dynamic(promote.setAlias),
            ...dynamic(promote.setDefault),
            ...ledgerLines(l, (g) => renderTaskRunFinish(g, `:${RUN}`, 'SUCCEEDED', null, finishDetails(l, true))),
            `RETURN 'promoted ' || ${sqlString(l.versionPrefix)} || ${RUN};`,
          ]),
    ],
    recordFailure(l, 'finish'),
  );
}
