import { sqlNumber, sqlString } from '../identifiers';

/**
 * A rendered SQL statement with `?` bind markers and the names of the values to bind, in order.
 * Workers and the runner bind the values through snowflake-sdk; nothing is spliced into the text.
 */
export interface BoundStatement {
  /** SQL text with positional `?` markers. */
  readonly sql: string;
  /** What each `?` stands for, in order (documented in docs/worker-contract.md). */
  readonly params: readonly string[];
}

/** Runtime variables the hooks runner substitutes into `{{NAME}}` placeholders of manifest SQL. */
export const RUN_VARIABLES = {
  /** The pipeline run id, minted by the runner: `R` + 12 to 40 of [A-Z0-9_]. */
  RUN_ID: /^R[A-Z0-9_]{12,40}$/,
  /**
   * A model version's name, captured at run time (the version an alias points to), used both as
   * the version in MODEL(m, v) and as the recorded lineage: an unquoted upper-case identifier.
   */
  MODEL_VERSION: /^[A-Z_][A-Z0-9_$]{0,254}$/,
} as const;

export type RunVariable = keyof typeof RUN_VARIABLES;

/** `{{RUN_ID}}`: a placeholder the runner replaces with a value validated against RUN_VARIABLES. */
export function runVar(name: RunVariable): string {
  return `{{${name}}}`;
}

/**
 * Inlines the values of a BoundStatement's `?` markers as constants (sqlString, sqlNumber), for
 * manifest SQL whose values are known at synth (pass names) or are runner placeholders
 * (`{{RUN_ID}}`). Our renderers never put `?` inside literals, which this checks by counting.
 */
export function inlineParams(b: BoundStatement, values: Readonly<Record<string, string | number>>): string {
  const markers = b.sql.split('?').length - 1;
  if (markers !== b.params.length) throw new Error(`statement has ${markers} markers for ${b.params.length} params`);
  let i = 0;
  return b.sql.replace(/\?/g, () => {
    const name = b.params[i++];
    const v = values[name];
    if (v === undefined) throw new Error(`no value for param ${name}`);
    return typeof v === 'number' ? sqlNumber(v) : sqlString(v);
  });
}

/**
 * The values of a BoundStatement's markers in order, by the names in its `params` (a name may stand
 * for several markers), so a caller never lines values up by position.
 */
export function bindValues<V>(b: BoundStatement, values: Readonly<Record<string, V>>): V[] {
  return b.params.map((name) => {
    if (!(name in values)) throw new Error(`no value for param ${name}`);
    return values[name];
  });
}
