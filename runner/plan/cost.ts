/**
 * What a change costs in Snowflake credits: the hook steps its deploy will run (compute pool
 * node-hours for training passes, warehouse time for everything that runs SQL), and the scheduled
 * work (tasks such as scheduled scoring) per month, base against head. A pure function of the two
 * syntheses, the plan's hook changes, the rates (credit-rates.ts) and, when the plan has a
 * connection, the ledger's durations (ledger-history.ts). The model and its defaults are
 * documented in docs/gitops.md ("Cost"); every figure says whether it comes from the ledger or a
 * default, and usage with no known rate is listed as unpriced, never counted as zero silently.
 */
import { HookManifest, HookStep } from '../../lib/hooks/manifest';
import { CostInputs, PoolInfo, WarehouseInfo, costInputs } from './cost-inputs';
import {
  CreditRates,
  RATES_READ_ON,
  STANDARD_WAREHOUSE_CREDITS_PER_HOUR,
  WAREHOUSE_MINIMUM_BILLED_SECONDS,
  creditRates,
  normalizeWarehouseSize,
} from './credit-rates';
import { HookChange } from './hook-diff';
import { CostHistory, StackHistory, StepRecord } from './ledger-history';
import { StackSynthesis } from './plan';
import { MINUTES_PER_MONTH } from './schedule-runs';

/**
 * Defaults the estimate uses where the ledger has no successful run of a step. Rationale in
 * docs/gitops.md; they are deliberately round numbers to be replaced by the ledger's.
 */
export const COST_DEFAULTS = {
  /** Partitions per pipeline when neither `partitions` nor the ledger gives a count. */
  partitions: 1000,
  /** CPU-seconds to train one partition in one pass (fit and holdout-score the pass's model set). */
  trainingCoreSecondsPerPartition: 20,
  /**
   * Warehouse seconds of each step kind on an X-Small warehouse: a fixed part, and a part per
   * partition that a larger warehouse runs proportionally faster (it has proportionally more
   * compute and costs proportionally more per hour, so that part's credits do not depend on size).
   */
  stepSeconds: {
    startPass: { fixed: 30, perPartition: 0.05 },
    buildModelIndex: { fixed: 30, perPartition: 0.02 },
    registerAggregator: { fixed: 120, perPartition: 0 },
    promote: { fixed: 10, perPartition: 0 },
    batchScore: { fixed: 30, perPartition: 0.5 },
    sql: { fixed: 60, perPartition: 0 },
    runWorkers: { fixed: 5, perPartition: 0 },
    // A warehouse pass fits in the warehouse: trainingCoreSecondsPerPartition over an assumed 8
    // cores of an X-Small (Snowflake does not document a warehouse's cores).
    warehousePass: { fixed: 60, perPartition: 2.5 },
    // The deploy procedure waits while the model's image is built (on the service's pool) and the
    // service starts; O(1) in partitions. Only when a promotion brings a new version (or new settings).
    deployService: { fixed: 900, perPartition: 0 },
  } as Readonly<Record<string, { readonly fixed: number; readonly perPartition: number }>>,
  /** Seconds of one run of a scheduled task that matches no hook step. */
  scheduledTaskSeconds: 60,
} as const;

/** Step kinds whose work grows with the number of partitions (the others are O(1) in it). */
const SCALES_WITH_PARTITIONS = new Set(['startPass', 'executeTaskGraph', 'waitQueue', 'warehousePass', 'buildModelIndex', 'batchScore']);
/** Training passes: job services on a compute pool, querying on the pipeline's warehouse. */
const TRAINING = new Set(['executeTaskGraph', 'waitQueue']);
/** Kinds whose statements need no warehouse (EXECUTE JOB SERVICE ... ASYNC returns at once). */
const NO_WAREHOUSE = new Set(['runWorkers']);

export interface CostOptions {
  /** Partitions per pipeline, overriding the ledger's and the default. */
  readonly partitions?: number;
  /** Per run group (`forecast/Forecast`): partitions, overriding `partitions`. */
  readonly partitionsByGroup?: Readonly<Record<string, number>>;
  /** Durations from the ledger, by stack (a plan with a connection). */
  readonly history?: CostHistory;
  /** Price of one credit: adds costs beside credits (in the account's currency, which the plan does not know). */
  readonly creditPrice?: number;
  /** The gate: the change is refused when its first-month credits exceed this. */
  readonly maxCredits?: number;
  /** Rates laid over credit-rates.ts (e.g. compute pool rates from the account's consumption table). */
  readonly rates?: Partial<CreditRates>;
}

