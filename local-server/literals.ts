/**
 * String constants as Snowflake reads them, for the statements the server parses itself (CALL
 * arguments, table-function arguments, ALTER STAGE ... SUBPATH, job specifications, ...) and for
 * the values it writes back into Snowflake SQL that its translator then reads.
 *
 * "String & binary data types", "Escape sequences in single-quoted string constants"
 * (https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants):
 * inside '...' a quote is written '' or \', and a backslash starts an escape sequence: \' \" \\
 * \b \f \n \r \t, \0 (NUL), \ooo (octal), \xhh (hex), \uhhhh (Unicode); before any other character
 * the backslash is dropped. Inside $$...$$ nothing is an escape and the text cannot contain $$.
 *
 * This is the server's own reading, written apart from the client's lib/identifiers.ts on purpose:
 * a client that escapes wrongly is caught here instead of agreeing with itself.
 */
import { Errors } from './errors';

/** A single-quoted string constant, escapes included, as a regular-expression source. */
export const STRING_LITERAL = String.raw`'(?:[^'\\]|''|\\[\s\S])*'`;
/** A single-quoted or dollar-quoted string constant, as a regular-expression source. */
export const ANY_LITERAL = String.raw`(?:${STRING_LITERAL}|\$\$[\s\S]*?\$\$)`;

/**
 * `sql` with every string constant emptied (`''`), for tests of what a statement does rather than
 * what its constants say: SQL text inside a constant (a statement a Scripting block builds for
 * EXECUTE IMMEDIATE) is data until it runs.
 */
export function outsideLiterals(sql: string): string {
  return sql.replace(new RegExp(ANY_LITERAL, 'g'), "''");
}

const SIMPLE: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', 0: '\0' };

/** The value of a string constant: `'...'` with its escapes read, or `$$...$$` as written. */
export function readLiteral(token: string): string {
  if (token.startsWith('$$')) {
    if (token.length < 4 || !token.endsWith('$$')) throw Errors.syntax(`unterminated dollar-quoted string ${token.slice(0, 20)}`);
    return token.slice(2, -2);
  }
  if (token.length < 2 || !token.startsWith("'") || !token.endsWith("'")) throw Errors.syntax(`${token.slice(0, 20)} is not a string constant`);
  const body = token.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "'") {
      // Only '' can stand inside the constant; a lone quote would have ended it.
      if (body[i + 1] !== "'") throw Errors.syntax(`unexpected quote in string constant ${token.slice(0, 20)}`);
      out += "'";
      i++;
    } else if (c === '\\') {
      if (i + 1 >= body.length) throw Errors.syntax(`string constant ${token.slice(0, 20)} ends in a backslash`);
      const e = body[++i];
      const octal = /^[0-7]{3}/.exec(body.slice(i, i + 3));
      const hex = e === 'x' ? /^[0-9A-Fa-f]{2}/.exec(body.slice(i + 1, i + 3)) : null;
      const unicode = e === 'u' ? /^[0-9A-Fa-f]{4}/.exec(body.slice(i + 1, i + 5)) : null;
      if (octal) {
        out += String.fromCharCode(parseInt(octal[0], 8));
        i += 2;
      } else if (hex) {
        out += String.fromCharCode(parseInt(hex[0], 16));
        i += 2;
      } else if (unicode) {
        out += String.fromCharCode(parseInt(unicode[0], 16));
        i += 4;
      } else {
        out += SIMPLE[e] ?? e;
      }
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * A value as a single-quoted constant in Snowflake SQL the server writes for its own translator
 * (inline tables, session functions): backslashes and quotes escaped, so the translator reads back
 * exactly the value.
 */
export function sfStringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
