import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-CP1: a compute pool may not scale beyond a node budget (cost control). */
export function computePoolMaxNodes(budget = 20): PolicyRule {
  return {
    id: 'MM-CP1',
    level: 'error',
    explanation: `Compute pools bill per running node; a pool allowed to grow beyond ${budget} nodes can run up a large bill from a single misconfigured training pass. Lower maxNodes or raise the budget deliberately.`,
    evaluate: (s: RuleSubject) =>
      s.resourceType !== 'snowflake_compute_pool'
        ? RuleResult.NOT_APPLICABLE
        : Number(s.config?.max_nodes ?? 0) > budget
          ? RuleResult.NON_COMPLIANT
          : RuleResult.COMPLIANT,
  };
}
