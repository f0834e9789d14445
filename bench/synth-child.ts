/**
 * One synth measurement in a fresh process (run by bench/synth.ts): a clean heap for every
 * measurement, so one side's garbage never slows the other, and the process's peak RSS is the
 * measurement's peak memory. Prints one JSON line.
 */
import '../runner/snowflake/driver-env';
import { measureOnce } from './synth';

const [side, n, file] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
if ((side !== 'constructs' && side !== 'raw') || !Number.isInteger(n) || n < 1 || !file) {
  console.error('usage: synth-child.ts constructs|raw <pipelines> <resources file: written by the constructs side, read by the raw side>');
  process.exit(2);
}
process.stdout.write(JSON.stringify(measureOnce(side, n, file)) + '\n');
