import * as fs from 'fs';
import * as path from 'path';
import { TrainingStrategy } from '../../../index';
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

describe('training in the warehouse, end to end on the local server (the demo flow with --warehouse)', () => {
  test('40 series: one statement fits every partition through the JavaScript UDTF; artifacts, metrics, index, one version, promotion and scoring as with job services', async () => {
    const outdir = tempDir('mm-wh-');
    let seen:
      | {
          metrics: Record<string, string | null>[];
          files: string[];
          fits: number;
          services: number;
          hybrid: number;
          functionOwner: string;
          indexFiles: string[];
        }
      | undefined;
    const r = await runDemo({
      outdir,
      buildApp: (o) => buildApp(o, { training: TrainingStrategy.warehouse() }),
      sourceTable: EXAMPLE.sourceTable,
      image: EXAMPLE.image,
      series: 40,
      days: 400,
      log: quiet,
      afterHooks: async (server) => {
        const metrics = await server.engineQuery(
          'SELECT PARTITION_KEY, STATUS, STAGE_PATH, MAPE, TRAINER_IMAGE FROM ANALYTICS.FORECAST.FORECAST_TRAINING_METRICS ORDER BY PARTITION_KEY',
        );
        const stage = server.engine.stageDir({ role: 'ACCOUNTADMIN' } as never, 'ANALYTICS.FORECAST.FORECAST_MODELS').dir;
        const walk = (d: string): string[] =>
          fs
            .readdirSync(d, { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.relative(stage, path.join(d, e.name)).split(path.sep).join('/')]));
        const fits = Number((await server.engineQuery('SELECT COUNT(*) AS N FROM ANALYTICS.FORECAST.FORECAST_SCREEN_FITS'))[0].N);
        const indexFile = walk(stage).find((f) => f.endsWith('model_index.json'))!;
        const index = JSON.parse(fs.readFileSync(path.join(stage, indexFile), 'utf8'));
        seen = {
          metrics,
          files: walk(stage),
          fits,
          services: server.objects.services.size,
          hybrid: (await server.engineQuery('SHOW HYBRID TABLES')).length,
          functionOwner: server.engine.access.ownerOf('FUNCTION', 'ANALYTICS.FORECAST.FORECAST_SCREEN_FIT'),
          indexFiles: Object.values(index.partitions as Record<string, string>),
        };
      },
    });
    try {
      expect(r.failed).toBe(false);
      expect(r.trained).toBe(40);
      expect(r.failedPartitions).toBe(0);
      expect(r.indexedPartitions).toBe(40);
      expect(Object.keys(r.families)).toContain('ets'); // the screen model set, as a worker's
      expect(r.medianMape!).toBeLessThan(0.05);
      expect(r.refined).toBe(0);
      expect(r.registrationStatements).toBe(1);
      expect(r.versions).toEqual([`V_${r.runId} (@PRODUCTION)`]);
      expect(r.rowsScored).toBe(40 * 28);
      expect(r.duplicateMetricRows).toBe(0);
      expect(r.consumerPredictRows).toBe(7);
      expect(r.owners).toEqual({ model: 'FORECAST_RUNNER', screenJobs: [], queueJobs: [] });
      const s = seen!;
      // No job service ran and no hybrid table exists; the runner created (and owns) the UDTF.
      expect(s.services).toBe(0);
      expect(s.hybrid).toBe(0);
      expect(s.functionOwner).toBe('FORECAST_RUNNER');
      expect(s.fits).toBe(40);
      // Every OK metrics row names a file on the stage, under the run's screen pass directory,
      // holding one artifact of the format the aggregator reads; the index names exactly those files.
      expect(s.metrics).toHaveLength(40);
      for (const m of s.metrics) {
        expect(m.STATUS).toBe('OK');
        expect(m.STAGE_PATH).toMatch(new RegExp(`^models/${r.runId}/screen/[0-9a-f]{2}/[0-9a-f]{64}/data_[0-9a-f-]+_0_0_0\\.json$`));
        expect(s.files).toContain(m.STAGE_PATH);
        expect(m.TRAINER_IMAGE).toMatch(/^warehouse:forecast-core@[0-9a-f]{16}$/);
      }
      expect(new Set(s.indexFiles)).toEqual(new Set(s.metrics.map((m) => m.STAGE_PATH)));
      // Nothing was left on the stage besides the artifacts and the index (COPY writes final files).
      expect(s.files.filter((f) => !s.indexFiles.includes(f) && !f.endsWith('model_index.json'))).toEqual([]);
    } catch (e) {
      console.error(quiet.lines.join('\n'));
      throw e;
    }
  }, 240000);

  test("screen in the warehouse, refine the worst on the queue: the refine pass retrains the screen pass's worst partitions and the index keeps the better model of each", async () => {
    const outdir = tempDir('mm-wh-refine-');
    const r = await runDemo({
      outdir,
      buildApp: (o) =>
        buildApp(o, { training: TrainingStrategy.screenThenRefine({ refineTopPercent: 10, screenInWarehouse: {}, refine: { workers: 2, chunkSize: 2 } }) }),
      sourceTable: EXAMPLE.sourceTable,
      image: EXAMPLE.image,
      series: 40,
      days: 400,
      log: quiet,
      checks: false,
    });
    try {
      expect(r.failed).toBe(false);
      expect(r.trained).toBe(40);
      expect(r.indexedPartitions).toBe(40);
      expect(r.refined).toBe(4); // the worst 10 % of the screen pass, by MAPE
      expect(r.versions).toEqual([`V_${r.runId} (@PRODUCTION)`]);
      expect(r.duplicateMetricRows).toBe(0);
      // The refine pass ran on queue workers as the runner; no task graph was executed for the screen pass.
      expect(r.owners).toEqual({ model: 'FORECAST_RUNNER', screenJobs: [], queueJobs: ['FORECAST_RUNNER'] });
    } catch (e) {
      console.error(quiet.lines.join('\n'));
      throw e;
    }
  }, 240000);
});
