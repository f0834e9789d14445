/**
 * Bench-time compilation: a TypeScript entry bundled into one JavaScript file by esbuild (tsx's own
 * compiler), its packages left to the checkout's node_modules. A process started from it skips
 * tsx's compilation, about a second of CPU per start on this machine: the bench starts many
 * worker processes, and a job service's image runs compiled JavaScript too (worker/Dockerfile).
 */
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/** Packages the bundles leave out: found through NODE_PATH (nodeEnv) at run time. */
const EXTERNAL = ['snowflake-sdk', 'cdktf', 'constructs'];

/**
 * `entry` (relative to the repository) bundled into `dir`/`name`.js; undefined when esbuild cannot
 * be loaded (callers then run the TypeScript through tsx).
 */
export function compileForNode(entry: string, dir: string, name: string): string | undefined {
  let esbuild: { buildSync(o: Record<string, unknown>): unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require('esbuild');
  } catch {
    return undefined;
  }
  const outfile = path.join(dir, `${name}.js`);
  esbuild.buildSync({
    entryPoints: [path.join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    logLevel: 'warning',
  });
  return outfile;
}

/** The environment a compiled file needs: its packages from the checkout's node_modules. */
export function nodeEnv(): Record<string, string> {
  return { NODE_PATH: path.join(ROOT, 'node_modules') };
}
