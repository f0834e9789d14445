/**
 * The one module that loads the CDK engine: CDK for Terraform (`cdktf`, 0.21.0 its last release,
 * archived upstream on 2025-12-10) or its maintained continuation CDK Terrain (`cdktn`). Every
 * library module takes `App`, `TerraformStack`, `Aspects`, `Token`, ... and the custom-synthesis
 * hook from here, and the Snowflake provider bindings from constructs/resources.ts, which asks this
 * module which bindings package goes with the engine. Switching engines is a change here only.
 *
 * The library must use the same module instance as the user's app: constructs find the app's stack
 * and provider with `instanceof`, and an `App` of one copy does not synthesize another copy's
 * resources. So the engine is not a dependency of the package but whatever the app installed
 * (peer dependencies), chosen in this order (docs/engines.md):
 *
 * 1. `MANY_MODEL_CDK_ENGINE=cdktf|cdktn`, for a project that has both installed as two copies;
 * 2. the engine of the Snowflake bindings installed: `@cdktf/provider-snowflake` (built on `cdktf`)
 *    or `@cdktn/provider-snowflake` (built on `cdktn`), when exactly one of them resolves;
 * 3. `cdktf` when it resolves, else `cdktn`.
 *
 * `cdktf` may itself be CDK Terrain installed under the old name (`"cdktf": "npm:cdktn@0.24.0"`),
 * which is how an app moves today: the prebuilt `@cdktf/provider-snowflake` bindings import
 * `cdktf`, and the alias makes that the app's `cdktn`. CDK Terrain keeps cdktf's internal symbols
 * (`Symbol.for("cdktf/TerraformStack")`), its `cdktf.json`, `cdktf.out/` and `CDKTF_*` names
 * (CDK Terrain's "Migrating to CDKTN" guide, open-constructs/cdk-terrain-docs
 * content/release/upgrade-guide-v0-22.mdx, "What Stays the Same"), and its
 * `lib/synthesize/synthesizer` has the same `addCustomSynthesis` (checked in cdktn 0.24.0).
 *
 * Types are cdktf 0.21's (the `cdktf` devDependency): CDK Terrain 0.24's API is a superset of them
 * (it adds `TerraformEphemeralResource`, `TerraformProviderFunction`, map-of-map types and
 * `ProviderFeature`; nothing the library uses changed).
 */
import * as path from 'path';
import type * as Cdktf from 'cdktf';
import type { IConstruct } from 'constructs';
import type * as CdktfSynthesizer from 'cdktf/lib/synthesize/synthesizer';

/** The two engines: CDK for Terraform and CDK Terrain. */
export type EngineName = 'cdktf' | 'cdktn';

/** The environment variable that overrides the choice. */
export const ENGINE_ENV = 'MANY_MODEL_CDK_ENGINE';

/** The prebuilt Snowflake provider bindings built on each engine. */
export const BINDINGS: Readonly<Record<EngineName, string>> = {
  cdktf: '@cdktf/provider-snowflake',
  cdktn: '@cdktn/provider-snowflake',
};

/** What the library loaded, and why. */
export interface EngineChoice {
  /** The module name the engine is loaded by (`cdktf` also when it is CDK Terrain under that name). */
  readonly module: EngineName;
  /** The Snowflake provider bindings package loaded with it. */
  readonly bindings: string;
  /** Why this one, for the error messages that name it. */
  readonly reason: string;
}

/**
 * Chooses the engine (see the module comment); `resolve` returns a module's resolved path or
 * undefined. Pure, so that tests can try every installation.
 */
