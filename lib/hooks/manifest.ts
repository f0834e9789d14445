/**
 * The post-deploy hook manifest (`hooks.json`), written beside each stack's `cdk.tf.json`.
 * Schema documented in docs/hooks-manifest.md. Deterministic: stable key order, no timestamps,
 * no secrets, so two synths of the same app are byte-identical.
 */
import { createHash } from 'crypto';

export const MANIFEST_SCHEMA_VERSION = 1;
export const MANIFEST_FILE_NAME = 'hooks.json';

/**
 * What a step does; the runner has one handler per kind. The manifest validator accepts exactly
 * these (lib/hooks/validate.ts), so a kind added here is known to both.
 */
export const STEP_KINDS = [
  'sql', // run the statements in order
  'startPass', // mark a training pass running and enqueue its chunks
  'executeTaskGraph', // EXECUTE TASK the root, wait for the queue and for the graph run to end, then refresh the stage's directory table and verify artifacts
  'runWorkers', // start N job services (deterministic names) that drain the queue
  'waitQueue', // wait until the pass's queue is drained or the time budget ends
  'warehousePass', // a pass in the warehouse: its statements in order (one fits every partition), then the pass's verification
  'buildModelIndex',
  'registerAggregator',
  'promote',
  'batchScore',
  'deployService', // the deploy procedure: the alias's version served by an inference service (blue/green), earlier ones retired
] as const;

export type StepKind = (typeof STEP_KINDS)[number];

/** The kinds with a `wait` block: the runner follows work they start outside the session. */
export type WaitingStepKind = 'executeTaskGraph' | 'runWorkers' | 'waitQueue' | 'warehousePass';

/** The kinds that only run their statements, in order. */
export type StatementStepKind = Exclude<StepKind, WaitingStepKind | 'deployService'>;

/** A statement as the runner executes it. `{{RUN_ID}}` placeholders are filled by the runner. */
export interface HookStatement {
  /** Stable id within the step, for logs, the ledger and error messages. */
  readonly id: string;
  readonly sql: string;
  /**
   * An error that is an expected outcome rather than a failure (e.g. no version holds an alias
   * yet on the first promotion): the message pattern and the reason it is tolerated.
   */
  readonly allowError?: { readonly messagePattern: string; readonly reason: string };
  /** For gate statements: the BOOLEAN column of the first row that must be TRUE to go on. */
  readonly gateColumn?: string;
  /** Takes a `{{variable}}` for the step's later statements from this statement's rows. */
  readonly capture?: StatementCapture;
}

/**
 * The `column` of the first row whose `column` equals `match.value`, or whose `match.arrayColumn`
 * (a JSON array) holds it, compared case-insensitively, becomes `{{variable}}`. No such row fails
 * the step with `missing`.
 */
export interface StatementCapture {
  readonly variable: 'MODEL_VERSION';
  readonly column: string;
  readonly match: { readonly value: string; readonly arrayColumn?: string };
  /** The error when no row qualifies (says what is missing and what to do). */
  readonly missing: string;
}

/**
 * How the runner follows a training pass (`executeTaskGraph`, `waitQueue`): it polls progress,
 * then refreshes the stage's directory table and verifies the pass (docs/hooks-manifest.md).
 */
export interface PassWait {
  /** Job services the pass runs, by deterministic name. */
  readonly jobServices?: readonly string[];
  /** Statement the runner polls while a pass runs: chunk states and metrics rows, never the stage. */
  readonly progressSql: string;
  /**
   * Statement that brings the stage's directory table up to date (`ALTER STAGE ... REFRESH`),
   * run once when the pass has ended, before verifySql.
   */
  readonly refreshSql: string;
  /**
   * Statement that verifies a pass once it has ended (chunk states, metrics, OK rows whose
   * artifact is missing from DIRECTORY(@stage)); see docs/hooks-manifest.md.
   */
  readonly verifySql: string;
  /** The queue table whose leases the runner re-queues while waiting. */
  readonly queueTable?: string;
  /** Statement the runner uses to re-queue expired leases while waiting. */
  readonly requeueSql?: string;
  /**
   * Statement that re-queues every chunk of the pass still CLAIMED, run only when none of the
   * step's job services runs (so no live worker holds a lease).
   */
  readonly requeueOrphanedSql?: string;
  /** Statement that marks chunks FAILED once their attempts are used up. */
  readonly failExhaustedSql?: string;
  /** Statement counting claimable (PENDING) chunks of the pass as PENDING. */
  readonly pendingSql?: string;
  /** Statement listing failed partitions with their errors (reported when a pass ends). */
  readonly failuresSql?: string;
  /** Seconds between polls. */
  readonly pollSeconds: number;
}

