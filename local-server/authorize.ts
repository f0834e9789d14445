/**
 * Privilege checks of the local server's statements and the access-control statements themselves
 * (CREATE/DROP ROLE, GRANT/REVOKE, SHOW GRANTS, and the account objects that hold no data:
 * warehouses, compute pools, image repositories). The model is local-server/access-control.ts.
 *
 * A session whose `role` is undefined is the server's own (test assertions through
 * `engineQuery`): it is not checked. Every client session has a role (server.ts, login).
 *
 * Errors, as Snowflake answers them: an object the role has no privilege on at all, or whose
 * database or schema it cannot use, "does not exist or not authorized" (002003); an object it can
 * see but lacks the privilege for, "Insufficient privileges to operate on ..." (003001 / 42501).
 */
import { ACCOUNT, AccessControl, ObjectKind, PRIVILEGES_OF, SCHEMA_OBJECT_KINDS, kindOf } from './access-control';
import { DOCUMENTED_INSTANCE_FAMILIES } from '../lib/snowflake-facts';
import { Errors, SfError } from './errors';
import { SfResult, statusResult } from './results';
import { IDENT, QNAME } from './translate';
import { STRING_LITERAL, readLiteral } from './literals';

export interface AuthSession {
  role?: string;
  user?: string;
  baseRole?: string;
  fixedRole?: string;
  database?: string;
  schema?: string;
}

/** How an object is named in "does not exist or not authorized". */
function label(kind: string): string {
  if (kind === 'TABLE' || kind === 'VIEW') return 'Object';
  return kind.charAt(0) + kind.slice(1).toLowerCase();
}

