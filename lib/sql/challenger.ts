/**
 * Champion and challenger (issue #17, item 3). With a challenger policy, the version the closed
 * loop registers does not take the production alias at once: it takes the challenger alias and a
 * row in the challenges table (status OPEN), and a task scores it every day beside the champion,
 * both into the scoring job's results table under one run id (`C` + YYYYMMDD), so their forecasts
 * are made from the same data and compare day by day. Once the window has passed (the latest
 * actual is `windowDays` after the day it opened), a decision task compares, per partition, the
 * realized sMAPE of the two versions over the window's days and records every partition's numbers
 * and winner; then, by the policy:
 * - without merge, the challenger is promoted when its median sMAPE over the compared partitions
 *   beats the champion's (or is not worse), else rejected;
 * - with per-partition merge, a version of its own (run `B` + the challenger's run id) is indexed
 *   from, per partition, the artifact of the winner (the challenger's where it won or the champion
 *   has none, the champion's elsewhere), registered as ONE version, and promoted; nothing when the
 *   challenger won no partition.
 * A challenge whose champion lost the alias meanwhile (a deploy promoted another version) is
 * SUPERSEDED. The outcome is recorded in the challenges table, which the report reads.
 *
 * Idempotent in steps: OPEN -> DECIDED (the comparison and the outcome, one transaction) ->
 * CLOSED (merged metrics rows once, index and registration idempotent, alias moves that check who
 * holds the alias first). A re-run of a closed challenge does nothing; a run interrupted after the
 * decision completes it without deciding again.
 *
 * The bodies are Snowflake Scripting blocks like the closed loop's (lib/sql/retrain.ts), with only
 * the statement forms the local server's interpreter reads (no ELSE, no nested IF). Aliases:
 * `ALTER MODEL ... VERSION <v> SET ALIAS = <alias>` and `ALTER MODEL ... VERSION <version_or_alias>
 * UNSET ALIAS` (https://docs.snowflake.com/en/sql-reference/sql/alter-model); a version holds one
 * alias at a time here (UNSET ALIAS names none), so the challenger alias is removed before the
 * production alias is set. Who holds an alias: `<db>.INFORMATION_SCHEMA.MODEL_VERSIONS`
 * (VERSION_ALIASES: https://docs.snowflake.com/en/sql-reference/info-schema/model_versions).
 * Scoring with a version named at run time: `MODEL(m, <version>)!PREDICT` as dynamic SQL
 * (https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/partitioned-custom-models).
 */
import { ObjectName, quoteIdentifier, sqlNumber, sqlString } from '../identifiers';
import { MonitoringSqlModel, actuals } from './monitoring';
import { renderBuildModelIndex, renderRegisterCall, renderVersionsHoldingAlias } from './registry';
import { carryWinners } from './retrain';
import { CHALLENGE_SCORING_RUN_PREFIX, ScoringModel, insertColumns, renderScoringSelect } from './scoring';
import { dynamicSql, scriptingBlock } from './scripting';
import { BEGIN_TRANSACTION, COMMIT } from './session';
import { runVar } from './statement';
import { TrainingTablesModel } from './training';

/** How a merged version's run id starts: `B` ("best of") + the challenger's run id. */
export const MERGED_RUN_PREFIX = 'B';

/** The pass names of a merged run's metrics rows: which side each partition's artifact came from. */
export const MERGED_PASSES = { challenger: 'challenger', champion: 'champion' } as const;

/** When the challenger wins (a partition, or over all: see ChallengerSqlModel.merge). */
export type ChallengerRule = 'BEATS_CHAMPION' | 'NOT_WORSE';

