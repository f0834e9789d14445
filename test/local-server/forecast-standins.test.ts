/**
 * The PREDICT stand-in reads a version's model_index.json once for a scoring statement, not once
 * per partition, and reads it again when the file changes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { forecastPredictor } from '../../local-server/forecast-standins';
import { ModelEntry, ModelVersion } from '../../local-server/objects';
import { prepareSeries, selectBest } from '../../worker/forecast';
import { rows } from '../worker/series-helpers';
import { tempDir } from '../tmp';

function artifact(level: number): string {
  return JSON.stringify(selectBest(prepareSeries(rows((t) => level + (t % 7), 120)), { holdout: 14 }).model);
}

test('a rewritten model index is read again: its partitions forecast from the artifacts it names now', async () => {
  const dir = tempDir('mm-standin-');
  fs.writeFileSync(path.join(dir, 'low.json'), artifact(10));
  fs.writeFileSync(path.join(dir, 'high.json'), artifact(1000));
  const index = path.join(dir, 'model_index.json');
  const version = { name: 'V1', metadata: { indexPath: 'model_index.json' }, artifactsDir: dir } as unknown as ModelVersion;
  const model = {} as ModelEntry;
  const predict = async () => (await forecastPredictor(model, version, [{ PARTITION_KEY: 'P', STEP: 1 }]))[0]?.FORECAST as number;

  fs.writeFileSync(index, JSON.stringify({ partitions: { P: 'low.json' } }));
  expect(await predict()).toBeLessThan(100);
  expect(await predict()).toBeLessThan(100);
  fs.writeFileSync(index, JSON.stringify({ partitions: { P: 'high.json', Q: 'low.json' } }));
  expect(await predict()).toBeGreaterThan(900);
});
