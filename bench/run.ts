/**
 * `npm run bench`: measurements side by side in one run, printed as a table and written to
 * bench/results.json with the machine they came from. Sections are added as the project grows
 * (docs/architecture.md, "Status").
 *
 * `npm run bench -- --full` (or MM_BENCH_FULL=1) runs the full sizes and more repetitions: the
 * queue drains 10,000 items, the end-to-end loop also runs at 20,000 partitions, synth repeats 3
 * times at 1,000 pipelines and also measures 1 and 10 pipelines, the per-partition hook run goes
 * up to 2,000 partitions. The default run is sized to stay within 10 minutes on a shared 2-core
 * machine: 1 measurement pair at 1,000 pipelines, the per-partition hook run at 200 partitions
 * only, 1 end-to-end run at 200 partitions and 2 at 2,000, 2 queue runs per worker count, 1 for
 * the kill runs and the batch-1 comparison (9m54s with 3 queue runs at load average 2-5).
 */
import '../runner/snowflake/driver-env';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Spread, benchLocalServer, spread } from '../local-server/bench';
import { benchSynth } from './synth';
import { benchHooks } from './hooks';
import { benchPlan } from './plan';
import { benchQueue } from './queue';
import { benchForecast, printForecast } from './forecast';
import { E2ERow, benchEndToEnd } from './e2e';

