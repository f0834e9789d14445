import * as fs from 'fs';
import * as path from 'path';
import { FORCE_NEW, forceNewAttributes } from '../../../runner/plan/force-new';
import { synthVariant } from './apps';

/** The resource types in every stack of a synthesized app. */
function resourceTypes(outdir: string): string[] {
  const stacks = path.join(outdir, 'stacks');
  const types = new Set<string>();
  for (const s of fs.readdirSync(stacks)) {
    const json = JSON.parse(fs.readFileSync(path.join(stacks, s, 'cdk.tf.json'), 'utf8'));
    for (const type of Object.keys(json.resource ?? {})) types.add(type);
  }
  return [...types].sort();
}

describe('the force-new table that predicts replacements', () => {
  test('has a rule, possibly empty, for every resource type a pipeline with monitoring and a service emits', () => {
    const types = resourceTypes(synthVariant({ monitoring: true, service: { minInstances: 1 } }));
    expect(types).toEqual(expect.arrayContaining(['snowflake_alert', 'snowflake_compute_pool', 'snowflake_task']));
    expect(types.filter((t) => !(t in FORCE_NEW))).toEqual([]);
  });

  test('an alert moved to another warehouse is replaced; a new condition is altered in place', () => {
    const before = { name: 'A', warehouse: 'WH1', condition: 'SELECT 1' };
    expect(forceNewAttributes('snowflake_alert', before, { ...before, warehouse: 'WH2' }, ['warehouse'])).toEqual([{ attribute: 'warehouse' }]);
    expect(forceNewAttributes('snowflake_alert', before, { ...before, condition: 'SELECT 2' }, ['condition'])).toEqual([]);
  });

  test('a renamed compute pool or image repository is replaced; a renamed role is not', () => {
    expect(forceNewAttributes('snowflake_compute_pool', { name: 'P1' }, { name: 'P2' }, ['name'])).toEqual([{ attribute: 'name' }]);
    expect(forceNewAttributes('snowflake_image_repository', { name: 'R1' }, { name: 'R2' }, ['name'])).toEqual([{ attribute: 'name' }]);
    expect(forceNewAttributes('snowflake_account_role', { name: 'R1' }, { name: 'R2' }, ['name'])).toEqual([]);
  });
});
