import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-QU1: a hybrid-table work queue has lease and attempt columns. */
export const queueLease: PolicyRule = {
  id: 'MM-QU1',
  level: 'error',
  explanation:
    'Without LEASE_UNTIL and ATTEMPTS a crashed worker keeps its chunk forever, or a poison chunk is retried forever. Work queues need both (the reference implementation forgot them).',
  evaluate: (s: RuleSubject) => {
    if (s.resourceType !== 'snowflake_execute') return RuleResult.NOT_APPLICABLE;
    const ddl = String(s.config?.execute ?? '');
    if (!/CREATE\s+HYBRID\s+TABLE/i.test(ddl) || !/\bQUEUE_ID\b/i.test(ddl)) return RuleResult.NOT_APPLICABLE;
    return /\bLEASE_UNTIL\b/i.test(ddl) && /\bATTEMPTS\b/i.test(ddl) ? RuleResult.COMPLIANT : RuleResult.NON_COMPLIANT;
  },
};
