/**
 * `--images FILE` of `local-server` and `deploy --local`: which local command runs a trainer image.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ImageCommand } from '../../local-server';
import { UsageError } from './args';

/**
 * `--images FILE`: `{ "<image or prefix>": { "command": [...], "cwd"?: "...", "env"?: {...} } }`
 * or `{ "<image or prefix>": ["command", "arg", ...] }`. A relative `cwd` is relative to the file.
 */
export function readImageCommands(file: string): Record<string, ImageCommand> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--images ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON: ${(e as Error).message}`}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--images ${file}: must be an object of image -> command`);
  const out: Record<string, ImageCommand> = {};
  for (const [image, spec] of Object.entries(raw)) {
    const command = Array.isArray(spec) ? spec : (spec as { command?: unknown })?.command;
    if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) {
      throw new UsageError(`--images ${file}: "${image}" needs a command: a non-empty array of strings, e.g. ["python", "worker.py"]`);
    }
    const cwd = Array.isArray(spec) ? undefined : (spec as { cwd?: string }).cwd;
    const env = Array.isArray(spec) ? undefined : (spec as { env?: Record<string, string> }).env;
    out[image] = { command, ...(cwd ? { cwd: path.resolve(path.dirname(file), cwd) } : {}), ...(env ? { env } : {}) };
  }
  return out;
}
