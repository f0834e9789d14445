import 'cdktf/lib/testing/adapters/jest';
import { Database, ManyModelPipeline, ManyModelPipelineProps, ModelSet, RuleResult, SourceTable, TrainingStrategy } from '../../index';
import { warehouseRefine } from '../../lib/policy';
import { forecastPipeline, newStack } from '../constructs/helpers';

function pipeline(id: string, training: TrainingStrategy, extra: Partial<ManyModelPipelineProps> = {}): ManyModelPipeline {
  const stack = newStack(id);
  return new ManyModelPipeline(stack, 'Forecast', {
    database: Database.fromName(stack, 'Db', 'ANALYTICS'),
    source: SourceTable.fromName(stack, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    training,
    ...extra,
  });
}

describe('MM-TR1: a pass in the warehouse runs the screen contest', () => {
  test('compliant with the screen model set; not applicable without a warehouse pass', () => {
    expect(warehouseRefine.evaluate({ construct: pipeline('a', TrainingStrategy.warehouse()) })).toBe(RuleResult.COMPLIANT);
    expect(warehouseRefine.evaluate({ construct: forecastPipeline(newStack('b')) })).toBe(RuleResult.NOT_APPLICABLE);
  });

  test('non-compliant when the warehouse runs the refine contest', () => {
    expect(warehouseRefine.evaluate({ construct: pipeline('c', TrainingStrategy.warehouse({ modelSet: ModelSet.REFINE })) })).toBe(RuleResult.NON_COMPLIANT);
  });
});
