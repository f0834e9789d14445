/**
 * Policy rules, cdk-nag style: one rule per file, a pure function from a synthesized resource to
 * compliant / non-compliant / not applicable, with an id, a level and an explanation.
 */
import { IConstruct } from 'constructs';

export type RuleLevel = 'error' | 'warning';

export enum RuleResult {
  COMPLIANT = 'COMPLIANT',
  NON_COMPLIANT = 'NON_COMPLIANT',
  NOT_APPLICABLE = 'NOT_APPLICABLE',
}

/** What a rule sees: the Terraform resource type and its synthesized (snake_case) configuration, or a construct. */
export interface RuleSubject {
  readonly construct: IConstruct;
  /** Terraform resource type, e.g. snowflake_compute_pool; undefined for non-resource constructs. */
  readonly resourceType?: string;
  /** The resource's synthesized attributes. */
  readonly config?: Record<string, unknown>;
}

export interface PolicyRule {
  /** Stable id used in suppressions, e.g. MM-CP1. */
  readonly id: string;
  readonly level: RuleLevel;
  /** One paragraph: what the rule checks and why it matters. */
  readonly explanation: string;
  evaluate(subject: RuleSubject): RuleResult;
}
