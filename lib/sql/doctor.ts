/**
 * Every statement `many-model doctor` sends (runner/doctor/queries.ts sends them and reads the
 * answers). All of them are read-only: SHOW commands and SELECTs on views.
 */
import { quoteDotted, quoteIdentifier, sqlString } from '../identifiers';

export const DOCTOR_QUERIES = {
  /** https://docs.snowflake.com/en/sql-reference/sql/show-grants: privileges and roles granted to the role. */
  grantsTo: (role: string) => `SHOW GRANTS TO ROLE ${quoteIdentifier(role)}`,
  /** https://docs.snowflake.com/en/sql-reference/sql/show-image-repositories: repositories the role has a privilege on. */
  imageRepositories: (schema: string) => `SHOW IMAGE REPOSITORIES IN SCHEMA ${quoteDotted(schema)}`,
  /**
   * https://docs.snowflake.com/en/sql-reference/sql/show-hybrid-tables. Snowflake documents no
   * read-only switch that says whether hybrid tables are enabled; the command's being answered,
   * with the region (below), is what can be told without creating one.
   */
  hybridTables: 'SHOW HYBRID TABLES IN ACCOUNT LIMIT 1',
  /** https://docs.snowflake.com/en/sql-reference/functions/current_region: where the account runs (hybrid tables' limitations are by region). */
  region: 'SELECT CURRENT_REGION() AS REGION',
  /**
   * The PACKAGES view (https://docs.snowflake.com/en/sql-reference/info-schema/packages): a row per
   * package version usable in a procedure's PACKAGES clause. Every database has the view; the
   * shared SNOWFLAKE database is in every account.
   */
  package: (name: string, version: string) =>
    `SELECT PACKAGE_NAME, VERSION FROM SNOWFLAKE.INFORMATION_SCHEMA.PACKAGES WHERE LANGUAGE = ${sqlString('python')} AND PACKAGE_NAME = ${sqlString(name)} AND VERSION = ${sqlString(version)}`,
  /** The versions of a package the PACKAGES view lists: what the doctor tells a user to pick a pin from. */
  packageVersions: (name: string) =>
    `SELECT VERSION FROM SNOWFLAKE.INFORMATION_SCHEMA.PACKAGES WHERE LANGUAGE = ${sqlString('python')} AND PACKAGE_NAME = ${sqlString(name)}`,
  /** https://docs.snowflake.com/en/sql-reference/sql/show-compute-pool-instance-families */
  instanceFamilies: 'SHOW COMPUTE POOL INSTANCE FAMILIES',
} as const;
