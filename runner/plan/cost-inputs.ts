/**
 * What a synthesized stack says about the compute its hook steps and scheduled tasks consume: its
 * compute pools (instance family, nodes, auto-suspend), warehouses (size, type, auto-suspend),
 * scheduled tasks, and the job services each `EXECUTE JOB SERVICE` starts (on which pool, querying
 * on which warehouse, with how many worker CPUs), read from the statements as lib/sql/job-spec.ts
 * renders them — the same reading runner/bootstrap/bootstrap.ts does. Pure functions of the synthesis.
 */
import { StackSynthesis } from './plan';
import { runsPerMonth } from './schedule-runs';

export interface PoolInfo {
  readonly name: string;
  /** Undefined when the attribute is not a literal (a Terraform reference). */
  readonly instanceFamily?: string;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly autoSuspendSeconds: number;
}

export interface WarehouseInfo {
  readonly name: string;
  /** `warehouse_size` as written (XSMALL, ...); undefined when not a literal. */
  readonly size?: string;
  readonly snowparkOptimized: boolean;
  /** Set for Gen2 and memory-optimized warehouses, which the rate table does not price. */
  readonly resourceConstraint?: string;
  readonly autoSuspendSeconds: number;
}

export interface ScheduledTask {
  readonly address: string;
  readonly name: string;
  readonly constructPath?: string;
  /** The warehouse the task runs on; undefined for a serverless task. */
  readonly warehouse?: string;
  /** The schedule as written (`cron(0 6 * * * UTC)`, `every 60 min`). */
  readonly schedule: string;
  /** Undefined when the schedule cannot be read. */
  readonly runsPerMonth?: number;
  /** Tasks that run after it in its graph (each runs once per run of this one). */
  readonly children: number;
}

export interface JobServiceUse {
  /** `DB.SCHEMA.NAME`, as the manifest's `wait.jobServices` names it. */
  readonly service: string;
  readonly pool: string;
  readonly warehouse?: string;
  /** The worker's MM_WORKER_CPUS: the cores one worker trains with. */
  readonly workerCpus?: number;
}

export interface CostInputs {
  readonly pools: ReadonlyMap<string, PoolInfo>;
  readonly warehouses: ReadonlyMap<string, WarehouseInfo>;
  readonly jobServices: ReadonlyMap<string, JobServiceUse>;
  readonly scheduledTasks: readonly ScheduledTask[];
  /** Tasks by construct path: each names the warehouse it runs on. */
  readonly taskWarehouses: readonly { constructPath: string; warehouse: string }[];
}

type Resource = Record<string, unknown>;

/** An identifier as Snowflake stores it: a quoted name as written, an unquoted one upper-cased. */
export function storedName(text: string): string {
  const t = text.trim();
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t.toUpperCase();
}

/** A literal attribute value, or undefined for a Terraform reference (`${...}`). */
function literal(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v);
  return s.includes('${') ? undefined : s;
}

function num(v: unknown, fallback: number): number {
  const n = Number(literal(v));
  return Number.isFinite(n) ? n : fallback;
}

const JOB =
  /EXECUTE\s+JOB\s+SERVICE\s+IN\s+COMPUTE\s+POOL\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s+NAME\s*=\s*([A-Za-z0-9_$.]+)([\s\S]*?)FROM\s+SPECIFICATION\s+\$\$([\s\S]*?)\$\$/gi;

/** The job services started by `texts` (task bodies and hook statements). */
export function jobServicesIn(texts: Iterable<string>): Map<string, JobServiceUse> {
  const out = new Map<string, JobServiceUse>();
  for (const t of texts) {
    for (const m of t.matchAll(JOB)) {
      const warehouse = /QUERY_WAREHOUSE\s*=\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)/i.exec(m[3])?.[1];
      // A slot task runs the statement as a string constant (renderSlotTaskBody), its quotes doubled.
      const cpus = Number(/MM_WORKER_CPUS:\s*'{1,2}([0-9.]+)'/.exec(m[4])?.[1]);
      out.set(m[2].toUpperCase(), {
        service: m[2].toUpperCase(),
        pool: storedName(m[1]),
        warehouse: warehouse ? storedName(warehouse) : undefined,
        workerCpus: Number.isFinite(cpus) && cpus > 0 ? cpus : undefined,
      });
    }
  }
  return out;
}

function describeSchedule(schedule: unknown): string {
  const s = (Array.isArray(schedule) ? schedule[0] : schedule) as { minutes?: unknown; using_cron?: unknown } | undefined;
  if (s?.using_cron !== undefined) return `cron(${String(s.using_cron)})`;
  if (s?.minutes !== undefined) return `every ${String(s.minutes)} min`;
  return JSON.stringify(schedule);
}

