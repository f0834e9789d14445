import 'cdktf/lib/testing/adapters/jest';
import { SnowflakeProviderConfig } from '@cdktf/provider-snowflake/lib/provider';
import { Aspects, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  BatchScoringJob,
  ComputePool,
  Database,
  GateMetric,
  ManyModelChecks,
  ManyModelPipeline,
  ModelRegistryAggregator,
  PolicyRule,
  PolicySuppressions,
  PromotionGate,
  Role,
  RuleResult,
  Schedule,
  Schema,
  SourceTable,
  Trainer,
  Warehouse,
} from '../../index';
import {
  computePoolAutoSuspend,
  computePoolMaxNodes,
  consumerLeastPrivilege,
  procedureWarehouse,
  promotionGate,
  queueLease,
  scoringSchedule,
  stageEncryption,
} from '../../lib/policy';
import { newStack } from '../constructs/helpers';

function checked(
  build: (s: TerraformStack) => void,
  checks = new ManyModelChecks(),
  provider: SnowflakeProviderConfig = {},
): { stack: TerraformStack; checks: ManyModelChecks; error?: string; warnings: string[] } {
  const stack = newStack('test', provider);
  build(stack);
  Aspects.of(stack).add(checks);
  let error: string | undefined;
  try {
    Testing.synth(stack, true);
  } catch (e) {
    error = (e as Error).message;
  }
  const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
  return { stack, checks, error, warnings };
}

const subject = (resourceType: string, config: Record<string, unknown>) => ({ construct: new Construct(Testing.app(), 'x'), resourceType, config });

