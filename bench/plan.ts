/**
 * Plan speed: `many-model plan` over a pair of syntheses of about 1,000 resources each (the head
 * changes the trainer image of every pipeline, drops one pipeline and adds another). Measures the
 * plan itself (read both syntheses, diff, hook plan, Markdown) in-process, and the CLI end to end
 * (`many-model plan --base DIR --head DIR`, process start included).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { ComputePool, Database, InstanceFamily, ManyModelPipeline, Schedule, SourceTable, Trainer, enablePreviewFeatures } from '../index';
import { buildPlan } from '../runner/plan/plan';
import { readSynthesis } from '../runner/plan/read-synthesis';
import { renderMarkdown } from '../runner/plan/render-markdown';

export function synthPair(pipelines: string[], image: string): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-bench-plan-'));
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, 'bench');
  new SnowflakeProvider(stack, 'snowflake', {});
  enablePreviewFeatures(stack);
  const pool = new ComputePool(stack, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 });
  const db = Database.fromName(stack, 'Db', 'ANALYTICS');
  for (const id of pipelines) {
    new ManyModelPipeline(stack, id, {
      database: db,
      source: SourceTable.fromName(stack, `${id}Src`, 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
      computePool: pool,
      trainer: Trainer.fromImage(image),
      scoring: { horizon: 28, schedule: Schedule.cron('0 6 * * *', 'UTC') },
    });
  }
  app.synth();
  return outdir;
}

function countResources(dir: string): number {
  const s = readSynthesis(dir).stacks.get('bench')!;
  return Object.values(s.terraform.resource ?? {}).reduce((n, byId) => n + Object.keys(byId).length, 0);
}

export interface PlanBenchResult {
  resources: { base: number; head: number };
  changes: { create: number; update: number; replace: number; delete: number; hooksToRun: number; destructive: number };
  inProcessMs: number[];
  cliMs: number[];
}

export function benchPlan(targetResources = 1000, repetitions = 3): PlanBenchResult {
  // Size the pair from one pipeline's resource count.
  const one = synthPair(['P0'], '/analytics/ml/images/forecast-worker:1.4.0');
  const perPipeline = countResources(one) - 1;
  fs.rmSync(one, { recursive: true, force: true });
  const n = Math.max(2, Math.round((targetResources - 1) / perPipeline));
  const ids = Array.from({ length: n }, (_, i) => `P${i}`);
  const baseDir = synthPair(ids, '/analytics/ml/images/forecast-worker:1.4.0');
  const headDir = synthPair([...ids.slice(1), `P${n}`], '/analytics/ml/images/forecast-worker:1.5.0');
  const inProcessMs: number[] = [];
  const cliMs: number[] = [];
  let report: ReturnType<typeof buildPlan> | undefined;
  for (let r = 0; r < repetitions; r++) {
    const t0 = process.hrtime.bigint();
    report = buildPlan(readSynthesis(baseDir), readSynthesis(headDir), { failOn: 'never' });
    renderMarkdown(report);
    inProcessMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const t1 = process.hrtime.bigint();
    const cli = spawnSync(
      process.execPath,
      [path.join(__dirname, '..', 'bin', 'many-model.js'), 'plan', '--base', baseDir, '--head', headDir, '--format', 'json'],
      { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 },
    );
    cliMs.push(Number(process.hrtime.bigint() - t1) / 1e6);
    if (cli.status !== 0) throw new Error(`bench plan: the CLI failed: ${cli.stderr}`);
  }
  const result: PlanBenchResult = {
    resources: { base: countResources(baseDir), head: countResources(headDir) },
    changes: { ...report!.totals, destructive: report!.destructive.length },
    inProcessMs,
    cliMs,
  };
  fs.rmSync(baseDir, { recursive: true, force: true });
  fs.rmSync(headDir, { recursive: true, force: true });
  return result;
}
