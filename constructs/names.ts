import { TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { deriveName } from '../lib/identifiers';

/**
 * A deterministic Snowflake name from a construct's path below its stack (so two pipelines in one
 * stack never collide, and the same app always yields the same names), plus optional suffixes.
 */
export function nameFromPath(construct: IConstruct, ...suffix: string[]): string {
  const stack = TerraformStack.of(construct);
  const below = construct.node.scopes.slice(stack.node.scopes.length).map((c) => c.node.id);
  return deriveName([...below, ...suffix]);
}
