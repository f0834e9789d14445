/**
 * Which attribute changes make Terraform replace (destroy, then create) a resource, for the
 * resource types our constructs emit. Read from the Snowflake provider's resource schemas
 * (`ForceNew: true` and `customdiff.ForceNewIf*` in pkg/resources/*.go of terraform-provider-snowflake
 * v2.11.0, the release @cdktf/provider-snowflake 15.9 binds);
 * docs/gitops.md lists them. A synthesized diff cannot see the provider's schema, so this table is
 * how `many-model plan` predicts replacements; a real `terraform show -json` plan overrides it.
 */

/** A rule: the attribute (top-level key of the resource config) and, optionally, when it forces. */
interface ForceNewRule {
  readonly attribute: string;
  /** Only this kind of change forces a replacement (default: any change). */
  readonly when?: (before: unknown, after: unknown) => boolean;
  /** Why, for the plan's reader. */
  readonly note?: string;
}

const any = (...attrs: string[]): ForceNewRule[] => attrs.map((attribute) => ({ attribute }));
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

export const FORCE_NEW: Readonly<Record<string, readonly ForceNewRule[]>> = {
  // Renamed in place (ALTER ROLE ... RENAME TO): nothing forces a new role.
  snowflake_account_role: [],
  snowflake_database: any('is_transient'),
  snowflake_schema: any('database', 'is_transient'),
  snowflake_table: any('database', 'schema'),
  snowflake_stage: any('database', 'schema', 'name', 'directory'),
  snowflake_task: any('database', 'schema', 'name'),
  // A changed condition or action is altered in place; a new warehouse recreates the alert.
  snowflake_alert: any('database', 'schema', 'name', 'warehouse'),
  snowflake_image_repository: any('database', 'schema', 'name'),
  snowflake_procedure_python: any(
    'database',
    'schema',
    'arguments',
    'return_type',
    'null_input_behavior',
    'runtime_version',
    'imports',
    'snowpark_package',
    'handler',
    'packages',
    'procedure_definition',
    'target_path',
  ),
  snowflake_execute: [{ attribute: 'execute', when: (b) => present(b), note: 'a changed execute statement runs revert, then the new execute' }],
  snowflake_warehouse: [{ attribute: 'warehouse_size', when: (b, a) => present(b) && !present(a), note: 'removing warehouse_size recreates the warehouse' }],
  // Snowflake cannot ALTER a compute pool's instance family (ALTER COMPUTE POOL); the provider recreates it.
  snowflake_compute_pool: any('name', 'for_application', 'instance_family'),
  snowflake_grant_privileges_to_account_role: any('account_role_name', 'on_account', 'on_account_object', 'on_schema', 'on_schema_object', 'with_grant_option'),
  snowflake_grant_account_role: any('parent_role_name', 'role_name', 'user_name'),
};

/** The changed top-level attributes that force a replacement, with a note each. */
export function forceNewAttributes(
  type: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  changed: readonly string[],
): { attribute: string; note?: string }[] {
  const rules = FORCE_NEW[type] ?? [];
  const top = new Set(changed.map((p) => p.split(/[.[]/, 1)[0]));
  return rules
    .filter((r) => top.has(r.attribute) && (r.when ? r.when(before[r.attribute], after[r.attribute]) : true))
    .map((r) => ({ attribute: r.attribute, note: r.note }));
}
