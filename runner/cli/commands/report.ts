/**
 * `many-model report`: one self-contained HTML page of a pipeline's monitoring (issue #17): the
 * realized accuracy distribution, the worst partitions' forecasts against actuals, drift flags,
 * champion against challenger and what the last closed-loop run retrained. Which tables to read
 * comes from the synthesized stack's hooks.json (`monitors[]`, written by `addMonitoring()`).
 *
 *   many-model report [--out report.html] [--synth DIR] [--stack S] [--monitor PATH] [--connection NAME]
 */
import * as fs from 'fs';
import { MonitorSpec } from '../../../lib/hooks/manifest';
import { collectReport } from '../../report/collect';
import { renderReportHtml } from '../../report/html';
import { partitionAccuracy } from '../../report/model';
import { UsageError } from '../args';
import { withSession } from '../connect';
import { EXIT } from '../exit-codes';
import { loadStackManifest } from './hooks';

export interface ReportOptions {
  /** The HTML file to write. */
  readonly out: string;
  /** The synthesis output directory. */
  readonly synth: string;
  /** The stack; may be left out when the synthesis has one. */
  readonly stack?: string;
  /** The monitor's construct path; may be left out when the stack has one. */
  readonly monitor?: string;
  /** A connection of connections.toml; SNOWFLAKE_* variables without it. */
  readonly connection?: string;
}

const ROLE_HINT =
  "The report reads the monitoring tables (the consumer role's), the source, the results, the training metrics and queue (the runner role's) and the model: " +
  'run it as the deploy role, which holds both (docs/roles.md), after the stack is applied.';

/** The monitor the report is about: `--monitor`, or the stack's only one. */
export function chooseMonitor(stack: string, monitors: readonly MonitorSpec[], chosen?: string): MonitorSpec {
  if (monitors.length === 0) throw new UsageError(`stack ${stack} has no monitoring: call pipeline.addMonitoring() in the app and synthesize again`);
  if (chosen !== undefined) {
    const m = monitors.find((x) => x.path === chosen);
    if (!m) throw new UsageError(`--monitor ${chosen}: stack ${stack} has no such monitor; its monitors: ${monitors.map((x) => x.path).join(', ')}`);
    return m;
  }
  if (monitors.length > 1)
    throw new UsageError(`stack ${stack} has ${monitors.length} monitors (${monitors.map((x) => x.path).join(', ')}): choose one with --monitor`);
  return monitors[0];
}

export async function report(opts: ReportOptions): Promise<number> {
  const manifest = loadStackManifest(opts.synth, opts.stack);
  const monitor = chooseMonitor(manifest.stack, manifest.monitors ?? [], opts.monitor);
  const say = (line: string) => process.stdout.write(line + '\n');
  say(`stack ${manifest.stack}: monitor ${monitor.path} (${monitor.accuracyTable}, ${monitor.driftTable})`);
  return withSession({ connection: opts.connection, say }, async (session) => {
    let data: Awaited<ReturnType<typeof collectReport>>;
    try {
      data = await collectReport(async (sql) => (await session.query<Record<string, unknown>>(sql)).rows, manifest.stack, monitor);
    } catch (e) {
      // A role that misses one of the reads sees Snowflake's "does not exist or not authorized"
      // (002003) or "Insufficient privileges" (003001): say which role reads them all.
      const code = (e as { code?: string }).code;
      if (e instanceof Error && (code === '002003' || code === '003001')) e.message = `${e.message.trim()} ${ROLE_HINT}`;
      throw e;
    }
    fs.writeFileSync(opts.out, renderReportHtml(data));
    const parts = partitionAccuracy(data.accuracy);
    say(
      data.asOf
        ? `evaluated ${data.asOf}: ${parts.length} partitions, ${parts.filter((p) => p.degraded).length} degraded, ${data.drift.filter((d) => d.drifted).length} drifted`
        : 'not evaluated yet: the accuracy table has no rows',
    );
    say(`wrote ${opts.out}`);
    return EXIT.OK;
  });
}