export interface PoolUse {
  readonly name: string;
  readonly instanceFamily?: string;
  /** Nodes the pass keeps busy: one worker per node, within the pool's MIN_NODES..MAX_NODES. */
  readonly nodes: number;
  readonly nodeHours: number;
  readonly creditsPerNodeHour: number | null;
  readonly credits: number | null;
}

export interface WarehouseUse {
  readonly name: string;
  readonly size?: string;
  readonly hours: number;
  readonly creditsPerHour: number | null;
  readonly credits: number | null;
}

export type CostBasis = 'ledger' | 'default';

export interface StepCost {
  readonly stepId: string;
  readonly kind: string;
  readonly runGroup: string;
  readonly basis: CostBasis;
  /** Expected wall-clock seconds. */
  readonly seconds: number;
  /** Partitions assumed, for kinds whose work grows with them. */
  readonly partitions?: number;
  readonly computePool?: PoolUse;
  readonly warehouse?: WarehouseUse;
  /** The priced parts' credits. */
  readonly credits: number;
  /** Parts with no rate, described. */
  readonly unpriced: readonly string[];
  /** How the duration was reached (read with `basis`: `default: 30 s`, `ledger: last success ...`). */
  readonly note: string;
}

/** Compute that stays up after the deploy's last step until it auto-suspends. */
export interface IdleCost {
  readonly what: string;
  readonly seconds: number;
  readonly computePool?: PoolUse;
  readonly warehouse?: WarehouseUse;
  readonly credits: number;
  readonly unpriced: readonly string[];
}

export interface ScheduledCost {
  readonly task: string;
  readonly address: string;
  readonly constructPath?: string;
  readonly schedule: string;
  readonly runsPerMonth: number | null;
  readonly basis: CostBasis;
  /** Work seconds of one run. */
  readonly secondsPerRun: number;
  /** Billed seconds of one run: at least the warehouse minimum, plus its idle time before auto-suspend. */
  readonly billedSecondsPerRun: number;
  readonly warehouse?: WarehouseUse;
  readonly creditsPerMonth: number;
  readonly unpriced: readonly string[];
  readonly note: string;
}

/**
 * An inference service kept running (docs/serving.md): its minimum instances, each a node of its
 * pool (Model Serving gives an instance the node's vCPUs unless told otherwise:
 * snowflake-ml-python `create_service`, cpu_requests), for the whole month. Scaling out under load
 * up to maxInstances is usage the plan cannot know.
 */
export interface ServiceCost {
  /** The deployService step that keeps it. */
  readonly stepId: string;
  /** `DB.SCHEMA.NAME` of the services. */
  readonly name: string;
  readonly ingress: 'PRIVATE' | 'PUBLIC';
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly computePool: PoolUse;
  readonly creditsPerMonth: number;
  readonly unpriced: readonly string[];
  readonly note: string;
}

export interface MonthlyCost {
  readonly credits: number;
  readonly unpriced: readonly string[];
  readonly tasks: readonly ScheduledCost[];
  /** Inference services, running all month at their minimum instances. */
  readonly services: readonly ServiceCost[];
}

export interface GroupPartitions {
  readonly runGroup: string;
  readonly partitions: number;
  readonly source: 'option' | 'ledger' | 'default';
}

export interface StackCost {
  readonly stack: string;
  /** The ledger read, when the plan had a connection; `error` when it could not be read. */
  readonly ledger?: { readonly table: string; readonly stepsWithHistory: number; readonly error?: string };
  readonly partitions: readonly GroupPartitions[];
  /** The hook steps this deploy runs. */
  readonly deploy: { readonly credits: number; readonly unpriced: readonly string[]; readonly steps: readonly StepCost[]; readonly idle: readonly IdleCost[] };
  readonly monthly: { readonly base: MonthlyCost; readonly head: MonthlyCost; readonly deltaCredits: number };
}

