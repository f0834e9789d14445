/**
 * The doctor's checks: pure functions from what a stack needs (runner/doctor/needs.ts) and what the
 * account answered (runner/doctor/queries.ts) to one result each. No connection, no clock.
 */
import { DOCUMENTED_INSTANCE_FAMILIES, SYSTEM_ROLE_ACCOUNT_PRIVILEGES, SYSTEM_ROLE_CHILDREN, hybridTablesUnavailableIn } from '../../lib/snowflake-facts';
import { Need, StackNeeds } from './needs';
import { renderCreateImageRepository, renderGrantOn } from '../../lib/sql/account';
import { DOCTOR_QUERIES } from '../../lib/sql/doctor';

/**
 * One row of SHOW GRANTS TO ROLE / ON <object> (https://docs.snowflake.com/en/sql-reference/sql/show-grants;
 * the columns `privilege`, `granted_on`, `name`, `granted_to`, `grantee_name`, `grant_option`:
 * https://docs.snowflake.com/en/release-notes/bcr-bundles/2025_01/bcr-1803). A role granted to the
 * role is a row `USAGE` on `ROLE <child>`.
 */
export interface GrantRow {
  readonly privilege: string;
  /** The object kind with spaces (`COMPUTE POOL`; Snowflake may print `COMPUTE_POOL`). */
  readonly grantedOn: string;
  /** Dotted, upper-cased unless quoted, without a procedure's signature. */
  readonly name: string;
  readonly grantee: string;
  readonly grantOption: boolean;
}

/** An answer, or why there is none. `missing`: the object does not exist or the role cannot see it (002003). */
export type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string; readonly missing: boolean };

export interface AccountAnswers {
  /** SHOW GRANTS TO ROLE r, by role. */
  readonly grantsTo: Readonly<Record<string, Answer<readonly GrantRow[]>>>;
  /** SHOW IMAGE REPOSITORIES IN SCHEMA s: the names, by `DB.SCHEMA`. */
  readonly imageRepositories: Readonly<Record<string, Answer<readonly string[]>>>;
  /** SHOW HYBRID TABLES ... LIMIT 1 succeeded (rows returned). */
  readonly hybridTables?: Answer<number>;
  /** SELECT CURRENT_REGION(). */
  readonly region?: Answer<string>;
  /** Whether INFORMATION_SCHEMA.PACKAGES lists `name==version` for Python. */
  readonly packages: Readonly<Record<string, Answer<boolean>>>;
  /** SHOW COMPUTE POOL INSTANCE FAMILIES: the names. */
  readonly instanceFamilies?: Answer<readonly string[]>;
}

export type Status = 'ok' | 'FAIL' | 'skip';

export interface Finding {
  readonly status: 'ok' | 'missing' | 'unknown';
  readonly what: string;
  /** The statement that fixes a missing one (or what to do, when no SQL does). */
  readonly fix?: string;
}

export interface CheckResult {
  readonly id: string;
  readonly status: Status;
  readonly summary: string;
  readonly findings: readonly Finding[];
}

/** `status` from findings: FAIL when any is missing, skip when none could be told, else ok. */
function conclude(id: string, findings: Finding[], ok: string, skip: string): CheckResult {
  const missing = findings.filter((f) => f.status === 'missing').length;
  const unknown = findings.filter((f) => f.status === 'unknown').length;
  if (missing > 0) return { id, status: 'FAIL', summary: `${missing} of ${findings.length} missing${unknown ? `, ${unknown} not verified` : ''}`, findings };
  if (findings.length === 0 || unknown === findings.length) return { id, status: 'skip', summary: skip, findings };
  return { id, status: 'ok', summary: `${ok}${unknown ? ` (${unknown} not verified)` : ''}`, findings };
}

const kindOf = (k: string) => {
  const kind = k.toUpperCase().replace(/_/g, ' ').trim();
  return kind === 'HYBRID TABLE' ? 'TABLE' : kind;
};

/** The role and every role below it (granted to it), from SHOW GRANTS TO ROLE answers and the system roles' hierarchy. */
export function roleHierarchy(answers: AccountAnswers, role: string): { roles: Set<string>; unanswered: string[] } {
  const roles = new Set<string>();
  const unanswered: string[] = [];
  const stack = [role];
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (roles.has(r)) continue;
    roles.add(r);
    for (const c of SYSTEM_ROLE_CHILDREN[r] ?? []) stack.push(c);
    const a = answers.grantsTo[r];
    if (!a) {
      if (!(r in SYSTEM_ROLE_ACCOUNT_PRIVILEGES)) unanswered.push(r);
      continue;
    }
    if (!a.ok) continue;
    for (const g of a.value) if (kindOf(g.grantedOn) === 'ROLE' && g.privilege === 'USAGE') stack.push(g.name);
  }
  roles.add('PUBLIC');
  return { roles, unanswered };
}

