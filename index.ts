/**
 * cdktf-snowflake-many-model: constructs for Snowflake many-model ML pipelines, and the pieces the
 * post-deploy runner shares with them.
 */
export * from './constructs';
export { Duration } from './lib/duration';
export { Schedule } from './lib/schedule';
export { InvalidValueError, ValidationError } from './lib/errors';
export { Hooks } from './lib/hooks/hooks';
export type { CustomHookOptions, IHookDependable } from './lib/hooks/hooks';
export { MANIFEST_SCHEMA_VERSION, MANIFEST_FILE_NAME } from './lib/hooks/manifest';
export type { HookManifest, HookStep, HookStatement } from './lib/hooks/manifest';
export { GateMetric } from './lib/sql/registry';
export * from './lib/policy';
export { buildPlan, PLAN_SCHEMA_VERSION } from './lib/plan/plan';
export type { PlanReport, StackPlan, Synthesis, DestructiveChange } from './lib/plan/plan';
export { readSynthesis } from './lib/plan/read-synthesis';
export { renderMarkdown } from './lib/plan/render-markdown';
export { readTerraformPlan } from './lib/plan/terraform-plan';