export interface PlanCost {
  /** `ledger` when durations were read from the account's ledgers, else `defaults`. */
  readonly basis: 'ledger' | 'defaults';
  /** Credits of the hook steps the deploy runs, all stacks. */
  readonly deployCredits: number;
  /** Credits per month of scheduled work, all stacks. */
  readonly monthlyCredits: { readonly base: number; readonly head: number; readonly delta: number };
  /** The change's first month: the deploy, plus the month's increase in scheduled work (a decrease is not netted). */
  readonly changeCredits: number;
  /** What has no rate: the credits above are lower bounds when this is not empty. */
  readonly unpriced: readonly string[];
  readonly creditPrice?: number;
  /** The same figures times `creditPrice`, when given. */
  readonly costs?: { readonly deploy: number; readonly monthlyDelta: number; readonly change: number };
  readonly maxCredits?: number;
  /** True when `maxCredits` is set and `changeCredits` exceeds it. */
  readonly refused: boolean;
  readonly rates: { readonly file: string; readonly readOn: string };
  readonly stacks: readonly StackCost[];
}

// ---------------------------------------------------------------------------------------------

interface Context {
  readonly inputs: CostInputs;
  readonly byId: ReadonlyMap<string, HookStep>;
  /** The warehouse of each run group (undefined: the synthesis names none). */
  readonly warehouseOf: ReadonlyMap<string, string | undefined>;
  readonly history?: StackHistory;
  readonly rates: CreditRates;
  readonly partitions: ReadonlyMap<string, GroupPartitions>;
}

function warehouseRate(w: WarehouseInfo | undefined, rates: CreditRates): number | null {
  if (!w?.size || w.resourceConstraint) return null;
  const size = normalizeWarehouseSize(w.size);
  return (w.snowparkOptimized ? rates.snowparkOptimizedWarehouse[size] : rates.warehouse[size]) ?? null;
}

/** How many X-Smalls of compute a warehouse has: its standard size's credits per hour (1 when unknown). */
function sizeFactor(w: WarehouseInfo | undefined): number {
  return (w?.size && STANDARD_WAREHOUSE_CREDITS_PER_HOUR[normalizeWarehouseSize(w.size)]) || 1;
}

function warehouseUse(name: string | undefined, seconds: number, ctx: Context, unpriced: string[], what: string): WarehouseUse | undefined {
  if (seconds <= 0) return undefined;
  if (!name) {
    unpriced.push(`${what}: ${fmtSeconds(seconds)} on a warehouse the synthesis does not name (the runner's session warehouse)`);
    return undefined;
  }
  const w = ctx.inputs.warehouses.get(name);
  const rate = warehouseRate(w, ctx.rates);
  const hours = seconds / 3600;
  if (rate === null) {
    const why = !w
      ? 'not created by this stack: its size is unknown'
      : w.resourceConstraint
        ? `resource constraint ${w.resourceConstraint} has no rate`
        : `no rate for size ${w.size ?? '(not a literal)'}`;
    unpriced.push(`${what}: ${fmtSeconds(seconds)} on warehouse ${name} (${why})`);
  }
  return { name, size: w?.size, hours: round(hours), creditsPerHour: rate, credits: rate === null ? null : round(hours * rate) };
}

function poolUse(pool: PoolInfo | undefined, poolName: string, nodes: number, seconds: number, ctx: Context, unpriced: string[], what: string): PoolUse {
  const nodeHours = (nodes * seconds) / 3600;
  const rate = pool?.instanceFamily ? (ctx.rates.computePool[pool.instanceFamily] ?? null) : null;
  if (rate === null) {
    const family = pool?.instanceFamily ?? 'family unknown: the pool is not created by this stack';
    unpriced.push(`${what}: ${fmtNumber(nodeHours)} node-hours on compute pool ${poolName} (${family}; no rate in runner/plan/credit-rates.ts)`);
  }
  return {
    name: poolName,
    instanceFamily: pool?.instanceFamily,
    nodes,
    nodeHours: round(nodeHours),
    creditsPerNodeHour: rate,
    credits: rate === null ? null : round(nodeHours * rate),
  };
}

