/** A small flag parser: `--name value`, `--flag`, repeated flags collected; unknown flags are errors. */
export interface FlagSpec {
  readonly [name: string]: 'string' | 'boolean' | 'list';
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseFlags<S extends FlagSpec>(argv: string[], spec: S): { [K in keyof S]?: S[K] extends 'boolean' ? boolean : S[K] extends 'list' ? string[] : string } {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const [rawName, inline] = arg.slice(2).split('=', 2);
    const kind = spec[rawName];
    if (!kind) throw new UsageError(`unknown flag --${rawName}; known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (kind === 'boolean') {
      out[rawName] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${rawName} needs a value`);
    if (kind === 'list') out[rawName] = [...((out[rawName] as string[]) ?? []), value];
    else out[rawName] = value;
  }
  return out as never;
}
