import { Construct } from 'constructs';
import { Table, Task } from './resources';
import { ValidationError, validateProp } from '../lib/errors';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { PipelineModel } from '../lib/pipeline/model';
import { allowConsumerRead } from '../lib/policy/consumer-readable';
import {
  CHALLENGE_COLUMNS,
  CHALLENGE_PARTITION_COLUMNS,
  ChallengerSqlModel,
  renderChallengerDecisionBody,
  renderChallengerScoringBody,
} from '../lib/sql/challenger';
import { MonitoringSqlModel } from '../lib/sql/monitoring';
import { ScoringModel } from '../lib/sql/scoring';
import { IRole, ISchema, grantUsageOnParents } from './core';
import { dependOn } from './depends';
import { Grant, GrantOn, grantPrivileges } from './grants';
import { nameFromPath } from './names';
import { claimName } from './object-names';
import { columnTable } from './tables';

/** What a challenger must do over its window to be promoted (per partition with ChallengerMerge.PER_PARTITION_BEST). */
export enum ChallengerPromotion {
  /** Its realized sMAPE is lower than the champion's. */
  BEATS_CHAMPION = 'BEATS_CHAMPION',
  /** Its realized sMAPE is lower than or equal to the champion's. */
  NOT_WORSE = 'NOT_WORSE',
}

/** Whether the decision promotes one of the two versions or a merge of them. */
export enum ChallengerMerge {
  /** The challenger as a whole against the champion as a whole: their median realized sMAPE over the compared partitions. */
  NONE = 'NONE',
  /** ONE new version that takes, per partition, the artifact of the version that won there (the champion's where the partition was not compared). */
  PER_PARTITION_BEST = 'PER_PARTITION_BEST',
}

/** Champion/challenger for the closed loop's versions (`addMonitoring({ retrain: {}, challenger: {} })`). */
export interface ChallengerOptions {
  /** Days of actuals after the challenger is registered during which it is scored beside the champion, before the decision. @default 14 */
  readonly windowDays?: number;
  /** Days with an actual and a forecast of both versions a partition needs in the window to be compared. @default 7 */
  readonly minPoints?: number;
  /** When the challenger wins. @default ChallengerPromotion.BEATS_CHAMPION */
  readonly promoteWhen?: ChallengerPromotion;
  /** Promote the challenger as a whole, or one version merging the winners per partition. @default ChallengerMerge.NONE */
  readonly merge?: ChallengerMerge;
  /** The alias the challenger holds during its window. @default 'CHALLENGER' */
  readonly alias?: string;
  /** Table of the challenges and their outcomes. @default - derived from the construct path (`<MONITOR>_CHALLENGES`) */
  readonly challengesTableName?: string;
  /** Table of each challenge's per-partition comparison. @default - derived from the construct path (`<MONITOR>_CHALLENGE_PARTITIONS`) */
  readonly partitionsTableName?: string;
}

export const CHALLENGER_DEFAULTS = {
  windowDays: 14,
  minPoints: 7,
  promoteWhen: ChallengerPromotion.BEATS_CHAMPION,
  merge: ChallengerMerge.NONE,
  alias: 'CHALLENGER',
} as const;

/** A year: the longest window a challenger is useful over (the monitor's own limit). */
const MAX_WINDOW_DAYS = 366;

/** Aliases Snowflake reserves for every model ("ALTER MODEL ... MODIFY VERSION", usage notes). */
const SYSTEM_ALIASES = ['DEFAULT', 'FIRST', 'LAST'];

/** What the monitor and its pipeline supply. */
export interface ChallengerContext {
  readonly pipeline: PipelineModel;
  readonly monitoring: MonitoringSqlModel;
  readonly scoring: ScoringModel;
  /** Names the challenger's tables must not take: the pipeline's and the monitor's tables, by what they are. */
  readonly taken: readonly (readonly [what: string, name: ObjectName])[];
}

/**
 * The challenger's model from `options` (addMonitoring's `challenger`): every prop checked, with
 * errors naming the monitor's path and `challenger.<prop>`, defaults applied, names derived.
 */