/** The warehouse each run group's statements and workers use: its job services' QUERY_WAREHOUSE, else its tasks'. */
function groupWarehouses(manifest: HookManifest | undefined, inputs: CostInputs): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const s of manifest?.steps ?? []) {
    if (out.get(s.runGroup)) continue;
    const w = (s.wait?.jobServices ?? []).map((svc) => inputs.jobServices.get(svc.toUpperCase())?.warehouse).find((x) => x !== undefined);
    out.set(s.runGroup, w);
  }
  for (const [group, w] of out) {
    if (!w) out.set(group, inputs.taskWarehouses.find((t) => t.constructPath.startsWith(`${group}/`))?.warehouse);
  }
  return out;
}

/** The share of the run's partitions a training pass covers: the refine pass enqueues the worst N % (lib/sql/training.ts). */
function passShare(step: HookStep, byId: ReadonlyMap<string, HookStep>): { share: number; why?: string } {
  const seen = new Set<string>();
  const queue = [...step.dependsOn];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const s = byId.get(id);
    if (!s) continue;
    if (s.kind === 'startPass') {
      const m = /COUNT\(\*\) OVER \(\) \* ([0-9.]+)\)/.exec(s.statements.map((x) => x.sql).join('\n'));
      const share = m ? Number(m[1]) : 1;
      return share > 0 && share < 1 ? { share, why: `the worst ${fmtNumber(share * 100)} %, plus failed ones` } : { share: 1 };
    }
    queue.push(...s.dependsOn);
  }
  return { share: 1 };
}

function partitionsOf(
  groups: readonly string[],
  history: StackHistory | undefined,
  manifest: HookManifest | undefined,
  opts: CostOptions,
): Map<string, GroupPartitions> {
  const out = new Map<string, GroupPartitions>();
  const recordsOf = new Map<string, StepRecord[]>();
  for (const s of manifest?.steps ?? []) {
    const r = history?.steps.get(s.id);
    if (r?.runPartitions !== undefined) recordsOf.set(s.runGroup, [...(recordsOf.get(s.runGroup) ?? []), r]);
  }
  for (const runGroup of groups) {
    const given = opts.partitionsByGroup?.[runGroup] ?? opts.partitions;
    if (given !== undefined) {
      out.set(runGroup, { runGroup, partitions: given, source: 'option' });
      continue;
    }
    // The latest run of the group that recorded a partition count.
    const latest = (recordsOf.get(runGroup) ?? []).sort((a, b) => b.endedAt - a.endedAt)[0];
    out.set(
      runGroup,
      latest ? { runGroup, partitions: latest.runPartitions!, source: 'ledger' } : { runGroup, partitions: COST_DEFAULTS.partitions, source: 'default' },
    );
  }
  return out;
}

