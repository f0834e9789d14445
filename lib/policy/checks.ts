/**
 * The `ManyModelChecks` rule pack: an Aspect that evaluates every rule on every synthesized
 * resource (and on our constructs), turns errors into synth failures and warnings into
 * annotations, and honours suppressions that carry a reason. Users add their own rules the same
 * way (`new ManyModelChecks({ extraRules: [myRule] })`).
 */
import { Annotations, IAspect, TerraformResource, TerraformStack } from '../engine';
import { IConstruct } from 'constructs';
import { ValidationError } from '../errors';
import { writeBesideStack } from '../hooks/synth-writer';
import { PolicyRule, RuleResult, RuleSubject } from './rule';
import { computePoolAutoSuspend } from './rules/compute-pool-auto-suspend';
import { computePoolMaxNodes } from './rules/compute-pool-max-nodes';
import { consumerLeastPrivilege } from './rules/consumer-least-privilege';
import { procedureWarehouse } from './rules/procedure-warehouse';
import { promotionGate } from './rules/promotion-gate';
import { publicInferenceEndpoint } from './rules/public-inference-endpoint';
import { queueLease } from './rules/queue-lease';
import { scoringSchedule } from './rules/scoring-schedule';
import { stageEncryption } from './rules/stage-encryption';
import { warehouseRefine } from './rules/warehouse-refine';

export interface PolicySuppression {
  /** The rule id, e.g. MM-PR1. */
  readonly id: string;
  /** Why the finding is acceptable here; required. */
  readonly reason: string;
}

const SUPPRESSIONS = new WeakMap<IConstruct, PolicySuppression[]>();

/** Suppressions are data on a construct and cover everything below it. */
export class PolicySuppressions {
  static add(construct: IConstruct, suppressions: PolicySuppression[]): void {
    for (const s of suppressions) {
      if (!s.reason || s.reason.trim().length < 10) {
        throw new ValidationError(
          construct.node.path,
          `suppression of ${s.id}`,
          'has no reason (at least 10 characters)',
          'Say why the finding is acceptable here',
        );
      }
    }
    SUPPRESSIONS.set(construct, [...(SUPPRESSIONS.get(construct) ?? []), ...suppressions]);
  }

  /** The suppression of `id` on the construct or an ancestor, if any. */
  static find(construct: IConstruct, id: string): PolicySuppression | undefined {
    for (const scope of [...construct.node.scopes].reverse()) {
      const s = SUPPRESSIONS.get(scope)?.find((x) => x.id === id);
      if (s) return s;
    }
    return undefined;
  }
}

export interface ManyModelChecksOptions {
  /** Node budget of MM-CP1. @default 20 */
  readonly computePoolNodeBudget?: number;
  /** Additional rules, evaluated like the built-in ones. @default none */
  readonly extraRules?: PolicyRule[];
}

export interface PolicyFinding {
  readonly ruleId: string;
  readonly level: 'error' | 'warning';
  readonly path: string;
  readonly suppressed?: string;
}

export class ManyModelChecks implements IAspect {
  readonly rules: PolicyRule[];
  /** Everything found, suppressed findings included (for reports and plans). */
  readonly findings: PolicyFinding[] = [];
  private readonly reported = new Set<TerraformStack>();

  constructor(opts: ManyModelChecksOptions = {}) {
    this.rules = [
      computePoolMaxNodes(opts.computePoolNodeBudget ?? 20),
      computePoolAutoSuspend,
      stageEncryption,
      consumerLeastPrivilege,
      queueLease,
      promotionGate,
      scoringSchedule,
      procedureWarehouse,
      publicInferenceEndpoint,
      warehouseRefine,
      ...(opts.extraRules ?? []),
    ];
    const ids = new Set<string>();
    for (const r of this.rules) {
      if (ids.has(r.id)) throw new Error(`policy rule id ${r.id} is registered twice`);
      ids.add(r.id);
    }
  }

  visit(node: IConstruct): void {
    this.reportOnce(TerraformStack.of(node));
    const subject: RuleSubject =
      node instanceof TerraformResource ? { construct: node, resourceType: node.terraformResourceType, config: synthesizedConfig(node) } : { construct: node };
    for (const rule of this.rules) {
      if (rule.evaluate(subject) !== RuleResult.NON_COMPLIANT) continue;
      const suppression = PolicySuppressions.find(node, rule.id);
      const path = node.node.path;
      this.findings.push({ ruleId: rule.id, level: rule.level, path, suppressed: suppression?.reason });
      if (suppression) continue;
      const message = `[${rule.id}] ${path}: ${rule.explanation}`;
      if (rule.level === 'error') {
        node.node.addValidation({ validate: () => [message] });
      } else {
        Annotations.of(node).addWarning(message);
      }
    }
  }

  /** Registers, once per stack, the writing of its findings beside its cdk.tf.json. */
  private reportOnce(stack: TerraformStack): void {
    if (this.reported.has(stack)) return;
    this.reported.add(stack);
    const prefix = stack.node.path + '/';
    writeBesideStack(stack, stack, POLICY_REPORT_FILE, () => {
      const report: PolicyReport = {
        rules: this.rules.map((r) => ({ id: r.id, level: r.level })),
        findings: this.findings
          .filter((f) => (f.path + '/').startsWith(prefix) && (f.suppressed !== undefined || f.level === 'warning'))
          .sort((a, b) => (a.path + a.ruleId).localeCompare(b.path + b.ruleId)),
      };
      return JSON.stringify(report, null, 2) + '\n';
    });
  }
}

/** The file beside each stack's cdk.tf.json that lists the pack's findings (read by `many-model plan`). */
export const POLICY_REPORT_FILE = 'policy.json';

export interface PolicyReport {
  readonly rules: { id: string; level: 'error' | 'warning' }[];
  /** Findings in construct-path order: unsuppressed warnings and every suppression with its reason. */
  readonly findings: PolicyFinding[];
}

function synthesizedConfig(r: TerraformResource): Record<string, unknown> {
  const tf = r.toTerraform() as { resource?: Record<string, Record<string, Record<string, unknown>>> };
  const byId = tf.resource?.[r.terraformResourceType] ?? {};
  return Object.values(byId)[0] ?? {};
}
