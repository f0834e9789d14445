/**
 * The one place where Snowflake identifiers and literals are validated and quoted.
 *
 * Names accepted here are Snowflake *unquoted* identifiers ("Identifier requirements": start with a
 * letter or underscore, then letters, digits, underscores or dollar signs, at most 255 characters).
 * They are normalised to upper case, as Snowflake stores unquoted identifiers, and always emitted
 * double-quoted, so reserved words are safe and no user text is ever spliced into SQL unchecked.
 */
import { createHash } from 'crypto';
import { Token } from 'cdktf';
import { InvalidValueError } from './errors';

/** Snowflake's limit for identifiers ("Identifier requirements"). */
export const MAX_IDENTIFIER_LENGTH = 255;

const UNQUOTED = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** True when `value` holds an unresolved cdktf token (validation of its content is then skipped). */
export function isToken(value: unknown): boolean {
  return typeof value === 'string' && Token.isUnresolved(value);
}

/**
 * Validates one identifier part and returns it upper-cased.
 * @throws InvalidValueError naming what is wrong and how to fix it.
 */
export function normalizeIdentifier(value: string, what = 'name'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidValueError(`must be a non-empty ${what}`, 'Give a Snowflake identifier such as MY_OBJECT');
  }
  if (isToken(value)) return value;
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    throw new InvalidValueError(
      `'${value.slice(0, 40)}...' is ${value.length} characters, over Snowflake's ${MAX_IDENTIFIER_LENGTH}-character identifier limit`,
      'Use a shorter name',
    );
  }
  if (!UNQUOTED.test(value)) {
    throw new InvalidValueError(
      `${JSON.stringify(value)} is not a valid Snowflake identifier (letters, digits, _ and $ only, not starting with a digit; no quotes, dots, spaces or semicolons)`,
      'Use a name such as MY_OBJECT; give database and schema through their own props',
    );
  }
  return value.toUpperCase();
}

/** Double-quotes an already normalised identifier part. */
export function quoteIdentifier(part: string): string {
  return `"${part.replace(/"/g, '""')}"`;
}

/** A validated, possibly qualified Snowflake object name. */
export class ObjectName {
  /** Parses `DB.SCHEMA.NAME` (or fewer parts), validating each part. */
  static parse(qualified: string, parts: 1 | 2 | 3): ObjectName {
    if (typeof qualified !== 'string' || isToken(qualified)) {
      throw new InvalidValueError('must be a literal name, not a token', 'Pass the object name as a plain string');
    }
    const split = qualified.split('.');
    if (split.length !== parts) {
      const shape = ['NAME', 'DATABASE.NAME', 'DATABASE.SCHEMA.NAME'][parts - 1];
      throw new InvalidValueError(`${JSON.stringify(qualified)} must have the form ${shape}`, `Write it as ${shape}`);
    }
    return new ObjectName(split.map((p) => normalizeIdentifier(p)));
  }

  static of(...parts: string[]): ObjectName {
    return new ObjectName(parts.map((p) => normalizeIdentifier(p)));
  }

  private constructor(public readonly parts: readonly string[]) {}

  // Rendered once: names are immutable and read at every grant and statement a construct renders.
  // Private fields (#) stay out of JSON, equality checks and object spreads.
  #quoted?: string;
  #dotted?: string;

  /** The last part: the object's own name. */
  get name(): string {
    return this.parts[this.parts.length - 1];
  }

  /** `"DB"."SCHEMA"."NAME"`: the form used in rendered SQL and in grants. */
  get quoted(): string {
    return (this.#quoted ??= this.parts.map(quoteIdentifier).join('.'));
  }

  /** `DB.SCHEMA.NAME`, for messages and display. */
  toString(): string {
    return (this.#dotted ??= this.parts.join('.'));
  }

  child(name: string): ObjectName {
    return new ObjectName([...this.parts, normalizeIdentifier(name)]);
  }
}

/** A single-quoted SQL string literal with quotes and backslashes escaped. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A SQL numeric literal; rejects NaN and infinities. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new InvalidValueError(`${value} is not a finite number`, 'Give a finite number');
  return String(value);
}

/**
 * A `$$...$$` dollar-quoted literal (used for job specifications and procedure bodies), refusing
 * text that would end the literal early.
 */
export function dollarQuoted(text: string): string {
  if (text.includes('$$')) {
    throw new InvalidValueError('text contains "$$" and cannot be dollar-quoted', 'Remove "$$" from the text');
  }
  return `$$${text}$$`;
}

/**
 * Derives a deterministic Snowflake name from construct path segments: upper snake case,
 * truncated with a stable hash suffix when over the limit, so two pipelines never collide.
 */
export function deriveName(segments: string[], maxLength = 200): string {
  const cleaned = segments
    // camelCase and PascalCase split into words: StoreDemand -> STORE_DEMAND, HTTPServer -> HTTP_SERVER.
    .map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2'))
    .map((s) => s.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, ''))
    .filter((s) => s.length > 0)
    .join('_')
    .toUpperCase();
  let name = /^[A-Z_]/.test(cleaned) ? cleaned : `X_${cleaned}`;
  if (name.length > maxLength) {
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 8).toUpperCase();
    name = `${name.slice(0, maxLength - 9)}_${hash}`;
  }
  return name;
}
