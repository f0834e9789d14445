/**
 * `npm run bench`: measurements side by side in one run, printed as a table and written to
 * bench/results.json with the machine they came from. Sections are added as the project grows
 * (docs/architecture.md, "Status").
 */
import '../runner/snowflake/driver-env';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchLocalServer, spread } from '../local-server/bench';
import { benchSynth } from './synth';
import { benchHooks } from './hooks';
import { benchPlan } from './plan';
import { benchQueue } from './queue';
import { benchForecast, printForecast } from './forecast';


async function main(): Promise<void> {
  const machine = { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}`);
  const server = await benchLocalServer(3);
  const fmt = (s: { min: number; median: number; max: number }, digits = 0) => `${s.median.toFixed(digits)}  (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
  console.log('\nlocal Snowflake-protocol server, through snowflake-sdk (3 repetitions)');
  console.log(`  trivial query round trip (ms)      ${fmt(server.trivialQueryMs, 2)}`);
  console.log(`  20,000-row array-bind insert (rows/s) ${fmt(server.insert20kRowsPerSec)}`);
  console.log(`  20,000-row select (rows/s)         ${fmt(server.select20kRowsPerSec)}`);
  const sizes = (process.env.MM_BENCH_PIPELINES ?? '1,10,100,1000').split(',').map(Number);
  const synth = await benchSynth(sizes, 3);
  console.log('\nsynth (app.synth(), a fresh process per measurement): ManyModelPipeline vs the same resources declared directly (ms, median of 3; ratio constructs/raw; peak RSS constructs/raw)');
  const synthRows = synth.map((r) => {
    const c = spread(r.constructMs);
    const w = spread(r.rawMs);
    return { pipelines: r.pipelines, constructMs: c, rawMs: w, ratio: c.median / w.median, ratioSpread: { min: Math.min(...r.constructMs.map((x, i) => x / r.rawMs[i])), max: Math.max(...r.constructMs.map((x, i) => x / r.rawMs[i])) }, constructBuildMs: spread(r.constructBuildMs), rawBuildMs: spread(r.rawBuildMs), constructHeapMiB: r.constructHeapMiB, rawHeapMiB: r.rawHeapMiB, constructPeakRssMiB: r.constructPeakRssMiB, rawPeakRssMiB: r.rawPeakRssMiB };
  });
  for (const r of synthRows) {
    console.log(`  ${String(r.pipelines).padStart(5)} pipelines  constructs ${r.constructMs.median.toFixed(0).padStart(7)} ms (${r.constructMs.min.toFixed(0)}-${r.constructMs.max.toFixed(0)})  raw ${r.rawMs.median.toFixed(0).padStart(7)} ms (${r.rawMs.min.toFixed(0)}-${r.rawMs.max.toFixed(0)})  ratio ${r.ratio.toFixed(2)} (pairs ${r.ratioSpread.min.toFixed(2)}-${r.ratioSpread.max.toFixed(2)})  peak RSS ${r.constructPeakRssMiB.toFixed(0)}/${r.rawPeakRssMiB.toFixed(0)} MiB`);
  }
  const at = (n: number) => synthRows.find((r) => r.pipelines === n);
  if (at(100) && at(1000)) console.log(`  linearity: 1000 / 100 pipelines = ${(at(1000)!.constructMs.median / at(100)!.constructMs.median).toFixed(1)}x (target <= 12x)`);
  const hookSizes = (process.env.MM_BENCH_PARTITIONS ?? '200,2000,20000').split(',').map(Number);
  const perPartitionLimit = Number(process.env.MM_BENCH_PER_PARTITION_LIMIT ?? 2000);
  // The per-partition way costs one round trip per statement: 6,000 at 2,000 partitions (about
  // 20 s here), 60,000 at 20,000 (minutes per run), so it runs up to 2,000 unless asked for more.
  const hooks = await benchHooks(hookSizes, perPartitionLimit, 3, Number(process.env.MM_BENCH_PER_PARTITION_REPETITIONS || 3));
  console.log('\nhook run against the local server: enqueue + model index + registration (statements incl. the runner\'s ledger and lock; wall time, median of 3 with min-max)');
  for (const h of hooks) {
    const pp = h.perPartition.measured && h.perPartition.ms ? `${h.perPartition.statements} statements, ${fmt(h.perPartition.ms)} ms (${h.perPartition.repetitions} runs)` : `${h.perPartition.statements} statements (not run above ${perPartitionLimit} partitions: 3 per partition by construction)`;
    const ratioMs = h.perPartition.ms ? `, ${(h.perPartition.ms.median / h.ours.ms.median).toFixed(1)}x the wall time` : '';
    console.log(`  ${String(h.partitions).padStart(6)} partitions  ours ${h.ours.statements} statements, ${fmt(h.ours.ms)} ms   per-partition ${pp}   ${(h.perPartition.statements / h.ours.statements).toFixed(0)}x the statements${ratioMs}`);
  }
  // Every claim costs three round trips (candidate, claim, complete) of 1-3 ms each on the local
  // server and the driver: 10,000 items take one to two minutes per run (about 9 minutes for one
  // run of each of the 8 variants), and the section has 24 runs. The default drains 200 items so
  // the whole bench stays within 10 minutes on 2 cores; MM_BENCH_QUEUE_ITEMS=10000 runs the
  // issue's full size.
  const queueItems = Number(process.env.MM_BENCH_QUEUE_ITEMS ?? 200);
  const queue = await benchQueue([1, 2, 4, 8], queueItems, 3, { killRepetitions: 3 });
  console.log(`\nqueue: workers draining ${queueItems} items through the claim protocol (own stripe, then any), short fake fits; claims/s median of 3 (min-max); kill runs: 3 workers killed mid-item (each replaced), 2 s lease`);
  for (const r of queue) {
    console.log(`  ${String(r.workers).padStart(2)} workers${r.kills ? ', with kills' : '            '}  claims/s ${fmt(r.claimsPerSec, 1)}  claimed twice ${r.claimedTwice}  lost ${r.lost}${r.kills ? `  killed ${r.killed}` : ''}`);
  }
  const planRaw = benchPlan(Number(process.env.MM_BENCH_PLAN_RESOURCES ?? 1000), 3);
  const plan = { resources: planRaw.resources, changes: planRaw.changes, inProcessMs: spread(planRaw.inProcessMs), cliMs: spread(planRaw.cliMs) };
  console.log(`\nmany-model plan over a ${plan.resources.base}/${plan.resources.head}-resource stack pair (${plan.changes.create} add, ${plan.changes.update} change, ${plan.changes.replace} replace, ${plan.changes.delete} destroy, ${plan.changes.hooksToRun} hook steps, ${plan.changes.destructive} destructive)`);
  console.log(`  plan + Markdown in-process (ms)    ${fmt(plan.inProcessMs)}`);
  console.log(`  CLI end to end, process start incl. (ms) ${fmt(plan.cliMs)}`);
  // About 10 s on one core: the corpus is small and every contest takes milliseconds.
  const forecast = benchForecast();
  printForecast(forecast);
  const out = path.join(__dirname, 'results.json');
  fs.writeFileSync(out, JSON.stringify({ machine, localServer: server, synth: synthRows, hooks, queue: { items: queueItems, rows: queue }, plan, forecast }, null, 2) + '\n');
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
