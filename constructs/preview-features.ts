import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { Aspects, IAspect, TerraformResource, TerraformStack } from 'cdktf';
import { Construct, IConstruct } from 'constructs';

/**
 * Resource types that provider 2.11 (`@cdktf/provider-snowflake` 15.9.x) ships as preview
 * features, disabled unless named in the provider's `preview_features_enabled` (the provider's
 * own documentation of that field lists them). Compute pools were promoted to stable.
 */
export const PREVIEW_FEATURES: Readonly<Record<string, string>> = {
  snowflake_stage: 'snowflake_stage_resource',
  snowflake_table: 'snowflake_table_resource',
  snowflake_procedure_python: 'snowflake_procedure_python_resource',
  snowflake_job_service: 'snowflake_job_service_resource',
};

/** The preview features the resources in `stack` need, sorted. */
export function requiredPreviewFeatures(stack: TerraformStack): string[] {
  const needed = new Set<string>();
  const visit = (c: IConstruct): void => {
    if (c instanceof TerraformResource) {
      const feature = PREVIEW_FEATURES[c.terraformResourceType];
      if (feature) needed.add(feature);
    }
    for (const child of c.node.children) visit(child);
  };
  visit(stack);
  return [...needed].sort();
}

function providersOf(stack: TerraformStack): SnowflakeProvider[] {
  return stack.node.findAll().filter((c): c is SnowflakeProvider => c instanceof SnowflakeProvider);
}

/**
 * An Aspect that adds the preview features the stack's resources need to a Snowflake provider,
 * keeping entries already there. It runs on the finished tree, so resources added after the
 * provider are covered too: `Aspects.of(stack).add(new EnablePreviewFeatures())`.
 */
export class EnablePreviewFeatures implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof SnowflakeProvider)) return;
    const stack = TerraformStack.of(node);
    node.previewFeaturesEnabled = [...new Set([...(node.previewFeaturesEnabled ?? []), ...requiredPreviewFeatures(stack)])].sort();
  }
}

/** Shorthand for `Aspects.of(stack).add(new EnablePreviewFeatures())`. */
export function enablePreviewFeatures(scope: IConstruct): void {
  Aspects.of(TerraformStack.of(scope)).add(new EnablePreviewFeatures());
}

const CHECK_ID = 'ManyModelPreviewFeatureCheck';

/**
 * Registers (once per stack) a synth-time check that every Snowflake provider enables the preview
 * features our resources need; the error names the missing ones and the fix.
 */
export function checkPreviewFeatures(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  if (stack.node.tryFindChild(CHECK_ID)) return;
  const marker = new Construct(stack, CHECK_ID);
  marker.node.addValidation({
    validate: () => {
      const needed = requiredPreviewFeatures(stack);
      if (needed.length === 0) return [];
      const providers = providersOf(stack);
      if (providers.length === 0) {
        return [`${stack.node.path}: the stack has Snowflake resources but no SnowflakeProvider. Add new SnowflakeProvider(stack, 'snowflake', { previewFeaturesEnabled: ${JSON.stringify(needed)} }).`];
      }
      const errors: string[] = [];
      for (const p of providers) {
        const enabled = new Set(p.previewFeaturesEnabled ?? []);
        const missing = needed.filter((f) => !enabled.has(f));
        if (missing.length > 0) {
          errors.push(`${p.node.path}: previewFeaturesEnabled lacks ${missing.join(', ')}, which resources in this stack need (the provider refuses preview resources otherwise). Add them to previewFeaturesEnabled, or call enablePreviewFeatures(stack).`);
        }
      }
      return errors;
    },
  });
}
