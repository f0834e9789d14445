/**
 * The pull-request plan: per stack, the Terraform changes (from the synthesized diff, or from a
 * real Terraform plan when one is given), the hook steps a deploy will run and why, the
 * destructive changes and whether they are allowed, warnings and policy suppressions, and what the
 * change costs (cost.ts). A pure function of two syntheses (and, for the cost, of the ledger's
 * durations when the caller read them); rendering is in render-markdown.ts, JSON is this object.
 */
import { movedPrivileges, regrantWarning } from './regrants';
import { HookManifest } from '../../lib/hooks/manifest';
import { PolicyReport } from '../../lib/policy/checks';
import { CostOptions, PlanCost, StackCost, estimateStackCost, summarizeCost } from './cost';
import { HookChange, diffHooks } from './hook-diff';
import { ChangeSource, ResourceAction, ResourceChange, TerraformDocument, diffSyntheses, likelyMoves } from './resource-diff';

export const PLAN_SCHEMA_VERSION = 1;

/** One stack of a synthesis, as read from cdktf.out. */
export interface StackSynthesis {
  readonly terraform: TerraformDocument;
  readonly hooks?: HookManifest;
  readonly policy?: PolicyReport;
  /** Warning annotations cdktf recorded for the stack (policy warnings among them). */
  readonly warnings?: readonly string[];
}

export interface Synthesis {
  /** Where it came from: a directory, or a git ref. */
  readonly label: string;
  readonly stacks: ReadonlyMap<string, StackSynthesis>;
}

export interface DestructiveChange {
  readonly stack: string;
  readonly address: string;
  readonly constructPath?: string;
  readonly action: ResourceAction;
  readonly reason: string;
  /** Whether an allow entry names it. */
  readonly allowed: boolean;
  readonly source: ChangeSource;
}

export type Counts = Record<ResourceAction, number>;

export interface StackPlan {
  readonly stack: string;
  /** The stack is new in head, gone from head, or in both. */
  readonly presence: 'added' | 'removed' | 'both';
  readonly resourceSource: ChangeSource;
  readonly resources: readonly ResourceChange[];
  readonly counts: Counts;
  readonly hooks: readonly HookChange[];
  readonly hooksToRun: number;
  readonly moves: readonly { from: string; to: string }[];
  readonly warnings: readonly string[];
  readonly suppressions: readonly { ruleId: string; path: string; reason: string }[];
}

export interface PlanReport {
  readonly schemaVersion: typeof PLAN_SCHEMA_VERSION;
  readonly base: string;
  readonly head: string;
  readonly stacks: readonly StackPlan[];
  readonly totals: Counts & { hooksToRun: number };
  readonly destructive: readonly DestructiveChange[];
  /** True when `failOn` is `destructive` and a destructive change is not allowed. */
  readonly refused: boolean;
  /** What the change costs in credits, and whether `cost.maxCredits` refuses it (`cost.refused`). */
  readonly cost: PlanCost;
}

export interface PlanOptions {
  /** Terraform plans (`terraform show -json`) per stack: their changes replace the synthesized diff. */
  readonly terraformPlans?: ReadonlyMap<string, readonly ResourceChange[]>;
  /** Addresses (`type.id` or `stack:type.id`) or construct paths (a path covers everything below it). */
  readonly allow?: readonly string[];
  readonly failOn?: 'destructive' | 'never';
  /** Hook steps to report as forced (as `hooks run --force`). */
  readonly force?: readonly string[];
  /** The cost estimate's partitions, ledger history, credit price and gate (cost.ts). */
  readonly cost?: CostOptions;
}

const zero = (): Counts => ({ create: 0, update: 0, replace: 0, delete: 0 });

export function isAllowed(stack: string, change: { address: string; constructPath?: string }, allow: readonly string[]): boolean {
  return allow.some((a) => {
    const entry = a.trim();
    if (!entry) return false;
    if (entry === change.address || entry === `${stack}:${change.address}`) return true;
    const p = change.constructPath;
    return p !== undefined && (p === entry || p.startsWith(entry.replace(/\/$/, '') + '/'));
  });
}

export function buildPlan(base: Synthesis, head: Synthesis, opts: PlanOptions = {}): PlanReport {
  const names = [...new Set([...base.stacks.keys(), ...head.stacks.keys()])].sort();
  const allow = opts.allow ?? [];
  const stacks: StackPlan[] = [];
  const destructive: DestructiveChange[] = [];
  const totals = { ...zero(), hooksToRun: 0 };
  const costs: StackCost[] = [];
  for (const stack of names) {
    const b = base.stacks.get(stack);
    const h = head.stacks.get(stack);
    const fromPlan = opts.terraformPlans?.get(stack);
    const resources = fromPlan ?? diffSyntheses(b?.terraform, h?.terraform);
    const counts = zero();
    for (const r of resources) counts[r.action]++;
    const hooks = diffHooks(b?.hooks, h?.hooks, opts.force);
    const hooksToRun = hooks.filter((x) => x.action === 'run').length;
    costs.push(estimateStackCost(stack, b, h, hooks, opts.cost));
    for (const r of resources) {
      if (!r.destructive) continue;
      destructive.push({
        stack,
        address: r.address,
        constructPath: r.constructPath,
        action: r.action,
        reason: r.destructive,
        allowed: isAllowed(stack, r, allow),
        source: r.source,
      });
    }
    const moves = fromPlan ? [] : likelyMoves(resources, b?.terraform, h?.terraform);
    stacks.push({
      stack,
      presence: !b ? 'added' : !h ? 'removed' : 'both',
      resourceSource: fromPlan ? 'terraform plan' : 'synth diff',
      resources,
      counts,
      hooks,
      hooksToRun,
      moves,
      warnings: [...(h?.warnings ?? []), ...regrantWarning(fromPlan ? [] : movedPrivileges(resources, b?.terraform, h?.terraform))],
      suppressions: (h?.policy?.findings ?? [])
        .filter((f) => f.suppressed !== undefined)
        .map((f) => ({ ruleId: f.ruleId, path: f.path, reason: f.suppressed! })),
    });
    for (const k of Object.keys(counts) as ResourceAction[]) totals[k] += counts[k];
    totals.hooksToRun += hooksToRun;
  }
  for (const name of opts.terraformPlans?.keys() ?? []) {
    if (!head.stacks.has(name))
      throw new Error(
        `a Terraform plan was given for stack '${name}', which the head synthesis does not have (stacks: ${[...head.stacks.keys()].join(', ') || 'none'})`,
      );
  }
  const refused = (opts.failOn ?? 'never') === 'destructive' && destructive.some((d) => !d.allowed);
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    base: base.label,
    head: head.label,
    stacks,
    totals,
    destructive,
    refused,
    cost: summarizeCost(costs, opts.cost),
  };
}
