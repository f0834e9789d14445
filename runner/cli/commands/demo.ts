/**
 * `many-model demo`: the offline main job. Synthesizes the example app (stacks/main.ts) into
 * cdktf.out/, then runs its post-deploy hooks end to end on the embedded local
 * Snowflake-protocol server (runner/demo/run-demo.ts) and prints a summary table.
 */
import { EXIT } from '../exit-codes';
import { requireLocalServerPackages } from '../local-server-packages';
import { consoleLog } from './hooks';
import { formatSummary, readSynthOutput } from '../synth-app';

export interface DemoOptions {
  /** Generated daily series (partitions). */
  readonly series: number;
  /** Days of history per series. */
  readonly days: number;
  /** Train in the warehouse (TrainingStrategy.warehouse()) instead of screen-then-refine on job services. */
  readonly warehouse?: boolean;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export async function demo(opts: DemoOptions): Promise<number> {
  requireLocalServerPackages('many-model demo');
  // Loaded only now: the server's engine is an optional install (../local-server-packages.ts).
  // The example app is the package's own (stacks/, compiled to dist/stacks/ in the package), so
  // the demo runs the same from a checkout and from an installed package.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { runDemo } = require('../../demo/run-demo') as typeof import('../../demo/run-demo');
  const { buildApp } = require('../../../stacks/main') as typeof import('../../../stacks/main');
  const { EXAMPLE } = require('../../../stacks/forecast-stack') as typeof import('../../../stacks/forecast-stack');
  const { TrainingStrategy } = require('../../../constructs/training-strategy') as typeof import('../../../constructs/training-strategy');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const log = consoleLog();
  const out = 'cdktf.out';
  const result = await runDemo({
    outdir: out,
    buildApp: opts.warehouse ? (o: string) => buildApp(o, { training: TrainingStrategy.warehouse() }) : buildApp,
    sourceTable: EXAMPLE.sourceTable,
    image: EXAMPLE.image,
    series: opts.series,
    days: opts.days,
    log,
  });
  log.info('');
  log.info(`synthesized the example app into ${out}/ and ran its hooks on the embedded local Snowflake-protocol server:`);
  log.info(formatSummary(readSynthOutput(out)));
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)} %`);
  const rows: [string, string][] = [
    ['run id', result.runId],
    ['partitions trained / failed', `${result.trained} / ${result.failedPartitions} (of ${result.partitions})`],
    [
      'model families chosen',
      Object.entries(result.families)
        .sort((a, b) => b[1] - a[1])
        .map(([f, n]) => `${f} ${n}`)
        .join(', '),
    ],
    ['median holdout MAPE', pct(result.medianMape)],
    ['refined partitions (improved)', `${result.refined} (${result.refinedImproved})`],
    ['partitions in model_index.json', String(result.indexedPartitions)],
    ['registration statements', `${result.registrationStatements} (one aggregator version for all partitions)`],
    ['model versions', result.versions.join(', ') || 'none'],
    ['rows scored', String(result.rowsScored)],
    ['scheduled scoring task, run once', `${result.scheduledScoringRows} rows (as its owner, the deploy role)`],
    ['PREDICT as the consumer role', `${result.consumerPredictRows} rows (one partition, 7 steps, through the alias)`],
    ...(result.loop
      ? ([
          ['closed loop: task graph', result.loop.state],
          ['closed loop: future actuals', `${result.loop.changed.length} series changed regime (${result.loop.changed.join(', ')})`],
          [
            'closed loop: retrained',
            `${result.loop.retrained.length} partitions in run ${result.loop.runId} (${result.loop.retrained.join(', ') || 'none'}): ${sameSet(result.loop.retrained, result.loop.changed) ? 'exactly the changed series' : 'NOT the changed series'}`,
          ],
          ['closed loop: index', `${result.loop.indexedPartitions} partitions, ${result.loop.reusedArtifacts} reusing the replaced version's artifacts`],
          [
            'closed loop: versions',
            `${result.loop.versionsAdded.join(', ') || 'none'} registered; ${result.loop.aliasVersion ?? 'none'} holds the alias (${result.loop.seconds.toFixed(1)} s, inside the account: task graph after the monitoring task)`,
          ],
        ] as [string, string][])
      : []),
    ['wall time', `${result.wallSeconds.toFixed(1)} s`],
  ];
  log.info('');
  for (const [k, v] of rows) log.info(`  ${k.padEnd(32)} ${v}`);
  log.info('');
  log.info(
    'Roles as on a real account (docs/roles.md): bootstrap as ACCOUNTADMIN, apply as the deploy role, hooks as the runner role, PREDICT as the consumer role.',
  );
  log.info(
    "Snowflake here is the project's local test double (docs/local-server.md), which enforces access control; registration and PREDICT are local stand-ins for Snowflake's Python runtime.",
  );
  const loopOff =
    result.loop !== undefined &&
    (result.loop.state !== 'SUCCEEDED' ||
      !sameSet(result.loop.retrained, result.loop.changed) ||
      result.loop.versionsAdded.length !== 1 ||
      result.loop.aliasVersion !== result.loop.versionsAdded[0]);
  return result.failed || loopOff ? EXIT.STEP_FAILED : EXIT.OK;
}
