/**
 * Synth cost of the constructs versus the same Terraform resources declared directly with
 * @cdktf/provider-snowflake, for N pipelines in one stack.
 *
 * Every measurement runs in a fresh process (bench/synth-child.ts), the sides alternating.
 * Both sides run what `cdktf synth` runs: construct the app, then `app.synth()` (aspects,
 * validations, cdk.tf.json, and for our constructs hooks.json) into a temporary directory.
 * `Testing.synth` is not used: its metadata stripping is quadratic in the resources per type and
 * would dominate the figure with test-helper cost.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { App, TerraformElement, TerraformResource, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ComputePool, Database, InstanceFamily, ManyModelPipeline, SourceTable, Trainer, enablePreviewFeatures } from '../index';

export function newApp(outdir: string): App {
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

type Template = Record<string, Record<string, Record<string, unknown>>>;

/** One resource of the raw stack, converted from the synthesized JSON before the clock starts. */
interface RawDecl {
  /** The logical id in the constructs' synthesis, used as the raw construct's id (so the same). */
  readonly id: string;
  /** `type.logicalId`: what depends_on entries name. */
  readonly key: string;
  readonly Cls: new (scope: Construct, id: string, config: unknown) => TerraformElement;
  readonly config: unknown;
  readonly deps: string[];
}

/**
 * Every resource the constructs synthesize for N pipelines (cross-pipeline grants included),
 * as provider-class declarations: the configuration a hand-written stack of the same
 * infrastructure would spell out. Converted once, before the measurement.
 */
export function rawDecls(resources: Template): RawDecl[] {
  const classes = loadClasses(Object.keys(resources));
  return Object.entries(resources).flatMap(([type, byId]) =>
    Object.entries(byId).map(([id, config]) => ({
      id,
      key: `${type}.${id}`,
      Cls: classes[type],
      config: camel(config),
      deps: ((config.depends_on as string[] | undefined) ?? []).map((d) => d.replace(/^\$\{|\}$/g, '')),
    })),
  );
}

/**
 * The same resources declared one by one without our constructs, each directly in the stack
 * under the logical id the constructs gave it, with `depends_on` declared through the resources'
 * references as a hand-written stack would: both sides synthesize the same Terraform, resource
 * addresses included (cdktf's cost grows with id length, so short made-up ids would flatter the
 * raw side).
 */
export function rawStack(app: App, decls: RawDecl[]): TerraformStack {
  const stack = new TerraformStack(app, 'raw');
  new SnowflakeProvider(stack, 'snowflake', {});
  const objects = new Map<string, TerraformElement>();
  for (const d of decls) objects.set(d.key, new d.Cls(stack, d.id, d.config));
  for (const d of decls) {
    if (d.deps.length > 0) (objects.get(d.key) as TerraformResource).dependsOn = d.deps.map((dep) => (objects.get(dep) as TerraformResource).fqn);
  }
  return stack;
}

function camel(o: unknown): unknown {
  if (Array.isArray(o)) return o.map(camel);
  if (o && typeof o === 'object')
    return Object.fromEntries(
      Object.entries(o)
        .filter(([k]) => k !== 'depends_on' && k !== '//')
        .map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), camel(v)]),
    );
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

/** `afterwards` runs once the figures are taken, before the output folder is removed. */
function measure(
  build: (app: App) => TerraformStack,
  afterwards?: (outdir: string) => void,
): { ms: number; buildMs: number; heapMiB: number; peakRssMiB: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-synth-'));
  try {
    // Both sides start from a collected heap: the raw side's parsed template is garbage by now
    // and must not be collected on its clock (the children run with --expose-gc).
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const t0 = process.hrtime.bigint();
    const app = newApp(outdir);
    build(app);
    const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    app.synth();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const m = { ms, buildMs, heapMiB: (peak - before) / 2 ** 20, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
    afterwards?.(outdir);
    return m;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The resources of stack `stackName` synthesized into `outdir`, without cdktf's metadata. */
export function resourcesIn(outdir: string, stackName: 'bench' | 'raw'): Template {
  const resources = (JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stackName, 'cdk.tf.json'), 'utf8')) as { resource: Template }).resource;
  for (const byId of Object.values(resources)) for (const config of Object.values(byId)) delete config['//'];
  return resources;
}

