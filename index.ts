/**
 * cdktf-snowflake-many-model: constructs for Snowflake many-model ML pipelines.
 *
 * The package root exports what a CDK for Terraform app uses: the constructs with their props,
 * imports and grants, the policy pack, and the hook collector's public face. The runner, the CLI,
 * the local server and the reference worker are run through `many-model` (docs/cli.md), not
 * imported; their modules are not part of this API.
 */

// The pipeline and its parts.
export { ManyModelPipeline } from './constructs/many-model-pipeline';
export type { ManyModelPipelineProps, PipelineRegistryOptions, PipelineRoles, PipelineScoringOptions } from './constructs/many-model-pipeline';
export { ModelSet, TrainingStrategy } from './constructs/training-strategy';
export type { QueuePassOptions, ScreenThenRefineOptions, TasksPassOptions, TrainingChoice } from './constructs/training-strategy';
export { Trainer } from './constructs/trainer';
export type { TrainerOptions } from './constructs/trainer';
export { SourceTable } from './constructs/source-table';
export type { ISourceTable, SourceTableOptions } from './constructs/source-table';
export { ComputePool, InstanceFamily, INSTANCE_FAMILY_VCPUS, MAX_COMPUTE_POOL_NODES } from './constructs/compute-pool';
export type { ComputePoolImportOptions, ComputePoolProps, IComputePool } from './constructs/compute-pool';
export { QueueTable } from './constructs/queue-table';
export type { IQueueTable, QueueTableImportOptions, QueueTableProps } from './constructs/queue-table';
export { ImageRepository } from './constructs/image-repository';
export type { IImageRepository, ImageRepositoryProps } from './constructs/image-repository';
export { DEFAULT_INPUT_COLUMNS, DEFAULT_OUTPUT_COLUMNS, ModelRegistryAggregator, PromotionGate, TargetPlatform } from './constructs/model-registry-aggregator';
export type { ColumnDefinition, IModelRegistryAggregator, ModelRegistryAggregatorProps } from './constructs/model-registry-aggregator';
export { InferenceService, ServiceIngress } from './constructs/inference-service';
export type { InferenceServiceOptions, InferenceServiceProps } from './constructs/inference-service';
export { GateMetric } from './lib/sql/registry';
export { PipelineMonitor } from './constructs/pipeline-monitor';
export type { DegradationThresholds, DegradedShareAlertOptions, DriftThresholds, MonitoringOptions, PipelineMonitorProps } from './constructs/pipeline-monitor';
export { RetrainLoop } from './constructs/retrain-loop';
export type { RetrainLoopProps, RetrainOptions } from './constructs/retrain-loop';
export { VersionMonitor } from './constructs/version-monitor';
export type { ModelMonitorOptions } from './constructs/version-monitor';
export { ChallengerGate, ChallengerMerge, ChallengerPromotion } from './constructs/challenger-gate';
export type { ChallengerGateProps, ChallengerOptions } from './constructs/challenger-gate';
export { BatchScoringJob, MAX_HORIZON } from './constructs/batch-scoring-job';
export type { BatchScoringJobProps } from './constructs/batch-scoring-job';
export { HooksLedger } from './constructs/hooks-ledger';

// Account objects, roles and grants.
export { Database, Role, Schema, Warehouse, WarehouseSize } from './constructs/core';
export type { DatabaseProps, IDatabase, IRole, ISchema, IWarehouse, RoleProps, SchemaProps, WarehouseProps } from './constructs/core';
export { Grant, GrantOn, grantPrivileges, grantRole } from './constructs/grants';
export type { GrantedPrivileges, RoleGrant } from './constructs/grants';

// Names, synthesis and account features.
export { ManyModelNames } from './constructs/names';
export { RelativeLocalState } from './constructs/local-backend';
export { EnablePreviewFeatures, enablePreviewFeatures } from './constructs/preview-features';

// Values the props take, and the errors invalid props raise.
export { Duration } from './lib/duration';
export { Schedule } from './lib/schedule';
export { InvalidValueError, ValidationError } from './lib/errors';

// Post-deploy hooks: the collector constructs add their steps to, and the manifest it writes.
export { Hooks } from './lib/hooks/hooks';
export type { CustomHookOptions, IHookDependable } from './lib/hooks/hooks';
export { MANIFEST_FILE_NAME, MANIFEST_SCHEMA_VERSION } from './lib/hooks/manifest';
export type { HookManifest, HookStatement, HookStep } from './lib/hooks/manifest';

// The policy pack (an Aspect, one rule per file).
export { ManyModelChecks, POLICY_REPORT_FILE, PolicySuppressions } from './lib/policy/checks';
export type { ManyModelChecksOptions, PolicyFinding, PolicyReport, PolicySuppression } from './lib/policy/checks';
export { RuleResult } from './lib/policy/rule';
export type { PolicyRule, RuleLevel, RuleSubject } from './lib/policy/rule';
export {
  computePoolAutoSuspend,
  computePoolMaxNodes,
  consumerLeastPrivilege,
  procedureWarehouse,
  promotionGate,
  publicInferenceEndpoint,
  queueLease,
  scoringSchedule,
  stageEncryption,
} from './lib/policy';
