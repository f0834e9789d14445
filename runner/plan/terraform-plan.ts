/**
 * Reads a plan written by `terraform show -json <planfile>` (Terraform's JSON output format,
 * `format_version` 1.x). Fields relied on, documented in docs/gitops.md: `format_version`,
 * `resource_changes[].address`, `.mode`, `.type`, `.change.actions`, `.change.before`,
 * `.change.after`, `.change.after_unknown`, `.change.replace_paths`, `.action_reason`.
 */
import { ResourceAction, ResourceChange, changedPaths, destructiveReason } from './resource-diff';

/** A Terraform plan file this version cannot read. */
export class TerraformPlanError extends Error {
  override name = 'TerraformPlanError';
}

interface RawChange {
  address?: unknown;
  mode?: unknown;
  type?: unknown;
  action_reason?: unknown;
  change?: { actions?: unknown; before?: unknown; after?: unknown; after_unknown?: unknown; replace_paths?: unknown };
}

function actionOf(actions: string[], address: string, file: string): ResourceAction | undefined {
  const key = actions.join(',');
  switch (key) {
    case 'no-op':
    case 'read':
      return undefined;
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'delete':
      return 'delete';
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    default:
      throw new TerraformPlanError(
        `${file}: ${address} has actions [${key}], which this version does not know (expected no-op, read, create, update, delete, or a delete/create pair)`,
      );
  }
}

/** The managed resources' changes in a plan, with construct paths looked up by logical id. */
export function readTerraformPlan(text: string, file: string, constructPathOf: (address: string) => string | undefined = () => undefined): ResourceChange[] {
  let doc: { format_version?: unknown; resource_changes?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw new TerraformPlanError(`${file} is not JSON (${(e as Error).message}); write it with: terraform show -json plan.tfplan > plan.json`);
  }
  if (!doc || typeof doc !== 'object' || typeof doc.format_version !== 'string') {
    throw new TerraformPlanError(`${file} has no format_version: it is not the output of terraform show -json`);
  }
  if (!/^1\./.test(doc.format_version)) {
    throw new TerraformPlanError(`${file} has format_version ${doc.format_version}; this version reads 1.x`);
  }
  const raw = doc.resource_changes ?? [];
  if (!Array.isArray(raw)) throw new TerraformPlanError(`${file}: resource_changes is not a list`);
  const out: ResourceChange[] = [];
  for (const [i, r] of (raw as RawChange[]).entries()) {
    if (r.mode === 'data') continue;
    const address = typeof r.address === 'string' ? r.address : undefined;
    const type = typeof r.type === 'string' ? r.type : undefined;
    const actions = r.change?.actions;
    if (!address || !type || !Array.isArray(actions)) throw new TerraformPlanError(`${file}: resource_changes[${i}] lacks address, type or change.actions`);
    const action = actionOf(actions.map(String), address, file);
    if (!action) continue;
    const before = (r.change?.before ?? null) as Record<string, unknown> | null;
    const after = (r.change?.after ?? null) as Record<string, unknown> | null;
    const unknown = r.change?.after_unknown;
    let attributes: string[] = [];
    if (action === 'update' || action === 'replace') {
      attributes = changedPaths(before ?? {}, after ?? {});
      // Attributes known only after apply show as unknown: a change Terraform cannot spell out yet.
      for (const p of changedPaths({}, unknown && typeof unknown === 'object' ? pickTrue(unknown) : {})) if (!attributes.includes(p)) attributes.push(p);
    }
    const replacePaths = Array.isArray(r.change?.replace_paths)
      ? (r.change!.replace_paths as unknown[][]).map((p) =>
          p
            .map((s) => (typeof s === 'number' ? `[${s}]` : String(s)))
            .join('.')
            .replace(/\.\[/g, '['),
        )
      : [];
    const reason = typeof r.action_reason === 'string' ? r.action_reason : undefined;
    out.push({
      address,
      type,
      constructPath: constructPathOf(address),
      action,
      attributes: attributes.sort(),
      replacedBecause: action === 'replace' ? (replacePaths.length ? replacePaths : reason ? [reason] : []) : [],
      destructive: destructiveReason(action, type, before ?? undefined, after ?? undefined),
      source: 'terraform plan',
    });
  }
  return out.sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
}

/** after_unknown marks unknown leaves with `true`; keep only those. */
function pickTrue(v: unknown): unknown {
  if (v === true) return '(known after apply)';
  if (Array.isArray(v)) return v.map(pickTrue);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = pickTrue(x);
      if (p !== undefined && !(typeof p === 'object' && p !== null && Object.keys(p).length === 0)) o[k] = p;
    }
    return o;
  }
  return undefined;
}
