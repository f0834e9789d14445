/**
 * Privileges that move from one grant resource to another: a destroyed
 * `snowflake_grant_privileges_to_account_role` held a privilege that a created one holds for the
 * same role and object. Terraform does not order an unrelated destroy and create, and Snowflake
 * keeps one grant per (privilege, object, role) whatever number of GRANTs ran, so when the old
 * resource's REVOKE lands after the new one's GRANT the role ends without the privilege until the
 * next apply re-grants it (https://docs.snowflake.com/en/sql-reference/sql/revoke-privilege).
 */
import { ResourceChange, TerraformDocument } from './resource-diff';

const GRANT = 'snowflake_grant_privileges_to_account_role';

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a grant resource is on, as one line: `TABLE "DB"."S"."T"`, `FUTURE MODELS IN SCHEMA "DB"."S"`. */
function targetOf(c: Config): string {
  const one = (v: unknown): Config => (Array.isArray(v) ? v[0] : v) ?? {};
  if (c.on_account) return 'ACCOUNT';
  if (c.on_account_object) return `${one(c.on_account_object).object_type} ${one(c.on_account_object).object_name}`;
  if (c.on_schema) return `SCHEMA ${one(c.on_schema).schema_name}`;
  const o = one(c.on_schema_object);
  if (o.future) return `FUTURE ${one(o.future).object_type_plural} IN SCHEMA ${one(o.future).in_schema}`;
  return `${o.object_type} ${o.object_name}`;
}

/** `PRIVILEGE ON <target> TO ROLE` lines held by the grant resources at `addresses`. */
function heldBy(doc: TerraformDocument | undefined, addresses: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const address of addresses) {
    const config = doc?.resource?.[GRANT]?.[address.slice(GRANT.length + 1)] as Config | undefined;
    if (!config) continue;
    for (const p of (config.privileges as string[] | undefined) ?? []) out.add(`${p} ON ${targetOf(config)} TO ${String(config.account_role_name)}`);
  }
  return out;
}

/** The privileges a destroyed grant held and a created grant holds: each may be revoked after it is granted. */
export function movedPrivileges(changes: readonly ResourceChange[], base: TerraformDocument | undefined, head: TerraformDocument | undefined): string[] {
  const of = (action: string) => changes.filter((c) => c.type === GRANT && c.action === action).map((c) => c.address);
  const revoked = heldBy(base, of('delete'));
  const granted = heldBy(head, of('create'));
  return [...granted].filter((g) => revoked.has(g)).sort();
}

/** The plan's warning for them, or none. */
export function regrantWarning(moved: readonly string[]): string[] {
  if (moved.length === 0) return [];
  return [
    `${moved.length} granted privilege${moved.length === 1 ? '' : 's'} move${moved.length === 1 ? 's' : ''} to another grant resource (e.g. ${moved[0]}): Terraform may run the old resource's REVOKE after the new one's GRANT. Apply twice (the second apply re-grants what the first revoked) before running hooks`,
  ];
}
