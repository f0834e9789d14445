/**
 * What Snowflake documents and `many-model doctor` relies on when an account cannot answer itself.
 * Each list cites its page; keep them in step with the pages, not with an account.
 */

/**
 * Instance families "CREATE COMPUTE POOL" documents for INSTANCE_FAMILY
 * (https://docs.snowflake.com/en/sql-reference/sql/create-compute-pool); the same names as the
 * constructs' `InstanceFamily` (constructs/compute-pool.ts; test/runner/doctor/checks.test.ts keeps them
 * equal). An account lists what it offers with SHOW COMPUTE POOL INSTANCE FAMILIES
 * (https://docs.snowflake.com/en/sql-reference/sql/show-compute-pool-instance-families); the doctor
 * falls back to this list when that command is refused.
 */
export const DOCUMENTED_INSTANCE_FAMILIES: readonly string[] = [
  'CPU_X64_XS',
  'CPU_X64_S',
  'CPU_X64_M',
  'CPU_X64_SL',
  'CPU_X64_L',
  'HIGHMEM_X64_S',
  'HIGHMEM_X64_M',
  'HIGHMEM_X64_L',
  'GPU_NV_S',
  'GPU_NV_M',
  'GPU_NV_L',
];

/**
 * Account privileges the system roles hold by default ("Overview of Access Control", system-defined
 * roles: https://docs.snowflake.com/en/user-guide/security-access-control-overview). ACCOUNTADMIN
 * holds every account privilege. Counted whether or not SHOW GRANTS lists them.
 */
export const SYSTEM_ROLE_ACCOUNT_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
  ACCOUNTADMIN: ['*'],
  SECURITYADMIN: ['CREATE ROLE', 'CREATE USER', 'MANAGE GRANTS'],
  USERADMIN: ['CREATE ROLE', 'CREATE USER'],
  SYSADMIN: ['CREATE DATABASE', 'CREATE WAREHOUSE'],
  PUBLIC: [],
};

/** System roles granted below each system role (same page): ACCOUNTADMIN ⊃ SECURITYADMIN ⊃ USERADMIN, ACCOUNTADMIN ⊃ SYSADMIN. */
export const SYSTEM_ROLE_CHILDREN: Readonly<Record<string, readonly string[]>> = {
  ACCOUNTADMIN: ['SECURITYADMIN', 'SYSADMIN'],
  SECURITYADMIN: ['USERADMIN'],
};

/**
 * Where hybrid tables are not available ("Limitations and unsupported features for hybrid tables",
 * clouds and regions: https://docs.snowflake.com/en/user-guide/tables-hybrid-limitations): U.S.
 * SnowGov regions and trial accounts (Google Cloud was excluded before its preview). Nothing
 * read-only tells a trial account apart, so only the region is checked.
 */
export function hybridTablesUnavailableIn(region: string): string | undefined {
  if (/GOV/i.test(region)) return `region ${region} is a SnowGov region, where hybrid tables are not available`;
  return undefined;
}
