/**
 * `many-model demo`: the offline main job. Synthesizes the example app (stacks/main.ts) into
 * cdktf.out/ and prints where the Terraform JSON and the hook manifest went, with a summary.
 * Running the hooks end to end on the embedded local Snowflake-protocol server is added by the
 * local server and runner work (docs/architecture.md, "Status").
 */
import { EXIT } from '../exit-codes';
import { formatSummary, readSynthOutput } from '../synth-app';
import { synthApp } from './synth';

export async function run(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write(`many-model demo: takes no arguments (got ${argv.join(' ')})\n`);
    return EXIT.USAGE;
  }
  const out = 'cdktf.out';
  await synthApp('stacks/main.ts', out);
  process.stdout.write(`many-model demo: synthesized the example forecasting app offline into ${out}/\n\n`);
  process.stdout.write(formatSummary(readSynthOutput(out)) + '\n');
  return EXIT.OK;
}
