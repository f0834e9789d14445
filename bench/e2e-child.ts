/**
 * One end-to-end measurement in a fresh process (run by bench/e2e.ts): the process's peak memory
 * is the measurement's. Prints one JSON line on stdout; the run's log goes to stderr.
 */
import '../runner/snowflake/driver-env';
import { measureEndToEnd, workerCommand } from './e2e';

const [n, workerFile] = [Number(process.argv[2]), process.argv[3]];
if (!Number.isInteger(n) || n < 1) {
  console.error('usage: e2e-child.ts <partitions> [<compiled worker (bench/e2e.ts compiledWorker)>]');
  process.exit(2);
}
const worker = workerFile ? workerCommand(workerFile) : undefined;
measureEndToEnd(n, (line) => process.stderr.write(line + '\n'), worker).then(
  (m) => process.stdout.write(JSON.stringify(m) + '\n'),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
