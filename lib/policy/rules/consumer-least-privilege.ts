import { isConsumerReadable } from '../consumer-readable';
import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/**
 * MM-RL1: roles named *_CONSUMER hold nothing beyond USAGE (database, schema, models), except
 * SELECT on the read-only outputs a construct declares for consumers (a pipeline's monitoring
 * tables: ../consumer-readable.ts).
 */
export const consumerLeastPrivilege: PolicyRule = {
  id: 'MM-RL1',
  level: 'error',
  explanation:
    'A consumer role only calls predict: USAGE on the database, the schema and the model, and SELECT on the read-only monitoring tables a pipeline declares for it. Any other privilege (SELECT on training data, OPERATE on tasks, WRITE on stages) widens what a model consumer can read or change.',
  evaluate: (s: RuleSubject) => {
    if (s.resourceType !== 'snowflake_grant_privileges_to_account_role' || !/_CONSUMER$/i.test(String(s.config?.account_role_name ?? '')))
      return RuleResult.NOT_APPLICABLE;
    const privileges = (s.config?.privileges as string[] | undefined) ?? [];
    if (s.config?.all_privileges) return RuleResult.NON_COMPLIANT;
    if (privileges.every((p) => p === 'USAGE')) return RuleResult.COMPLIANT;
    const on = s.config?.on_schema_object as { object_type?: string; object_name?: string } | undefined;
    const readable = on?.object_type !== undefined && on.object_name !== undefined && isConsumerReadable(s.construct, on.object_type, on.object_name);
    return readable && privileges.every((p) => p === 'SELECT') ? RuleResult.COMPLIANT : RuleResult.NON_COMPLIANT;
  },
};
