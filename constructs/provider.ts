import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { TerraformResource, TerraformStack } from 'cdktf';
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
  const providers = stack.node.findAll().filter((c): c is SnowflakeProvider => c instanceof SnowflakeProvider);
  return providers.find((p) => p.alias === undefined) ?? providers[0];
}