export function challengerModel(monitor: Construct, options: ChallengerOptions, ctx: ChallengerContext): ChallengerSqlModel {
  const path = monitor.node.path;
  const D = CHALLENGER_DEFAULTS;
  const whole = (prop: string, v: number, min: number, max: number, fix: string): number => {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new ValidationError(path, `challenger.${prop}`, `is ${v}; it must be a whole number from ${min} to ${max}`, fix);
    return v;
  };
  const windowDays = whole('windowDays', options.windowDays ?? D.windowDays, 1, MAX_WINDOW_DAYS, 'Give e.g. 14: two weeks of daily actuals');
  const minPoints = whole(
    'minPoints',
    options.minPoints ?? Math.min(D.minPoints, windowDays),
    1,
    windowDays,
    `Give at most windowDays (${windowDays}): a partition needs that many days of both versions' forecasts to be compared`,
  );
  // Forecasts start where a version's training data ends, so the champion forecasts only `horizon`
  // days from its own; the window counts days both versions forecast, which must fit in it.
  if (windowDays >= ctx.scoring.horizon) {
    throw new ValidationError(
      path,
      'challenger.windowDays',
      `is ${windowDays}; it must be below the scoring horizon (${ctx.scoring.horizon}): the challenge compares the days both versions forecast, and the champion forecasts ${ctx.scoring.horizon} days from the end of its training data`,
      `Give at most ${ctx.scoring.horizon - 1}, or score further ahead (scoring.horizon)`,
    );
  }
  const oneOf = <T extends string>(prop: string, v: T, values: readonly string[], fix: string): T => {
    if (!values.includes(v)) throw new ValidationError(path, `challenger.${prop}`, `is ${JSON.stringify(v)}; it must be one of ${values.join(', ')}`, fix);
    return v;
  };
  const promoteWhen = oneOf('promoteWhen', options.promoteWhen ?? D.promoteWhen, Object.values(ChallengerPromotion), 'Use ChallengerPromotion.BEATS_CHAMPION');
  const merge = oneOf('merge', options.merge ?? D.merge, Object.values(ChallengerMerge), 'Use ChallengerMerge.NONE or ChallengerMerge.PER_PARTITION_BEST');
  const { registry } = ctx.pipeline;
  const alias = validateProp(path, 'challenger.alias', () => normalizeIdentifier(options.alias ?? D.alias, 'alias'));
  if (alias === registry.alias.toUpperCase() || SYSTEM_ALIASES.includes(alias)) {
    throw new ValidationError(
      path,
      'challenger.alias',
      `is ${alias}, ${alias === registry.alias.toUpperCase() ? "the alias the champion holds (the pipeline's registry alias)" : 'an alias Snowflake reserves for every model'}`,
      "Give another alias, e.g. 'CHALLENGER'",
    );
  }
  const schema = ctx.monitoring.accuracy.parts.slice(0, 2);
  const table = (prop: 'challengesTableName' | 'partitionsTableName', suffix: string) =>
    ObjectName.of(
      schema[0],
      schema[1],
      validateProp(path, `challenger.${prop}`, () => normalizeIdentifier(options[prop] ?? nameFromPath(monitor, suffix), 'table name')),
    );
  const challenges = table('challengesTableName', 'CHALLENGES');
  const partitions = table('partitionsTableName', 'CHALLENGE_PARTITIONS');
  for (const [prop, name] of [
    ['challengesTableName', challenges],
    ['partitionsTableName', partitions],
  ] as const) {
    const clash = [...ctx.taken, ...(prop === 'partitionsTableName' ? [['challenges', challenges] as const] : [])].find(([, n]) => n.name === name.name);
    if (clash) {
      throw new ValidationError(path, `challenger.${prop}`, `is ${name.name}, the name of the ${clash[0]} table`, 'Give each table a name of its own');
    }
  }
  return {
    monitoring: ctx.monitoring,
    scoring: ctx.scoring,
    tables: ctx.pipeline.tables,
    model: registry.model,
    procedure: registry.procedure,
    versionPrefix: registry.versionPrefix,
    alias: registry.alias,
    challengerAlias: alias,
    challenges,
    partitions,
    windowDays,
    minPoints,
    promoteWhen,
    merge: merge === ChallengerMerge.PER_PARTITION_BEST,
  };
}

