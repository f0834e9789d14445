import { TerraformStack } from '../lib/engine';
import { IConstruct } from 'constructs';
import { ValidationError, validateProp } from '../lib/errors';
import { deriveName, normalizeIdentifier } from '../lib/identifiers';
import { hasClaimsWithin } from './object-names';

const PREFIXES = new WeakMap<IConstruct, string>();

/** Names this library derives from construct paths. */
export class ManyModelNames {
  /**
   * Prefixes every name derived from a construct path under `scope` (a stack, or the whole app)
   * with `PREFIX_`: `ManyModelNames.prefix(this, 'DEV')` in a stack's constructor turns its
   * `FORECAST_RUNNER` into `DEV_FORECAST_RUNNER`, so a dev and a prod stack of one app (one account)
   * do not declare the same roles, warehouses and pools. Names given explicitly are kept. Call it
   * before declaring the constructs it should cover.
   */
  static prefix(scope: IConstruct, prefix: string): void {
    const name = validateProp(scope.node.path, 'ManyModelNames.prefix', () => normalizeIdentifier(prefix, 'name prefix'));
    if (hasClaimsWithin(scope)) {
      throw new ValidationError(
        scope.node.path,
        'ManyModelNames.prefix',
        'comes after constructs of this scope already derived their names',
        'Call ManyModelNames.prefix(scope, prefix) first, before declaring pipelines, pools, roles or warehouses under it',
      );
    }
    PREFIXES.set(scope, name);
  }

  /** The prefix in effect for `construct`: the nearest scope's, or none. */
  static prefixOf(construct: IConstruct): string | undefined {
    for (const s of [...construct.node.scopes].reverse()) {
      const p = PREFIXES.get(s);
      if (p !== undefined) return p;
    }
    return undefined;
  }
}

/**
 * A deterministic Snowflake name from a construct's path below its stack (so two pipelines in one
 * stack never collide, and the same app always yields the same names), plus optional suffixes,
 * after the scope's `ManyModelNames.prefix` when one is set.
 */
export function nameFromPath(construct: IConstruct, ...suffix: string[]): string {
  const stack = TerraformStack.of(construct);
  const below = construct.node.scopes.slice(stack.node.scopes.length).map((c) => c.node.id);
  const prefix = ManyModelNames.prefixOf(construct);
  return deriveName([...(prefix ? [prefix] : []), ...below, ...suffix]);
}
