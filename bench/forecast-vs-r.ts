/**
 * The forecasting core against R's forecast package (issue #16): `npm run bench:forecast-vs-r`.
 *
 * Same corpus (bench/forecast-corpus.ts), same rolling origins and the same sMAPE as
 * bench/forecast.ts. Every (series, origin) case is written to a temporary directory and fitted
 * by Rscript with forecast's `ets()`, `auto.arima()`, `snaive()` and `thetaf()`, all with their
 * defaults, on a `ts` of the group's frequency (12, 4, 1, 7, 52), forecasting the group's horizon
 * with 80 % and 95 % intervals. Ours: the screen pass alone and the shipped default (screen for
 * every partition, refine for the worst 10 % by screen MAPE, the lower holdout MAPE kept, as the
 * example stack configures it), through the worker's path (dates → prepareSeries → selectBest).
 *
 * Reported per frequency group, side by side from one run: median sMAPE (%) of each method and
 * the ratios ours/ets, ours/auto.arima, ours/snaive, ours/thetaf — overall, [min-max over the
 * three origins], and the share of cases where ours is better; the quartiles of each method's
 * sMAPE; 80 % / 95 % coverage of the held-out points; and fit cost per series, measured the same
 * way on both sides: CPU time (user + system of the one process doing the fitting: R's
 * `proc.time()`, Node's `process.cpuUsage()`) around each fit, after a warm-up fit, median and
 * mean over the group's cases. R's time covers the model call and its forecast; ours covers the
 * whole contest (prepareSeries, the holdout fit, the refit on the whole series), which is what a
 * partition costs the worker.
 *
 * R runs in child processes (MM_BENCH_R_JOBS, default 3, the cases split round-robin) while this
 * one computes ours; each process's CPU time is its own, so the split changes the wall time, not
 * the figures. Without Rscript (or R's forecast package) it says so and exits with status 2.
 * Nothing in `npm test` or CI runs R.
 *
 * The groups are the issue's — monthly, quarterly, annual, daily with a weekly season — with 4
 * generated series per shape (bench/forecast.ts has 10): R's auto.arima costs seconds per monthly
 * series, and the whole run takes about half an hour on a busy 2-core machine.
 * MM_BENCH_FORECAST_GROUPS (e.g. weekly: R's ets ignores a season of 52) and
 * MM_BENCH_FORECAST_PER_SHAPE change that; MM_BENCH_RESULTS=0 skips writing bench/results.json's
 * `forecastVsR` key; MM_BENCH_R_CACHE=<dir> reuses R's output for identical cases while iterating
 * on the core (the recorded runs do not).
 */
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CpuPerSeries, Cut, METHODS, ORIGINS, cutAt, median, outcome, shipMethod, smape, timeContests } from './forecast';
import { FrequencyGroup, GROUPS, forecastCorpus } from './forecast-corpus';

const R_METHODS = ['ets', 'auto.arima', 'snaive', 'thetaf'] as const;
type RMethod = (typeof R_METHODS)[number];
const OURS = ['screen', 'shipped'] as const;

/**
 * The R side. Input: one case per line, `id<TAB>frequency<TAB>horizon<TAB>v1,v2,...`. Output: one
 * line per case and method, `id<TAB>method<TAB>cpu ms<TAB>point<TAB>lo80<TAB>hi80<TAB>lo95<TAB>hi95`
 * (comma-separated, 17 significant digits), or `ERROR<TAB>message` in place of the numbers.
 */
