import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-CP2: compute pools suspend when idle. */
export const computePoolAutoSuspend: PolicyRule = {
  id: 'MM-CP2',
  level: 'warning',
  explanation: 'A compute pool with auto-suspend disabled keeps its nodes (and the bill) running between training passes. Set autoSuspend to a few minutes.',
  evaluate: (s: RuleSubject) => {
    if (s.resourceType !== 'snowflake_compute_pool') return RuleResult.NOT_APPLICABLE;
    const secs = s.config?.auto_suspend_secs;
    return secs === 0 || secs === '0' ? RuleResult.NON_COMPLIANT : RuleResult.COMPLIANT;
  },
};