/** What the challenger statements need. */
export interface ChallengerSqlModel {
  /** The monitor's tables and source (AS_OF comes from its accuracy table, actuals from its source). */
  readonly monitoring: MonitoringSqlModel;
  /** The scoring job the challenger is scored like (its results table, model, outputs and horizon). */
  readonly scoring: ScoringModel;
  readonly tables: TrainingTablesModel;
  readonly model: ObjectName;
  readonly procedure: ObjectName;
  readonly versionPrefix: string;
  /** The production alias (the champion holds it). */
  readonly alias: string;
  /** The alias the challenger holds during its window. */
  readonly challengerAlias: string;
  /** One row per challenge (CHALLENGE_COLUMNS). */
  readonly challenges: ObjectName;
  /** One row per challenge and partition (CHALLENGE_PARTITION_COLUMNS). */
  readonly partitions: ObjectName;
  /** Days of actuals after the challenge opened before it is decided. */
  readonly windowDays: number;
  /** Days both versions need forecast (with an actual) in a partition before it is compared. */
  readonly minPoints: number;
  readonly promoteWhen: ChallengerRule;
  /** Per-partition merge (true) or the whole challenger against the whole champion (false). */
  readonly merge: boolean;
}

type Columns = readonly (readonly [string, string, boolean])[];

/** Columns of the challenges table: one row per challenger, its window and its outcome. */
export const CHALLENGE_COLUMNS: Columns = [
  ['CHALLENGER_RUN', 'VARCHAR(64)', false],
  ['CHALLENGER_VERSION', 'VARCHAR(256)', false],
  ['CHAMPION_RUN', 'VARCHAR(64)', false],
  ['CHAMPION_VERSION', 'VARCHAR(256)', false],
  // The evaluation date the challenger was registered on; its window is the days after it.
  ['OPENED_ON', 'DATE', false],
  ['DECIDE_ON', 'DATE', false],
  // OPEN (scored beside the champion), DECIDED (outcome recorded, being carried out), CLOSED.
  ['STATUS', 'VARCHAR(16)', false],
  ['PROMOTE_WHEN', 'VARCHAR(32)', false],
  ['MERGE', 'VARCHAR(32)', false],
  // PROMOTED, MERGED, REJECTED or SUPERSEDED; NULL while open.
  ['OUTCOME', 'VARCHAR(16)', true],
  ['PARTITIONS_COMPARED', 'NUMBER(10,0)', true],
  ['CHALLENGER_WINS', 'NUMBER(10,0)', true],
  // Medians over the compared partitions, in percent.
  ['CHAMPION_SMAPE', 'FLOAT', true],
  ['CHALLENGER_SMAPE', 'FLOAT', true],
  // The version the outcome promoted: the challenger's, the merged one's, or NULL.
  ['PROMOTED_VERSION', 'VARCHAR(256)', true],
  ['OPENED_AT', 'TIMESTAMP_NTZ', false],
  ['DECIDED_AT', 'TIMESTAMP_NTZ', true],
  ['CLOSED_AT', 'TIMESTAMP_NTZ', true],
];

/** Columns of the per-partition comparison: realized sMAPE of both versions over the window's paired days. */
export const CHALLENGE_PARTITION_COLUMNS: Columns = [
  ['CHALLENGER_RUN', 'VARCHAR(64)', false],
  ['PARTITION_KEY', 'VARCHAR(1024)', false],
  // Days in the window with an actual and a forecast of both versions.
  ['N_POINTS', 'NUMBER(10,0)', false],
  ['CHAMPION_SMAPE', 'FLOAT', true],
  ['CHALLENGER_SMAPE', 'FLOAT', true],
  // CHALLENGER or CHAMPION; NULL when the partition has fewer than minPoints paired days.
  ['WINNER', 'VARCHAR(16)', true],
  ['COMPUTED_AT', 'TIMESTAMP_NTZ', false],
];

const names = (cols: Columns) => cols.map(([n]) => quoteIdentifier(n)).join(', ');

/** Counts, into `into`, the versions of the model holding `alias` (and, with `version`, which of them is that version). */
function aliasHolders(c: Pick<ChallengerSqlModel, 'model'>, alias: string, into: string, version?: string): string {
  const mine = version ? `, COALESCE(SUM(IFF("MODEL_VERSION_NAME" = ${version}, 1, 0)), 0)` : '';
  return `SELECT COUNT(*)${mine} INTO ${into} ${renderVersionsHoldingAlias(c.model, alias)};`;
}

