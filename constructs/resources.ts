/**
 * The one module that loads the Snowflake provider bindings, and so the one place that says which
 * Terraform resource type declares each Snowflake object. Constructs take the resource classes
 * from here, never from `@cdktf/provider-snowflake/...` directly.
 *
 * The bindings package goes with the engine (lib/engine.ts): `@cdktf/provider-snowflake` 15.9.x on
 * cdktf 0.21, also when `cdktf` is CDK Terrain under that name; `@cdktn/provider-snowflake` on
 * `cdktn`. The types are those of the `@cdktf/provider-snowflake` 15.9.1 devDependency, which
 * targets provider 2.11.0 (its package.json, `cdktf.provider.version`): the resource classes
 * below, and their config fields the constructs set, are also in `@cdktn/provider-snowflake`
 * 18.x (provider 2.19/2.20), docs/engines.md says what else changes there.
 *
 * The choices at provider 2.11 (docs/engines.md, "Provider"):
 * - the aggregator's artifact stage is `snowflake_stage` (a preview resource). Provider 2.13
 *   deprecates it for `snowflake_stage_internal` (stable from 2.18) and v3 removes it; the
 *   provider's docs/guides/resource_migration.md moves such an object without dropping it
 *   (`terraform state rm` or a `removed` block, then an import into the new resource);
 * - the queue's hybrid table is created by `snowflake_execute` (CREATE HYBRID TABLE ... with its
 *   revert and read-back query): 2.11 has no hybrid-table resource; 2.20 adds
 *   `snowflake_hybrid_table` as a preview;
 * - the screen pass's job services run from tasks (`EXECUTE JOB SERVICE` in `snowflake_task`),
 *   which the hooks runner executes (docs/architecture.md, "Training passes"), not as
 *   `snowflake_job_service` resources (a preview resource since provider 2.2).
 */
import type * as AccountRoleModule from '@cdktf/provider-snowflake/lib/account-role';
import type * as AlertModule from '@cdktf/provider-snowflake/lib/alert';
import type * as ComputePoolModule from '@cdktf/provider-snowflake/lib/compute-pool';
import type * as DatabaseModule from '@cdktf/provider-snowflake/lib/database';
import type * as ExecuteModule from '@cdktf/provider-snowflake/lib/execute';
import type * as GrantAccountRoleModule from '@cdktf/provider-snowflake/lib/grant-account-role';
import type * as GrantPrivilegesModule from '@cdktf/provider-snowflake/lib/grant-privileges-to-account-role';
import type * as ImageRepositoryModule from '@cdktf/provider-snowflake/lib/image-repository';
import type * as ProcedurePythonModule from '@cdktf/provider-snowflake/lib/procedure-python';
import type * as ProviderModule from '@cdktf/provider-snowflake/lib/provider';
import type * as SchemaModule from '@cdktf/provider-snowflake/lib/schema';
import type * as StageModule from '@cdktf/provider-snowflake/lib/stage';
import type * as TableModule from '@cdktf/provider-snowflake/lib/table';
import type * as TaskModule from '@cdktf/provider-snowflake/lib/task';
import type * as WarehouseModule from '@cdktf/provider-snowflake/lib/warehouse';
import { ENGINE } from '../lib/engine';

/** One module of the bindings (`lib/<resource>`), the way the bindings' own index loads it. */
function load<T>(dir: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`${ENGINE.bindings}/lib/${dir}`) as T;
}

/** The bindings package loaded, and the provider version its resources are generated from. */
export const SNOWFLAKE_BINDINGS: { readonly package: string; readonly version: string; readonly providerSource: string; readonly providerVersion: string } =
  (() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require(`${ENGINE.bindings}/package.json`) as {
      name: string;
      version: string;
      cdktf?: { provider: { name: string; version: string } };
      cdktn?: { provider: { name: string; version: string } };
    };
    const provider = (pkg.cdktn ?? pkg.cdktf)?.provider;
    return { package: pkg.name, version: pkg.version, providerSource: provider?.name ?? 'unknown', providerVersion: provider?.version ?? 'unknown' };
  })();

const provider = load<typeof ProviderModule>('provider');
/** The Snowflake provider (`provider "snowflake"`). */
export const SnowflakeProvider = provider.SnowflakeProvider;
export type SnowflakeProvider = ProviderModule.SnowflakeProvider;
export type SnowflakeProviderConfig = ProviderModule.SnowflakeProviderConfig;

