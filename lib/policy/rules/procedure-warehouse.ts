import { snowflakeProviderOf } from '../../../constructs/provider';
import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-WH1: a stack that creates a procedure names a warehouse in its provider block. */
export const procedureWarehouse: PolicyRule = {
  id: 'MM-WH1',
  level: 'warning',
  explanation:
    "Creating a snowflake_procedure_python needs an active warehouse (provider v2.11.0, docs/resources/procedure_python.md: 'Required warehouse'), and this stack's provider block sets none. Set `warehouse` on the SnowflakeProvider (an existing warehouse the deploy role may use), or suppress this if every deploy user has a DEFAULT_WAREHOUSE or SNOWFLAKE_WAREHOUSE is set at apply.",
  evaluate: (s: RuleSubject) => {
    if (s.resourceType === undefined || !/^snowflake_procedure_/.test(s.resourceType)) return RuleResult.NOT_APPLICABLE;
    const provider = snowflakeProviderOf(s.construct);
    if (!provider) return RuleResult.NOT_APPLICABLE;
    return provider.warehouse ? RuleResult.COMPLIANT : RuleResult.NON_COMPLIANT;
  },
};