/** The version holding `alias`, into `into` (NULL when none). */
function aliasHolder(c: Pick<ChallengerSqlModel, 'model'>, alias: string, into: string): string {
  return `SELECT MAX("MODEL_VERSION_NAME") INTO ${into} ${renderVersionsHoldingAlias(c.model, alias)};`;
}

/** `ALTER MODEL m VERSION {{MODEL_VERSION}} SET ALIAS = <alias>`: run as dynamic SQL with the version in a variable. */
function setAlias(c: Pick<ChallengerSqlModel, 'model'>, alias: string): string {
  return `ALTER MODEL ${c.model.quoted} VERSION ${runVar('MODEL_VERSION')} SET ALIAS = ${alias}`;
}

/**
 * What the closed loop's task bodies add with a challenger policy (RetrainLoopModel.challenge).
 * The lines use the loop's variables RETRAIN_RUN, FROM_RUN and STMT.
 */
export interface ChallengeOpening {
  /** Declarations the lines below use (added to the start and finish blocks). */
  readonly declare: readonly string[];
  /** Start task: no retraining run while a challenge is not closed (one challenger at a time). */
  readonly whileOpen: readonly string[];
  /** Finish task: a run whose challenge exists already does nothing more. */
  readonly opened: readonly string[];
  /** Finish task, in place of the alias move: the run's version becomes the challenger. */
  readonly open: readonly string[];
}

/**
 * The closed loop's lines for `c`: the registered version (`<prefix><RETRAIN_RUN>`) takes the
 * challenger alias (removed first from any other version holding it) and a challenges row OPEN,
 * opened on the latest evaluation date and decided `windowDays` later, against the version that
 * holds the production alias (FROM_RUN). Without a champion the version is left registered.
 */
export function renderChallengeOpening(c: ChallengerSqlModel): ChallengeOpening {
  const version = `${sqlString(c.versionPrefix)} || :RETRAIN_RUN`;
  const asOf = `(SELECT MAX("AS_OF") AS AS_OF FROM ${c.monitoring.accuracy.quoted})`;
  const cols = [
    'CHALLENGER_RUN',
    'CHALLENGER_VERSION',
    'CHAMPION_RUN',
    'CHAMPION_VERSION',
    'OPENED_ON',
    'DECIDE_ON',
    'STATUS',
    'PROMOTE_WHEN',
    'MERGE',
    'OPENED_AT',
  ];
  return {
    declare: ['CHALLENGES NUMBER', 'CHALLENGER_HELD NUMBER', 'CHALLENGER_MINE NUMBER'],
    whileOpen: [
      `SELECT COUNT(*) INTO :CHALLENGES FROM ${c.challenges.quoted} WHERE "STATUS" <> 'CLOSED';`,
      `IF (CHALLENGES > 0) THEN RETURN 'a challenger is being scored: no retraining until it is decided'; END IF;`,
    ],
    opened: [
      `SELECT COUNT(*) INTO :CHALLENGES FROM ${c.challenges.quoted} WHERE "CHALLENGER_RUN" = :RETRAIN_RUN;`,
      `IF (CHALLENGES > 0) THEN RETURN 'already the challenger'; END IF;`,
    ],
    open: [
      `IF (FROM_RUN IS NULL) THEN RETURN 'registered, not challenging: no version holds ${c.alias}'; END IF;`,
      aliasHolders(c, c.challengerAlias, ':CHALLENGER_HELD, :CHALLENGER_MINE', version),
      `IF (CHALLENGER_HELD > CHALLENGER_MINE) THEN`,
      `  ALTER MODEL ${c.model.quoted} VERSION ${c.challengerAlias} UNSET ALIAS;`,
      `END IF;`,
      `IF (CHALLENGER_MINE = 0) THEN`,
      ...dynamicSql(setAlias(c, c.challengerAlias).replace(runVar('MODEL_VERSION'), `${c.versionPrefix}${runVar('RUN_ID')}`), { RUN_ID: 'RETRAIN_RUN' }).map(
        (l) => `  ${l}`,
      ),
      `END IF;`,
      [
        `INSERT INTO ${c.challenges.quoted} (${cols.map(quoteIdentifier).join(', ')})`,
        `SELECT :RETRAIN_RUN, ${version}, :FROM_RUN, ${sqlString(c.versionPrefix)} || :FROM_RUN, D.AS_OF, DATEADD(DAY, ${sqlNumber(c.windowDays)}, D.AS_OF), 'OPEN',`,
        `  ${sqlString(c.promoteWhen)}, ${sqlString(c.merge ? 'PER_PARTITION_BEST' : 'NONE')}, CURRENT_TIMESTAMP()`,
        `FROM ${asOf} D WHERE NOT EXISTS (SELECT 1 FROM ${c.challenges.quoted} WHERE "CHALLENGER_RUN" = :RETRAIN_RUN);`,
      ].join('\n'),
      `RETURN 'challenger ' || ${sqlString(c.versionPrefix)} || RETRAIN_RUN;`,
    ],
  };
}

