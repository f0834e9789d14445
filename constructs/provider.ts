import { TerraformResource, TerraformStack } from '../lib/engine';
import { SnowflakeProvider } from './resources';
import { IConstruct } from 'constructs';

/**
 * The Snowflake provider that deploys `construct`: the resource's own `provider` when it sets one,
 * else the stack's default (un-aliased) `SnowflakeProvider`, else its first. Undefined outside a
 * stack or in a stack without one.
 */
export function snowflakeProviderOf(construct: IConstruct): SnowflakeProvider | undefined {
  if (construct instanceof TerraformResource && construct.provider instanceof SnowflakeProvider) return construct.provider;
  const stack = construct.node.scopes.find((s): s is TerraformStack => s instanceof TerraformStack);
  if (!stack) return undefined;
  // Providers are nearly always the stack's own children: look there before walking the whole
  // tree, which would make declaring n pipelines O(n^2).
  const direct = stack.node.children.filter((c): c is SnowflakeProvider => c instanceof SnowflakeProvider);
  const providers = direct.length > 0 ? direct : stack.node.findAll().filter((c): c is SnowflakeProvider => c instanceof SnowflakeProvider);
  return providers.find((p) => p.alias === undefined) ?? providers[0];
}
