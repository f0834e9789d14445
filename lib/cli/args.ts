/**
 * Flags and help of the `many-model` commands. Tokenizing is Node's own `util.parseArgs` (no
 * dependency); this module adds what it leaves to callers: messages that name the flag, a
 * declarative help page per command, and the checks every command shares (ports, files, the
 * parent directory of an output).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';

export interface FlagSpec {
  readonly [name: string]: 'string' | 'boolean' | 'list';
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Parsed<S extends FlagSpec> = { [K in keyof S]?: S[K] extends 'boolean' ? boolean : S[K] extends 'list' ? string[] : string };

/** `--name value`, `--name=value`, `--flag`; `list` flags repeat. Unknown flags and stray arguments are UsageErrors. */
export function parseFlags<S extends FlagSpec>(argv: string[], spec: S): Parsed<S> {
  const options = Object.fromEntries(Object.entries(spec).map(([name, kind]) => [name, { type: kind === 'boolean' ? ('boolean' as const) : ('string' as const), multiple: kind === 'list' }]));
  let tokens;
  try {
    // Non-strict so that every problem is reported below in this CLI's words, flag by flag.
    tokens = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true }).tokens;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const known = () => Object.keys(spec).map((k) => `--${k}`).join(', ');
  const out: Record<string, unknown> = {};
  for (const t of tokens) {
    if (t.kind === 'positional') throw new UsageError(`unexpected argument '${t.value}'`);
    if (t.kind !== 'option') continue;
    const kind = spec[t.name];
    if (!kind || !t.rawName.startsWith('--')) throw new UsageError(`unknown flag ${t.rawName}; known: ${known() || 'none'}`);
    if (kind === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`--${t.name} takes no value`);
      out[t.name] = true;
      continue;
    }
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--'))) throw new UsageError(`--${t.name} needs a value`);
    if (t.value === '') throw new UsageError(`--${t.name} needs a non-empty value`);
    if (kind === 'list') out[t.name] = [...((out[t.name] as string[] | undefined) ?? []), t.value];
    else if (out[t.name] !== undefined) throw new UsageError(`--${t.name} given twice`);
    else out[t.name] = t.value;
  }
  return out as Parsed<S>;
}

// ---------------------------------------------------------------------------------------------
// Help

export interface FlagHelp {
  readonly kind: 'string' | 'boolean' | 'list';
  /** The value's placeholder, e.g. FILE. */
  readonly value?: string;
  /** One line. */
  readonly help: string;
}

export interface CommandHelp {
  /** Usage lines, without the leading `many-model `. */
  readonly usage: readonly string[];
  /** What the command does, a sentence or two. */
  readonly summary: string;
  readonly flags: Readonly<Record<string, FlagHelp>>;
  /** What each exit code means for this command. */
  readonly exitCodes: Readonly<Partial<Record<0 | 1 | 2 | 3, string>>>;
  /** Further lines (environment variables, examples). */
  readonly notes?: readonly string[];
}

/** The parser spec of a help page's flags (declare them `as const` to keep their kinds' types). */
export function flagSpec<F extends Readonly<Record<string, FlagHelp>>>(flags: F): { [K in keyof F]: F[K]['kind'] } {
  return Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, f.kind])) as { [K in keyof F]: F[K]['kind'] };
}

/** True when argv asks for help (`--help` or `-h`) before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

export function formatHelp(help: CommandHelp): string {
  // A usage line that starts with a space continues the one before it.
  const lines = help.usage.map((u, i) => (u.startsWith(' ') ? `${' '.repeat(18)}${u.trim()}` : `${i === 0 ? 'usage: ' : '       '}many-model ${u}`));
  lines.push('', ...wrap(help.summary, 100));
  const flags: [string, string][] = Object.entries(help.flags).map(([name, f]) => [`--${name}${f.value ? ` ${f.value}` : ''}${f.kind === 'list' ? ' ...' : ''}`, f.help]);
  flags.push(['-h, --help', 'show this help']);
  const width = Math.max(...flags.map(([l]) => l.length));
  lines.push('', 'flags:', ...flags.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`));
  lines.push('', 'exit codes:', ...Object.entries(help.exitCodes).map(([code, what]) => `  ${code}  ${what}`));
  if (help.notes?.length) lines.push('', ...help.notes);
  return lines.join('\n') + '\n';
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shared checks

/** A TCP port for a server to listen on: 0 (any free port) to 65535. */
export function parsePort(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} ${text} is not a TCP port (0 to 65535; 0 picks a free one)`);
  return Number(text);
}

/** A positive whole number. */
export function parsePositiveInt(flag: string, text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`${flag} ${text}: must be a positive whole number`);
  return Number(text);
}

/** An input file that must exist; module files may omit their extension, as require() allows. */
export function checkAppFile(flag: string, file: string): void {
  const abs = path.resolve(file);
  const candidates = [abs, ...['.ts', '.js', '.tsx', '.cjs', '.mjs'].map((x) => abs + x)];
  if (!candidates.some((c) => fs.existsSync(c) && fs.statSync(c).isFile())) throw new UsageError(`${flag} ${file}: no such file`);
}

function checkParent(flag: string, target: string): void {
  const parent = path.dirname(path.resolve(target));
  if (!fs.existsSync(parent)) throw new UsageError(`${flag} ${target}: the directory ${parent} does not exist`);
  if (!fs.statSync(parent).isDirectory()) throw new UsageError(`${flag} ${target}: ${parent} is not a directory`);
}

/** An output directory: it may not exist yet, but its parent must (a typo is caught before any work). */
export function checkOutputDir(flag: string, dir: string): void {
  checkParent(flag, dir);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir}: is a file, not a directory`);
}

/** An output file: its directory must exist. */
export function checkOutputFile(flag: string, file: string): void {
  checkParent(flag, file);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: is a directory`);
}

/** An input directory that must exist. */
export function checkInputDir(flag: string, dir: string): void {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir}: no such directory`);
}