/**
 * The challenger scoring task's body: while a challenge is OPEN, the challenger and the champion
 * each score every partition (the scoring job's PREDICT, lib/sql/scoring.ts) into the results
 * table under the run `C` + YYYYMMDD of the day, which replaces its rows (one transaction), so a
 * re-run of a day scores it again rather than adding rows. Nothing when no challenge is open.
 */
export function renderChallengerScoringBody(c: ChallengerSqlModel): string {
  const s = c.scoring;
  const insert = `INSERT INTO ${s.results.quoted} (${insertColumns(s)})\n${renderScoringSelect(s, sqlString(runVar('RUN_ID')), {
    name: runVar('MODEL_VERSION'),
    recorded: sqlString(runVar('MODEL_VERSION')),
  })}`;
  return scriptingBlock(
    ['SCORING_RUN VARCHAR', 'CHALLENGER VARCHAR', 'CHAMPION VARCHAR', 'STMT VARCHAR'],
    [
      `SELECT MAX("CHALLENGER_VERSION"), MAX("CHAMPION_VERSION") INTO :CHALLENGER, :CHAMPION FROM ${c.challenges.quoted} WHERE "STATUS" = 'OPEN';`,
      `IF (CHALLENGER IS NULL) THEN RETURN 'no challenger to score'; END IF;`,
      `SCORING_RUN := ${sqlString(CHALLENGE_SCORING_RUN_PREFIX)} || TO_VARCHAR(CURRENT_DATE(), 'YYYYMMDD');`,
      `${BEGIN_TRANSACTION};`,
      `DELETE FROM ${s.results.quoted} WHERE "RUN_ID" = :SCORING_RUN;`,
      ...dynamicSql(insert, { RUN_ID: 'SCORING_RUN', MODEL_VERSION: 'CHALLENGER' }),
      ...dynamicSql(insert, { RUN_ID: 'SCORING_RUN', MODEL_VERSION: 'CHAMPION' }),
      `${COMMIT};`,
      `RETURN 'scored ' || CHALLENGER || ' beside ' || CHAMPION || ' in ' || SCORING_RUN;`,
    ],
  );
}

/** One forecast per partition and day of `version` (a variable) from the challenge's scoring runs: the latest scored. */
function challengeForecasts(c: ChallengerSqlModel, version: string): string {
  return [
    `(SELECT "PARTITION_KEY", CAST("DS" AS DATE) AS DS, "FORECAST" FROM ${c.scoring.results.quoted}`,
    `  WHERE "MODEL_VERSION" = ${version} AND "RUN_ID" LIKE ${sqlString(`${CHALLENGE_SCORING_RUN_PREFIX}%`)} AND "FORECAST" IS NOT NULL`,
    `  QUALIFY ROW_NUMBER() OVER (PARTITION BY "PARTITION_KEY", "DS" ORDER BY "SCORED_AT" DESC, "RUN_ID" DESC) = 1)`,
  ].join('\n');
}