/** An `executeTaskGraph` step's wait: the pass's, and the task graph it runs. */
export interface TaskGraphWait extends PassWait {
  /** The root task the step EXECUTEs and watches. */
  readonly rootTask?: string;
  /**
   * The query that follows the root's graph runs (running now, latest completed; see
   * lib/sql/graph-run.ts). The runner decides from it that a graph run has ended.
   */
  readonly graphRunSql: string;
}

/** A `waitQueue` step's wait: the pass's, within its time budget. */
export interface QueueWait extends PassWait {
  /** The pass's time budget in seconds (workers stop claiming after it). @default - the step's timeout */
  readonly budgetSeconds?: number;
}

/** A `runWorkers` step's wait: the job service each of its statements starts. */
export interface WorkersWait {
  /** Job services by deterministic name, one per statement and in their order: a running one is re-attached, not started twice. */
  readonly jobServices: readonly string[];
  /** Seconds between polls. */
  readonly pollSeconds: number;
}

/** Kind-specific waiting and verification, interpreted by the runner. */
export type WaitSpec = TaskGraphWait | QueueWait | WorkersWait | PassVerification;

export interface RetryPolicy {
  /** Attempts for transient errors (network, 5xx/429, retryable Snowflake codes). */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** What every step has, whatever its kind. */
interface StepSpecBase {
  /** Unique in the stack: `<construct path>/<step>`. */
  readonly id: string;
  readonly description: string;
  /** Steps (ids) that must succeed first. */
  readonly dependsOn: readonly string[];
  /** Steps sharing a run group share one run id per deploy (a pipeline is one group). */
  readonly runGroup: string;
  readonly statements: readonly HookStatement[];
  readonly timeoutSeconds: number;
  readonly retry: RetryPolicy;
  /** Values that re-run the step when they change (image tag, user runVersion, ...). */
  readonly triggers: Readonly<Record<string, string>>;
  /**
   * Whether a change of the step's statements re-runs it (as CDK Triggers' executeOnHandlerChange).
   * When false only triggers and dependencies count.
   */
  readonly executeOnChange: boolean;
  /** Share of partitions allowed to fail before the step fails, 0-100. */
  readonly allowedFailurePercent?: number;
}

/** A step that runs its statements in order. */
export interface StatementStepSpec extends StepSpecBase {
  readonly kind: StatementStepKind;
  readonly wait?: undefined;
}

/** A training pass on a task graph: EXECUTE TASK, follow the graph run and the queue, verify. */
export interface TaskGraphStepSpec extends StepSpecBase {
  readonly kind: 'executeTaskGraph';
  readonly wait: TaskGraphWait;
}

/** Starts a queue pass's workers (re-attached by name when resumed). */
export interface RunWorkersStepSpec extends StepSpecBase {
  readonly kind: 'runWorkers';
  readonly wait: WorkersWait;
}

/** Waits for a queue pass within its budget, then verifies it. */
export interface WaitQueueStepSpec extends StepSpecBase {
  readonly kind: 'waitQueue';
  readonly wait: QueueWait;
}

/** How a warehouse pass is verified once its statements have run (the checks of verifyPass, without polling). */
export interface PassVerification {
  /** Refreshes the stage's directory table under the pass's artifacts. */
  readonly refreshSql: string;
  /** One row: PARTITIONS, PARTITIONS_OK, ARTIFACTS_MISSING. */
  readonly verifySql: string;
  /** Failed partitions with their errors, for the report. */
  readonly failuresSql?: string;
  /** None: a warehouse pass runs no job service. */
  readonly jobServices?: undefined;
}

/** A training pass in the warehouse: its statements in order, then the pass's verification. */
export interface WarehousePassStepSpec extends StepSpecBase {
  readonly kind: 'warehousePass';
  readonly wait: PassVerification;
}

/**
 * What a `deployService` step keeps running once it succeeded (docs/serving.md): an inference
 * service on a compute pool, billed while it runs. `many-model plan` prices it from this block.
 */
export interface ServiceSpec {
  /** `DB.SCHEMA.NAME`: the services are `NAME_<VERSION>_<TAG>`; with PUBLIC ingress the gateway is `NAME`. */
  readonly name: string;
  /** The model (`DB.SCHEMA.MODEL`) and the alias whose version the service runs. */
  readonly model: string;
  readonly alias: string;
  readonly computePool: string;
  readonly ingress: 'PRIVATE' | 'PUBLIC';
  readonly minInstances: number;
  readonly maxInstances: number;
}

/** Deploys the alias's version to an inference service: its statements in order (resolve the version, CALL the deploy procedure). */
export interface DeployServiceStepSpec extends StepSpecBase {
  readonly kind: 'deployService';
  readonly wait?: undefined;
  readonly service: ServiceSpec;
}

/** A step as a construct declares it: its `kind` says which `wait` it has. */
export type HookStepSpec = StatementStepSpec | TaskGraphStepSpec | RunWorkersStepSpec | WaitQueueStepSpec | WarehousePassStepSpec | DeployServiceStepSpec;

/** A step as the manifest holds it. */
export type HookStep = HookStepSpec & {
  /** sha256 of what the step runs (or only its triggers) and of its dependencies' fingerprints. */
  readonly fingerprint: string;
};

export interface LedgerLocation {
  readonly database: string;
  readonly schema: string;
  readonly table: string;
}

/** What a run group declares besides its steps. */
export interface RunGroupSpec {
  /**
   * Statements that abandon an unfinished run of the group (`{{RUN_ID}}` is the abandoned run):
   * stop its workers and close its queue rows, so nothing of it is ever mixed into another run.
   */
  readonly abandon: readonly HookStatement[];
  /**
   * The role the group's steps are meant to run as (the pipeline's runner role, docs/roles.md):
   * the model registration creates belongs to it. Informational: the runner warns when its
   * session uses another role, and `deploy --local` connects with it.
   */
  readonly runnerRole?: string;
}

/**
 * Where a pipeline's monitoring reads and writes (`pipeline.addMonitoring()`), for `many-model
 * report`: the tables it joins and writes and the model it compares. Names are `DB.SCHEMA.NAME`.
 * Not a step: nothing runs from it, and it enters no fingerprint.
 */
export interface MonitorSpec {
  /** The monitor's construct path. */
  readonly path: string;
  readonly accuracyTable: string;
  readonly driftTable: string;
  /** The scoring job's results table (forecasts, with LOWER and UPPER when `hasInterval`). */
  readonly resultsTable: string;
  readonly hasInterval: boolean;
  /** The source of the actuals, and its partition, order (date) and target columns as written. */
  readonly source: { readonly table: string; readonly partitionColumn: string; readonly orderColumn: string; readonly targetColumn: string };
  /** Days of the accuracy window. */
  readonly windowDays: number;
  /** sMAPE (percent) above which a partition is degraded. */
  readonly smapeAbove: number;
  /** The pipeline's training metrics and queue tables (the closed loop's retraining runs write them). */
  readonly metricsTable: string;
  readonly queueTable: string;
  /** The model the scoring job scores with, the alias promotion moves, and how a run's version is named (`<versionPrefix><run id>`). */
  readonly model: string;
  readonly alias: string;
  readonly versionPrefix: string;
  /** With a champion/challenger policy: its tables (lib/sql/challenger.ts), the challenger's alias and its window in days. */
  readonly challenger?: { readonly challengesTable: string; readonly partitionsTable: string; readonly alias: string; readonly windowDays: number };
}

export interface HookManifest {
  readonly schemaVersion: number;
  readonly stack: string;
  /** Where the runner records step attempts (`HOOK_RUNS`); null when the stack has no steps. */
  readonly ledger: LedgerLocation | null;
  /** Steps in a dependency order (ties by id). */
  readonly steps: readonly HookStep[];
  /** Per run group: how to abandon one of its runs. Groups without an entry need nothing. */
  readonly runGroups?: Readonly<Record<string, RunGroupSpec>>;
  /** The stack's pipeline monitors, by construct path (`many-model report` reads them). */
  readonly monitors?: readonly MonitorSpec[];
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 30000 };

/** JSON with object keys sorted at every level: the canonical form for hashing and writing. */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

type WaitField = keyof TaskGraphWait | keyof QueueWait | keyof WorkersWait;

/**
 * Wait fields that say how the runner watches a step, not what the step does: a change to them
 * (a library upgrade that follows task graphs or polls progress differently) must not re-run
 * training.
 */
const WATCH_ONLY: readonly WaitField[] = ['graphRunSql', 'progressSql', 'refreshSql', 'requeueOrphanedSql'];

/**
 * Wait fields hashed under an earlier name. verifySql is the query training steps polled as
 * progressSql until polls stopped reading the stage (issue #23); hashed under that name, it
 * keeps the fingerprints of manifests synthesized before, so upgrading re-runs no training.
 */
const HASHED_AS: Readonly<Partial<Record<WaitField, string>>> = { verifySql: 'progressSql' };

function withoutWatching(wait: WaitSpec | undefined): Record<string, unknown> | undefined {
  if (!wait) return undefined;
  const kept: Record<string, unknown> = { ...wait };
  for (const k of WATCH_ONLY) delete kept[k];
  for (const [k, as] of Object.entries(HASHED_AS)) {
    if (!(k in kept)) continue;
    kept[as!] = kept[k];
    delete kept[k];
  }
  return kept;
}

/**
 * Orders steps so every step follows its dependencies (ties broken by id for determinism) and
 * computes fingerprints. Throws on unknown dependencies and cycles, naming the steps.
 */
export function finalizeSteps(specs: readonly HookStepSpec[]): HookStep[] {
  const byId = new Map<string, HookStepSpec>();
  for (const s of specs) {
    if (byId.has(s.id)) throw new Error(`hook step '${s.id}' is defined twice. Give each step a unique id`);
    byId.set(s.id, s);
  }
  for (const s of specs) {
    for (const d of s.dependsOn) {
      if (!byId.has(d)) throw new Error(`hook step '${s.id}' depends on unknown step '${d}'. Add that step or remove the dependency`);
    }
  }
  const done = new Map<string, HookStep>();
  const visiting = new Set<string>();
  const visit = (id: string, chain: string[]): void => {
    if (done.has(id)) return;
    if (visiting.has(id)) throw new Error(`hook steps form a cycle: ${[...chain, id].join(' -> ')}. Remove one of the runAfter links`);
    visiting.add(id);
    const spec = byId.get(id)!;
    const deps = [...spec.dependsOn].sort();
    for (const d of deps) visit(d, [...chain, id]);
    visiting.delete(id);
    const own = spec.executeOnChange
      ? {
          kind: spec.kind,
          statements: spec.statements,
          wait: withoutWatching(spec.wait),
          triggers: spec.triggers,
          allowed: spec.allowedFailurePercent,
          service: spec.kind === 'deployService' ? spec.service : undefined,
        }
      : { kind: spec.kind, triggers: spec.triggers };
    const fingerprint = sha256(canonicalJson({ own, deps: deps.map((d) => done.get(d)!.fingerprint) }));
    done.set(id, { ...spec, dependsOn: deps, fingerprint });
  };
  for (const id of [...byId.keys()].sort()) visit(id, []);
  return [...done.values()];
}

/** The manifest file's text. */
export function serializeManifest(m: HookManifest): string {
  return canonicalJson(m, 2) + '\n';
}
