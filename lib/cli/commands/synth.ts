/**
 * `many-model synth [--app FILE] [--out DIR]`: runs a cdktf app (TypeScript through tsx, or
 * JavaScript) in-process, then prints where it wrote the Terraform JSON and hook manifests.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { App } from 'cdktf';
import { EXIT } from '../exit-codes';
import { CommandHelp, UsageError, checkAppFile, checkOutputDir, flagSpec, formatHelp, parseFlags, wantsHelp } from '../args';
import { formatSummary, readSynthOutput } from '../synth-app';

const FLAGS = {
  app: { kind: 'string', value: 'FILE', help: 'the app module (default stacks/main.ts)' },
  out: { kind: 'string', value: 'DIR', help: 'output directory; its parent must exist (default cdktf.out)' },
} as const;

export const HELP: CommandHelp = {
  usage: ['synth [--app FILE] [--out DIR]'],
  summary: 'Synthesizes a cdktf app module that exports buildApp(outdir) (TypeScript or JavaScript) and prints, per stack, the Terraform resources and the hook steps it wrote.',
  flags: FLAGS,
  exitCodes: { 0: 'synthesized', 1: 'the app failed to synthesize', 2: 'usage: unknown flag, no such --app file, --out parent missing, no buildApp export, a TypeScript app without a TypeScript loader (tsx) installed' },
};

/**
 * Lets require() load a TypeScript app. A checkout's CLI runs under tsx already; an installed
 * package runs compiled JavaScript and has no TypeScript loader of its own (tsx is a
 * devDependency), so it uses the app project's tsx, or says how to get one.
 */
function ensureTypeScriptLoader(appFile: string): void {
  const abs = path.resolve(appFile);
  const file = [abs, ...['.ts', '.tsx', '.js', '.cjs'].map((x) => abs + x)].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  if (!file || !/\.(ts|tsx|cts|mts)$/.test(file) || require.extensions[path.extname(file)]) return;
  let tsx: string;
  try {
    tsx = require.resolve('tsx/cjs', { paths: [path.dirname(file), process.cwd()] });
  } catch {
    throw new UsageError(`${appFile} is TypeScript, and neither this CLI nor your project has a TypeScript loader. Install one (npm install --save-dev tsx) or pass the compiled JavaScript`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(tsx);
}

export async function synthApp(appFile: string, outdir: string): Promise<App> {
  ensureTypeScriptLoader(appFile);
  const abs = path.resolve(appFile);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(abs) as { buildApp?: (outdir: string) => App };
  if (typeof mod.buildApp !== 'function') {
    throw new UsageError(`${appFile} must export buildApp(outdir) returning a cdktf App (see stacks/main.ts)`);
  }
  const app = mod.buildApp(outdir);
  app.synth();
  return app;
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(formatHelp(HELP));
    return EXIT.OK;
  }
  let flags;
  try {
    flags = parseFlags(argv, flagSpec(FLAGS));
    checkAppFile('--app', flags.app ?? 'stacks/main.ts');
    checkOutputDir('--out', flags.out ?? 'cdktf.out');
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