/** The expected cost of one run of `step`. */
function estimateStep(step: HookStep, ctx: Context): StepCost {
  const group = ctx.partitions.get(step.runGroup);
  const P = group?.partitions ?? COST_DEFAULTS.partitions;
  const scales = SCALES_WITH_PARTITIONS.has(step.kind);
  const training = TRAINING.has(step.kind);
  const unpriced: string[] = [];
  const rec = ctx.history?.steps.get(step.id);
  const whName = NO_WAREHOUSE.has(step.kind) ? undefined : ctx.warehouseOf.get(step.runGroup);

  // Training passes: the job services the step starts or waits for, and the pool they run on.
  const services = (step.wait?.jobServices ?? []).map((s) => ctx.inputs.jobServices.get(s.toUpperCase())).filter((s) => s !== undefined);
  const poolName = services[0]?.pool;
  const pool = poolName ? ctx.inputs.pools.get(poolName) : undefined;
  const workers = Math.max(1, step.wait?.jobServices?.length ?? 1);
  // One worker per node: a worker trains with a whole node's vCPUs (MM_WORKER_CPUS).
  const nodes = pool ? Math.min(pool.maxNodes, Math.max(pool.minNodes, workers)) : workers;
  // Only a queue pass has a time budget; other steps are bounded by their timeout.
  const budget = (step.wait && 'budgetSeconds' in step.wait ? step.wait.budgetSeconds : undefined) ?? step.timeoutSeconds;

  let seconds: number;
  let basis: CostBasis;
  let note: string;
  if (rec) {
    basis = 'ledger';
    seconds = rec.seconds;
    const when = new Date(rec.endedAt).toISOString().slice(0, 10);
    note = `last success ${when} (run ${rec.runId}): ${fmtSeconds(rec.seconds)}`;
    if (scales && rec.runPartitions && rec.runPartitions > 0 && rec.runPartitions !== P) {
      seconds = rec.seconds * (P / rec.runPartitions);
      note += ` for ${fmtNumber(rec.runPartitions)} partitions, scaled to ${fmtNumber(P)}`;
      // A pass stops at its budget; it may have run past it before (finishing its last chunks).
      if (training) seconds = Math.min(seconds, Math.max(budget, rec.seconds));
    } else if (scales && !rec.runPartitions) note += ' (its run recorded no partition count: not scaled)';
  } else if (training) {
    basis = 'default';
    const { share, why } = passShare(step, ctx.byId);
    const cpus = services[0]?.workerCpus ?? 1;
    const passPartitions = Math.ceil(P * share);
    const work = (passPartitions * COST_DEFAULTS.trainingCoreSecondsPerPartition) / cpus / nodes;
    seconds = Math.min(work, budget);
    note = `${fmtNumber(passPartitions)} partitions${why ? ` (${why})` : ''} × ${COST_DEFAULTS.trainingCoreSecondsPerPartition} CPU-s ÷ ${fmtNumber(cpus)} CPUs per worker ÷ ${nodes} nodes`;
    if (work > budget) note += `, capped at the ${fmtSeconds(budget)} budget`;
  } else {
    basis = 'default';
    const d = COST_DEFAULTS.stepSeconds[step.kind] ?? COST_DEFAULTS.stepSeconds.sql;
    const speedup = sizeFactor(whName ? ctx.inputs.warehouses.get(whName) : undefined);
    seconds = d.fixed + (scales ? (d.perPartition * P) / speedup : 0);
    note =
      scales && d.perPartition > 0
        ? `${d.fixed} s + ${d.perPartition} X-Small s × ${fmtNumber(P)} partitions${speedup !== 1 ? ` ÷ ${speedup} (warehouse size)` : ''}`
        : `${d.fixed} s`;
  }

  // A deploy builds the model's image on the service's pool (one node), while the procedure waits.
  const servicePool = step.kind === 'deployService' ? step.service.computePool : undefined;
  const computePool = training
    ? poolUse(pool, poolName ?? '(unknown)', nodes, seconds, ctx, unpriced, step.id)
    : servicePool
      ? poolUse(ctx.inputs.pools.get(servicePool), servicePool, 1, seconds, ctx, unpriced, step.id)
      : undefined;
  const warehouse = NO_WAREHOUSE.has(step.kind) ? undefined : warehouseUse(whName, seconds, ctx, unpriced, step.id);
  const credits = round((computePool?.credits ?? 0) + (warehouse?.credits ?? 0));
  return {
    stepId: step.id,
    kind: step.kind,
    runGroup: step.runGroup,
    basis,
    seconds: Math.round(seconds),
    partitions: scales ? P : undefined,
    computePool,
    warehouse,
    credits,
    unpriced,
    note,
  };
}

/** The deploy's compute left idle until it auto-suspends: each pool at MIN_NODES, each warehouse. */
function idleAfter(steps: readonly StepCost[], ctx: Context): IdleCost[] {
  const out: IdleCost[] = [];
  for (const name of [...new Set(steps.flatMap((s) => (s.computePool ? [s.computePool.name] : [])))].sort()) {
    const pool = ctx.inputs.pools.get(name);
    const seconds = pool?.autoSuspendSeconds ?? 0;
    if (seconds <= 0) continue;
    const unpriced: string[] = [];
    const computePool = poolUse(pool, name, pool!.minNodes, seconds, ctx, unpriced, `compute pool ${name} idle`);
    out.push({
      what: `compute pool ${name}: ${pool!.minNodes} node${pool!.minNodes === 1 ? '' : 's'} idle ${fmtSeconds(seconds)} before auto-suspend`,
      seconds,
      computePool,
      credits: computePool.credits ?? 0,
      unpriced,
    });
  }
  for (const name of [...new Set(steps.flatMap((s) => (s.warehouse ? [s.warehouse.name] : [])))].sort()) {
    const seconds = ctx.inputs.warehouses.get(name)?.autoSuspendSeconds ?? 0;
    if (seconds <= 0) continue;
    const unpriced: string[] = [];
    const warehouse = warehouseUse(name, seconds, ctx, unpriced, `warehouse ${name} idle`);
    out.push({ what: `warehouse ${name}: idle ${fmtSeconds(seconds)} before auto-suspend`, seconds, warehouse, credits: warehouse?.credits ?? 0, unpriced });
  }
  return out;
}