describe('policy rules (one compliant and one non-compliant case each)', () => {
  test('MM-CP1 compute pool node budget', () => {
    expect(computePoolMaxNodes(10).evaluate(subject('snowflake_compute_pool', { max_nodes: 10 }))).toBe(RuleResult.COMPLIANT);
    expect(computePoolMaxNodes(10).evaluate(subject('snowflake_compute_pool', { max_nodes: 11 }))).toBe(RuleResult.NON_COMPLIANT);
  });
  test('MM-CP2 auto-suspend', () => {
    expect(computePoolAutoSuspend.evaluate(subject('snowflake_compute_pool', { auto_suspend_secs: 300 }))).toBe(RuleResult.COMPLIANT);
    expect(computePoolAutoSuspend.evaluate(subject('snowflake_compute_pool', { auto_suspend_secs: 0 }))).toBe(RuleResult.NON_COMPLIANT);
  });
  test('MM-ST1 stage encryption', () => {
    expect(stageEncryption.evaluate(subject('snowflake_stage', { encryption: "TYPE = 'SNOWFLAKE_SSE'" }))).toBe(RuleResult.COMPLIANT);
    expect(stageEncryption.evaluate(subject('snowflake_stage', {}))).toBe(RuleResult.NON_COMPLIANT);
  });
  test('MM-RL1 consumer least privilege', () => {
    expect(
      consumerLeastPrivilege.evaluate(subject('snowflake_grant_privileges_to_account_role', { account_role_name: 'FC_CONSUMER', privileges: ['USAGE'] })),
    ).toBe(RuleResult.COMPLIANT);
    expect(
      consumerLeastPrivilege.evaluate(subject('snowflake_grant_privileges_to_account_role', { account_role_name: 'FC_CONSUMER', privileges: ['SELECT'] })),
    ).toBe(RuleResult.NON_COMPLIANT);
    expect(
      consumerLeastPrivilege.evaluate(subject('snowflake_grant_privileges_to_account_role', { account_role_name: 'FC_RUNNER', privileges: ['SELECT'] })),
    ).toBe(RuleResult.NOT_APPLICABLE);
  });
  test("MM-RL1 lets a consumer read a pipeline's monitoring tables, and no other table", () => {
    const stack = newStack();
    new ManyModelPipeline(stack, 'Fc', {
      database: Database.fromName(stack, 'Db', 'ML'),
      source: SourceTable.fromName(stack, 'Src', 'ML.RAW.T', { partitionColumn: 'K', orderColumn: 'D', targetColumn: 'Y' }),
      computePool: new ComputePool(stack, 'Pool', {}),
      trainer: Trainer.fromImage('/ml/img/repo/w:1'),
      scoring: { horizon: 7 },
    }).addMonitoring();
    const grant = (name: string) => ({
      construct: stack,
      resourceType: 'snowflake_grant_privileges_to_account_role',
      config: { account_role_name: 'FC_CONSUMER', privileges: ['SELECT'], on_schema_object: { object_type: 'TABLE', object_name: name } },
    });
    expect(consumerLeastPrivilege.evaluate(grant('"ML"."FC"."FC_MONITORING_ACCURACY"'))).toBe(RuleResult.COMPLIANT);
    expect(consumerLeastPrivilege.evaluate(grant('"ML"."FC"."FC_MONITORING_DRIFT"'))).toBe(RuleResult.COMPLIANT);
    expect(consumerLeastPrivilege.evaluate(grant('"ML"."FC"."FC_TRAINING_METRICS"'))).toBe(RuleResult.NON_COMPLIANT);
    expect(
      consumerLeastPrivilege.evaluate({
        ...grant('"ML"."FC"."FC_MONITORING_ACCURACY"'),
        config: { ...grant('"ML"."FC"."FC_MONITORING_ACCURACY"').config, privileges: ['DELETE', 'SELECT'] },
      }),
    ).toBe(RuleResult.NON_COMPLIANT);
  });
  test('MM-QU1 queue lease and attempts', () => {
    expect(
      queueLease.evaluate(subject('snowflake_execute', { execute: 'CREATE HYBRID TABLE Q (QUEUE_ID VARCHAR, LEASE_UNTIL TIMESTAMP_NTZ, ATTEMPTS NUMBER)' })),
    ).toBe(RuleResult.COMPLIANT);
    expect(queueLease.evaluate(subject('snowflake_execute', { execute: 'CREATE HYBRID TABLE Q (QUEUE_ID VARCHAR, STATUS VARCHAR)' }))).toBe(
      RuleResult.NON_COMPLIANT,
    );
  });
  test('MM-PR1 promotion gate and MM-SC1 scoring schedule look at our constructs', () => {
    const stack = newStack();
    const schema = Schema.fromName(stack, 'S', 'ML.FC');
    const gated = new ModelRegistryAggregator(stack, 'A', {
      schema,
      metricsTableName: 'ML.FC.M',
      promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.2),
    });
    const open = new ModelRegistryAggregator(stack, 'B', { schema, metricsTableName: 'ML.FC.M' });
    expect(promotionGate.evaluate({ construct: gated })).toBe(RuleResult.COMPLIANT);
    expect(promotionGate.evaluate({ construct: open })).toBe(RuleResult.NON_COMPLIANT);
    const src = SourceTable.fromName(stack, 'Src', 'ML.RAW.T', { partitionColumn: 'K', orderColumn: 'D', targetColumn: 'Y' });
    const wh = Warehouse.fromName(stack, 'Wh', 'WH');
    const scheduled = new BatchScoringJob(stack, 'J1', { source: src, aggregator: gated, schema, warehouse: wh, horizon: 7, schedule: Schedule.every(60) });
    const adhoc = new BatchScoringJob(stack, 'J2', { source: src, aggregator: gated, schema, warehouse: wh, horizon: 7 });
    expect(scoringSchedule.evaluate({ construct: scheduled })).toBe(RuleResult.COMPLIANT);
    expect(scoringSchedule.evaluate({ construct: adhoc })).toBe(RuleResult.NON_COMPLIANT);
  });
});

describe('MM-WH1 procedure warehouse', () => {
  const procedureIn = (provider: SnowflakeProviderConfig) => {
    const stack = newStack('test', provider);
    return new ModelRegistryAggregator(stack, 'A', { schema: Schema.fromName(stack, 'S', 'ML.FC'), metricsTableName: 'ML.FC.M' }).procedure;
  };
  const evaluate = (r: ReturnType<typeof procedureIn>) => procedureWarehouse.evaluate({ construct: r, resourceType: r.terraformResourceType });

  test('a procedure in a stack whose provider names a warehouse is compliant', () => {
    expect(evaluate(procedureIn({ warehouse: 'DEPLOY_WH' }))).toBe(RuleResult.COMPLIANT);
  });

  test('a procedure in a stack whose provider names no warehouse is caught', () => {
    expect(evaluate(procedureIn({}))).toBe(RuleResult.NON_COMPLIANT);
    expect(procedureWarehouse.evaluate(subject('snowflake_table', {}))).toBe(RuleResult.NOT_APPLICABLE);
  });

  test('the pack warns, naming the procedure, and synth still succeeds', () => {
    const r = checked(
      (s) =>
        new ModelRegistryAggregator(s, 'A', {
          schema: Schema.fromName(s, 'S', 'ML.FC'),
          metricsTableName: 'ML.FC.M',
          promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.2),
        }),
    );
    expect(r.error).toBeUndefined();
    expect(
      r.warnings.filter((w) => w.startsWith('[MM-WH1] test/A/RegisterProcedure: Creating a snowflake_procedure_python needs an active warehouse')),
    ).toHaveLength(1);
  });
});