const R_SCRIPT = String.raw`
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
cases <- strsplit(readLines(args[1]), "\t", fixed = TRUE)
out <- file(args[2], "w")
methods <- list(
  "ets" = function(y, h) forecast(ets(y), h = h, level = c(80, 95)),
  "auto.arima" = function(y, h) forecast(auto.arima(y), h = h, level = c(80, 95)),
  "snaive" = function(y, h) snaive(y, h = h, level = c(80, 95)),
  "thetaf" = function(y, h) thetaf(y, h = h, level = c(80, 95))
)
num <- function(x) paste(sprintf("%.17g", as.numeric(x)), collapse = ",")
series <- function(cs) ts(as.numeric(strsplit(cs[4], ",", fixed = TRUE)[[1]]), frequency = as.integer(cs[2]))
# Warm-up: every method once on the first case, untimed (loads and byte-compiles what it calls).
for (m in names(methods)) try(suppressWarnings(methods[[m]](series(cases[[1]]), as.integer(cases[[1]][3]))), silent = TRUE)
cpu <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
for (cs in cases) {
  y <- series(cs)
  h <- as.integer(cs[3])
  for (m in names(methods)) {
    t0 <- cpu()
    f <- tryCatch(suppressWarnings(methods[[m]](y, h)), error = function(e) e)
    ms <- 1000 * (cpu() - t0)
    if (inherits(f, "error")) {
      writeLines(paste(cs[1], m, sprintf("%.3f", ms), "ERROR", gsub("[\t\n]", " ", conditionMessage(f)), sep = "\t"), out)
    } else {
      writeLines(paste(cs[1], m, sprintf("%.3f", ms), num(f$mean), num(f$lower[, 1]), num(f$upper[, 1]), num(f$lower[, 2]), num(f$upper[, 2]), sep = "\t"), out)
    }
  }
  flush(out)
}
close(out)
`;

/** One method's forecast of one case. */
interface Fc {
  point: number[];
  lo80: number[];
  hi80: number[];
  lo95: number[];
  hi95: number[];
}

interface MethodSummary {
  medianSmape: number;
  /** sMAPE quartiles over the cases. */
  q25: number;
  q75: number;
  byOrigin: number[];
  coverage: { c80: number; c95: number };
  /** Cases the method could not forecast (scored as the last value repeated, no interval). */
  failed: number;
}

interface Ratio {
  ratio: number;
  min: number;
  max: number;
  /** Share of cases where ours has the lower sMAPE (%); ties count half. */
  better: number;
}

export interface ForecastVsRGroup {
  group: FrequencyGroup['name'];
  cases: number;
  period: number;
  horizon: number;
  methods: Record<string, MethodSummary>;
  /** ratios[ours][r]: median sMAPE of ours / of R's method. */
  ratios: Record<string, Record<string, Ratio>>;
  /** bySource[source][method]: median sMAPE over that source's cases (public, or a generated shape). */
  bySource: Record<string, Record<string, number>>;
  /** CPU ms per series. */
  cpuMs: { ours: { screen: CpuPerSeries; refine?: CpuPerSeries; shipped: number }; r: Record<string, CpuPerSeries> };
}