/** Whether `role` (through its hierarchy) holds `privilege` on the object: a grant (WITH GRANT OPTION when asked), ownership, or a system role's default. */
export function holds(answers: AccountAnswers, role: string, privilege: string, on: string, name: string, grantOption = false): boolean {
  const { roles } = roleHierarchy(answers, role);
  const kind = kindOf(on);
  for (const r of roles) {
    if (kind === 'ACCOUNT' && (SYSTEM_ROLE_ACCOUNT_PRIVILEGES[r] ?? []).some((p) => p === '*' || p === privilege)) return true;
    const a = answers.grantsTo[r];
    if (!a?.ok) continue;
    for (const g of a.value) {
      if (kindOf(g.grantedOn) !== kind || (kind !== 'ACCOUNT' && g.name !== name)) continue;
      if (g.privilege === 'OWNERSHIP' && kind !== 'ACCOUNT') return true;
      if (g.privilege === privilege && (!grantOption || g.grantOption)) return true;
    }
  }
  return false;
}

/** Whether any role in the hierarchy of any of `roles` shows some privilege on the object (so it exists). */
function seen(answers: AccountAnswers, roles: readonly string[], on: string, name: string): boolean {
  for (const role of roles) {
    for (const r of roleHierarchy(answers, role).roles) {
      const a = answers.grantsTo[r];
      if (a?.ok && a.value.some((g) => kindOf(g.grantedOn) === kindOf(on) && g.name === name)) return true;
    }
  }
  return false;
}

const exists = (answers: AccountAnswers, role: string): boolean | undefined => {
  const a = answers.grantsTo[role];
  if (role in SYSTEM_ROLE_ACCOUNT_PRIVILEGES) return true;
  if (!a) return undefined;
  if (a.ok) return true;
  return a.missing ? false : undefined;
};

/** One need against the answers. */
export function evaluate(answers: AccountAnswers, need: Need): Finding {
  const fix = need.sql || undefined;
  switch (need.kind) {
    case 'role': {
      const e = exists(answers, need.role);
      return {
        status: e === undefined ? 'unknown' : e ? 'ok' : 'missing',
        what: e === false ? `role ${need.role} does not exist` : `role ${need.role} exists`,
        fix,
      };
    }
    case 'role-grant': {
      const what = `role ${need.child} is granted to ${need.parent}`;
      const parent = answers.grantsTo[need.parent];
      if (exists(answers, need.child) === false || exists(answers, need.parent) === false) return { status: 'missing', what, fix };
      if (!parent?.ok) return { status: 'unknown', what: `${what} (SHOW GRANTS TO ROLE ${need.parent}: ${parent ? parent.error : 'not asked'})`, fix };
      return { status: roleHierarchy(answers, need.parent).roles.has(need.child) ? 'ok' : 'missing', what, fix };
    }
    case 'object': {
      const kind = need.objectKind.toLowerCase();
      // Told through a privilege on it that some role shows: a grant cannot outlive its object.
      return seen(answers, Object.keys(answers.grantsTo), need.objectKind, need.name)
        ? { status: 'ok', what: `${kind} ${need.name} exists` }
        : { status: 'missing', what: `${kind} ${need.name} not found (no role checked holds a privilege on it)`, fix };
    }
    case 'privileges': {
      const on = need.on === 'ACCOUNT' ? 'the account' : `${need.on.toLowerCase()} ${need.name}`;
      const e = exists(answers, need.role);
      const lacking = e === false ? need.privileges : need.privileges.filter((p) => !holds(answers, need.role, p, need.on, need.name, need.grantOption));
      const option = need.grantOption ? ' WITH GRANT OPTION' : '';
      if (e === undefined)
        return { status: 'unknown', what: `${need.role} holds ${need.privileges.join(', ')} on ${on}${option} (its grants could not be read)`, fix };
      if (lacking.length === 0) return { status: 'ok', what: `${need.role} holds ${need.privileges.join(', ')} on ${on}${option}` };
      return { status: 'missing', what: `${need.role} lacks ${lacking.join(', ')} on ${on}${option}`, fix };
    }
    default:
      return { status: 'unknown', what: `${need.sql || need.why} (${need.reason})` };
  }
}

/** 1. The deploy role exists and holds what bootstrap grants, before apply. */
export function checkDeployRole(needs: StackNeeds, answers: AccountAnswers): CheckResult {
  const id = 'deploy-role';
  const e = exists(answers, needs.deployRole);
  // A deploy role that does not exist holds nothing: every bootstrap statement is missing.
  const findings = needs.beforeApply.map((n) =>
    e === false && n.kind !== 'unchecked' ? { status: 'missing' as const, what: evaluate(answers, n).what, fix: n.sql } : evaluate(answers, n),
  );
  const r = conclude(
    id,
    findings,
    `${needs.deployRole} holds what the stack needs before apply (${findings.length} bootstrap statements)`,
    `${needs.deployRole}'s grants could not be read`,
  );
  if (e === false) return { ...r, summary: `deploy role ${needs.deployRole} does not exist: run 'many-model bootstrap' as ACCOUNTADMIN (${r.summary})` };
  return r.status === 'FAIL' ? { ...r, summary: `${needs.deployRole}: ${r.summary} (each fix is a bootstrap statement)` } : r;
}

