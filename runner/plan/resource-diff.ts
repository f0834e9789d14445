/**
 * What Terraform will do to a stack's resources, predicted from two syntheses (base and head
 * `cdk.tf.json`) or read from a real `terraform show -json` plan. Pure functions.
 */
import { forceNewAttributes } from './force-new';
import { statefulReason } from './stateful';

export type ResourceAction = 'create' | 'update' | 'replace' | 'delete';
export type ChangeSource = 'synth diff' | 'terraform plan';

export interface ResourceChange {
  /** Terraform address, `<type>.<logical id>`. */
  readonly address: string;
  readonly type: string;
  /** The construct path the resource came from, when the synthesis says. */
  readonly constructPath?: string;
  readonly action: ResourceAction;
  /** Changed attribute paths (`column[2].type`), for updates and replacements. */
  readonly attributes: readonly string[];
  /** For replacements: the attributes that force it, with a note when the rule is conditional. */
  readonly replacedBecause: readonly string[];
  /** Set when the change loses state: why. */
  readonly destructive?: string;
  readonly source: ChangeSource;
}

/** The shape of cdk.tf.json that matters here. */
export interface TerraformDocument {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
}

/** Meta-arguments and metadata that do not change a resource's remote object. */
const IGNORED_KEYS = new Set(['//', 'depends_on', 'provider', 'lifecycle', 'connection', 'provisioner']);

interface Indexed {
  readonly type: string;
  readonly config: Record<string, unknown>;
  readonly constructPath?: string;
}

/** The construct path cdktf records in a resource's metadata. */
function constructPathOf(config: Record<string, unknown>): string | undefined {
  return (config['//'] as { metadata?: { path?: string } } | undefined)?.metadata?.path;
}

function index(doc: TerraformDocument | undefined): Map<string, Indexed> {
  const out = new Map<string, Indexed>();
  for (const [type, byId] of Object.entries(doc?.resource ?? {})) {
    for (const [id, config] of Object.entries(byId)) out.set(`${type}.${id}`, { type, config: strip(config), constructPath: constructPathOf(config) });
  }
  return out;
}

/** Construct paths by Terraform address, for the resources of the given syntheses. */
export function constructPaths(...docs: (TerraformDocument | undefined)[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const doc of docs) {
    for (const [type, byId] of Object.entries(doc?.resource ?? {})) {
      for (const [id, config] of Object.entries(byId)) {
        const p = constructPathOf(config);
        if (p) out.set(`${type}.${id}`, p);
      }
    }
  }
  return out;
}

function strip(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !IGNORED_KEYS.has(k)));
}

/** Paths where two JSON values differ. Arrays of different lengths differ as a whole. */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (Object.is(before, after)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.length !== after.length) return [prefix || '(root)'];
    return before.flatMap((b, i) => changedPaths(b, after[i], `${prefix}[${i}]`));
  }
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return [prefix || '(root)'];
}

/** Column names a table config declares (snowflake_table `column` blocks). */
function columnNames(config: Record<string, unknown>): string[] {
  const cols = config.column;
  return Array.isArray(cols) ? cols.map((c) => String((c as { name?: unknown }).name ?? '')) : [];
}

/** Why an in-place update still loses data (a dropped table column), or undefined. */
function updateDataLoss(type: string, before: Record<string, unknown>, after: Record<string, unknown>): string | undefined {
  if (type !== 'snowflake_table') return undefined;
  const kept = new Set(columnNames(after));
  const dropped = columnNames(before).filter((c) => !kept.has(c));
  return dropped.length
    ? `drops column${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} and the data in ${dropped.length > 1 ? 'them' : 'it'}`
    : undefined;
}

/** Why a change loses state, or undefined: the one rule for synth diffs and Terraform plans. */
export function destructiveReason(
  action: ResourceAction,
  type: string,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): string | undefined {
  if (action === 'update') return before && after ? updateDataLoss(type, before, after) : undefined;
  if (action === 'create') return undefined;
  const why = statefulReason(type, before ?? after ?? {});
  return why ? `${action === 'delete' ? 'destroyed' : 'replaced'}: ${why}` : undefined;
}

/** The changes that turn the base synthesis into the head synthesis, sorted by address. */
export function diffSyntheses(base: TerraformDocument | undefined, head: TerraformDocument | undefined): ResourceChange[] {
  const b = index(base);
  const h = index(head);
  const out: ResourceChange[] = [];
  for (const [address, now] of h) {
    const was = b.get(address);
    if (!was) {
      out.push({ address, type: now.type, constructPath: now.constructPath, action: 'create', attributes: [], replacedBecause: [], source: 'synth diff' });
      continue;
    }
    const attributes = changedPaths(was.config, now.config);
    if (attributes.length === 0) continue;
    const forcing = forceNewAttributes(now.type, was.config, now.config, attributes);
    const action = forcing.length > 0 ? 'replace' : 'update';
    out.push({
      address,
      type: now.type,
      constructPath: now.constructPath,
      action,
      attributes,
      replacedBecause: forcing.map((f) => (f.note ? `${f.attribute} (${f.note})` : f.attribute)),
      destructive: destructiveReason(action, now.type, was.config, now.config),
      source: 'synth diff',
    });
  }
  for (const [address, was] of b) {
    if (h.has(address)) continue;
    out.push({
      address,
      type: was.type,
      constructPath: was.constructPath,
      action: 'delete',
      attributes: [],
      replacedBecause: [],
      destructive: destructiveReason('delete', was.type, was.config, undefined),
      source: 'synth diff',
    });
  }
  return out.sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
}

/**
 * Destroyed and created resources of one type whose configurations are equal but for name and
 * comment: most likely a construct was renamed or moved, which changes the logical id. Terraform
 * destroys and re-creates them unless the stack declares the move (cdktf `moveTo`/`moveFromId`,
 * or a `moved` block).
 */
export function likelyMoves(
  changes: readonly ResourceChange[],
  base: TerraformDocument | undefined,
  head: TerraformDocument | undefined,
): { from: string; to: string }[] {
  const b = index(base);
  const h = index(head);
  const created = changes.filter((c) => c.action === 'create');
  const used = new Set<string>();
  const out: { from: string; to: string }[] = [];
  // Names derived from the construct path change with it: compare everything else.
  const shape = (cfg: Record<string, unknown> | undefined) => JSON.stringify(Object.entries(cfg ?? {}).filter(([k]) => k !== 'name' && k !== 'comment'));
  for (const d of changes.filter((c) => c.action === 'delete')) {
    const was = shape(b.get(d.address)?.config);
    const match = created.find((c) => !used.has(c.address) && c.type === d.type && shape(h.get(c.address)?.config) === was);
    if (match) {
      used.add(match.address);
      out.push({ from: d.address, to: match.address });
    }
  }
  return out;
}
