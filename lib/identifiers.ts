/**
 * The one place where Snowflake identifiers and literals are validated and quoted. Statements are
 * rendered in lib/sql/ and quote through these functions only: identifiers with quoteIdentifier
 * (ObjectName.quoted), string constants with sqlString, bodies with dollarQuoted.
 *
 * Names accepted here are Snowflake *unquoted* identifiers ("Identifier requirements": start with a
 * letter or underscore, then letters, digits, underscores or dollar signs, at most 255 characters).
 * They are normalised to upper case, as Snowflake stores unquoted identifiers, and always emitted
 * double-quoted, so reserved words are safe and no user text is ever spliced into SQL unchecked.
 * The one exception is a job service's name, which EXECUTE JOB SERVICE takes unquoted only
 * (unquotedName).
 */
import { createHash } from 'crypto';
import { Token } from './engine';
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

/**
 * Double-quotes an already normalised identifier part. Inside a double-quoted identifier a quote is
 * written twice ("Identifier requirements"); nothing else is an escape there.
 */
export function quoteIdentifier(part: string): string {
  return `"${part.replace(/"/g, '""')}"`;
}

/**
 * A dotted name whose parts are already normalised (`DB.SCHEMA.NAME`, as the bootstrap and the
 * doctor key objects) as quoted SQL. Parts holding a dot are not produced by the constructs.
 */
export function quoteDotted(dotted: string): string {
  return dotted.split('.').map(quoteIdentifier).join('.');
}

/** An unquoted Snowflake identifier, as stored: upper-case letters, digits, `_` and `$`, not starting with a digit or `$`. */
export const UNQUOTED_UPPER_IDENTIFIER = /^[A-Z_][A-Z0-9_$]*$/;

/**
 * `DB.SCHEMA.NAME` without quotes, refusing a name any part of which is not a plain upper-case
 * identifier (or is an unresolved token). EXECUTE JOB SERVICE's `NAME` "does not support quoted
 * names" (https://docs.snowflake.com/en/sql-reference/sql/execute-job-service), and a quoted
 * upper-case identifier is the same object as the unquoted one, so every statement about a job
 * service (EXECUTE, DESCRIBE, DROP, its logs) names it this one way.
 */
export function unquotedName(name: ObjectName): string {
  const bad = name.parts.find((p) => !UNQUOTED_UPPER_IDENTIFIER.test(p));
  if (bad !== undefined) {
    throw new InvalidValueError(
      `${JSON.stringify(bad)} (in ${name.parts.join('.')}) is not an unquoted Snowflake identifier (upper-case letters, digits, _ and $, starting with a letter or _), which EXECUTE JOB SERVICE's NAME requires`,
      'Use plain names such as ANALYTICS, FORECAST and FORECAST_SCREEN_W0, given as literal strings',
    );
  }
  return name.parts.join('.');
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

/**
 * A single-quoted SQL string constant that Snowflake reads back as exactly `value`: the one
 * function every rendered statement quotes a string value with.
 *
 * In a single-quoted constant a backslash starts an escape sequence ("String & binary data types",
 * "Escape sequences in single-quoted string constants":
 * https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants):
 * `\n` is a newline, `\d` is `d`, `\'` a quote. So a backslash is written `\\` and a quote `''`;
 * every other character, line breaks and non-ASCII included, stands for itself. A value that only
 * doubled its quotes would lose its backslashes (a regular expression, a Windows path) and could
 * end the constant early (a value ending in a backslash). test/lib/identifiers.test.ts checks the
 * rule against the local server's parser with hostile values.
 */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A SQL numeric literal; rejects NaN and infinities. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new InvalidValueError(`${value} is not a finite number`, 'Give a finite number');
  return String(value);
}

/**
 * A `$$...$$` dollar-quoted constant (job specifications, procedure and task bodies): its text is
 * taken as written, backslashes and quotes included, and cannot contain `$$` ("Dollar-quoted string
 * constants", same page as sqlString's rule), so text holding `$$` is refused rather than escaped.
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

/**
 * The parts of an object name as Terraform's JSON or a rendered statement writes it
 * (`"DB"."SCHEMA"."NAME"`, `DB.SCHEMA.NAME`, a procedure's `"DB"."S"."P"(VARCHAR)`): quoted parts
 * unescaped, unquoted parts trimmed and upper-cased (Snowflake resolves them so), an argument list
 * dropped. The one reader of such names for bootstrap and the doctor.
 */
export function splitRenderedName(text: string): string[] {
  const parts =
    String(text)
      .replace(/\([^"]*\)$/, '')
      .match(/"(?:[^"]|"")+"|[^.]+/g) ?? [];
  return parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.trim().toUpperCase()));
}
