/**
 * The synth bench compares like with like: its raw stack must synthesize the same Terraform
 * resources as the constructs: types, addresses, configurations and dependencies.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { newApp, rawDecls, rawStack, synthesizedResources } from '../../bench/synth';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** The resources without cdktf's metadata (construct paths differ by design). */
function withoutMetadata(resources: Resources): Resources {
  return Object.fromEntries(Object.entries(resources).map(([type, byId]) => [type, Object.fromEntries(Object.entries(byId).map(([id, { '//': _m, ...config }]) => [id, config]))]));
}

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
    const raw = (JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'raw', 'cdk.tf.json'), 'utf8')) as { resource: Resources }).resource;
    expect(withoutMetadata(raw)).toEqual(withoutMetadata(resources));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
