/**
 * `many-model synth [--app FILE] [--out DIR]`: runs a cdktf app (TypeScript through tsx, or
 * JavaScript) in-process, then prints where it wrote the Terraform JSON and hook manifests.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { App } from '../../../lib/engine';
import { EXIT } from '../exit-codes';
import { UsageError } from '../args';
import { formatSummary, readSynthOutput } from '../synth-app';

export interface SynthOptions {
  readonly app: string;
  readonly out: string;
}

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
    throw new UsageError(
      `${appFile} is TypeScript, and neither this CLI nor your project has a TypeScript loader. Install one (npm install --save-dev tsx) or pass the compiled JavaScript`,
    );
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

export async function synth(opts: SynthOptions): Promise<number> {
  await synthApp(opts.app, opts.out);
  process.stdout.write(`Synthesized ${opts.app} into ${opts.out}/\n${formatSummary(readSynthOutput(opts.out))}\n`);
  return EXIT.OK;
}
