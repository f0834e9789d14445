/**
 * Every statement `many-model doctor` sends, in one place, and how each answer is read. All of them
 * are read-only: SHOW commands and SELECTs on views.
 */
import { quoteIdentifier, sqlString } from '../identifiers';
import { AccountAnswers, Answer, GrantRow } from './checks';
import { dotted, StackNeeds } from './needs';

type Row = Record<string, unknown>;
/** Runs one statement; rejects with an error carrying Snowflake's `code`. */
export type Query = (sql: string) => Promise<Row[]>;

const q = (name: string) => name.split('.').map(quoteIdentifier).join('.');

export const QUERIES = {
  /** https://docs.snowflake.com/en/sql-reference/sql/show-grants: privileges and roles granted to the role. */
  grantsTo: (role: string) => `SHOW GRANTS TO ROLE ${quoteIdentifier(role)}`,
  /** https://docs.snowflake.com/en/sql-reference/sql/show-image-repositories: repositories the role has a privilege on. */
  imageRepositories: (schema: string) => `SHOW IMAGE REPOSITORIES IN SCHEMA ${q(schema)}`,
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
    `SELECT PACKAGE_NAME, VERSION FROM SNOWFLAKE.INFORMATION_SCHEMA.PACKAGES WHERE LANGUAGE = 'python' AND PACKAGE_NAME = ${sqlString(name)} AND VERSION = ${sqlString(version)}`,
  /** https://docs.snowflake.com/en/sql-reference/sql/show-compute-pool-instance-families */
  instanceFamilies: 'SHOW COMPUTE POOL INSTANCE FAMILIES',
} as const;

const str = (row: Row, key: string): string => String(row[key] ?? row[key.toUpperCase()] ?? '');

/** A SHOW GRANTS row in the doctor's terms. */
export function grantRow(row: Row): GrantRow {
  return {
    privilege: str(row, 'privilege').toUpperCase(),
    grantedOn: str(row, 'granted_on').toUpperCase().replace(/_/g, ' '),
    name: dotted(str(row, 'name')),
    grantee: dotted(str(row, 'grantee_name')),
    grantOption: str(row, 'grant_option').toUpperCase() === 'TRUE',
  };
}

async function ask<T>(query: Query, sql: string, read: (rows: Row[]) => T): Promise<Answer<T>> {
  try {
    return { ok: true, value: read(await query(sql)) };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, error: `${err.code ? `${err.code}: ` : ''}${err.message.split('\n').join(' ')}`, missing: err.code === '002003' };
  }
}

/** Asks the account what the stacks' checks need, each question once. */
export async function gatherAnswers(query: Query, stacks: readonly StackNeeds[]): Promise<AccountAnswers> {
  const grantsTo: Record<string, Answer<readonly GrantRow[]>> = {};
  // The deploy role, the roles the stacks create, the parents they are granted to, and every role below them.
  const pending = new Set<string>();
  for (const s of stacks) {
    pending.add(s.deployRole);
    for (const r of s.createdRoles) pending.add(r);
    for (const n of [...s.beforeApply, ...s.afterApply]) if (n.kind === 'role-grant') pending.add(n.parent);
    for (const repo of s.imageRepositories) for (const r of repo.readers) pending.add(r);
  }
  const queue = [...pending];
  while (queue.length > 0 && Object.keys(grantsTo).length < 200) {
    const role = queue.shift()!;
    if (role in grantsTo) continue;
    const a = await ask(query, QUERIES.grantsTo(role), (rows) => rows.map(grantRow));
    grantsTo[role] = a;
    if (a.ok) for (const g of a.value) if (g.grantedOn === 'ROLE' && g.privilege === 'USAGE' && !(g.name in grantsTo)) queue.push(g.name);
  }
  const imageRepositories: Record<string, Answer<readonly string[]>> = {};
  for (const s of stacks) {
    for (const repo of s.imageRepositories) {
      const schema = repo.name.split('.').slice(0, 2).join('.');
      if (!(schema in imageRepositories)) imageRepositories[schema] = await ask(query, QUERIES.imageRepositories(schema), (rows) => rows.map((r) => str(r, 'name').toUpperCase()));
    }
  }
  const wantsHybrid = stacks.some((s) => s.hybridTables.length > 0);
  const hybridTables = wantsHybrid ? await ask(query, QUERIES.hybridTables, (rows) => rows.length) : undefined;
  const region = wantsHybrid ? await ask(query, QUERIES.region, (rows) => str(rows[0] ?? {}, 'REGION')) : undefined;
  const packages: Record<string, Answer<boolean>> = {};
  for (const s of stacks) {
    for (const p of s.packages) {
      const key = `${p.name}==${p.version}`;
      if (!(key in packages)) packages[key] = await ask(query, QUERIES.package(p.name, p.version), (rows) => rows.length > 0);
    }
  }
  const wantsPools = stacks.some((s) => s.computePools.length > 0);
  const instanceFamilies = wantsPools ? await ask(query, QUERIES.instanceFamilies, (rows) => rows.map((r) => str(r, 'name'))) : undefined;
  return { grantsTo, imageRepositories, hybridTables, region, packages, instanceFamilies };
}
