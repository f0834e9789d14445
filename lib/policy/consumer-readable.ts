/**
 * Objects a construct declares as read-only outputs for model consumers (a pipeline's monitoring
 * tables): MM-RL1 (rules/consumer-least-privilege.ts) lets a consumer role hold SELECT on these and
 * nothing else beyond USAGE. Kept per app (the construct tree's root), as data a rule reads.
 */
import { IConstruct } from 'constructs';

const READABLE = new WeakMap<IConstruct, Set<string>>();

const key = (objectType: string, quotedName: string) => `${objectType.toUpperCase()} ${quotedName}`;

/** Declares `objectType quotedName` (e.g. `TABLE "DB"."S"."T"`) readable by consumer roles. */
export function allowConsumerRead(scope: IConstruct, objectType: string, quotedName: string): void {
  const root = scope.node.root;
  const set = READABLE.get(root) ?? new Set<string>();
  set.add(key(objectType, quotedName));
  READABLE.set(root, set);
}

/** Whether a construct of `scope`'s app declared `objectType quotedName` readable by consumers. */
export function isConsumerReadable(scope: IConstruct, objectType: string, quotedName: string): boolean {
  return READABLE.get(scope.node.root)?.has(key(objectType, quotedName)) ?? false;
}
