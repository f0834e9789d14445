import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-RL1: roles named *_CONSUMER hold nothing beyond USAGE (database, schema, models). */
export const consumerLeastPrivilege: PolicyRule = {
  id: 'MM-RL1',
  level: 'error',
  explanation: 'A consumer role only calls predict: USAGE on the database, the schema and the model. Any other privilege (SELECT on training data, OPERATE on tasks, WRITE on stages) widens what a model consumer can read or change.',
  evaluate: (s: RuleSubject) => {
    if (s.resourceType !== 'snowflake_grant_privileges_to_account_role' || !/_CONSUMER$/i.test(String(s.config?.account_role_name ?? ''))) return RuleResult.NOT_APPLICABLE;
    const privileges = (s.config?.privileges as string[] | undefined) ?? [];
    return s.config?.all_privileges || privileges.some((p) => p !== 'USAGE') ? RuleResult.NON_COMPLIANT : RuleResult.COMPLIANT;
  },
};