const full = process.argv.slice(2).includes('--full') || process.env.MM_BENCH_FULL === '1';
const list = (v: string) => v.split(',').map(Number);
const fmt = (s: Spread, digits = 0) => `${s.median.toFixed(digits)}  (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const secs = (ms: number) => (ms / 1000).toFixed(1);

/** Seconds each section took, in order (results.json). */
const sectionSeconds: Record<string, number> = {};

async function section<T>(name: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await run();
  } finally {
    sectionSeconds[name] = Math.round((Date.now() - t0) / 1000);
  }
}

/** b / a for two sets of repetitions: the ratio of the medians, and the widest and narrowest pairings. */
function ratio(a: Spread, b: Spread): Spread {
  return { median: b.median / a.median, min: b.min / a.max, max: b.max / a.min };
}

function printEndToEnd(rows: E2ERow[]): Record<string, unknown> {
  const steps = rows[0].steps.map((s) => s.id);
  console.log(
    `  ${'partitions'.padStart(10)}  ${'loop s'.padEnd(24)}  ${'setup s'.padEnd(8)}  runner statements (+ polls)  worker statements per chunk  rows returned to workers  peak RSS server / worker`,
  );
  for (const r of rows) {
    const perChunk = Object.entries(r.workerStatementsPerChunk)
      .map(([p, n]) => `${p} ${n.toFixed(1)}`)
      .join(', ');
    const workerPeak = Math.max(...Object.values(r.workers).map((w) => w.peakRssMiB));
    console.log(
      `  ${String(r.partitions).padStart(10)}  ${`${secs(r.loopMs.median)} (${secs(r.loopMs.min)}-${secs(r.loopMs.max)})`.padEnd(24)}  ${secs(r.setupMs.median).padEnd(8)}  ${`${r.runnerStatements} (+ ${r.runnerPolls.median})`.padEnd(27)}  ${perChunk.padEnd(26)}  ${String(r.rows.containersOut).padEnd(23)}  ${r.serverPeakRssMiB.toFixed(0)} / ${workerPeak.toFixed(0)} MiB`,
    );
  }
  console.log(`  per step, s (median of the repetitions; the runner's statements in brackets):`);
  console.log(`  ${'partitions'.padStart(10)}  ${steps.map((s) => s.padStart(Math.max(8, s.length))).join(' ')}`);
  for (const r of rows)
    console.log(
      `  ${String(r.partitions).padStart(10)}  ${r.steps.map((s) => `${secs(s.ms.median)} [${s.runnerStatements}]`.padStart(Math.max(8, s.id.length))).join(' ')}`,
    );
  console.log(
    `  where the workers' claim loops spent their wall time; then fits as a share of the workers' CPU time in the loop, and of their wall time with process start:`,
  );
  for (const r of rows) {
    const line = Object.entries(r.workerShares)
      .map(
        ([p, s]) =>
          `${p} (${r.workers[p].workers} workers, ${r.workers[p].chunks} chunks): fit ${pct(s.fit)}, read ${pct(s.read)}, write ${pct(s.write)}, queue ${pct(s.queue)}, idle ${pct(s.idle)}; ${pct(s.fitOfCpu)} of CPU, ${pct(s.fitOfAll)} with start`,
      )
      .join('   ');
    console.log(`  ${String(r.partitions).padStart(10)}  ${line}`);
  }
  const at = (n: number) => rows.find((r) => r.partitions === n);
  const targets: Record<string, unknown> = {};
  const [small, mid, large] = [at(200), at(2000), at(20000)];
  if (small && mid) {
    const x = ratio(small.loopMs, mid.loopMs);
    targets.loop2000over200 = x;
    console.log(`  loop 2,000 / 200 partitions: ${x.median.toFixed(1)}x (${x.min.toFixed(1)}-${x.max.toFixed(1)})`);
  }
  if (mid && large) {
    const x = ratio(mid.loopMs, large.loopMs);
    targets.loop20000over2000 = x;
    console.log(
      `  loop 20,000 / 2,000 partitions: ${x.median.toFixed(1)}x (${x.min.toFixed(1)}-${x.max.toFixed(1)}); target <= 11x: ${x.median <= 11 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  20,000 partitions end to end: ${(large.loopMs.median / 60000).toFixed(1)} min (${(large.loopMs.min / 60000).toFixed(1)}-${(large.loopMs.max / 60000).toFixed(1)}); target < 15 min: ${large.loopMs.max < 15 * 60000 ? 'met' : 'NOT met'}`,
    );
  }
  if (mid) {
    const fit = mid.workerShares.screen?.fit ?? 0;
    targets.fitShareAt2000 = { screen: mid.workerShares.screen, refine: mid.workerShares.refine };
    console.log(
      `  fits at 2,000 partitions: ${pct(fit)} of the screen workers' claim loops, ${pct(mid.workerShares.refine?.fit ?? 0)} of the refine workers'; target >= 50 %: ${fit >= 0.5 ? 'met' : 'NOT met'}`,
    );
  }
  const statements = new Set(rows.map((r) => r.runnerStatements));
  console.log(
    `  the runner's statements (polls aside) at every size: ${[...statements].join(', ')}${statements.size === 1 ? ' (independent of the partition count)' : ''}`,
  );
  return targets;
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg()[0],
  };
  console.log(
    `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverageAtStart.toFixed(1)}${full ? '; full sizes (--full)' : ''}`,
  );
  const server = await section('local server', () => benchLocalServer(3));
  console.log('\nlocal Snowflake-protocol server, through snowflake-sdk (3 repetitions)');
  console.log(`  trivial query round trip (ms)      ${fmt(server.trivialQueryMs, 2)}`);
  console.log(`  20,000-row array-bind insert (rows/s) ${fmt(server.insert20kRowsPerSec)}`);
  console.log(`  20,000-row select (rows/s)         ${fmt(server.select20kRowsPerSec)}`);

  // 1 and 10 pipelines only in --full: each measurement is a fresh process of about 2 s start.
  const sizes = list(process.env.MM_BENCH_PIPELINES ?? (full ? '1,10,100,1000' : '100,1000'));
  const synthRuns = Number(process.env.MM_BENCH_SYNTH_REPETITIONS ?? 3);
  // One pair at 1,000 pipelines by default (about 1.5 minutes here): its figures are the growth and
  // the peak memory; --full repeats it 3 times for their spread.
  const largeSynthRuns = Number(process.env.MM_BENCH_SYNTH_LARGE_REPETITIONS ?? (full ? 3 : 1));
  const synth = await section('synth', () => benchSynth(sizes, (n) => (n >= 1000 ? largeSynthRuns : synthRuns)));
  console.log(
    `\nsynth (app.synth(), a fresh process per measurement): ManyModelPipeline vs the same resources declared directly (ms, median of ${synthRuns}, of ${largeSynthRuns} at 1,000 pipelines; ratio constructs/raw; peak RSS constructs/raw)`,
  );
  const synthRows = synth.map((r) => {
    const c = spread(r.constructMs);
    const w = spread(r.rawMs);
    return {
      pipelines: r.pipelines,
      constructMs: c,
      rawMs: w,
      ratio: c.median / w.median,
      ratioSpread: { min: Math.min(...r.constructMs.map((x, i) => x / r.rawMs[i])), max: Math.max(...r.constructMs.map((x, i) => x / r.rawMs[i])) },
      constructBuildMs: spread(r.constructBuildMs),
      rawBuildMs: spread(r.rawBuildMs),
      constructHeapMiB: r.constructHeapMiB,
      rawHeapMiB: r.rawHeapMiB,
      constructPeakRssMiB: r.constructPeakRssMiB,
      rawPeakRssMiB: r.rawPeakRssMiB,
    };
  });
  for (const r of synthRows) {
    console.log(
      `  ${String(r.pipelines).padStart(5)} pipelines  constructs ${r.constructMs.median.toFixed(0).padStart(7)} ms (${r.constructMs.min.toFixed(0)}-${r.constructMs.max.toFixed(0)})  raw ${r.rawMs.median.toFixed(0).padStart(7)} ms (${r.rawMs.min.toFixed(0)}-${r.rawMs.max.toFixed(0)})  ratio ${r.ratio.toFixed(2)} (pairs ${r.ratioSpread.min.toFixed(2)}-${r.ratioSpread.max.toFixed(2)})  peak RSS ${r.constructPeakRssMiB.toFixed(0)}/${r.rawPeakRssMiB.toFixed(0)} MiB`,
    );
  }
  const at = (n: number) => synthRows.find((r) => r.pipelines === n);
  const synthTargets: Record<string, unknown> = {};
  if (at(100)) console.log(`  at 100 pipelines: ratio ${at(100)!.ratio.toFixed(2)}; target <= 1.3: ${at(100)!.ratio <= 1.3 ? 'met' : 'NOT met'}`);
  if (at(100) && at(1000)) {
    const ours = ratio(at(100)!.constructMs, at(1000)!.constructMs);
    const raw = ratio(at(100)!.rawMs, at(1000)!.rawMs);
    const growth = ours.median / raw.median;
    const memory = at(1000)!.constructPeakRssMiB / at(1000)!.rawPeakRssMiB;
    Object.assign(synthTargets, { oursGrowth1000over100: ours, rawGrowth1000over100: raw, growthRatio: growth, peakRssRatioAt1000: memory });
    console.log(
      `  1,000 / 100 pipelines: ours ${ours.median.toFixed(1)}x, raw ${raw.median.toFixed(1)}x, ours/raw ${growth.toFixed(2)}; target <= 1.1: ${growth <= 1.1 ? 'met' : 'NOT met'}`,
    );
    console.log(`  peak RSS at 1,000 pipelines: ours/raw ${memory.toFixed(2)}; target <= 1.2: ${memory <= 1.2 ? 'met' : 'NOT met'}`);
  }

  const hookSizes = list(process.env.MM_BENCH_PARTITIONS ?? '200,2000,20000');
  const perPartitionLimit = Number(process.env.MM_BENCH_PER_PARTITION_LIMIT ?? (full ? 2000 : 200));
  // The per-partition way costs one round trip per statement: 6,000 at 2,000 partitions (20 s to
  // a minute here), 60,000 at 20,000 (minutes per run), so it runs up to 200 by default and up to
  // 2,000 with --full; its statement counts are given at every size.
  const hookRuns = Number(process.env.MM_BENCH_HOOK_REPETITIONS ?? (full ? 3 : 2));
  const hooks = await section('hooks', () =>
    benchHooks(hookSizes, perPartitionLimit, hookRuns, Number(process.env.MM_BENCH_PER_PARTITION_REPETITIONS || (full ? 3 : 1))),
  );
  console.log(
    `\nhook run against the local server: enqueue + model index + registration (statements incl. the runner's ledger and lock; wall time, median of ${hookRuns} with min-max)`,
  );
  for (const h of hooks) {
    const pp =
      h.perPartition.measured && h.perPartition.ms
        ? `${h.perPartition.statements} statements, ${fmt(h.perPartition.ms)} ms (${h.perPartition.repetitions} runs)`
        : `${h.perPartition.statements} statements (not run above ${perPartitionLimit} partitions: 3 per partition by construction)`;
    const ratioMs = h.perPartition.ms ? `, ${(h.perPartition.ms.median / h.ours.ms.median).toFixed(1)}x the wall time` : '';
    console.log(
      `  ${String(h.partitions).padStart(6)} partitions  ours ${h.ours.statements} statements, ${fmt(h.ours.ms)} ms   per-partition ${pp}   ${(h.perPartition.statements / h.ours.statements).toFixed(0)}x the statements${ratioMs}`,
    );
  }

  // Workers claim `batch` items per statement (lib/sql/queue.ts, claimBatch): three round trips per
  // batch (candidates, claim, complete) and a fake fit per item: a sleep, so that adding workers
  // measures the claim protocol's coordination, not the driver's CPU. 50 ms is the reference
  // worker's screen fits of one 25-partition chunk of one-year series (about 2 ms each). The
  // default drains 200 items, 2 runs per worker count; --full drains 10,000, one run each (at
  // least 10,000 x 50 ms x (1 + 1/2 + 1/4 + 1/8) = 16 minutes of fits, as much again with kills).
  // The one-item claim (batch 1) runs beside it at 1 and 8 workers, for comparison.
  const queueItems = Number(process.env.MM_BENCH_QUEUE_ITEMS ?? (full ? 10000 : 200));
  const queueRuns = Number(process.env.MM_BENCH_QUEUE_REPETITIONS ?? (full ? 1 : 2));
  const fitMs = Number(process.env.MM_BENCH_QUEUE_FIT_MS ?? 50);
  const queueBatch = Number(process.env.MM_BENCH_QUEUE_BATCH ?? 4);
  const killCounts = full ? [1, 2, 4, 8] : [2, 8];
  const queueAll = await section('queue', async () => [
    ...(await benchQueue([1, 2, 4, 8], queueItems, queueRuns, { killWorkerCounts: killCounts, killRepetitions: 1, fitMs, batch: queueBatch })),
    // One-item claims drain at most 200 items (--full too: 10,000 would add a quarter of an hour).
    ...(queueBatch === 1 ? [] : await benchQueue([1, 8], Math.min(queueItems, 200), 1, { killWorkerCounts: [], fitMs, batch: 1 })),
  ]);
  const queue = queueAll.filter((r) => r.batch === queueBatch);
  console.log(
    `\nqueue: workers (a process each) draining ${queueItems} items through the claim protocol (own stripe, then any), ${queueBatch} items per claim, each item with a fake fit of ${fitMs} ms (a sleep); claims/s median of ${queueRuns} (min-max); "in fits": the share of the workers' time the drain spent in fits (claims/s x fit / workers); kill runs (one each): 3 workers killed mid-batch (each replaced), 2 s lease`,
  );
  const queueTargets: Record<string, number> = {};
  const printQueue = (rows: typeof queueAll) => {
    const one = rows.find((r) => r.workers === 1 && !r.kills)?.claimsPerSec;
    for (const r of rows) {
      const linear = one && !r.kills ? ratio(one, r.claimsPerSec) : undefined;
      const efficiency = linear ? { median: linear.median / r.workers, min: linear.min / r.workers, max: linear.max / r.workers } : undefined;
      if (efficiency && r.batch === queueBatch) {
        queueTargets[`efficiency${r.workers}`] = efficiency.median;
        queueTargets[`efficiency${r.workers}Min`] = efficiency.min;
        queueTargets[`efficiency${r.workers}Max`] = efficiency.max;
      }
      const inFits = (r.claimsPerSec.median * fitMs) / 1000 / r.workers;
      console.log(
        `  batch ${r.batch}  ${String(r.workers).padStart(2)} workers${r.kills ? ', with kills' : '            '}  claims/s ${fmt(r.claimsPerSec, 1)}${efficiency ? `  ${efficiency.median.toFixed(2)}x linear (${efficiency.min.toFixed(2)}-${efficiency.max.toFixed(2)})` : ''}  in fits ${pct(inFits)}  claimed twice ${r.claimedTwice}  lost ${r.lost}${r.kills ? `  killed ${r.killed}` : ''}`,
      );
    }
  };
  printQueue(queue);
  printQueue(queueAll.filter((r) => r.batch !== queueBatch));
  if (queueTargets.efficiency8 !== undefined)
    console.log(
      `  8 workers, batch ${queueBatch}: ${queueTargets.efficiency8.toFixed(2)}x linear (${queueTargets.efficiency8Min.toFixed(2)}-${queueTargets.efficiency8Max.toFixed(2)} over the pairings); target >= 0.8: ${queueTargets.efficiency8Min >= 0.8 ? 'met' : queueTargets.efficiency8 >= 0.8 ? 'met by the median, not by every pairing' : 'NOT met'}`,
    );

  // The whole loop: 1 run at 200 and 2 at 2,000 partitions (under a minute and about 1.5 minutes
  // each here), and with --full 3 each and 2 at 20,000 (about 7 minutes each, the data load included).
  const e2eSizes = list(process.env.MM_BENCH_E2E_PARTITIONS ?? (full ? '200,2000,20000' : '200,2000'));
  const e2eReps = list(process.env.MM_BENCH_E2E_REPETITIONS ?? (full ? '3,3,2' : '1,2'));
  const e2e = await section('end to end', () =>
    benchEndToEnd(
      e2eSizes,
      e2eSizes.map((_, i) => e2eReps[i] ?? e2eReps[e2eReps.length - 1]),
    ),
  );
  console.log(
    `\nend to end: the demo's post-deploy loop on the local server (enqueue, screen on the task graph, refine on the queue, index, registration, promotion, batch scoring) at N partitions of 365 days; the reference worker ${e2e.compiledWorker ? 'compiled to JavaScript' : 'through tsx'}, at a lower CPU priority than the server; median (min-max) of ${e2eReps.join('/')} runs`,
  );
  const e2eTargets = printEndToEnd(e2e.rows);

  const planRaw = await section('plan', async () => benchPlan(Number(process.env.MM_BENCH_PLAN_RESOURCES ?? 1000), 3));
  const plan = { resources: planRaw.resources, changes: planRaw.changes, inProcessMs: spread(planRaw.inProcessMs), cliMs: spread(planRaw.cliMs) };
  console.log(
    `\nmany-model plan over a ${plan.resources.base}/${plan.resources.head}-resource stack pair (${plan.changes.create} add, ${plan.changes.update} change, ${plan.changes.replace} replace, ${plan.changes.delete} destroy, ${plan.changes.hooksToRun} hook steps, ${plan.changes.destructive} destructive)`,
  );
  console.log(`  plan + Markdown in-process (ms)    ${fmt(plan.inProcessMs)}`);
  console.log(`  CLI end to end, process start incl. (ms) ${fmt(plan.cliMs)}`);

  const forecast = await section('forecast', async () => benchForecast());
  printForecast(forecast);

  const elapsedSeconds = Math.round((Date.now() - started) / 1000);
  const out = path.join(__dirname, 'results.json');
  const results = {
    machine: { ...machine, loadAverageAtEnd: os.loadavg()[0] },
    full,
    elapsedSeconds,
    sectionSeconds,
    localServer: server,
    synth: { rows: synthRows, targets: synthTargets },
    hooks,
    queue: { items: queueItems, fitMs, batch: queueBatch, repetitions: queueRuns, rows: queueAll, targets: queueTargets },
    endToEnd: { days: 365, compiledWorker: e2e.compiledWorker, rows: e2e.rows, targets: e2eTargets, runs: e2e.runs },
    plan,
    forecast,
  };
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(
    `\nwritten to ${path.relative(process.cwd(), out)}; the bench took ${Math.floor(elapsedSeconds / 60)}m${String(elapsedSeconds % 60).padStart(2, '0')}s (${Object.entries(
      sectionSeconds,
    )
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')})`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
