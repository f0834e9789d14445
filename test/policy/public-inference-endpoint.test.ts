import 'cdktf/lib/testing/adapters/jest';
import { Aspects, TerraformStack, Testing } from 'cdktf';
import { ComputePool, ManyModelChecks, PolicySuppressions, RuleResult, ServiceIngress, publicInferenceEndpoint } from '../../index';
import { forecastPipeline, newStack } from '../constructs/helpers';

function service(ingress?: ServiceIngress) {
  const stack = newStack('test', { warehouse: 'DEPLOY_WH' });
  const pipeline = forecastPipeline(stack);
  return { stack, service: pipeline.aggregator.addInferenceService('Online', { computePool: ComputePool.fromName(stack, 'P', 'SERVING'), ingress }) };
}

function synthError(stack: TerraformStack): string | undefined {
  Aspects.of(stack).add(new ManyModelChecks());
  try {
    Testing.synth(stack, true);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('MM-SV1 public inference endpoint', () => {
  test('a private service is compliant; a public one is caught; other constructs are not its business', () => {
    expect(publicInferenceEndpoint.evaluate({ construct: service().service })).toBe(RuleResult.COMPLIANT);
    expect(publicInferenceEndpoint.evaluate({ construct: service(ServiceIngress.PRIVATE).service })).toBe(RuleResult.COMPLIANT);
    expect(publicInferenceEndpoint.evaluate({ construct: service(ServiceIngress.PUBLIC).service })).toBe(RuleResult.NON_COMPLIANT);
    const { stack } = service();
    expect(publicInferenceEndpoint.evaluate({ construct: stack })).toBe(RuleResult.NOT_APPLICABLE);
  });

  test('in the pack it is an error: synth fails naming the rule and the service until a suppression gives the reason', () => {
    const open = service(ServiceIngress.PUBLIC);
    expect(synthError(open.stack)).toMatch(/\[MM-SV1\] test\/Forecast\/Aggregator\/Online: This inference service has PUBLIC ingress/);
    const justified = service(ServiceIngress.PUBLIC);
    PolicySuppressions.add(justified.service, [{ id: 'MM-SV1', reason: 'the store app calls it from outside Snowflake' }]);
    expect(synthError(justified.stack)).toBeUndefined();
    expect(synthError(service().stack)).toBeUndefined();
  });
});
