/**
 * The synth bench compares like with like: its raw stack must synthesize the same Terraform
 * resources (types, configurations, dependencies) as the constructs, logical ids aside.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { newApp, rawDecls, rawStack, synthesizedResources } from '../../bench/synth';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Each resource as `type + config`, its depends_on rewritten to the configs it names, sorted. */
function canonical(resources: Resources): string[] {
  const text = (type: string, id: string) => `${type}.${id}`;
  const bare = new Map<string, string>();
  for (const [type, byId] of Object.entries(resources)) {
    for (const [id, config] of Object.entries(byId)) {
      const { depends_on: _d, '//': _m, ...rest } = config;
      bare.set(text(type, id), `${type} ${JSON.stringify(rest)}`);
    }
  }
  const out: string[] = [];
  for (const [type, byId] of Object.entries(resources)) {
    for (const [id, config] of Object.entries(byId)) {
      const deps = ((config.depends_on as string[] | undefined) ?? []).map((d) => bare.get(d.replace(/^\$\{|\}$/g, '')) ?? `missing ${d}`).sort();
      out.push(`${bare.get(text(type, id))} after [${deps.join(' | ')}]`);
    }
  }
  return out.sort();
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
    expect(canonical(raw)).toEqual(canonical(resources));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
