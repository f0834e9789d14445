import { TerraformResource } from '../lib/engine';

/**
 * Makes `resource` wait for `others` in Terraform (`depends_on`). Needed where the dependency is
 * by name only (a grant on a table created by an Execute resource), which Terraform cannot infer.
 * `node.addDependency` orders constructs but writes no depends_on, so this is the one way we use.
 */
export function dependOn(resource: TerraformResource, ...others: TerraformResource[]): void {
  const current = resource.dependsOn ?? [];
  const added = others.map((o) => o.fqn).filter((f) => !current.includes(f));
  if (added.length > 0) resource.dependsOn = [...current, ...added];
}
