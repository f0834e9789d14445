/**
 * One synth measurement in a fresh process (run by bench/synth.ts): a clean heap for every
 * measurement, so one side's garbage never slows the other, and the process's peak RSS is the
 * measurement's peak memory. Prints one JSON line.
 *
 * `template <pipelines> <file>` writes the resources the constructs synthesize (what the raw side
 * declares); `constructs|raw <pipelines> <file>` measures one side.
 */
import '../lib/snowflake/driver-env';
import * as fs from 'fs';
import { measureOnce, synthesizedResources } from './synth';

const [mode, n, file] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
if (!['template', 'constructs', 'raw'].includes(mode) || !Number.isInteger(n) || n < 1 || !file) {
  console.error('usage: synth-child.ts template|constructs|raw <pipelines> <resources file>');
  process.exit(2);
}
if (mode === 'template') {
  fs.writeFileSync(file, JSON.stringify(synthesizedResources(n)));
  process.stdout.write('{}\n');
} else {
  process.stdout.write(JSON.stringify(measureOnce(mode as 'constructs' | 'raw', n, file)) + '\n');
}