const unquote = (qualified: string) => (qualified.match(/"[^"]+"|[^.]+/g) ?? []).map((p) => (p.startsWith('"') ? p.slice(1, -1) : p.trim().toUpperCase()));

export class Authorizer {
  constructor(
    readonly access: AccessControl,
    /** Whether an object exists (for GRANT on it). */
    private readonly exists: (kind: ObjectKind, name: string) => Promise<boolean>,
    /** Saves the catalog after a change. */
    private readonly save: () => void,
    readonly account: string,
  ) {}

  /**
   * A task or an alert runs as its owner, who must hold the global EXECUTE TASK or EXECUTE ALERT
   * ("EXECUTE TASK privilege must be granted to owner role":
   * https://docs.snowflake.com/en/sql-reference/sql/execute-task; alerts likewise:
   * https://docs.snowflake.com/en/sql-reference/sql/execute-alert).
   */
  ownerMayExecute(kind: 'TASK' | 'ALERT', key: string): void {
    const owner = this.access.ownerOf(kind, key);
    const what = kind.toLowerCase();
    if (!this.access.has(owner, `EXECUTE ${kind}`, 'ACCOUNT', 'ACCOUNT')) {
      throw new SfError(
        '003001',
        `SQL access control error:\nCannot execute ${what} ${key}, EXECUTE ${kind} privilege must be granted to owner role ${owner}.`,
        '42501',
      );
    }
  }

  /** Whether the session is checked at all (client sessions are; the server's own are not). */
  checked(s: AuthSession): s is AuthSession & { role: string } {
    return s.role !== undefined;
  }

  /** USAGE (or ownership) on the database and schema of a `DB.SCHEMA.NAME` object, else 002003 naming it. */
  parents(s: AuthSession, kind: string, name: string): void {
    if (!this.checked(s)) return;
    const [db, schema] = name.split('.');
    const ok =
      this.access.has(s.role, 'USAGE', 'DATABASE', db) &&
      (schema === undefined || name.split('.').length < 3 || this.access.has(s.role, 'USAGE', 'SCHEMA', `${db}.${schema}`));
    if (!ok) throw Errors.objectMissing(`${label(kind)} '${name}'`);
  }

  /**
   * The privilege (or ownership) on an object and USAGE on its parents. No privilege at all, or
   * no use of a parent: 002003; some other privilege but not this one: 003001.
   */
  need(s: AuthSession, privilege: string | readonly string[], kind: ObjectKind, name: string): void {
    if (!this.checked(s)) return;
    if (SCHEMA_OBJECT_KINDS.includes(kind) || kind === 'SCHEMA') this.parents(s, kind, name);
    const privileges = typeof privilege === 'string' ? [privilege] : privilege;
    if (privileges.some((p) => this.access.has(s.role, p, kind, name))) return;
    if (!this.access.any(s.role, kind, name)) throw Errors.objectMissing(`${label(kind)} '${name}'`);
    throw Errors.insufficient(kind, name, s.role, privileges.join(' or '));
  }

  /** OWNERSHIP of the object (DROP, ALTER, ALTER MODEL, GRANT OWNERSHIP). */
  own(s: AuthSession, kind: ObjectKind, name: string): void {
    this.need(s, 'OWNERSHIP', kind, name);
  }

  /** An account privilege (CREATE DATABASE, CREATE ROLE, EXECUTE TASK, ...): 003001 on the account. */
  onAccount(s: AuthSession, privilege: string): void {
    if (!this.checked(s)) return;
    if (!this.access.has(s.role, privilege, ACCOUNT, ACCOUNT)) throw Errors.insufficient('account', this.account, s.role, privilege);
  }

  /**
   * Creating an object in a schema: USAGE on the database and `CREATE <kind>` on the schema (or its
   * ownership); replacing an existing object also needs its ownership.
   */
  create(s: AuthSession, kind: ObjectKind, name: string, replacing = false, privilege = `CREATE ${kind}`): void {
    if (!this.checked(s)) return;
    const schema = name.split('.').slice(0, 2).join('.');
    this.need(s, [privilege], 'SCHEMA', schema);
    if (replacing) this.own(s, kind, name);
  }

  /** Records a new object as owned by the session's role (ACCOUNTADMIN for the server's own sessions). */
  created(s: AuthSession, kind: ObjectKind, name: string): void {
    this.access.created(kind, name, s.role ?? 'ACCOUNTADMIN');
    this.save();
  }

  dropped(kind: ObjectKind, name: string): void {
    this.access.dropped(kind, name);
    this.save();
  }

  /**
   * USE ROLE: the role must be granted to the user, directly or below a granted role
   * (https://docs.snowflake.com/en/sql-reference/sql/use-role: "the role must have been granted to
   * the user"). A session without a user — a job container's, whose OAuth token carries its
   * service's owner role — may use only the roles that role inherits. A task body and an
   * owner's-rights procedure run as their owner and may not switch roles at all: a task "runs
   * with the privileges of the task owner" (https://docs.snowflake.com/en/user-guide/tasks-intro)
   * and an owner's-rights procedure "runs mostly with the privileges of the stored procedure's
   * owner" (https://docs.snowflake.com/en/developer-guide/stored-procedure/stored-procedures-rights);
   * letting either USE ROLE would hand the owner's privileges to any role, ACCOUNTADMIN included.
   */
  useRole(s: AuthSession, role: string): void {
    const refused = () =>
      new SfError(
        '003013',
        `SQL access control error:\nRequested role '${role}' is not assigned to the executing user. Specify another role to activate.`,
        '42501',
      );
    if (this.checked(s) && s.fixedRole !== undefined) {
      throw new SfError(
        '003013',
        `SQL access control error:\nUSE ROLE ${role} is not allowed in a ${s.fixedRole}: it runs as its owner role ${s.role}.`,
        '42501',
      );
    }
    if (!this.access.roleExists(role)) throw Errors.objectMissing(`Role '${role}'`);
    if (!this.checked(s)) return;
    if (s.user !== undefined) {
      if (!this.access.userHasRole(s.user, role)) throw refused();
    } else if (!this.access.effectiveRoles(s.baseRole ?? s.role).has(role)) {
      throw refused();
    }
  }

  private qualify(s: AuthSession, kind: ObjectKind, text: string): string {
    const parts = unquote(text.replace(/\(.*$/s, ''));
    if (SCHEMA_OBJECT_KINDS.includes(kind)) {
      if (parts.length === 3) return parts.join('.');
      if (parts.length === 2 && s.database) return [s.database, ...parts].join('.');
      if (parts.length === 1 && s.database && s.schema) return [s.database, s.schema, parts[0]].join('.');
      throw Errors.objectMissing(`${label(kind)} '${text}'`);
    }
    if (kind === 'SCHEMA') {
      if (parts.length === 2) return parts.join('.');
      if (s.database) return `${s.database}.${parts[0]}`;
      throw Errors.objectMissing(`Schema '${text}'`);
    }
    return parts[0];
  }

  private requireRole(role: string): void {
    if (!this.access.roleExists(role)) throw Errors.objectMissing(`Role '${role}'`);
  }

  /** Access-control statements and account objects; undefined when the statement is not one. */
  async statement(s: AuthSession, sql: string): Promise<SfResult | undefined> {
    let m: RegExpExecArray | null;
    const role = s.role ?? 'ACCOUNTADMIN';
    if ((m = new RegExp(`^CREATE\\s+(OR\\s+REPLACE\\s+)?ROLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT})`, 'i').exec(sql))) {
      const name = unquote(m[3])[0];
      // CREATE ROLE: https://docs.snowflake.com/en/sql-reference/sql/create-role (CREATE ROLE on the account).
      this.onAccount(s, 'CREATE ROLE');
      if (this.access.roleExists(name)) {
        if (m[2]) return statusResult(`${name} already exists, statement succeeded.`);
        if (!m[1]) throw Errors.alreadyExists(name);
        this.own(s, 'ROLE', name);
        return statusResult(`Role ${name} successfully created.`);
      }
      this.access.createRole(name, role);
      this.save();
      return statusResult(`Role ${name} successfully created.`);
    }
    if ((m = new RegExp(`^DROP\\s+ROLE\\s+(IF\\s+EXISTS\\s+)?(${IDENT})$`, 'i').exec(sql))) {
      const name = unquote(m[2])[0];
      if (!this.access.roleExists(name)) {
        if (m[1]) return statusResult('Drop statement executed successfully (role does not exist).');
        throw Errors.objectMissing(`Role '${name}'`);
      }
      this.own(s, 'ROLE', name);
      this.access.dropRole(name);
      this.save();
      return statusResult(`${name} successfully dropped.`);
    }
    // Warehouses and compute pools hold no compute here: they are catalog objects with an owner.
    if ((m = new RegExp(`^CREATE\\s+(OR\\s+REPLACE\\s+)?(WAREHOUSE|COMPUTE\\s+POOL)\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${IDENT})`, 'i').exec(sql))) {
      const kind = m[2].toUpperCase().replace(/\s+/g, ' ') as 'WAREHOUSE' | 'COMPUTE POOL';
      const name = unquote(m[4])[0];
      // CREATE WAREHOUSE / CREATE COMPUTE POOL are account privileges
      // (https://docs.snowflake.com/en/sql-reference/sql/create-compute-pool).
      this.onAccount(s, `CREATE ${kind}`);
      if (this.access.recorded(kind, name)) {
        if (m[3]) return statusResult(`${name} already exists, statement succeeded.`);
        if (!m[1]) throw Errors.alreadyExists(name);
        this.own(s, kind, name);
      }
      this.created(s, kind, name);
      return statusResult(`${kind === 'WAREHOUSE' ? 'Warehouse' : 'Compute Pool'} ${name} successfully created.`);
    }
    if ((m = new RegExp(`^CREATE\\s+(OR\\s+REPLACE\\s+)?IMAGE\\s+REPOSITORY\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})`, 'i').exec(sql))) {
      const name = this.qualify(s, 'IMAGE REPOSITORY', m[3]);
      const exists = this.access.recorded('IMAGE REPOSITORY', name);
      if (exists && m[2]) return statusResult(`${name} already exists, statement succeeded.`);
      if (exists && !m[1]) throw Errors.alreadyExists(name);
      this.create(s, 'IMAGE REPOSITORY', name, exists);
      this.created(s, 'IMAGE REPOSITORY', name);
      return statusResult(`Image Repository ${name.split('.').pop()} successfully created.`);
    }
    if ((m = new RegExp(`^DROP\\s+(WAREHOUSE|COMPUTE\\s+POOL|IMAGE\\s+REPOSITORY)\\s+(IF\\s+EXISTS\\s+)?(${QNAME})$`, 'i').exec(sql))) {
      const kind = m[1].toUpperCase().replace(/\s+/g, ' ') as 'WAREHOUSE' | 'COMPUTE POOL' | 'IMAGE REPOSITORY';
      const name = this.qualify(s, kind, m[3]);
      if (!this.access.recorded(kind, name)) {
        if (m[2]) return statusResult('Drop statement executed successfully.');
        throw Errors.objectMissing(`${label(kind)} '${name}'`);
      }
      this.own(s, kind, name);
      this.dropped(kind, name);
      return statusResult(`${name} successfully dropped.`);
    }
    if (/^ALTER\s+(WAREHOUSE|COMPUTE\s+POOL)\b/i.test(sql)) {
      const kind = /^ALTER\s+(WAREHOUSE|COMPUTE\s+POOL)/i.exec(sql)![1].toUpperCase().replace(/\s+/g, ' ') as 'WAREHOUSE' | 'COMPUTE POOL';
      const name = unquote(new RegExp(`^ALTER\\s+\\w+(?:\\s+POOL)?\\s+(?:IF\\s+EXISTS\\s+)?(${IDENT})`, 'i').exec(sql)?.[1] ?? '')[0];
      // Suspending or resuming needs OPERATE; anything else MODIFY (or ownership).
      this.need(s, /\b(SUSPEND|RESUME|STOP)\b/i.test(sql) ? ['OPERATE', 'MODIFY'] : ['MODIFY'], kind, name);
      return statusResult('Statement executed successfully.');
    }
    if (/^(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+)?USER\b/i.test(sql)) {
      // Users are the server's (LocalServerOptions.users); the statement is checked and recorded as a no-op.
      // CREATE USER creates one; ALTER and DROP USER need ownership of the user, which only the
      // account's user administrators hold here (users are not objects of this catalog).
      this.onAccount(s, 'CREATE USER');
      return statusResult('Statement executed successfully.');
    }
    if ((m = new RegExp(`^(GRANT|REVOKE)\\s+ROLE\\s+(${IDENT})\\s+(?:TO|FROM)\\s+(ROLE|USER)\\s+(${IDENT})$`, 'i').exec(sql))) {
      const child = unquote(m[2])[0];
      const target = unquote(m[4])[0];
      this.requireRole(child);
      // GRANT ROLE: the owner of the granted role, or MANAGE GRANTS (https://docs.snowflake.com/en/sql-reference/sql/grant-role).
      if (this.checked(s) && !this.access.has(s.role, 'MANAGE GRANTS', ACCOUNT, ACCOUNT)) this.own(s, 'ROLE', child);
      const grant = m[1].toUpperCase() === 'GRANT';
      if (m[3].toUpperCase() === 'ROLE') {
        this.requireRole(target);
        if (grant) {
          try {
            this.access.grantRole(child, target);
          } catch (e) {
            throw new SfError('003012', `SQL access control error:\n${(e as Error).message}.`, '42501');
          }
        } else this.access.revokeRole(child, target);
      } else if (grant) this.access.grantRoleToUser(child, target);
      else this.access.revokeRoleFromUser(child, target);
      this.save();
      return statusResult('Statement executed successfully.');
    }
    if ((m = new RegExp(`^SHOW\\s+IMAGE\\s+REPOSITORIES(?:\\s+LIKE\\s+(${STRING_LITERAL}))?(?:\\s+IN\\s+SCHEMA\\s+(${QNAME}))?$`, 'i').exec(sql))) {
      // SHOW IMAGE REPOSITORIES (https://docs.snowflake.com/en/sql-reference/sql/show-image-repositories):
      // the repositories the role holds a privilege on (READ, WRITE, ownership), else none.
      const schema = m[2] ? this.qualify(s, 'SCHEMA', m[2]) : undefined;
      const like =
        m[1] === undefined
          ? undefined
          : new RegExp(
              `^${readLiteral(m[1])
                .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
                .replace(/%/g, '.*')
                .replace(/_/g, '.')}$`,
              'i',
            );
      const rows: string[][] = [];
      for (const [k, owner] of this.access.owners) {
        if (!k.startsWith('IMAGE REPOSITORY:')) continue;
        const name = k.slice('IMAGE REPOSITORY:'.length);
        const [db, sc, repo] = name.split('.');
        if (schema && `${db}.${sc}` !== schema) continue;
        if (like && !like.test(repo)) continue;
        if (this.checked(s) && !this.access.any(s.role, 'IMAGE REPOSITORY', name)) continue;
        rows.push([repo, db, sc, `local.registry.snowflakecomputing.com/${name.toLowerCase().replace(/\./g, '/')}`, owner]);
      }
      return this.table(['name', 'database_name', 'schema_name', 'repository_url', 'owner'], rows);
    }
    if (/^SHOW\s+COMPUTE\s+POOL\s+INSTANCE\s+FAMILIES$/i.test(sql)) {
      // A stand-in: the families CREATE COMPUTE POOL documents, with only the name column filled in
      // (https://docs.snowflake.com/en/sql-reference/sql/show-compute-pool-instance-families lists the columns).
      return this.table(
        ['name', 'description'],
        DOCUMENTED_INSTANCE_FAMILIES.map((f) => [f, 'local stand-in']),
      );
    }
    if ((m = /^SHOW\s+GRANTS\s+(TO\s+ROLE|ON)\s+([\s\S]+)$/i.exec(sql)))
      return this.showGrants(s, m[1].toUpperCase().startsWith('TO') ? 'TO' : 'ON', m[2].trim());
    if (
      (m =
        /^(GRANT|REVOKE)\s+(GRANT\s+OPTION\s+FOR\s+)?([\s\S]+?)\s+ON\s+([\s\S]+?)\s+(?:TO|FROM)\s+ROLE\s+("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(\s+WITH\s+GRANT\s+OPTION)?(\s+(?:COPY|REVOKE)\s+CURRENT\s+GRANTS)?(\s+(?:RESTRICT|CASCADE))?$/i.exec(
          sql,
        ))
    ) {
      if (m[2] && m[1].toUpperCase() === 'GRANT') throw Errors.syntax(`line 1 at position 6 unexpected 'GRANT OPTION FOR'.`);
      return this.grant(s, m[1].toUpperCase() === 'GRANT', m[3], m[4], unquote(m[5])[0], Boolean(m[6]), Boolean(m[2]));
    }
    return undefined;
  }

  /** `optionOnly`: REVOKE GRANT OPTION FOR revokes only the grant option, the privilege stays (https://docs.snowflake.com/en/sql-reference/sql/revoke-privilege). */
  private async grant(
    s: AuthSession,
    grant: boolean,
    privilegeText: string,
    onText: string,
    grantee: string,
    grantOption: boolean,
    optionOnly = false,
  ): Promise<SfResult> {
    this.requireRole(grantee);
    const role = s.role ?? 'ACCOUNTADMIN';
    const privileges = privilegeText.split(',').map((p) => p.trim().toUpperCase().replace(/\s+/g, ' '));
    // A privilege the object kind does not have is refused before anything else is checked
    // (the kinds' privileges: https://docs.snowflake.com/en/user-guide/security-access-control-privileges).
    const validate = (kind: ObjectKind | typeof ACCOUNT) => {
      for (const p of privileges) {
        if (p === 'ALL' || p === 'ALL PRIVILEGES' || (p === 'OWNERSHIP' && kind !== ACCOUNT) || PRIVILEGES_OF[kind].includes(p)) continue;
        throw new SfError('003011', `SQL compilation error:\nInvalid privilege ${p}.`, '42601');
      }
    };
    let m: RegExpExecArray | null;
    const expand = (kind: ObjectKind | typeof ACCOUNT) => privileges.flatMap((p) => (p === 'ALL' || p === 'ALL PRIVILEGES' ? PRIVILEGES_OF[kind] : [p]));
    if (/^ACCOUNT$/i.test(onText.trim())) {
      validate(ACCOUNT);
      // Account privileges: MANAGE GRANTS (SECURITYADMIN and above): GRANT <privileges>, access control requirements.
      for (const p of expand(ACCOUNT)) {
        if (this.checked(s) && !this.access.mayGrant(s.role, p, ACCOUNT, ACCOUNT))
          throw Errors.insufficient('account', this.account, s.role, `MANAGE GRANTS to grant ${p}`);
        if (grant) this.access.grant({ privilege: p, kind: ACCOUNT, name: ACCOUNT, role: grantee, grantOption, grantedBy: role });
        else this.access.revoke(p, ACCOUNT, ACCOUNT, grantee, optionOnly);
      }
      this.save();
      return statusResult('Statement executed successfully.');
    }
    if ((m = new RegExp(`^(FUTURE|ALL)\\s+([A-Z ]+?)\\s+IN\\s+(SCHEMA|DATABASE)\\s+(${QNAME})$`, 'i').exec(onText.trim()))) {
      const kind = kindOf(m[2]);
      if (!kind) throw Errors.notSupported(`GRANT ON ${m[1].toUpperCase()} ${m[2].toUpperCase()}`);
      if (m[3].toUpperCase() !== 'SCHEMA') throw Errors.notSupported(`GRANT ON ${m[1].toUpperCase()} ... IN DATABASE`);
      validate(kind);
      const schema = this.qualify(s, 'SCHEMA', m[4]);
      if (!(await this.exists('SCHEMA', schema))) throw Errors.objectMissing(`Schema '${schema}'`);
      if (m[1].toUpperCase() === 'ALL') throw Errors.notSupported('GRANT ON ALL <objects> IN SCHEMA (grant on each object, or ON FUTURE before creating them)');
      // Future grants: MANAGE GRANTS, or the owner of a managed-access schema (GRANT <privileges>).
      if (this.checked(s) && !this.access.mayGrantFuture(s.role, schema))
        throw Errors.insufficient('schema', schema, s.role, 'MANAGE GRANTS (or ownership of a managed-access schema) for future grants');
      for (const p of expand(kind)) {
        if (grant) this.access.grantFuture({ privilege: p, kind, schema, role: grantee, grantOption });
        else this.access.revokeFuture(p, kind, schema, grantee);
      }
      this.save();
      return statusResult('Statement executed successfully.');
    }
    m =
      /^((?:HYBRID\s+|DYNAMIC\s+|EXTERNAL\s+)?TABLE|VIEW|DATABASE|SCHEMA|STAGE|TASK|ALERT|MODEL|PROCEDURE|FUNCTION|SERVICE|GATEWAY|WAREHOUSE|COMPUTE\s+POOL|IMAGE\s+REPOSITORY|ROLE)\s+([\s\S]+)$/i.exec(
        onText.trim(),
      );
    const kind = m ? kindOf(m[1]) : undefined;
    if (!m || !kind) throw Errors.notSupported(`GRANT ... ON ${onText.split(/\s+/)[0].toUpperCase()}`);
    validate(kind);
    const name = this.qualify(s, kind, m[2].trim());
    if (!(await this.exists(kind, name))) throw Errors.objectMissing(`${label(kind)} '${name}'`);
    if (this.checked(s) && SCHEMA_OBJECT_KINDS.includes(kind)) this.parents(s, kind, name);
    const list = expand(kind);
    if (list.includes('OWNERSHIP')) {
      // GRANT OWNERSHIP: the current owner (or MANAGE GRANTS) transfers it (https://docs.snowflake.com/en/sql-reference/sql/grant-ownership).
      if (this.checked(s) && !this.access.has(s.role, 'MANAGE GRANTS', ACCOUNT, ACCOUNT)) this.own(s, kind, name);
      if (grant) this.access.transferOwnership(kind, name, grantee);
      this.save();
      return statusResult('Statement executed successfully.');
    }
    for (const p of list) {
      if (this.checked(s) && !this.access.mayGrant(s.role, p, kind, name)) {
        if (!this.access.any(s.role, kind, name)) throw Errors.objectMissing(`${label(kind)} '${name}'`);
        throw Errors.insufficient(kind, name, s.role, `OWNERSHIP, ${p} WITH GRANT OPTION or MANAGE GRANTS to grant ${p}`);
      }
      if (grant) this.access.grant({ privilege: p, kind, name, role: grantee, grantOption, grantedBy: role });
      else this.access.revoke(p, kind, name, grantee, optionOnly);
    }
    this.save();
    return statusResult('Statement executed successfully.');
  }

  /** SHOW GRANTS TO ROLE r / SHOW GRANTS ON <kind> <name>, with Snowflake's columns. */
  private showGrants(s: AuthSession, how: 'TO' | 'ON', target: string): SfResult {
    type Row = [string, string, string, string, string, string, string];
    const rows: Row[] = [];
    const granted = (privilege: string, kind: string, name: string, to: string, option: boolean, by: string): Row => [
      privilege,
      kind === ACCOUNT ? 'ACCOUNT' : kind,
      kind === ACCOUNT ? this.account : name,
      'ROLE',
      to,
      String(option).toUpperCase(),
      by,
    ];
    if (how === 'TO') {
      const role = unquote(target)[0];
      this.requireRole(role);
      for (const g of this.access.grants) if (g.role === role) rows.push(granted(g.privilege, g.kind, g.name, role, g.grantOption, g.grantedBy));
      for (const [k, owner] of this.access.owners) {
        if (owner !== role) continue;
        const [kind, name] = [k.slice(0, k.indexOf(':')), k.slice(k.indexOf(':') + 1)];
        rows.push(granted('OWNERSHIP', kind, name, role, true, role));
      }
      // The roles granted to it, as Snowflake lists them: USAGE on ROLE <child>, granted to this role
      // ("SHOW GRANTS", TO ROLE: "all privileges and roles granted to the role").
      for (const child of this.access.roles.get(role) ?? []) rows.push(['USAGE', 'ROLE', child, 'ROLE', role, 'FALSE', this.access.ownerOf('ROLE', child)]);
    } else {
      const m = /^([A-Z ]+?)\s+(\S+)$/i.exec(target);
      const kind = m ? kindOf(m[1]) : undefined;
      if (!m || !kind) throw Errors.notSupported(`SHOW GRANTS ON ${target}`);
      const name = this.qualify(s, kind, m[2]);
      if (this.checked(s) && !this.access.any(s.role, kind, name)) throw Errors.objectMissing(`${label(kind)} '${name}'`);
      rows.push(granted('OWNERSHIP', kind, name, this.access.ownerOf(kind, name), true, this.access.ownerOf(kind, name)));
      for (const g of this.access.grants)
        if (g.kind === kind && g.name === name) rows.push(granted(g.privilege, g.kind, g.name, g.role, g.grantOption, g.grantedBy));
    }
    return this.table(['privilege', 'granted_on', 'name', 'granted_to', 'grantee_name', 'grant_option', 'granted_by'], rows);
  }

  /** A SHOW result: text columns. */
  private table(names: string[], rows: string[][]): SfResult {
    const text = statusResult('').columns[0];
    return { columns: names.map((n) => ({ ...text, name: n })), rows, statementTypeId: 0x1000 };
  }
}
