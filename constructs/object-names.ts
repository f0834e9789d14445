/**
 * The names of the Snowflake objects an app creates, so that two constructs that would create the
 * same object fail at synth instead of colliding at apply (or, worse, one silently adopting the
 * other's object through CREATE ... IF NOT EXISTS).
 *
 * Snowflake's rule (https://docs.snowflake.com/en/sql-reference/identifiers): account objects
 * (roles, warehouses, databases, compute pools) are unique in the account, schemas in their
 * database, schema objects in their schema per kind — tables and views share one namespace —
 * and procedures are told apart by their argument types (overloading).
 *
 * The registry is per app and per target account: stacks whose providers name different accounts
 * (`organizationName`/`accountName`/`profile`) may reuse names, stacks that do not say are taken
 * to deploy into the same one. Only created objects are claimed; `fromName` references are not.
 */
import { TerraformStack } from '../lib/engine';
import { SnowflakeProvider } from './resources';
import { IConstruct } from 'constructs';
import { ValidationError } from '../lib/errors';
import { ObjectName } from '../lib/identifiers';

/** The kinds of object a name is claimed for. */
export type ObjectKind =
  | 'ROLE'
  | 'WAREHOUSE'
  | 'DATABASE'
  | 'COMPUTE POOL'
  | 'SCHEMA'
  | 'TABLE'
  | 'VIEW'
  | 'STAGE'
  | 'TASK'
  | 'ALERT'
  | 'PROCEDURE'
  | 'MODEL'
  | 'SERVICE'
  | 'GATEWAY'
  | 'IMAGE REPOSITORY';

const ACCOUNT_KINDS: ReadonlySet<ObjectKind> = new Set(['ROLE', 'WAREHOUSE', 'DATABASE', 'COMPUTE POOL']);

/** Kinds that share one namespace in a schema. */
const NAMESPACE: Partial<Record<ObjectKind, string>> = { VIEW: 'TABLE' };

interface Claim {
  readonly path: string;
  readonly prop: string;
  readonly stack: string;
}

const CLAIMS = new WeakMap<IConstruct, Map<string, Claim>>();
/** Names a construct derives for objects its children create: a clash names the construct and its prop. */
const DERIVED = new WeakMap<IConstruct, Map<string, { path: string; prop: string }[]>>();

function registry<T>(map: WeakMap<IConstruct, Map<string, T>>, construct: IConstruct): Map<string, T> {
  const root = construct.node.root;
  let m = map.get(root);
  if (!m) map.set(root, (m = new Map()));
  return m;
}

function keyOf(construct: IConstruct, kind: ObjectKind, name: ObjectName, signature: string): string {
  return `${accountOf(construct)}\u0000${NAMESPACE[kind] ?? kind}\u0000${name.toString()}${signature}`;
}

const within = (path: string, ancestor: string) => path === ancestor || path.startsWith(`${ancestor}/`);

/** Whether a construct under `scope` (or `scope` itself) has claimed a name. */
export function hasClaimsWithin(scope: IConstruct): boolean {
  const path = scope.node.path;
  for (const c of registry(CLAIMS, scope).values()) if (path === '' || within(c.path, path)) return true;
  return false;
}

/**
 * Says that `owner`'s `prop` sets the name of an object one of its children creates (a pipeline's
 * `namePrefix` names its tables): a clash over that object then names `owner` and `prop`.
 */
export function nameDerivedFrom(owner: IConstruct, prop: string, kind: ObjectKind, name: ObjectName, signature = ''): void {
  const derived = registry(DERIVED, owner);
  const key = keyOf(owner, kind, name, signature);
  const list = derived.get(key) ?? [];
  if (!list.some((d) => d.path === owner.node.path)) derived.set(key, [...list, { path: owner.node.path, prop }]);
}

const ACCOUNTS = new WeakMap<TerraformStack, string>();

/** The account a stack deploys into, as far as its provider block says (read once per stack). */
function accountOf(construct: IConstruct): string {
  const stack = TerraformStack.of(construct);
  const known = ACCOUNTS.get(stack);
  if (known !== undefined) return known;
  const provider = stack.node.children.find((c): c is SnowflakeProvider => c instanceof SnowflakeProvider && c.alias === undefined);
  const parts = [provider?.organizationName, provider?.accountName, provider?.profile].map((p) => p ?? '');
  const account = parts.some((p) => p !== '') ? parts.join('|') : 'the account';
  // Only a stack whose provider is declared is settled; constructs declared before it look again.
  if (provider) ACCOUNTS.set(stack, account);
  return account;
}

/**
 * Claims `name` for the object of `kind` that `owner` creates; `prop` is the prop that sets the
 * name (the one to change on a clash). Throws a ValidationError naming both constructs when
 * another construct of the app already creates that object in the same account.
 */
export function claimName(owner: IConstruct, ownProp: string, kind: ObjectKind, name: ObjectName, signature = ''): void {
  const claims = registry(CLAIMS, owner);
  const key = keyOf(owner, kind, name, signature);
  const prior = claims.get(key);
  // A name the enclosing construct derived is blamed on it, unless it already claimed the name
  // itself: then this child set the name with a prop of its own, and that prop is the one to change.
  const derived = (registry(DERIVED, owner).get(key) ?? []).find((d) => within(owner.node.path, d.path) && prior?.path !== d.path);
  const by = derived ?? { path: owner.node.path, prop: ownProp };
  const prop = by.prop;
  const stack = TerraformStack.of(owner).node.path;
  if (!prior) {
    claims.set(key, { path: by.path, prop, stack });
    return;
  }
  const what = `${kind.toLowerCase()} ${name.toString()}${signature}`;
  const where = ACCOUNT_KINDS.has(kind) ? 'the account' : kind === 'SCHEMA' ? 'its database' : 'its schema';
  const fix =
    prior.stack === stack
      ? `Give one of them another name: ${prior.path} (${prior.prop}) or this one (${prop})`
      : `Give one of them another name (${prior.prop} of ${prior.path}, or ${prop} here), or namespace a whole stack or app with ManyModelNames.prefix(scope, 'DEV') before declaring its constructs`;
  throw new ValidationError(by.path, prop, `names ${what}, which ${prior.path} also creates (${prior.prop}); names are unique per kind in ${where}`, fix);
}