/** The resources the constructs synthesize for `n` pipelines. */
export function synthesizedResources(n: number): Template {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-template-'));
  try {
    const app = newApp(outdir);
    constructStack(app, n);
    app.synth();
    return resourcesIn(outdir, 'bench');
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The same warm-up for both sides: one small synthesis, so cdktf's code runs hot in each. */
function warmUp(): void {
  Testing.synth(constructStack(Testing.app({ stackTraces: false }), 1), true);
}

export interface SynthMeasurement {
  ms: number;
  /** Of which constructing the app (the rest is app.synth()). */
  buildMs: number;
  /** Heap growth from before the build to after the synth (MiB). */
  heapMiB: number;
  /** The measuring process's peak resident set (MiB): includes the runtime and loaded modules. */
  peakRssMiB: number;
}

/**
 * One measurement in this process (bench/synth-child.ts runs it in a fresh one). The raw side
 * declares the resources in `templateFile`; the constructs side writes that file from its own
 * synthesis, once its figures are taken, when the file does not exist yet.
 */
export function measureOnce(side: 'constructs' | 'raw', n: number, templateFile: string): SynthMeasurement {
  // Provider-generated classes capture a full stack trace per nested block; with source maps
  // enabled (tsx) each capture maps every frame. A built package runs without them, so measure so.
  process.setSourceMapsEnabled(false);
  warmUp();
  if (side === 'raw') {
    if (!fs.existsSync(templateFile)) throw new Error('bench synth: the raw side runs after the constructs side has written the resources it declares');
    const decls = rawDecls(JSON.parse(fs.readFileSync(templateFile, 'utf8')) as Template);
    return measure((app) => rawStack(app, decls));
  }
  const writeTemplate = fs.existsSync(templateFile)
    ? undefined
    : (outdir: string) => fs.writeFileSync(templateFile, JSON.stringify(resourcesIn(outdir, 'bench')));
  return measure((app) => constructStack(app, n), writeTemplate);
}

/** One measurement in a fresh process (bench/synth-child.ts). */
function measureInChild(side: 'constructs' | 'raw', n: number, templateFile: string): Promise<SynthMeasurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'synth-child.ts'), side, String(n), templateFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench synth (${side}, ${n}) failed: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as SynthMeasurement);
    });
  });
}

export interface SynthBenchRow {
  pipelines: number;
  constructMs: number[];
  rawMs: number[];
  /** Of each measurement, the construction of the app (the rest is app.synth()). */
  constructBuildMs: number[];
  rawBuildMs: number[];
  constructHeapMiB: number;
  rawHeapMiB: number;
  constructPeakRssMiB: number;
  rawPeakRssMiB: number;
}

/** Each measurement runs in a fresh process; the two sides of a repetition run back to back. */
/** `repetitions` per size: a number for all, or one per pipeline count. */
export async function benchSynth(sizes: number[], repetitions: number | ((pipelines: number) => number) = 3): Promise<SynthBenchRow[]> {
  const rows: SynthBenchRow[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-synth-templates-'));
  const reps = typeof repetitions === 'number' ? () => repetitions : repetitions;
  try {
    for (const n of sizes) rows.push(await benchSize(n, reps(n), path.join(dir, `resources-${n}.json`)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function benchSize(n: number, repetitions: number, templateFile: string): Promise<SynthBenchRow> {
  const row: SynthBenchRow = {
    pipelines: n,
    constructMs: [],
    rawMs: [],
    constructBuildMs: [],
    rawBuildMs: [],
    constructHeapMiB: 0,
    rawHeapMiB: 0,
    constructPeakRssMiB: 0,
    rawPeakRssMiB: 0,
  };
  for (let r = 0; r < repetitions; r++) {
    // One at a time (run together, the side with the larger heap suffers more from the shared
    // memory bandwidth), alternating which goes first. The constructs go first in the first
    // repetition: their synthesis is what the raw side declares.
    const first = r % 2 === 0 ? 'constructs' : 'raw';
    const a = await measureInChild(first, n, templateFile);
    const b = await measureInChild(first === 'constructs' ? 'raw' : 'constructs', n, templateFile);
    const [c, w] = first === 'constructs' ? [a, b] : [b, a];
    row.constructMs.push(c.ms);
    row.rawMs.push(w.ms);
    row.constructBuildMs.push(c.buildMs);
    row.rawBuildMs.push(w.buildMs);
    row.constructHeapMiB = Math.max(row.constructHeapMiB, c.heapMiB);
    row.rawHeapMiB = Math.max(row.rawHeapMiB, w.heapMiB);
    row.constructPeakRssMiB = Math.max(row.constructPeakRssMiB, c.peakRssMiB);
    row.rawPeakRssMiB = Math.max(row.rawPeakRssMiB, w.peakRssMiB);
  }
  return row;
}
