/**
 * How `many-model doctor` asks the account what the checks need, each question once, and how each
 * answer is read. The statements themselves are in lib/sql/doctor.ts.
 */
import { DOCTOR_QUERIES as QUERIES } from '../../lib/sql/doctor';
import { AccountAnswers, Answer, GrantRow } from './checks';
import { dotted, StackNeeds } from './needs';

type Row = Record<string, unknown>;
/** Runs one statement; rejects with an error carrying Snowflake's `code`. */
export type Query = (sql: string) => Promise<Row[]>;

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
      if (!(schema in imageRepositories))
        imageRepositories[schema] = await ask(query, QUERIES.imageRepositories(schema), (rows) => rows.map((r) => str(r, 'name').toUpperCase()));
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