/** 2. The roles the stack creates hold what its grant resources declare, once they exist (after the first apply). */
export function checkStackRoles(needs: StackNeeds, answers: AccountAnswers): CheckResult {
  const id = 'runner-role';
  if (needs.createdRoles.length === 0) return { id, status: 'skip', summary: 'the stack creates no role', findings: [] };
  const present = needs.createdRoles.filter((r) => exists(answers, r) === true);
  const absent = needs.createdRoles.filter((r) => exists(answers, r) === false);
  if (present.length === 0) {
    const why = absent.length === needs.createdRoles.length ? 'do not exist yet: the first apply creates them' : 'could not be read';
    return { id, status: 'skip', summary: `${needs.createdRoles.join(', ')} ${why}`, findings: [] };
  }
  const findings: Finding[] = [];
  for (const n of needs.afterApply) {
    const role = n.kind === 'privileges' ? n.role : n.kind === 'role-grant' ? n.child : undefined;
    if (role && absent.includes(role))
      findings.push({
        status: 'missing',
        what: `role ${role} does not exist (the stack creates it)`,
        fix: 'cdktf deploy (terraform apply) as the deploy role',
      });
    else findings.push(evaluate(answers, n));
  }
  const unique = dedupe(findings);
  const r = conclude(id, unique, `${present.join(', ')} hold the ${needs.afterApply.length} grants the stack declares`, 'the grants could not be read');
  return r.status === 'FAIL' ? { ...r, summary: `${r.summary}: re-apply the stack (cdktf deploy), or run each fix` } : r;
}

/** 3. Hybrid tables are available to the account. */
export function checkHybridTables(needs: StackNeeds, answers: AccountAnswers): CheckResult {
  const id = 'hybrid-tables';
  if (needs.hybridTables.length === 0) return { id, status: 'skip', summary: 'the stack creates no hybrid table', findings: [] };
  const findings: Finding[] = [];
  const limits = 'https://docs.snowflake.com/en/user-guide/tables-hybrid-limitations';
  const h = answers.hybridTables;
  if (h) {
    findings.push(
      h.ok
        ? { status: 'ok', what: 'SHOW HYBRID TABLES answers' }
        : {
            status: 'missing',
            what: `SHOW HYBRID TABLES is refused: ${h.error}`,
            fix: `no SQL enables hybrid tables: use an account where they are available (${limits})`,
          },
    );
  }
  const region = answers.region;
  if (region?.ok) {
    const refused = hybridTablesUnavailableIn(region.value);
    findings.push(
      refused
        ? { status: 'missing', what: refused, fix: `no SQL enables hybrid tables: ${limits}` }
        : { status: 'ok', what: `region ${region.value} is not excluded` },
    );
  }
  const r = conclude(
    id,
    findings,
    `available as far as a read-only check tells (${needs.hybridTables.length} hybrid table${needs.hybridTables.length === 1 ? '' : 's'}; trial accounts cannot be told apart)`,
    'could not be told',
  );
  return r;
}

/** 4. The image repositories the stack's jobs run from exist and the roles that run them hold READ. */
export function checkImageRepositories(needs: StackNeeds, answers: AccountAnswers): CheckResult {
  const id = 'image-repository';
  if (needs.imageRepositories.length === 0) return { id, status: 'skip', summary: 'the stack names no image repository', findings: [] };
  const findings: Finding[] = [];
  for (const repo of needs.imageRepositories) {
    const [db, schema, name] = repo.name.split('.');
    const listed = answers.imageRepositories[`${db}.${schema}`];
    const visible = (listed?.ok && listed.value.includes(name)) || seen(answers, Object.keys(answers.grantsTo), 'IMAGE REPOSITORY', repo.name);
    findings.push(
      visible
        ? { status: 'ok', what: `image repository ${repo.name} exists` }
        : listed && !listed.ok && !listed.missing
          ? { status: 'unknown', what: `image repository ${repo.name} exists (SHOW IMAGE REPOSITORIES: ${listed.error})` }
          : {
              status: 'missing',
              what: `image repository ${repo.name} does not exist or is not visible to the connection's role (its owners create it and push the trainer image)`,
              fix: renderCreateImageRepository(repo.name),
            },
    );
    for (const role of repo.readers) {
      const e = exists(answers, role);
      if (e === false && role !== needs.deployRole && needs.createdRoles.includes(role)) {
        findings.push({ status: 'unknown', what: `${role} holds READ on ${repo.name} (the role does not exist before the first apply)` });
        continue;
      }
      const ok = e === true && holds(answers, role, 'READ', 'IMAGE REPOSITORY', repo.name);
      findings.push(
        ok
          ? { status: 'ok', what: `${role} holds READ on image repository ${repo.name}` }
          : {
              status: e === undefined ? 'unknown' : 'missing',
              what: `${role} lacks READ on image repository ${repo.name}`,
              fix: renderGrantOn(['READ'], 'IMAGE REPOSITORY', repo.name, role),
            },
      );
    }
  }
  return conclude(
    id,
    findings,
    `${needs.imageRepositories.map((r) => r.name).join(', ')} readable by ${[...new Set(needs.imageRepositories.flatMap((r) => r.readers))].join(', ')}`,
    'could not be told',
  );
}

