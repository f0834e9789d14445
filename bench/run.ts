/**
 * `npm run bench`: measurements side by side in one run, printed as a table and written to
 * bench/results.json with the machine they came from. Sections are added as the project grows
 * (docs/architecture.md, "Status").
 */
import '../lib/snowflake/driver-env';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchLocalServer } from '../lib/emulator/bench';


async function main(): Promise<void> {
  const machine = { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
  console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}`);
  const server = await benchLocalServer(3);
  const fmt = (s: { min: number; median: number; max: number }, digits = 0) => `${s.median.toFixed(digits)}  (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
  console.log('\nlocal Snowflake-protocol server, through snowflake-sdk (3 repetitions)');
  console.log(`  trivial query round trip (ms)      ${fmt(server.trivialQueryMs, 2)}`);
  console.log(`  20,000-row array-bind insert (rows/s) ${fmt(server.insert20kRowsPerSec)}`);
  console.log(`  20,000-row select (rows/s)         ${fmt(server.select20kRowsPerSec)}`);
  const out = path.join(__dirname, 'results.json');
  fs.writeFileSync(out, JSON.stringify({ machine, localServer: server }, null, 2) + '\n');
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