function rscript(): string | null {
  const r = spawnSync('Rscript', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? null : (r.stderr || r.stdout).trim();
}

function rForecastVersion(): string {
  const r = spawnSync('Rscript', ['-e', 'cat(as.character(packageVersion("forecast")))'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

const quantile = (v: readonly number[], q: number): number => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

function parseR(file: string): Map<string, { fc: Fc | null; ms: number }> {
  const out = new Map<string, { fc: Fc | null; ms: number }>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const [id, method, ms, ...rest] = line.split('\t');
    const nums = (s: string) => s.split(',').map(Number);
    const fc = rest[0] === 'ERROR' ? null : { point: nums(rest[0]), lo80: nums(rest[1]), hi80: nums(rest[2]), lo95: nums(rest[3]), hi95: nums(rest[4]) };
    out.set(`${id}\t${method}`, { fc: fc?.point.every(Number.isFinite) ? fc : null, ms: Number(ms) });
  }
  return out;
}

/** sMAPE and interval hits of R's forecast of one case (a failure: the last value repeated, no interval). */
function scoreR(fc: Fc | null, c: Cut): { smape: number; in80: number; in95: number; points: number } {
  const h = c.actual.length;
  if (fc === null) return { smape: smape(c.actual, new Array(h).fill(c.train[c.train.length - 1])), in80: 0, in95: 0, points: h };
  let in80 = 0;
  let in95 = 0;
  c.actual.forEach((a, i) => {
    if (a >= fc.lo80[i] && a <= fc.hi80[i]) in80++;
    if (a >= fc.lo95[i] && a <= fc.hi95[i]) in95++;
  });
  return { smape: smape(c.actual, fc.point), in80, in95, points: h };
}

async function main(): Promise<void> {
  const version = rscript();
  if (version === null) {
    console.error(
      "Rscript was not found on the PATH: this bench compares with R's forecast package and needs R with it installed (Debian: apt-get install r-cran-forecast). Nothing was measured.",
    );
    process.exit(2);
  }
  const forecastVersion = rForecastVersion();
  if (forecastVersion === 'unknown') {
    console.error("R's forecast package is not installed (Debian: apt-get install r-cran-forecast). Nothing was measured.");
    process.exit(2);
  }
  const started = Date.now();
  // The issue's groups; weekly (MM_BENCH_FORECAST_GROUPS=weekly) is left out by default: R's ets
  // ignores a season longer than 24 and auto.arima with a season of 52 costs seconds per series.
  const groups = (process.env.MM_BENCH_FORECAST_GROUPS ?? 'monthly,quarterly,annual,daily').split(',').filter(Boolean);
  // 4 generated series per shape (not bench/forecast.ts's 10): R's auto.arima costs seconds per monthly series.
  const corpus = forecastCorpus(Number(process.env.MM_BENCH_FORECAST_PER_SHAPE ?? 4));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forecast-vs-r-'));
  const machine = {
    node: process.version,
    r: version,
    forecast: forecastVersion,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg()[0],
  };
  console.log(
    `machine: ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, ${version}, forecast ${forecastVersion}, load average ${machine.loadAverageAtStart.toFixed(1)}`,
  );
  const rows: ForecastVsRGroup[] = [];
  try {
    const selected = GROUPS.filter((x) => groups.length === 0 || groups.includes(x.name));
    // Every case of every group to R in one process, started before ours so that both run at once.
    const input = path.join(dir, 'cases.tsv');
    const output = path.join(dir, 'forecasts.tsv');
    const script = path.join(dir, 'fit.R');
    const cutsByGroup = new Map<string, Cut[][]>();
    const lines: string[] = [];
    for (const g of selected) {
      const series = corpus.filter((s) => s.group === g.name);
      const cuts = Array.from({ length: ORIGINS }, (_, k) => cutAt(series, g, k));
      cutsByGroup.set(g.name, cuts);
      cuts.forEach((cut, k) => {
        cut.forEach((c, i) => {
          lines.push(`${g.name}:${k}:${i}\t${g.period}\t${g.horizon}\t${c.train.join(',')}`);
        });
      });
    }
    fs.writeFileSync(input, lines.join('\n') + '\n');
    fs.writeFileSync(script, R_SCRIPT);
    // MM_BENCH_R_CACHE=<dir>: reuse R's output for the same cases, script and versions (R's fits
    // are deterministic; its CPU times are then those of the run that made the cache). For
    // iterating on the core only: a recorded run is made without it.
    const cacheDir = process.env.MM_BENCH_R_CACHE;
    const key = createHash('sha256')
      .update(`${version}\n${forecastVersion}\n${R_SCRIPT}\n${lines.join('\n')}`)
      .digest('hex')
      .slice(0, 16);
    const cached = cacheDir ? path.join(cacheDir, `forecast-vs-r-${key}.tsv`) : undefined;
    if (cached && fs.existsSync(cached)) {
      fs.copyFileSync(cached, output);
      console.log(`  R: its forecasts and times from ${cached} (MM_BENCH_R_CACHE)`);
    }
    // R's fits are split round-robin over MM_BENCH_R_JOBS processes (default 3): each times its
    // own fits in CPU time, so the split changes the wall time, not the figures.
    const jobs = Math.max(1, Number(process.env.MM_BENCH_R_JOBS ?? 3));
    const runJob = (j: number) =>
      new Promise<void>((resolve, reject) => {
        const part = lines.filter((_, i) => i % jobs === j);
        fs.writeFileSync(`${input}.${j}`, part.join('\n') + '\n');
        const child = spawn('Rscript', ['--vanilla', script, `${input}.${j}`, `${output}.${j}`], { stdio: ['ignore', 'inherit', 'inherit'] });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`Rscript exited with ${code}`))));
      });
    const r =
      cached && fs.existsSync(output)
        ? Promise.resolve()
        : Promise.all(Array.from({ length: jobs }, (_, j) => runJob(j))).then(() => {
            fs.writeFileSync(output, Array.from({ length: jobs }, (_, j) => fs.readFileSync(`${output}.${j}`, 'utf8')).join(''));
            if (cached) {
              fs.mkdirSync(cacheDir!, { recursive: true });
              fs.copyFileSync(output, cached);
            }
          });
    // Ours, meanwhile.
    const ours = new Map<
      string,
      { outcomes: Record<string, ReturnType<typeof outcome>[][]>; cpu: ReturnType<typeof timeContests>; failed: Record<string, number> }
    >();
    for (const g of selected) {
      const cuts = cutsByGroup.get(g.name)!;
      const outcomes: Record<string, ReturnType<typeof outcome>[][]> = {};
      const failed: Record<string, number> = {};
      for (const name of OURS) {
        const method = METHODS.find((m) => m.name === name)!;
        failed[name] = 0;
        outcomes[name] = cuts.map((cut) => {
          const s = shipMethod(cut, g, method);
          failed[name] += s.models.filter((m) => m === null).length;
          return cut.map((c, i) => outcome(s.models[i], c.train, c.actual, g));
        });
      }
      ours.set(g.name, { outcomes, cpu: timeContests(cuts.flat(), g, METHODS.find((m) => m.name === 'shipped')!), failed });
      console.log(`  ours: ${g.name} done (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    await r;
    const fitted = parseR(output);
    for (const g of selected) {
      const cuts = cutsByGroup.get(g.name)!;
      const mine = ours.get(g.name)!;
      // perCase[method][origin][series]
      const perCase: Record<string, { smape: number; in80: number; in95: number; points: number }[][]> = { ...mine.outcomes };
      const rFailed: Record<string, number> = {};
      const rMs: Record<string, number[]> = {};
      for (const m of R_METHODS) {
        rFailed[m] = 0;
        rMs[m] = [];
        perCase[m] = cuts.map((cut, k) =>
          cut.map((c, i) => {
            const got = fitted.get(`${g.name}:${k}:${i}\t${m}`);
            if (got === undefined) throw new Error(`R gave no forecast for ${g.name}:${k}:${i} ${m}`);
            if (got.fc === null) rFailed[m]++;
            rMs[m].push(got.ms);
            return scoreR(got.fc, c);
          }),
        );
      }
      const methods: Record<string, MethodSummary> = {};
      for (const [name, oc] of Object.entries(perCase)) {
        const flat = oc.flat();
        const pts = flat.reduce((a, x) => a + x.points, 0);
        const v = flat.map((x) => x.smape);
        methods[name] = {
          medianSmape: median(v),
          q25: quantile(v, 0.25),
          q75: quantile(v, 0.75),
          byOrigin: oc.map((o) => median(o.map((x) => x.smape))),
          coverage: { c80: (100 * flat.reduce((a, x) => a + x.in80, 0)) / pts, c95: (100 * flat.reduce((a, x) => a + x.in95, 0)) / pts },
          failed: name in mine.failed ? mine.failed[name] : rFailed[name as RMethod],
        };
      }
      const ratios: ForecastVsRGroup['ratios'] = {};
      for (const o of OURS) {
        ratios[o] = {};
        for (const m of R_METHODS) {
          const per = methods[o].byOrigin.map((v, k) => v / methods[m].byOrigin[k]);
          const a = perCase[o].flat();
          const b = perCase[m].flat();
          const better = a.reduce((s, x, i) => s + (x.smape < b[i].smape ? 1 : x.smape === b[i].smape ? 0.5 : 0), 0);
          ratios[o][m] = {
            ratio: methods[o].medianSmape / methods[m].medianSmape,
            min: Math.min(...per),
            max: Math.max(...per),
            better: (100 * better) / a.length,
          };
        }
      }
      const cpu = (ms: number[]): CpuPerSeries => ({ median: median(ms), mean: ms.reduce((a, b) => a + b, 0) / ms.length, p90: quantile(ms, 0.9) });
      // Median sMAPE per source (public, or the generator's shape), to see where each side wins.
      const sources = [...new Set(corpus.filter((x) => x.group === g.name).map((x) => x.source))];
      const sourceOf = corpus.filter((x) => x.group === g.name).map((x) => x.source);
      const bySource = Object.fromEntries(
        sources.map((src) => [
          src,
          Object.fromEntries(
            Object.entries(perCase).map(([name, oc]) => [name, median(oc.flatMap((o) => o.filter((_, i) => sourceOf[i] === src).map((x) => x.smape)))]),
          ),
        ]),
      );
      rows.push({
        group: g.name,
        cases: cuts.flat().length,
        period: g.period,
        horizon: g.horizon,
        methods,
        ratios,
        bySource,
        cpuMs: { ours: mine.cpu, r: Object.fromEntries(R_METHODS.map((m) => [m, cpu(rMs[m])])) },
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  print(rows);
  const elapsedSeconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n(${elapsedSeconds} s)`);
  if (process.env.MM_BENCH_RESULTS !== '0') {
    const file = path.join(__dirname, 'results.json');
    const results = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    results.forecastVsR = {
      rFromCache: Boolean(process.env.MM_BENCH_R_CACHE),
      machine: { ...machine, loadAverageAtEnd: os.loadavg()[0] },
      elapsedSeconds,
      origins: ORIGINS,
      groups: rows,
    };
    fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    console.log(`written to ${path.relative(process.cwd(), file)} (forecastVsR)`);
  }
}

function print(rows: readonly ForecastVsRGroup[]): void {
  console.log(`\nours vs R's forecast package on the evaluation corpus, ${ORIGINS} rolling origins per series, R's defaults`);
  console.log('  median sMAPE % [quartiles]; coverage of the 80/95 % intervals; ratios ours/R: overall [min-max over origins], ours better in % of cases');
  for (const r of rows) {
    console.log(`\n  ${r.group} (${r.cases} series x origins, period ${r.period}, horizon ${r.horizon})`);
    for (const [name, m] of Object.entries(r.methods)) {
      console.log(
        `    ${name.padEnd(10)} ${m.medianSmape.toFixed(2).padStart(6)} [${m.q25.toFixed(2)}-${m.q75.toFixed(2)}]  coverage ${m.coverage.c80.toFixed(1)}/${m.coverage.c95.toFixed(1)}${m.failed ? `  failed ${m.failed}` : ''}`,
      );
    }
    for (const [o, by] of Object.entries(r.ratios)) {
      console.log(
        `    ${o.padEnd(8)} ${Object.entries(by)
          .map(([m, x]) => `/${m} ${x.ratio.toFixed(3)} [${x.min.toFixed(2)}-${x.max.toFixed(2)}] ${x.better.toFixed(0)} %`)
          .join('   ')}`,
      );
    }
    console.log(`    by source, median sMAPE ${Object.keys(r.methods).join(' / ')}:`);
    for (const [src, by] of Object.entries(r.bySource))
      console.log(
        `      ${src.padEnd(22)} ${Object.values(by)
          .map((v) => v.toFixed(2))
          .join(' / ')}`,
      );
    const c = r.cpuMs;
    const f = (x: CpuPerSeries) => `${x.median.toFixed(2)}/${x.mean.toFixed(2)}`;
    console.log(
      `    CPU ms per series (median/mean, warm): ours screen ${f(c.ours.screen)}, refine ${c.ours.refine ? f(c.ours.refine) : '-'}, shipped (mean) ${c.ours.shipped.toFixed(2)};  R ${Object.entries(
        c.r,
      )
        .map(([m, x]) => `${m} ${f(x)}`)
        .join(', ')};  R ets / ours shipped ${(c.r.ets.mean / c.ours.shipped).toFixed(0)}x`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