/** One day's sMAPE term, 2|f - a| / (|a| + |f|) (0 where both are 0), as the monitor computes it; x 100 gives percent. */
const smapeTerm = (f: string) => `IFF(ABS(A.Y) + ABS(${f}) = 0, 0, 2 * ABS(${f} - A.Y) / (ABS(A.Y) + ABS(${f})))`;

/**
 * The comparison of challenge :CHALLENGER_RUN, per partition: the days of the window (after
 * OPENED_ON, up to DECIDE_ON) with an actual and a forecast of both versions, each version's
 * realized sMAPE over them, and the winner where there are at least minPoints such days.
 */
export function renderChallengeComparison(c: ChallengerSqlModel): string {
  const wins = c.promoteWhen === 'NOT_WORSE' ? 'P.CH_SMAPE <= P.CP_SMAPE' : 'P.CH_SMAPE < P.CP_SMAPE';
  return [
    `INSERT INTO ${c.partitions.quoted} (${names(CHALLENGE_PARTITION_COLUMNS)})`,
    `SELECT :CHALLENGER_RUN, P.PARTITION_KEY, P.N_POINTS, P.CP_SMAPE, P.CH_SMAPE,`,
    `  IFF(P.N_POINTS >= ${sqlNumber(c.minPoints)}, IFF(${wins}, 'CHALLENGER', 'CHAMPION'), NULL), CURRENT_TIMESTAMP()`,
    `FROM (SELECT A.PARTITION_KEY, COUNT(*) AS N_POINTS, 100 * AVG(${smapeTerm('CP.FORECAST')}) AS CP_SMAPE, 100 * AVG(${smapeTerm('CH.FORECAST')}) AS CH_SMAPE`,
    `  FROM ${actuals(c.monitoring.source)} A`,
    `  JOIN ${challengeForecasts(c, ':CHAMPION_VERSION')} CP ON CP.PARTITION_KEY = A.PARTITION_KEY AND CP.DS = A.DS`,
    `  JOIN ${challengeForecasts(c, ':CHALLENGER_VERSION')} CH ON CH.PARTITION_KEY = A.PARTITION_KEY AND CH.DS = A.DS`,
    `  WHERE A.DS > CAST(:OPENED_ON AS DATE) AND A.DS <= CAST(:DECIDE_ON AS DATE)`,
    `  GROUP BY A.PARTITION_KEY) P`,
  ].join('\n');
}

/**
 * The merged run's metrics rows, as carry-overs (lib/sql/retrain.ts carryWinners): the
 * challenger's winning row of every partition it won or the champion has no row for (pass
 * `challenger`), the champion's of every other partition (pass `champion`). Each insert once.
 */
export function renderMergedRows(c: ChallengerSqlModel): string[] {
  const won = `SELECT "PARTITION_KEY" FROM ${c.partitions.quoted} WHERE "CHALLENGER_RUN" = :CHALLENGER_RUN AND "WINNER" = 'CHALLENGER'`;
  const once = (pass: string) => `NOT EXISTS (SELECT 1 FROM ${c.tables.metrics.quoted} WHERE "RUN_ID" = :MERGED_RUN AND "PASS" = ${sqlString(pass)})`;
  return [
    [
      ...carryWinners(c.tables, ':MERGED_RUN', ':CHALLENGER_RUN', MERGED_PASSES.challenger),
      `WHERE (W."PARTITION_KEY" IN (${won})`,
      `    OR W."PARTITION_KEY" NOT IN (SELECT "PARTITION_KEY" FROM ${c.tables.metrics.quoted} WHERE "RUN_ID" = :CHAMPION_RUN AND "STATUS" = 'OK'))`,
      `  AND ${once(MERGED_PASSES.challenger)};`,
    ].join('\n'),
    [
      ...carryWinners(c.tables, ':MERGED_RUN', ':CHAMPION_RUN', MERGED_PASSES.champion),
      `WHERE W."PARTITION_KEY" NOT IN (${won})`,
      `  AND ${once(MERGED_PASSES.champion)};`,
    ].join('\n'),
  ];
}