export function chooseEngine(env: NodeJS.ProcessEnv, resolve: (id: string) => string | undefined): EngineChoice {
  const named = env[ENGINE_ENV];
  if (named !== undefined && named !== '') {
    if (named !== 'cdktf' && named !== 'cdktn') throw new Error(`${ENGINE_ENV} must be cdktf or cdktn, not ${JSON.stringify(named)}`);
    return { module: named, bindings: BINDINGS[named], reason: `${ENGINE_ENV}=${named}` };
  }
  const withBindings = (['cdktf', 'cdktn'] as const).filter((e) => resolve(`${BINDINGS[e]}/package.json`) !== undefined);
  if (withBindings.length === 1) {
    const e = withBindings[0];
    return { module: e, bindings: BINDINGS[e], reason: `${BINDINGS[e]} is installed` };
  }
  for (const e of ['cdktf', 'cdktn'] as const) {
    if (resolve(e) !== undefined) return { module: e, bindings: BINDINGS[e], reason: `${e} is installed` };
  }
  throw new Error(
    'cdktf-snowflake-many-model needs a CDK engine installed beside it, as its peer dependencies say: ' +
      'CDK for Terraform (npm install cdktf@0.21.0 constructs@10.8.1 @cdktf/provider-snowflake@15.9.1) ' +
      'or CDK Terrain (docs/engines.md)',
  );
}

function resolveFromHere(id: string): string | undefined {
  try {
    return require.resolve(id);
  } catch {
    return undefined;
  }
}

/** The engine this process uses. */
export const ENGINE: EngineChoice = chooseEngine(process.env, resolveFromHere);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const engine = require(ENGINE.module) as typeof Cdktf;
// The custom-synthesis hook is not a root export: a deep import, in both engines.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const synthesizer = require(`${ENGINE.module}/lib/synthesize/synthesizer`) as typeof CdktfSynthesizer;

/** The engine's package.json name and version: `cdktn` 0.24.0 also when loaded as `cdktf`. */
export const ENGINE_PACKAGE: { readonly name: string; readonly version: string } = (() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(`${ENGINE.module}/package.json`) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
})();

/** Where the engine was loaded from (its package directory). */
export const ENGINE_DIR: string = path.dirname(require.resolve(`${ENGINE.module}/package.json`));

export const App = engine.App;
export type App = Cdktf.App;
export const Annotations = engine.Annotations;
export type Annotations = Cdktf.Annotations;
export const Aspects = engine.Aspects;
export type Aspects = Cdktf.Aspects;
export const DataTerraformRemoteStateLocal = engine.DataTerraformRemoteStateLocal;
export type DataTerraformRemoteStateLocal = Cdktf.DataTerraformRemoteStateLocal;
export const LocalBackend = engine.LocalBackend;
export type LocalBackend = Cdktf.LocalBackend;
export const TerraformResource = engine.TerraformResource;
export type TerraformResource = Cdktf.TerraformResource;
export const TerraformStack = engine.TerraformStack;
export type TerraformStack = Cdktf.TerraformStack;
export const Token = engine.Token;
export type Token = Cdktf.Token;
export type { IAspect } from 'cdktf';

/** Registers a custom synthesis step on `construct` (the engine's `addCustomSynthesis`). */
export const addCustomSynthesis: typeof CdktfSynthesizer.addCustomSynthesis = synthesizer.addCustomSynthesis;

/**
 * Throws when `stack` is a stack of another copy of cdktf/cdktn than the one this library loaded:
 * its resources would never reach that stack's synthesis. Stacks are told apart by the symbol both
 * engines set (`TerraformStack.isStack`), so a foreign stack is found but is not an `instanceof`.
 */
export function assertSameEngine(stack: IConstruct): void {
  if (stack instanceof TerraformStack) return;
  throw new Error(
    `${stack.node.path}: this stack comes from another copy of cdktf/cdktn than the one cdktf-snowflake-many-model loaded ` +
      `(${ENGINE_PACKAGE.name} ${ENGINE_PACKAGE.version} as '${ENGINE.module}' from ${ENGINE_DIR}, chosen because ${ENGINE.reason}). ` +
      `Install one engine for the app and the library, or set ${ENGINE_ENV} to the one the app imports (docs/engines.md).`,
  );
}
