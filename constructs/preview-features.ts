import { Aspects, ENGINE, ENGINE_ENV, IAspect, TerraformResource, TerraformStack } from '../lib/engine';
import { PREVIEW_FEATURES, SNOWFLAKE_BINDINGS, SnowflakeProvider } from './resources';
import { Construct, IConstruct } from 'constructs';

export { PREVIEW_FEATURES } from './resources';

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
        const foreign = stack.node.findAll().find((c) => c.constructor.name === 'SnowflakeProvider');
        if (foreign) {
          return [
            `${foreign.node.path}: this SnowflakeProvider comes from other Snowflake bindings than the ones cdktf-snowflake-many-model loaded (${SNOWFLAKE_BINDINGS.package} ${SNOWFLAKE_BINDINGS.version}, chosen because ${ENGINE.reason}). Import SnowflakeProvider from ${SNOWFLAKE_BINDINGS.package}, or set ${ENGINE_ENV} to the engine the app uses (docs/engines.md).`,
          ];
        }
        return [
          `${stack.node.path}: the stack has Snowflake resources but no SnowflakeProvider. Add new SnowflakeProvider(stack, 'snowflake', { previewFeaturesEnabled: ${JSON.stringify(needed)} }).`,
        ];
      }
      const errors: string[] = [];
      for (const p of providers) {
        const enabled = new Set(p.previewFeaturesEnabled ?? []);
        const missing = needed.filter((f) => !enabled.has(f));
        if (missing.length > 0) {
          errors.push(
            `${p.node.path}: previewFeaturesEnabled lacks ${missing.join(', ')}, which resources in this stack need (the provider refuses preview resources otherwise). Add them to previewFeaturesEnabled, or call enablePreviewFeatures(stack).`,
          );
        }
      }
      return errors;
    },
  });
}
