/**
 * Synth cost of the constructs versus the same Terraform resources declared directly with
 * @cdktf/provider-snowflake, for N pipelines in one stack.
 */
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { App, TerraformElement, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ComputePool, Database, InstanceFamily, ManyModelPipeline, SourceTable, Trainer, enablePreviewFeatures } from '../index';

function constructStack(n: number): TerraformStack {
  const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'bench');
  new SnowflakeProvider(stack, 'snowflake', {});
  enablePreviewFeatures(stack);
  const pool = new ComputePool(stack, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 });
  const db = Database.fromName(stack, 'Db', 'ANALYTICS');
  for (let i = 0; i < n; i++) {
    new ManyModelPipeline(stack, `P${i}`, {
      database: db,
      source: SourceTable.fromName(stack, `Src${i}`, 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
      computePool: pool,
      trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
      scoring: { horizon: 28 },
    });
  }
  return stack;
}

/** The same resources (types and configuration), declared one by one without our constructs. */
function rawStack(n: number, template: Record<string, Record<string, Record<string, unknown>>>): TerraformStack {
  const stack = new TerraformStack(Testing.app({ stackTraces: false }), 'raw');
  new SnowflakeProvider(stack, 'snowflake', {});
  const classes = loadClasses(Object.keys(template));
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (const [type, byId] of Object.entries(template)) {
      for (const config of Object.values(byId)) {
        const Cls = classes[type];
        new Cls(stack, `r${k++}`, camel(config));
      }
    }
  }
  return stack;
}

function camel(o: unknown): unknown {
  if (Array.isArray(o)) return o.map(camel);
  if (o && typeof o === 'object') return Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'depends_on' && k !== '//').map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), camel(v)]));
  return o;
}

function loadClasses(types: string[]): Record<string, new (scope: Construct, id: string, config: unknown) => TerraformElement> {
  const out: Record<string, new (scope: Construct, id: string, config: unknown) => TerraformElement> = {};
  for (const t of types) {
    const dir = t.replace(/^snowflake_/, '').replace(/_/g, '-');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`@cdktf/provider-snowflake/lib/${dir}`) as Record<string, unknown>;
    out[t] = Object.values(mod).find((v) => typeof v === 'function' && (v as { tfResourceType?: string }).tfResourceType === t) as never;
  }
  return out;
}

function measure(build: () => TerraformStack): { ms: number; heapMiB: number } {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const stack = build();
  Testing.synth(stack, true);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const heapMiB = Math.max(0, process.memoryUsage().heapUsed - before) / 2 ** 20;
  return { ms, heapMiB };
}

export function benchSynth(sizes: number[], repetitions = 3): { pipelines: number; constructMs: number[]; rawMs: number[]; constructHeapMiB: number; rawHeapMiB: number }[] {
  // The resources one pipeline synthesizes (minus the shared pool and the once-per-stack ledger).
  const one = JSON.parse(Testing.synth(constructStack(1), true)).resource as Record<string, Record<string, Record<string, unknown>>>;
  delete one.snowflake_compute_pool;
  new App();
  return sizes.map((n) => {
    const constructMs: number[] = [];
    const rawMs: number[] = [];
    let ch = 0;
    let rh = 0;
    for (let r = 0; r < repetitions; r++) {
      const c = measure(() => constructStack(n));
      const w = measure(() => rawStack(n, one));
      constructMs.push(c.ms);
      rawMs.push(w.ms);
      ch = Math.max(ch, c.heapMiB);
      rh = Math.max(rh, w.heapMiB);
    }
    return { pipelines: n, constructMs, rawMs, constructHeapMiB: ch, rawHeapMiB: rh };
  });
}
