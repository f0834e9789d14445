/**
 * Synth cost of the constructs versus the same Terraform resources declared directly with
 * @cdktf/provider-snowflake, for N pipelines in one stack.
 *
 * Both sides run what `cdktf synth` runs: construct the app, then `app.synth()` (aspects,
 * validations, cdk.tf.json, and for our constructs hooks.json) into a temporary directory.
 * `Testing.synth` is not used: its metadata stripping is quadratic in the resources per type and
 * would dominate the figure with test-helper cost.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { App, TerraformElement, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ComputePool, Database, InstanceFamily, ManyModelPipeline, SourceTable, Trainer, enablePreviewFeatures } from '../index';

function newApp(outdir: string): App {
  return new App({ outdir, stackTraces: false });
}

function constructStack(app: App, n: number): TerraformStack {
  const stack = new TerraformStack(app, 'bench');
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
function rawStack(app: App, n: number, template: Record<string, Record<string, Record<string, unknown>>>): TerraformStack {
  const stack = new TerraformStack(app, 'raw');
  new SnowflakeProvider(stack, 'snowflake', {});
  const classes = loadClasses(Object.keys(template));
  // Configurations are converted once, outside the loop, so the raw side pays only for the resources.
  const configs = Object.entries(template).flatMap(([type, byId]) => Object.values(byId).map((config) => [classes[type], camel(config)] as const));
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (const [Cls, config] of configs) new Cls(stack, `r${k++}`, config);
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

function measure(build: (app: App) => TerraformStack): { ms: number; heapMiB: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-synth-'));
  try {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const t0 = process.hrtime.bigint();
    const app = newApp(outdir);
    build(app);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    app.synth();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { ms, heapMiB: (peak - before) / 2 ** 20 };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export function benchSynth(sizes: number[], repetitions = 3): { pipelines: number; constructMs: number[]; rawMs: number[]; constructHeapMiB: number; rawHeapMiB: number }[] {
  // Provider-generated classes capture a full stack trace per nested block; with source maps
  // enabled (tsx) each capture maps every frame. A built package runs without them, so measure so.
  process.setSourceMapsEnabled(false);
  // The resources one pipeline synthesizes (minus the shared pool and the once-per-stack ledger).
  const one = JSON.parse(Testing.synth(constructStack(Testing.app({ stackTraces: false }), 1), true)).resource as Record<string, Record<string, Record<string, unknown>>>;
  delete one.snowflake_compute_pool;
  return sizes.map((n) => {
    const constructMs: number[] = [];
    const rawMs: number[] = [];
    let ch = 0;
    let rh = 0;
    for (let r = 0; r < repetitions; r++) {
      // Alternate the order so neither side always runs on a warmer heap.
      const [c, w] = r % 2 === 0
        ? [measure((app) => constructStack(app, n)), measure((app) => rawStack(app, n, one))]
        : (() => { const w2 = measure((app) => rawStack(app, n, one)); return [measure((app) => constructStack(app, n)), w2]; })();
      constructMs.push(c.ms);
      rawMs.push(w.ms);
      ch = Math.max(ch, c.heapMiB);
      rh = Math.max(rh, w.heapMiB);
    }
    return { pipelines: n, constructMs, rawMs, constructHeapMiB: ch, rawHeapMiB: rh };
  });
}
