import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { Warehouse as WarehouseResource } from '@cdktf/provider-snowflake/lib/warehouse';
import { App, Aspects, LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { Database, RelativeLocalState, Role } from '../../index';
import { tempDir } from '../tmp';

/** Synthesizes `app` and returns each stack's parsed cdk.tf.json and its directory. */
function synth(app: App, ...stacks: string[]): Record<string, { json: any; dir: string }> {
  app.synth();
  return Object.fromEntries(
    stacks.map((id) => {
      const dir = path.join(app.outdir, 'stacks', id);
      return [id, { json: JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')), dir }];
    }),
  );
}

function stackWith(app: App, id: string): TerraformStack {
  const stack = new TerraformStack(app, id);
  new SnowflakeProvider(stack, 'snowflake', {});
  return stack;
}

describe('RelativeLocalState', () => {
  test("a stack of the library's constructs without a backend keeps cdktf's state file, written relative to the stack's directory", () => {
    const app = new App({ outdir: tempDir('mm-state-'), stackTraces: false });
    new Database(stackWith(app, 'ml'), 'Db', { name: 'ML' });
    const { ml } = synth(app, 'ml');
    const file = ml.json.terraform.backend.local.path as string;
    expect(path.isAbsolute(file)).toBe(false);
    // The same file cdktf's default names: terraform.<stack>.tfstate in the working directory.
    expect(path.resolve(ml.dir, file)).toBe(path.join(process.cwd(), 'terraform.ml.tfstate'));
  });

  test('a backend the user configured is left as it is', () => {
    const app = new App({ outdir: tempDir('mm-state-'), stackTraces: false });
    const s3 = stackWith(app, 's3');
    new S3Backend(s3, { bucket: 'tf-state', key: 'ml.tfstate', region: 'eu-central-1' });
    new Role(s3, 'Runner', { name: 'S3_RUNNER' });
    const own = stackWith(app, 'own');
    new LocalBackend(own, { path: '/var/lib/terraform/own.tfstate' });
    new Role(own, 'Runner', { name: 'OWN_RUNNER' });
    const out = synth(app, 's3', 'own');
    expect(out.s3.json.terraform.backend).toEqual({ s3: { bucket: 'tf-state', key: 'ml.tfstate', region: 'eu-central-1' } });
    expect(out.own.json.terraform.backend).toEqual({ local: { path: '/var/lib/terraform/own.tfstate' } });
  });

  test("a cross-stack reference reads the other stack's default state through the same relative path", () => {
    const app = new App({ outdir: tempDir('mm-state-'), stackTraces: false });
    const shared = stackWith(app, 'shared');
    const wh = new WarehouseResource(shared, 'Wh', { name: 'SHARED_WH' });
    new Role(shared, 'Owner');
    const team = stackWith(app, 'team');
    new Database(team, 'Db', { name: 'TEAM', comment: wh.fullyQualifiedName });
    const out = synth(app, 'shared', 'team');
    const remote = Object.values(out.team.json.data.terraform_remote_state as Record<string, any>)[0];
    expect(path.isAbsolute(remote.config.path)).toBe(false);
    expect(path.resolve(out.team.dir, remote.config.path)).toBe(path.resolve(out.shared.dir, out.shared.json.terraform.backend.local.path));
  });

  test('a stack without any of the library constructs gets it by adding the aspect', () => {
    const app = new App({ outdir: tempDir('mm-state-'), stackTraces: false });
    const plain = stackWith(app, 'plain');
    new WarehouseResource(plain, 'Wh', { name: 'WH' });
    Aspects.of(plain).add(new RelativeLocalState());
    const { plain: out } = synth(app, 'plain');
    expect(path.resolve(out.dir, out.json.terraform.backend.local.path)).toBe(path.join(process.cwd(), 'terraform.plain.tfstate'));
    expect(path.isAbsolute(out.json.terraform.backend.local.path)).toBe(false);
  });
});
