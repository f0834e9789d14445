import { movedPrivileges, regrantWarning } from '../../../runner/plan/regrants';
import { ResourceChange } from '../../../runner/plan/resource-diff';

const GRANT = 'snowflake_grant_privileges_to_account_role';
const change = (id: string, action: ResourceChange['action']): ResourceChange => ({
  address: `${GRANT}.${id}`,
  type: GRANT,
  action,
  attributes: [],
  replacedBecause: [],
  source: 'synth diff',
});
const doc = (grants: Record<string, Record<string, unknown>>) => ({ resource: { [GRANT]: grants } });
const onDb = { on_account_object: { object_type: 'DATABASE', object_name: '"ANALYTICS"' } };

describe('privileges that move between grant resources', () => {
  test('a privilege a destroyed grant held and a created grant holds for the same role and object is reported, with the warning to apply twice', () => {
    const base = doc({ Old: { account_role_name: 'RUNNER', privileges: ['USAGE'], ...onDb } });
    const head = doc({ New: { account_role_name: 'RUNNER', privileges: ['MONITOR', 'USAGE'], ...onDb } });
    const moved = movedPrivileges([change('Old', 'delete'), change('New', 'create')], base, head);
    expect(moved).toEqual(['USAGE ON DATABASE "ANALYTICS" TO RUNNER']);
    expect(regrantWarning(moved)[0]).toContain('1 granted privilege moves to another grant resource (e.g. USAGE ON DATABASE "ANALYTICS" TO RUNNER)');
    expect(regrantWarning(moved)[0]).toContain('Apply twice');
  });

  test('another role, another object, or a grant only added or only removed is no move', () => {
    const base = doc({
      Old: { account_role_name: 'RUNNER', privileges: ['USAGE'], ...onDb },
      Gone: { account_role_name: 'X', privileges: ['SELECT'], on_schema_object: { object_type: 'TABLE', object_name: '"A"."B"."C"' } },
    });
    const head = doc({
      OtherRole: { account_role_name: 'ANALYSTS', privileges: ['USAGE'], ...onDb },
      OtherObject: { account_role_name: 'RUNNER', privileges: ['USAGE'], on_schema: { schema_name: '"ANALYTICS"."RAW"' } },
    });
    const changes = [change('Old', 'delete'), change('Gone', 'delete'), change('OtherRole', 'create'), change('OtherObject', 'create')];
    expect(movedPrivileges(changes, base, head)).toEqual([]);
    expect(regrantWarning([])).toEqual([]);
  });
});