export function costInputs(stack: StackSynthesis | undefined): CostInputs {
  const resources = stack?.terraform.resource ?? {};
  const all = (type: string): [string, Resource][] => Object.entries(resources[type] ?? {}).map(([id, r]) => [`${type}.${id}`, r]);
  const pathOf = (r: Resource) => (r['//'] as { metadata?: { path?: string } } | undefined)?.metadata?.path;

  const pools = new Map<string, PoolInfo>();
  for (const [, r] of all('snowflake_compute_pool')) {
    const name = literal(r.name);
    if (!name) continue;
    const minNodes = num(r.min_nodes, 1);
    pools.set(storedName(name), {
      name: storedName(name),
      instanceFamily: literal(r.instance_family)?.toUpperCase(),
      minNodes,
      maxNodes: num(r.max_nodes, minNodes),
      autoSuspendSeconds: num(r.auto_suspend_secs, 3600),
    });
  }

  const warehouses = new Map<string, WarehouseInfo>();
  for (const [, r] of all('snowflake_warehouse')) {
    const name = literal(r.name);
    if (!name) continue;
    const type = literal(r.warehouse_type)?.toUpperCase() ?? 'STANDARD';
    const constraint = literal(r.resource_constraint)?.toUpperCase();
    warehouses.set(storedName(name), {
      name: storedName(name),
      // Snowflake's default size for CREATE WAREHOUSE is X-Small ("Overview of warehouses").
      size: r.warehouse_size === undefined ? 'XSMALL' : literal(r.warehouse_size),
      snowparkOptimized: type.replace(/['_]/g, '-') === 'SNOWPARK-OPTIMIZED',
      resourceConstraint: constraint && constraint !== 'STANDARD_GEN_1' ? constraint : undefined,
      // Snowflake's default AUTO_SUSPEND is 600 seconds (CREATE WAREHOUSE).
      autoSuspendSeconds: num(r.auto_suspend, 600),
    });
  }

  const tasks = all('snowflake_task');
  const texts = [...tasks.map(([, r]) => String(r.sql_statement ?? '')), ...(stack?.hooks?.steps ?? []).flatMap((s) => s.statements.map((x) => x.sql))];
  const jobServices = jobServicesIn(texts);

  // A task's children: tasks whose `after` names it (quoted parts, as the constructs write it).
  const fqn = (r: Resource) => [r.database, r.schema, r.name].map((p) => storedName(String(p ?? ''))).join('.');
  const parentsOf = (r: Resource) => ((r.after as unknown[] | undefined) ?? []).map((a) => String(a).split('.').map(storedName).join('.'));
  const children = new Map<string, number>();
  for (const [, r] of tasks) for (const p of parentsOf(r)) children.set(p, (children.get(p) ?? 0) + 1);
  const scheduledTasks: ScheduledTask[] = [];
  const taskWarehouses: { constructPath: string; warehouse: string }[] = [];
  for (const [address, r] of tasks) {
    const warehouse = literal(r.warehouse);
    const constructPath = pathOf(r);
    if (warehouse && constructPath) taskWarehouses.push({ constructPath, warehouse: storedName(warehouse) });
    // A task that is not started (resumed) never runs on its schedule.
    if (r.schedule === undefined || String(r.started) === 'false') continue;
    const me = fqn(r);
    scheduledTasks.push({
      address,
      name: me,
      constructPath,
      warehouse: warehouse ? storedName(warehouse) : undefined,
      schedule: describeSchedule(r.schedule),
      runsPerMonth: runsPerMonth(r.schedule),
      children: children.get(me) ?? 0,
    });
  }
  // An enabled alert evaluates its condition on its warehouse at each scheduled time, like a task
  // (CREATE ALERT: https://docs.snowflake.com/en/sql-reference/sql/create-alert). The action's
  // rare runs are not counted.
  for (const [address, r] of all('snowflake_alert')) {
    if (String(r.enabled) !== 'true') continue;
    const warehouse = literal(r.warehouse);
    const schedule = alertScheduleAsTask(r.alert_schedule);
    scheduledTasks.push({
      address,
      name: fqn(r),
      constructPath: pathOf(r),
      warehouse: warehouse ? storedName(warehouse) : undefined,
      schedule: describeSchedule(schedule),
      runsPerMonth: runsPerMonth(schedule),
      children: 0,
    });
  }
  return { pools, warehouses, jobServices, scheduledTasks, taskWarehouses };
}

/** An alert's `alert_schedule` block (`interval` minutes, or `cron { expression, time_zone }`) in a task's schedule shape. */
function alertScheduleAsTask(block: unknown): { minutes?: unknown; using_cron?: string } | undefined {
  const s = (Array.isArray(block) ? block[0] : block) as { interval?: unknown; cron?: unknown } | undefined;
  if (!s) return undefined;
  const cron = (Array.isArray(s.cron) ? s.cron[0] : s.cron) as { expression?: unknown; time_zone?: unknown } | undefined;
  if (cron?.expression !== undefined) return { using_cron: `${String(cron.expression)} ${String(cron.time_zone ?? '')}`.trim() };
  return s.interval !== undefined ? { minutes: s.interval } : undefined;
}
