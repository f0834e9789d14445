import * as fs from 'fs';
import * as path from 'path';
import { TerraformJson } from '../../../runner/bootstrap/bootstrap';
import { renderRoleTable, roleRows } from '../../../runner/bootstrap/role-table';
import { readSynthOutput } from '../../../runner/cli/synth-app';
import { buildApp } from '../../../stacks/main';
import { tempDir } from '../../tmp';

let tf: TerraformJson;
beforeAll(() => {
  const out = tempDir('mm-role-table-');
  buildApp(out).synth();
  tf = JSON.parse(fs.readFileSync(readSynthOutput(out)[0].terraformFile, 'utf8'));
});

describe('who holds what', () => {
  test("docs/deploying.md shows the example's table as its synthesis gives it", () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'deploying.md'), 'utf8');
    const shown = /<!-- role-table:forecast -->\n([\s\S]*?)<!-- \/role-table -->/.exec(doc)?.[1];
    // On a mismatch: `npx many-model synth && npx many-model bootstrap --roles` prints the table to paste.
    expect(shown).toBe(renderRoleTable(tf));
  });

  test('the deploy role owns what the apply creates and holds what bootstrap grants; the runner holds no account privilege', () => {
    const rows = roleRows(tf);
    expect(rows).toContainEqual({ role: 'MANY_MODEL_DEPLOYER', holds: 'EXECUTE TASK', on: 'the account', from: 'many-model bootstrap' });
    expect(rows).toContainEqual({ role: 'MANY_MODEL_DEPLOYER', holds: 'OWNERSHIP', on: 'schema ANALYTICS.FORECAST', from: 'terraform apply creates it' });
    expect(rows.filter((r) => r.role === 'FORECAST_RUNNER' && r.on === 'the account')).toEqual([]);
    expect(rows).toContainEqual({ role: 'FORECAST_RUNNER', holds: 'MONITOR, OPERATE', on: 'task ANALYTICS.FORECAST.FORECAST_SCREEN_ROOT', from: 'the stack' });
  });
});