/**
 * The decision task's body (see the file's comment). It decides the challenge not yet CLOSED
 * once the latest evaluation date has reached DECIDE_ON, and carries a DECIDED one out.
 */
export function renderChallengerDecisionBody(c: ChallengerSqlModel): string {
  const beats = c.promoteWhen === 'NOT_WORSE' ? 'CHALLENGER_MEDIAN <= CHAMPION_MEDIAN' : 'CHALLENGER_MEDIAN < CHAMPION_MEDIAN';
  const outcome = c.merge ? `IFF(WINS > 0, 'MERGED', 'REJECTED')` : `IFF(COMPARED > 0 AND ${beats}, 'PROMOTED', 'REJECTED')`;
  const t = c.challenges.quoted;
  return scriptingBlock(
    [
      'CHALLENGER_RUN VARCHAR',
      'CHALLENGER_VERSION VARCHAR',
      'CHAMPION_RUN VARCHAR',
      'CHAMPION_VERSION VARCHAR',
      'CHALLENGE_STATUS VARCHAR',
      'OPENED_ON VARCHAR',
      'DECIDE_ON VARCHAR',
      'AS_OF VARCHAR',
      'HOLDER VARCHAR',
      'COMPARED NUMBER',
      'WINS NUMBER',
      'CHAMPION_MEDIAN FLOAT',
      'CHALLENGER_MEDIAN FLOAT',
      'OUTCOME VARCHAR',
      'TARGET VARCHAR',
      'MERGED_RUN VARCHAR',
      'HELD NUMBER',
      'STMT VARCHAR',
    ],
    [
      `SELECT MAX("CHALLENGER_RUN") INTO :CHALLENGER_RUN FROM ${t} WHERE "STATUS" <> 'CLOSED';`,
      `IF (CHALLENGER_RUN IS NULL) THEN RETURN 'no challenger to decide'; END IF;`,
      `SELECT "CHALLENGER_VERSION", "CHAMPION_RUN", "CHAMPION_VERSION", "STATUS", TO_VARCHAR("OPENED_ON"), TO_VARCHAR("DECIDE_ON")`,
      `  INTO :CHALLENGER_VERSION, :CHAMPION_RUN, :CHAMPION_VERSION, :CHALLENGE_STATUS, :OPENED_ON, :DECIDE_ON FROM ${t} WHERE "CHALLENGER_RUN" = :CHALLENGER_RUN;`,
      `SELECT TO_VARCHAR(MAX("AS_OF")) INTO :AS_OF FROM ${c.monitoring.accuracy.quoted};`,
      `IF (CHALLENGE_STATUS = 'OPEN' AND (AS_OF IS NULL OR AS_OF < DECIDE_ON)) THEN RETURN 'challenger ' || CHALLENGER_VERSION || ' is scored until ' || DECIDE_ON; END IF;`,
      aliasHolder(c, c.alias, ':HOLDER'),
      // The decision: the comparison, the outcome and the version it promotes, in one transaction.
      `IF (CHALLENGE_STATUS = 'OPEN') THEN`,
      `  ${BEGIN_TRANSACTION};`,
      `  DELETE FROM ${c.partitions.quoted} WHERE "CHALLENGER_RUN" = :CHALLENGER_RUN;`,
      `  ${renderChallengeComparison(c).replace(/\n/g, '\n  ')};`,
      `  SELECT COUNT("WINNER"), COALESCE(SUM(IFF("WINNER" = 'CHALLENGER', 1, 0)), 0), MEDIAN(IFF("WINNER" IS NULL, NULL, "CHAMPION_SMAPE")), MEDIAN(IFF("WINNER" IS NULL, NULL, "CHALLENGER_SMAPE"))`,
      `    INTO :COMPARED, :WINS, :CHAMPION_MEDIAN, :CHALLENGER_MEDIAN FROM ${c.partitions.quoted} WHERE "CHALLENGER_RUN" = :CHALLENGER_RUN;`,
      // The champion no longer holds the alias (a deploy promoted another version): nothing to decide against.
      `  OUTCOME := IFF(COALESCE(HOLDER, '') <> CHAMPION_VERSION, 'SUPERSEDED', ${outcome});`,
      `  TARGET := CASE OUTCOME WHEN 'PROMOTED' THEN CHALLENGER_VERSION WHEN 'MERGED' THEN ${sqlString(`${c.versionPrefix}${MERGED_RUN_PREFIX}`)} || CHALLENGER_RUN END;`,
      `  UPDATE ${t} SET "STATUS" = 'DECIDED', "OUTCOME" = :OUTCOME, "PARTITIONS_COMPARED" = :COMPARED, "CHALLENGER_WINS" = :WINS,`,
      `    "CHAMPION_SMAPE" = :CHAMPION_MEDIAN, "CHALLENGER_SMAPE" = :CHALLENGER_MEDIAN, "PROMOTED_VERSION" = :TARGET, "DECIDED_AT" = CURRENT_TIMESTAMP()`,
      `    WHERE "CHALLENGER_RUN" = :CHALLENGER_RUN AND "STATUS" = 'OPEN';`,
      `  ${COMMIT};`,
      `END IF;`,
      // Carrying it out: each statement checks or is idempotent, so an interrupted run completes it.
      `SELECT "OUTCOME", "PROMOTED_VERSION" INTO :OUTCOME, :TARGET FROM ${t} WHERE "CHALLENGER_RUN" = :CHALLENGER_RUN;`,
      `MERGED_RUN := ${sqlString(MERGED_RUN_PREFIX)} || CHALLENGER_RUN;`,
      `IF (OUTCOME = 'MERGED') THEN`,
      `  ${BEGIN_TRANSACTION};`,
      ...renderMergedRows(c).map((s) => `  ${s.replace(/\n/g, '\n  ')}`),
      `  ${COMMIT};`,
      ...dynamicSql(renderBuildModelIndex(c.tables), { RUN_ID: 'MERGED_RUN' }).map((l) => `  ${l}`),
      ...dynamicSql(renderRegisterCall(c.procedure, c.versionPrefix), { RUN_ID: 'MERGED_RUN' }).map((l) => `  ${l}`),
      `END IF;`,
      aliasHolders(c, c.challengerAlias, ':HELD'),
      `IF (HELD > 0) THEN`,
      `  ALTER MODEL ${c.model.quoted} VERSION ${c.challengerAlias} UNSET ALIAS;`,
      `END IF;`,
      aliasHolder(c, c.alias, ':HOLDER'),
      `IF (TARGET IS NOT NULL AND HOLDER IS NOT NULL AND HOLDER <> TARGET) THEN`,
      `  ALTER MODEL ${c.model.quoted} VERSION ${c.alias} UNSET ALIAS;`,
      `END IF;`,
      `IF (TARGET IS NOT NULL AND COALESCE(HOLDER, '') <> TARGET) THEN`,
      ...dynamicSql(setAlias(c, c.alias), { MODEL_VERSION: 'TARGET' }).map((l) => `  ${l}`),
      ...dynamicSql(`ALTER MODEL ${c.model.quoted} SET DEFAULT_VERSION = ${sqlString(runVar('MODEL_VERSION'))}`, { MODEL_VERSION: 'TARGET' }).map(
        (l) => `  ${l}`,
      ),
      `END IF;`,
      `UPDATE ${t} SET "STATUS" = 'CLOSED', "CLOSED_AT" = CURRENT_TIMESTAMP() WHERE "CHALLENGER_RUN" = :CHALLENGER_RUN AND "STATUS" = 'DECIDED';`,
      `RETURN OUTCOME || ' ' || CHALLENGER_VERSION || COALESCE(': ' || TARGET || ' holds ${c.alias}', '');`,
    ],
  );
}
