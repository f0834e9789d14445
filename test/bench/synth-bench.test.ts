/**
 * The synth bench compares like with like: its raw stack must synthesize the same Terraform
 * resources as the constructs: types, addresses, configurations and dependencies.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { newApp, rawDecls, rawStack, resourcesIn, synthesizedResources } from '../../bench/synth';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

test('the raw stack declares exactly the resources the constructs synthesize for 3 pipelines', () => {
  const resources = synthesizedResources(3);
  // Cross-pipeline resources exist (later pipelines' runners use the first pipeline's ledger):
  // copying one pipeline three times would not be the same infrastructure.
  const grants = (r: Resources) => Object.keys(r.snowflake_grant_privileges_to_account_role).length;
  expect(grants(resources)).toBeGreaterThan(3 * grants(synthesizedResources(1)));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-synth-bench-test-'));
  try {
    const app = newApp(outdir);
    rawStack(app, rawDecls(JSON.parse(JSON.stringify(resources)) as Resources));
    app.synth();
    // Both without cdktf's metadata: construct paths differ by design.
    expect(resourcesIn(outdir, 'raw')).toEqual(resources);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
