import { BatchScoringJob } from '../../../constructs/batch-scoring-job';
import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-SC1: batch scoring runs on a schedule (or after another task), not only after deploys. */
export const scoringSchedule: PolicyRule = {
  id: 'MM-SC1',
  level: 'warning',
  explanation: 'Scoring that only runs after a deploy goes stale between releases. Give the scoring a schedule (or run it after the task that loads the data).',
  evaluate: (s: RuleSubject) =>
    !(s.construct instanceof BatchScoringJob) ? RuleResult.NOT_APPLICABLE : s.construct.task ? RuleResult.COMPLIANT : RuleResult.NON_COMPLIANT,
};