/** A scheduled task's hook step twin: the scheduled scoring task of a BatchScoringJob and its batchScore step share a parent path. */
function twinStep(task: { constructPath?: string }, byId: ReadonlyMap<string, HookStep>): HookStep | undefined {
  const parent = task.constructPath?.split('/').slice(0, -1).join('/');
  if (!parent) return undefined;
  const twin = byId.get(`${parent}/batchScore`);
  return twin?.kind === 'batchScore' ? twin : undefined;
}

function monthlyCost(ctx: Context): MonthlyCost {
  const tasks: ScheduledCost[] = [];
  const unpriced: string[] = [];
  for (const t of ctx.inputs.scheduledTasks) {
    const twin = twinStep(t, ctx.byId);
    const own: string[] = [];
    let secondsPerRun: number;
    let basis: CostBasis;
    let note: string;
    if (twin) {
      const est = estimateStep(twin, ctx);
      secondsPerRun = est.seconds;
      basis = est.basis;
      note = `as ${twin.id}: ${est.note}`;
    } else {
      secondsPerRun = COST_DEFAULTS.scheduledTaskSeconds;
      basis = 'default';
      note = `${COST_DEFAULTS.scheduledTaskSeconds} s per run`;
    }
    if (t.children > 0) note += `; the ${t.children} task${t.children === 1 ? '' : 's'} after it ${t.children === 1 ? 'is' : 'are'} not estimated`;
    const w = t.warehouse ? ctx.inputs.warehouses.get(t.warehouse) : undefined;
    const billed = t.warehouse ? Math.max(WAREHOUSE_MINIMUM_BILLED_SECONDS, secondsPerRun) + (w?.autoSuspendSeconds ?? 0) : secondsPerRun;
    const runs = t.runsPerMonth ?? null;
    let warehouse: WarehouseUse | undefined;
    if (runs === null) own.push(`${t.name}: schedule ${t.schedule} not understood`);
    else if (!t.warehouse) own.push(`${t.name}: serverless task, ${fmtNumber(runs)} runs a month (serverless rates are not in runner/plan/credit-rates.ts)`);
    else {
      // Runs closer together than a run's billed time keep the warehouse up the whole month.
      const monthSeconds = Math.min(runs * billed, MINUTES_PER_MONTH * 60);
      warehouse = warehouseUse(t.warehouse, monthSeconds, ctx, own, `${t.name} (a month)`);
    }
    unpriced.push(...own);
    tasks.push({
      task: t.name,
      address: t.address,
      constructPath: t.constructPath,
      schedule: t.schedule,
      runsPerMonth: runs === null ? null : round(runs),
      basis,
      secondsPerRun: Math.round(secondsPerRun),
      billedSecondsPerRun: Math.round(billed),
      warehouse,
      creditsPerMonth: warehouse?.credits ?? 0,
      unpriced: own,
      note,
    });
  }
  const services = servicesCost(ctx);
  unpriced.push(...services.flatMap((x) => x.unpriced));
  return { credits: round(sum([...tasks.map((t) => t.creditsPerMonth), ...services.map((x) => x.creditsPerMonth)])), unpriced, tasks, services };
}