/** What the gate is built from. */
export interface ChallengerGateProps {
  readonly model: ChallengerSqlModel;
  readonly schema: ISchema;
  /** Warehouse the tasks run on. */
  readonly warehouse: ObjectName;
  /** The closed loop's last task: the decision runs after it. */
  readonly after: Task;
  readonly afterName: ObjectName;
  /** Roles that may read the two tables. @default - none */
  readonly readers?: IRole[];
}

/**
 * Champion and challenger (issue #17, item 3): two tables and two tasks at the end of the closed
 * loop's graph, owned like it by the deploy role. `…_CHALLENGER_DECIDE` (after the loop's finish
 * task) decides a challenge whose window has passed; `…_CHALLENGER_SCORE` (after it) scores an open
 * challenger beside the champion. The loop's finish task opens the challenge in place of promoting
 * (lib/sql/challenger.ts renderChallengeOpening). A graph's tasks share one schema and owner
 * ("Task graphs", https://docs.snowflake.com/en/user-guide/tasks-graphs).
 */
export class ChallengerGate extends Construct {
  readonly challengesTable: Table;
  readonly partitionsTable: Table;
  readonly decideTask: Task;
  readonly scoreTask: Task;
  readonly decideTaskName: ObjectName;
  readonly scoreTaskName: ObjectName;
  private readonly model: ChallengerSqlModel;

  constructor(scope: Construct, id: string, props: ChallengerGateProps) {
    super(scope, id);
    const m = props.model;
    this.model = m;
    this.challengesTable = columnTable(
      this,
      'ChallengesTable',
      props.schema,
      m.challenges.name,
      CHALLENGE_COLUMNS,
      'Challengers scored beside the champion, their windows and outcomes',
      'challenger.challengesTableName',
    );
    this.partitionsTable = columnTable(
      this,
      'PartitionsTable',
      props.schema,
      m.partitions.name,
      CHALLENGE_PARTITION_COLUMNS,
      "Each challenge's realized sMAPE of champion and challenger per partition",
      'challenger.partitionsTableName',
    );
    const [db, schema] = props.afterName.parts;
    const base = props.afterName.name.replace(/_RETRAIN_FINISH$/, '');
    this.decideTaskName = ObjectName.of(db, schema, `${base}_CHALLENGER_DECIDE`);
    this.scoreTaskName = ObjectName.of(db, schema, `${base}_CHALLENGER_SCORE`);
    const common = { database: db, schema, warehouse: props.warehouse.name, started: true };
    claimName(this, 'the challenger task names (derived from the monitor: change its id)', 'TASK', this.decideTaskName);
    claimName(this, 'the challenger task names (derived from the monitor: change its id)', 'TASK', this.scoreTaskName);
    this.decideTask = new Task(this, 'DecideTask', {
      ...common,
      name: this.decideTaskName.name,
      after: [props.afterName.quoted],
      sqlStatement: renderChallengerDecisionBody(m),
      comment: `Champion/challenger: decide a challenger after ${m.windowDays} days of actuals`,
    });
    dependOn(this.decideTask, props.after, this.challengesTable, this.partitionsTable);
    this.scoreTask = new Task(this, 'ScoreTask', {
      ...common,
      name: this.scoreTaskName.name,
      after: [this.decideTaskName.quoted],
      sqlStatement: renderChallengerScoringBody(m),
      comment: 'Champion/challenger: score an open challenger beside the champion',
    });
    dependOn(this.scoreTask, this.decideTask);
    for (const n of [m.challenges, m.partitions]) allowConsumerRead(this, 'TABLE', n.quoted);
    for (const reader of props.readers ?? []) this.grantRead(reader);
  }

  /** What the decision and the scoring render from. */
  get sqlModel(): ChallengerSqlModel {
    return this.model;
  }

  /** Grants SELECT on the two tables (and USAGE on their database and schema). */
  grantRead(role: IRole): Grant {
    return Grant.combine(
      grantUsageOnParents(this, role, this.model.challenges),
      grantPrivileges(this, role, GrantOn.schemaObject('TABLE', this.model.challenges.quoted), ['SELECT'], [this.challengesTable]),
      grantPrivileges(this, role, GrantOn.schemaObject('TABLE', this.model.partitions.quoted), ['SELECT'], [this.partitionsTable]),
    );
  }
}
