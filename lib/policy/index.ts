/** The rule pack: one rule per file under rules/ (ManyModelChecks runs them; lib/policy/checks.ts). */
export { computePoolMaxNodes } from './rules/compute-pool-max-nodes';
export { computePoolAutoSuspend } from './rules/compute-pool-auto-suspend';
export { stageEncryption } from './rules/stage-encryption';
export { consumerLeastPrivilege } from './rules/consumer-least-privilege';
export { queueLease } from './rules/queue-lease';
export { promotionGate } from './rules/promotion-gate';
export { scoringSchedule } from './rules/scoring-schedule';
export { procedureWarehouse } from './rules/procedure-warehouse';
export { publicInferenceEndpoint } from './rules/public-inference-endpoint';
export { warehouseRefine } from './rules/warehouse-refine';
