import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-ST1: stages holding models use server-side encryption. */
export const stageEncryption: PolicyRule = {
  id: 'MM-ST1',
  level: 'error',
  explanation:
    'Model artifacts are derived from business data. Internal stages must declare SNOWFLAKE_SSE or SNOWFLAKE_FULL encryption so the artifacts are encrypted at rest under Snowflake-managed keys.',
  evaluate: (s: RuleSubject) => {
    if (s.resourceType !== 'snowflake_stage' || s.config?.url) return RuleResult.NOT_APPLICABLE;
    return /TYPE\s*=\s*'SNOWFLAKE_(SSE|FULL)'/i.test(String(s.config?.encryption ?? '')) ? RuleResult.COMPLIANT : RuleResult.NON_COMPLIANT;
  },
};
