/**
 * `many-model synth [--app FILE] [--out DIR]`: runs a cdktf app (TypeScript through tsx, or
 * JavaScript) in-process, then prints where it wrote the Terraform JSON and hook manifests.
 */
import * as path from 'path';
import { EXIT } from '../exit-codes';
import { UsageError, parseFlags } from '../args';
import { formatSummary, readSynthOutput } from '../synth-app';

export async function synthApp(appFile: string, outdir: string): Promise<void> {
  const abs = path.resolve(appFile);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(abs) as { buildApp?: (outdir: string) => { synth(): void } };
  if (typeof mod.buildApp !== 'function') {
    throw new UsageError(`${appFile} must export buildApp(outdir) returning a cdktf App (see stacks/main.ts)`);
  }
  mod.buildApp(outdir).synth();
}

export async function run(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv, { app: 'string', out: 'string' });
  } catch (e) {
    process.stderr.write(`many-model synth: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }
  const app = flags.app ?? 'stacks/main.ts';
  const out = flags.out ?? 'cdktf.out';
  try {
    await synthApp(app, out);
  } catch (e) {
    process.stderr.write(`many-model synth: ${(e as Error).message}\n`);
    return e instanceof UsageError ? EXIT.USAGE : EXIT.STEP_FAILED;
  }
  process.stdout.write(`Synthesized ${app} into ${out}/\n${formatSummary(readSynthOutput(out))}\n`);
  return EXIT.OK;
}
