import { ModelRegistryAggregator } from '../../../constructs/model-registry-aggregator';
import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-PR1: promotion to the serving alias is gated on a metric. */
export const promotionGate: PolicyRule = {
  id: 'MM-PR1',
  level: 'warning',
  explanation:
    'Without a promotion gate every registered version moves the serving alias, so a bad training run goes straight to production. Set registry.promotionGate, e.g. PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.2).',
  evaluate: (s: RuleSubject) =>
    !(s.construct instanceof ModelRegistryAggregator)
      ? RuleResult.NOT_APPLICABLE
      : s.construct.gate.metric === undefined
        ? RuleResult.NON_COMPLIANT
        : RuleResult.COMPLIANT,
};
