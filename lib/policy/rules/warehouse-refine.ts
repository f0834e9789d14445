import { ManyModelPipeline } from '../../../constructs/many-model-pipeline';
import { ModelSet } from '../../pipeline/model';
import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-TR1: a pass that trains in the warehouse runs the cheap (screen) contest. */
export const warehouseRefine: PolicyRule = {
  id: 'MM-TR1',
  level: 'warning',
  explanation:
    "A pass in the warehouse fits each partition in ONE JavaScript UDTF call, and Snowflake kills a JavaScript UDF that takes too long or uses too much memory without documenting either limit (https://docs.snowflake.com/en/developer-guide/udf/javascript/udf-javascript-limitations): a killed call fails the whole statement, so every partition of the pass, where a job-service worker's failed chunk is retried alone. ModelSet.REFINE (three rolling holdouts, the fine search) took 2.2 times the screen set's time per 1,095-day series here (38 ms against 17.6 ms). Screen in the warehouse and refine on a pool (TrainingStrategy.screenThenRefine({ screenInWarehouse: {} })), or suppress with a reason once the longest series has been timed.",
  evaluate: (s: RuleSubject) => {
    if (!(s.construct instanceof ManyModelPipeline)) return RuleResult.NOT_APPLICABLE;
    const passes = s.construct.warehousePasses;
    if (passes.length === 0) return RuleResult.NOT_APPLICABLE;
    return passes.some((p) => p.modelSet === ModelSet.REFINE) ? RuleResult.NON_COMPLIANT : RuleResult.COMPLIANT;
  },
};
