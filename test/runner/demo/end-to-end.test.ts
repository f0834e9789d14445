import { Duration, TrainingStrategy } from '../../../index';
import { runDemo } from '../../../runner/demo/run-demo';
import { EXAMPLE } from '../../../stacks/forecast-stack';
import { buildApp } from '../../../stacks/main';
import { tempDir } from '../../tmp';

const quiet = {
  lines: [] as string[],
  info(l: string) {
    this.lines.push(l);
  },
  progress(l: string) {
    this.lines.push(l);
  },
};

describe('end to end on the local server (the demo flow)', () => {
  test('200 series: screen, refine, one registered version, promotion and scoring', async () => {
    const outdir = tempDir('mm-e2e-');
    const r = await runDemo({ outdir, buildApp, sourceTable: EXAMPLE.sourceTable, image: EXAMPLE.image, series: 200, days: 1095, log: quiet });
    // The run's log goes with a failure: the demo runs many processes, and timing varies.
    try {
      expect(r.failed).toBe(false);
      expect(r.trained).toBe(200);
      expect(r.failedPartitions).toBe(0);
      expect(r.indexedPartitions).toBe(200);
      expect(Object.keys(r.families)).toContain('ets'); // the screen pass's one family (#16)
      expect(r.medianMape!).toBeLessThan(0.05);
      expect(r.refined).toBe(20); // the worst 10 % by MAPE
      expect(r.registrationStatements).toBe(1);
      expect(r.versions).toEqual([`V_${r.runId} (@PRODUCTION)`]);
      expect(r.rowsScored).toBe(200 * 28);
      expect(r.maxChunkAttempts).toBe(1);
      expect(r.duplicateMetricRows).toBe(0);
      // Each step ran as its role (docs/roles.md): the task-started jobs as the task owner (the
      // deploy role), the queue workers and the registration (caller's rights) as the runner, which
      // therefore owns the model; the consumer role predicts through the alias.
      expect(r.owners).toEqual({ model: 'FORECAST_RUNNER', screenJobs: ['MANY_MODEL_DEPLOYER'], queueJobs: ['FORECAST_RUNNER'] });
      expect(r.consumerPredictRows).toBe(7);
      // The scheduled scoring task runs as its owner, the deploy role, which reaches the runner's model through the hierarchy.
      expect(r.scheduledScoringRows).toBe(200 * 28);
      // The task graph ran once: nothing was left for a second execution.
      expect(quiet.lines.filter((l) => /executing it again/.test(l))).toEqual([]);
      // The closed loop (issue #17): the 10 series whose regime changed, and only they, retrained
      // inside the account into one new version that reuses the other 190 artifacts.
      expect(r.loop!.state).toBe('SUCCEEDED');
      expect(r.loop!.changed).toHaveLength(10);
      expect(r.loop!.retrained).toEqual(r.loop!.changed);
      expect(r.loop!.reusedArtifacts).toBe(190);
      expect(r.loop!.versionsAdded).toEqual([`V_${r.loop!.runId}`]);
      expect(r.loop!.aliasVersion).toBe(`V_${r.loop!.runId}`);
    } catch (e) {
      console.error(quiet.lines.join('\n'));
      throw e;
    }
  }, 240000);

  test('a worker killed mid-chunk: its lease expires, another worker finishes the chunk, no partition is trained twice', async () => {
    const outdir = tempDir('mm-e2e-kill-');
    let killed = '';
    const r = await runDemo({
      outdir,
      buildApp: (o) => buildApp(o, { leaseDuration: Duration.seconds(30), training: TrainingStrategy.tasks({ slots: 4, chunkSize: 10 }) }),
      sourceTable: EXAMPLE.sourceTable,
      image: EXAMPLE.image,
      series: 40,
      days: 300,
      log: quiet,
      beforeHooks: async (server) => {
        // Hold the first chunk read long enough to kill its worker while it holds the lease.
        server.faults.delayStatement({ match: /PARSE_JSON\(\?\)\)\) ORDER BY PARTITION_KEY, DS/, ms: 8000 });
        void (async () => {
          for (let i = 0; i < 300 && !killed; i++) {
            await new Promise((res) => setTimeout(res, 100));
            const rows = await server.engineQuery("SELECT WORKER_ID FROM ANALYTICS.FORECAST.FORECAST_QUEUE WHERE STATUS = 'CLAIMED'").catch(() => []);
            const holder = rows[0]?.WORKER_ID;
            if (holder) {
              const service = String(holder).split('#')[0];
              if (server.objects.killService(service)) killed = service;
            }
          }
        })();
      },
    });
    expect(killed).not.toBe('');
    expect(r.failed).toBe(false);
    expect(r.trained).toBe(40);
    expect(r.indexedPartitions).toBe(40);
    expect(r.maxChunkAttempts).toBe(2); // the killed worker's chunk was claimed a second time
    expect(r.duplicateMetricRows).toBe(0);
    // The graph is executed again for the chunk left behind, once, and only after its first run ended.
    const ended = quiet.lines.findIndex((l) => /\[forecast\/Forecast\/screen-train\] task graph run ended FAILED/.test(l));
    const again = quiet.lines.findIndex((l) => /chunks left after the graph ended: executing it again \(round 2\)/.test(l));
    expect(ended).toBeGreaterThanOrEqual(0);
    expect(again).toBeGreaterThan(ended);
  }, 240000);
});
