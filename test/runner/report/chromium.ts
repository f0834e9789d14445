/**
 * A page opened in a real headless browser, Debian's Chromium: the DOM after loading, and every
 * console message (a blocked request, a script error, a CSP violation) Chromium logged meanwhile.
 * Not skipped when Chromium is missing: the test fails saying how to install it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { tempDir } from '../../tmp';

/** The Chromium binary: CHROMIUM_PATH, else chromium on PATH. */
export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given) return given;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'chromium');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    "Chromium is not installed, and the report's browser test needs it: apt-get install -y chromium (Debian; .ci/run installs it when missing), or set CHROMIUM_PATH",
  );
}

export interface Rendered {
  /** The serialized DOM after the page loaded (--dump-dom). */
  readonly dom: string;
  /** The console messages Chromium logged for the page. */
  readonly console: string[];
}

/** Loads `file` in headless Chromium (flags of /work/.library machines' note: no background network, a fresh profile). */
export function renderInChromium(file: string): Rendered {
  const r = spawnSync(
    chromiumPath(),
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${tempDir('mm-chromium-')}`,
      '--enable-logging=stderr',
      '--v=0',
      '--dump-dom',
      pathToFileURL(file).href,
    ],
    // Chromium's own temporary files go where the test file's directories go (removed after it).
    { encoding: 'utf8', timeout: 120000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TMPDIR: tempDir('mm-chromium-tmp-') } },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { dom: r.stdout, console: r.stderr.split('\n').filter((l) => /:CONSOLE[:(\]]/.test(l)) };
}