/** 5. The Python packages the stack's procedures pin are available (INFORMATION_SCHEMA.PACKAGES). */
export function checkPackages(needs: StackNeeds, answers: AccountAnswers): CheckResult {
  const id = 'packages';
  if (needs.packages.length === 0) return { id, status: 'skip', summary: 'the stack pins no Python package', findings: [] };
  const findings: Finding[] = needs.packages.map((p) => {
    const a = answers.packages[`${p.name}==${p.version}`];
    const what = `${p.name} ${p.version} (${p.procedure})`;
    if (!a?.ok) return { status: 'unknown', what: `${what}: ${a && !a.ok ? a.error : 'not asked'}` };
    return a.value
      ? { status: 'ok', what: `${what} is available` }
      : {
          status: 'missing',
          what: `${what} is not listed in INFORMATION_SCHEMA.PACKAGES`,
          fix: `pin a listed version: ${DOCTOR_QUERIES.packageVersions(p.name)}`,
        };
  });
  return conclude(
    id,
    findings,
    needs.packages.map((p) => `${p.name}==${p.version}`).join(', ') + ' available',
    'INFORMATION_SCHEMA.PACKAGES could not be read',
  );
}

/** 6. The instance family of each compute pool the stack creates is one the account offers. */
export function checkComputePools(needs: StackNeeds, answers: AccountAnswers): CheckResult {
  const id = 'compute-pool';
  if (needs.computePools.length === 0) return { id, status: 'skip', summary: 'the stack creates no compute pool', findings: [] };
  const listed = answers.instanceFamilies;
  const families = listed?.ok ? listed.value.map((f) => f.toUpperCase()) : DOCUMENTED_INSTANCE_FAMILIES;
  const source = listed?.ok
    ? 'SHOW COMPUTE POOL INSTANCE FAMILIES'
    : `the families CREATE COMPUTE POOL documents${listed && !listed.ok ? ` (SHOW COMPUTE POOL INSTANCE FAMILIES: ${listed.error})` : ''}`;
  const findings: Finding[] = needs.computePools.map((p) =>
    families.includes(p.instanceFamily)
      ? { status: 'ok', what: `compute pool ${p.name}: ${p.instanceFamily} is listed by ${source}` }
      : {
          status: 'missing',
          what: `compute pool ${p.name}: instance family ${p.instanceFamily || '(none)'} is not listed by ${source}`,
          fix: `set the pool's instanceFamily to one of ${families.join(', ')}`,
        },
  );
  return conclude(
    id,
    findings,
    needs.computePools.map((p) => `${p.name} (${p.instanceFamily})`).join(', ') + ` listed by ${listed?.ok ? 'the account' : 'the documentation'}`,
    'could not be told',
  );
}

/** Every check of one stack, in the order printed. */
export function runChecks(needs: StackNeeds, answers: AccountAnswers): CheckResult[] {
  return [checkDeployRole, checkStackRoles, checkHybridTables, checkImageRepositories, checkPackages, checkComputePools].map((c) => c(needs, answers));
}

function dedupe(findings: Finding[]): Finding[] {
  const seenKeys = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.status}|${f.what}|${f.fix ?? ''}`;
    if (seenKeys.has(k)) return false;
    seenKeys.add(k);
    return true;
  });
}

/** The report: one line per check, and under a failure what is missing and the statement that fixes it. */
export function renderResults(stack: string, results: readonly CheckResult[]): string {
  const lines = [`stack ${stack}`];
  for (const r of results) {
    lines.push(`  ${r.status.padEnd(4)}  ${r.id.padEnd(16)} ${r.summary}`);
    if (r.status !== 'FAIL') continue;
    for (const f of r.findings) {
      if (f.status !== 'missing') continue;
      lines.push(`          - ${f.what}`);
      if (f.fix) lines.push(`            fix: ${f.fix}${/^(GRANT|CREATE|REVOKE)\b/.test(f.fix) ? ';' : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