/** `snowflake_account_role`: Role. */
export const AccountRole = load<typeof AccountRoleModule>('account-role').AccountRole;
export type AccountRole = AccountRoleModule.AccountRole;

/** `snowflake_database`: Database. */
export const DatabaseResource = load<typeof DatabaseModule>('database').Database;
export type DatabaseResource = DatabaseModule.Database;

/** `snowflake_schema`: Schema. */
export const SchemaResource = load<typeof SchemaModule>('schema').Schema;
export type SchemaResource = SchemaModule.Schema;

/** `snowflake_warehouse`: Warehouse. */
export const WarehouseResource = load<typeof WarehouseModule>('warehouse').Warehouse;
export type WarehouseResource = WarehouseModule.Warehouse;

/** `snowflake_compute_pool`: ComputePool. */
export const ComputePoolResource = load<typeof ComputePoolModule>('compute-pool').ComputePool;
export type ComputePoolResource = ComputePoolModule.ComputePool;

/** `snowflake_image_repository`: ImageRepository. */
export const ImageRepositoryResource = load<typeof ImageRepositoryModule>('image-repository').ImageRepository;
export type ImageRepositoryResource = ImageRepositoryModule.ImageRepository;

/** `snowflake_table`: the pipeline's tables (metrics, runs, ledger, index, scoring results). */
export const Table = load<typeof TableModule>('table').Table;
export type Table = TableModule.Table;

/** `snowflake_task`: the screen pass's task graph and the scheduled scoring. */
export const Task = load<typeof TaskModule>('task').Task;
export type Task = TaskModule.Task;

/**
 * `snowflake_alert`: a pipeline monitor's degraded-share alert (a preview resource: PREVIEW_FEATURES).
 * CDK Terrain's bindings have it too (`src/alert` in cdktn-io/cdktn-provider-snowflake).
 */
export const Alert = load<typeof AlertModule>('alert').Alert;
export type Alert = AlertModule.Alert;

/** `snowflake_stage` (internal): the aggregator's artifact stage. See the module comment. */
export const Stage = load<typeof StageModule>('stage').Stage;
export type Stage = StageModule.Stage;

/** `snowflake_procedure_python`: the registration procedure, an inference service's deploy and grant procedures. */
export const ProcedurePython = load<typeof ProcedurePythonModule>('procedure-python').ProcedurePython;
export type ProcedurePython = ProcedurePythonModule.ProcedurePython;

/** `snowflake_execute`: the queue's hybrid table. See the module comment. */
export const Execute = load<typeof ExecuteModule>('execute').Execute;
export type Execute = ExecuteModule.Execute;

/** `snowflake_grant_privileges_to_account_role`: one per (role, object) (./grants.ts). */
export const GrantPrivilegesToAccountRole = load<typeof GrantPrivilegesModule>('grant-privileges-to-account-role').GrantPrivilegesToAccountRole;
export type GrantPrivilegesToAccountRole = GrantPrivilegesModule.GrantPrivilegesToAccountRole;
export type GrantPrivilegesToAccountRoleConfig = GrantPrivilegesModule.GrantPrivilegesToAccountRoleConfig;

/** `snowflake_grant_account_role`: a role granted to a role. */
export const GrantAccountRole = load<typeof GrantAccountRoleModule>('grant-account-role').GrantAccountRole;
export type GrantAccountRole = GrantAccountRoleModule.GrantAccountRole;

/**
 * Resource types above that the provider ships as preview features, disabled unless named in the
 * provider's `preview_features_enabled` (the provider's documentation of that field lists them).
 * True from 2.11 through 2.20 (MIGRATION_GUIDE.md: compute pools and image repositories were
 * promoted to stable in 2.10; none of these four since). `snowflake_job_service` is listed for
 * apps that declare one beside the pipeline's.
 */
export const PREVIEW_FEATURES: Readonly<Record<string, string>> = {
  snowflake_stage: 'snowflake_stage_resource',
  snowflake_table: 'snowflake_table_resource',
  snowflake_procedure_python: 'snowflake_procedure_python_resource',
  snowflake_job_service: 'snowflake_job_service_resource',
  // Listed among preview_features_enabled's values by provider 2.11's provider schema (the bindings'
  // SnowflakeProvider.previewFeaturesEnabled), as snowflake_alert_resource.
  snowflake_alert: 'snowflake_alert_resource',
};