/** The month of each inference service a deployService step keeps: its minimum instances, all month. */
function servicesCost(ctx: Context): ServiceCost[] {
  const out: ServiceCost[] = [];
  for (const step of ctx.byId.values()) {
    if (step.kind !== 'deployService') continue;
    const s = step.service;
    const unpriced: string[] = [];
    const pool = ctx.inputs.pools.get(s.computePool);
    const computePool = poolUse(pool, s.computePool, s.minInstances, MINUTES_PER_MONTH * 60, ctx, unpriced, `${s.name} (a month)`);
    const note =
      s.minInstances === 0
        ? `min 0 instances: suspends when idle, and calls resume it (their time, up to ${s.maxInstances} instance${s.maxInstances === 1 ? '' : 's'}, is not estimated)`
        : `${s.minInstances} instance${s.minInstances === 1 ? '' : 's'} × ${fmtNumber(MINUTES_PER_MONTH / 60)} h, one node each; scaling out to ${s.maxInstances} under load is not estimated`;
    out.push({
      stepId: step.id,
      name: s.name,
      ingress: s.ingress,
      minInstances: s.minInstances,
      maxInstances: s.maxInstances,
      computePool,
      creditsPerMonth: computePool.credits ?? 0,
      unpriced: s.minInstances === 0 ? [] : unpriced,
      note,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function contextOf(s: StackSynthesis | undefined, history: StackHistory | undefined, rates: CreditRates, opts: CostOptions): Context {
  const manifest = s?.hooks;
  const inputs = costInputs(s);
  const groups = [...new Set((manifest?.steps ?? []).map((x) => x.runGroup))];
  const byId = new Map((manifest?.steps ?? []).map((x) => [x.id, x]));
  return { inputs, byId, warehouseOf: groupWarehouses(manifest, inputs), history, rates, partitions: partitionsOf(groups, history, manifest, opts) };
}

/** The cost of one stack's change: the deploy's hook steps that will run, and scheduled work base and head. */
export function estimateStackCost(
  stack: string,
  base: StackSynthesis | undefined,
  head: StackSynthesis | undefined,
  hooks: readonly HookChange[],
  opts: CostOptions = {},
): StackCost {
  const rates = creditRates(opts.rates);
  const history = opts.history?.get(stack);
  const headCtx = contextOf(head, history, rates, opts);
  const baseCtx = contextOf(base, history, rates, opts);
  const byId = new Map((head?.hooks?.steps ?? []).map((s) => [s.id, s]));
  const steps = hooks.filter((h) => h.action === 'run' && byId.has(h.stepId)).map((h) => estimateStep(byId.get(h.stepId)!, headCtx));
  const idle = steps.length ? idleAfter(steps, headCtx) : [];
  const baseMonthly = monthlyCost(baseCtx);
  const headMonthly = monthlyCost(headCtx);
  return {
    stack,
    ledger: history ? { table: history.ledger, stepsWithHistory: history.steps.size, error: history.error } : undefined,
    partitions: [...headCtx.partitions.values()],
    deploy: {
      credits: round(sum([...steps, ...idle].map((x) => x.credits))),
      unpriced: [...steps, ...idle].flatMap((x) => x.unpriced),
      steps,
      idle,
    },
    monthly: { base: baseMonthly, head: headMonthly, deltaCredits: round(headMonthly.credits - baseMonthly.credits) },
  };
}

/** The plan's cost section from its stacks' costs, with the gate. */
export function summarizeCost(stacks: readonly StackCost[], opts: CostOptions = {}): PlanCost {
  const deployCredits = round(sum(stacks.map((s) => s.deploy.credits)));
  const base = round(sum(stacks.map((s) => s.monthly.base.credits)));
  const head = round(sum(stacks.map((s) => s.monthly.head.credits)));
  const delta = round(head - base);
  const changeCredits = round(deployCredits + Math.max(0, delta));
  const unpriced = stacks.flatMap((s) => [...s.deploy.unpriced, ...s.monthly.head.unpriced].map((u) => `${s.stack}: ${u}`));
  const price = opts.creditPrice;
  return {
    basis: opts.history ? 'ledger' : 'defaults',
    deployCredits,
    monthlyCredits: { base, head, delta },
    changeCredits,
    unpriced,
    creditPrice: price,
    costs: price === undefined ? undefined : { deploy: round(deployCredits * price), monthlyDelta: round(delta * price), change: round(changeCredits * price) },
    maxCredits: opts.maxCredits,
    refused: opts.maxCredits !== undefined && changeCredits > opts.maxCredits,
    rates: { file: 'runner/plan/credit-rates.ts', readOn: RATES_READ_ON },
    stacks,
  };
}

/** Figures in the JSON keep 4 decimals: a ten-thousandth of a credit is below any bill's precision. */
function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** `45 s`, `12 min`, `1.5 h`. */
export function fmtSeconds(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${fmtNumber(s / 3600)} h`;
}

/** Up to three significant digits, thousands separated: `1,000`, `12.3`, `0.0417`. */
export function fmtNumber(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(a)));
  return n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}