describe('ManyModelChecks pack', () => {
  const pipeline = (s: TerraformStack, extra: Record<string, unknown> = {}) =>
    new ManyModelPipeline(s, 'Forecast', {
      database: Database.fromName(s, 'Db', 'ANALYTICS'),
      source: SourceTable.fromName(s, 'Src', 'ANALYTICS.RAW.T', { partitionColumn: 'K', orderColumn: 'D', targetColumn: 'Y' }),
      computePool: new ComputePool(s, 'Pool', { maxNodes: 8 }),
      trainer: Trainer.fromImage('/a/b/c/worker:1'),
      scoring: { horizon: 7 },
      ...extra,
    });

  test('an error finding fails synth naming the rule and the path', () => {
    const r = checked((s) => new ComputePool(s, 'Big', { maxNodes: 50 }));
    expect(r.error).toMatch(/\[MM-CP1\] test\/Big\/Resource: Compute pools bill per running node/);
  });

  test('warnings are annotations and do not fail synth', () => {
    const r = checked((s) => pipeline(s));
    expect(r.error).toBeUndefined();
    expect(r.warnings.some((w) => w.startsWith('[MM-PR1] test/Forecast/Aggregator'))).toBe(true);
    expect(r.warnings.some((w) => w.startsWith('[MM-SC1] test/Forecast/Scoring'))).toBe(true);
  });

  test('a suppression with a reason silences a finding and is reported', () => {
    const r = checked((s) => {
      const p = pipeline(s, { registry: {}, scoring: { horizon: 7, schedule: Schedule.cron('0 6 * * *') } });
      PolicySuppressions.add(p, [{ id: 'MM-PR1', reason: 'promotion is approved by a human in the release checklist' }]);
    });
    expect(r.warnings.filter((w) => w.includes('MM-PR1'))).toEqual([]);
    expect(r.checks.findings).toContainEqual({
      ruleId: 'MM-PR1',
      level: 'warning',
      path: 'test/Forecast/Aggregator',
      suppressed: 'promotion is approved by a human in the release checklist',
    });
  });

  test('a suppression without a reason is itself an error', () => {
    const stack = newStack();
    expect(() => PolicySuppressions.add(stack, [{ id: 'MM-PR1', reason: '' }])).toThrow(/suppression of MM-PR1 has no reason/);
  });

  test('users register their own rules the same way', () => {
    const noPublicRole: PolicyRule = {
      id: 'ACME-1',
      level: 'error',
      explanation: 'Never grant to PUBLIC.',
      evaluate: (s) =>
        s.resourceType !== 'snowflake_grant_privileges_to_account_role'
          ? RuleResult.NOT_APPLICABLE
          : s.config?.account_role_name === 'PUBLIC'
            ? RuleResult.NON_COMPLIANT
            : RuleResult.COMPLIANT,
    };
    const r = checked((s) => new ComputePool(s, 'P').grantUsage(Role.fromName(s, 'Pub', 'PUBLIC')), new ManyModelChecks({ extraRules: [noPublicRole] }));
    expect(r.error).toMatch(/\[ACME-1\]/);
    expect(() => new ManyModelChecks({ extraRules: [{ ...noPublicRole, id: 'MM-CP1' }] })).toThrow(/MM-CP1 is registered twice/);
  });

  test('the example-style pipeline with a gate, a schedule and a provider warehouse passes every rule', () => {
    const r = checked(
      (s) =>
        pipeline(s, {
          registry: { promotionGate: PromotionGate.metricAtMost(GateMetric.MEDIAN_MAPE, 0.25) },
          scoring: { horizon: 7, schedule: Schedule.cron('0 6 * * *') },
        }),
      new ManyModelChecks(),
      { warehouse: 'DEPLOY_WH' },
    );
    expect(r.error).toBeUndefined();
    expect(r.checks.findings).toEqual([]);
  });
});
