/**
 * Flags of the `many-model` commands. Parsing, help and errors are commander's (runner/cli/program.ts);
 * this module adds what this CLI asks of every value: a flag that takes a value gets one (not the
 * next flag, not an empty string), only once, and the checks the commands share (ports, files, the
 * parent directory of an output), each failing with a UsageError that names the flag.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Option } from 'commander';

/** Bad usage or configuration: the CLI exits 2 with the message (runner/cli/exit-codes.ts). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Checks (and may convert) the value of `flag`; undefined keeps the text as the value. */
export type ValueCheck = (flag: string, value: string) => unknown;

/**
 * A flag that takes a value (`'--out <DIR>'`), given at most once, checked by `check`. commander
 * takes the word after a flag as its value whatever it is; a value that is the next flag
 * (`--out --app x`) or empty is refused here.
 */
export function flag(flags: string, description: string, check?: ValueCheck): Option {
  const option = new Option(flags, description);
  const name = option.long!;
  let given = false;
  return option.argParser((value: string) => {
    checkValue(name, value);
    if (given) throw new UsageError(`${name} given twice`);
    given = true;
    const checked = check?.(name, value);
    return checked === undefined ? value : checked;
  });
}

/** A flag that may be repeated (`--force A --force B`); its values in order. */
export function repeatable(flags: string, description: string): Option {
  const option = new Option(flags, description);
  const name = option.long!;
  return option.argParser((value: string, previous: string[] | undefined) => {
    checkValue(name, value);
    return [...(previous ?? []), value];
  });
}

function checkValue(name: string, value: string): void {
  if (value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  if (value === '') throw new UsageError(`${name} needs a non-empty value`);
}

/** A check that accepts one of `values`. */
export function oneOf(...values: string[]): ValueCheck {
  return (flag, value) => {
    if (!values.includes(value)) throw new UsageError(`${flag} ${value}: use ${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`);
  };
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

/** A number of credits (or the price of one), 0 or more. */
export function parseCredits(flag: string, text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`${flag} ${text}: must be a number of credits, 0 or more`);
  return Number(text);
}

/**
 * `--pool-rate FAMILY=CREDITS` values as credits per node-hour by instance family: the rates
 * runner/plan/credit-rates.ts cannot give (Snowflake publishes them only in its consumption table).
 */
export function parsePoolRates(flag: string, values: readonly string[], families: readonly string[]): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const v of values) {
    const m = /^([A-Z0-9_]+)=(\d+(?:\.\d+)?)$/.exec(v.trim().toUpperCase());
    if (!m) throw new UsageError(`${flag} ${v}: write it as FAMILY=CREDITS, e.g. CPU_X64_S=0.11 (credits per node-hour)`);
    if (!families.includes(m[1])) throw new UsageError(`${flag} ${v}: ${m[1]} is not an instance family; one of ${families.join(', ')}`);
    if (m[1] in rates) throw new UsageError(`${flag} ${m[1]} given twice`);
    rates[m[1]] = Number(m[2]);
  }
  return rates;
}

/** A positive number of seconds (fractions allowed). */
export function parseSeconds(flag: string, text: string): number {
  if (!(Number(text) > 0)) throw new UsageError(`${flag} must be a positive number of seconds`);
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
