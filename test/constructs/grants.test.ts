import 'cdktf/lib/testing/adapters/jest';
import { GrantPrivilegesToAccountRole } from '@cdktf/provider-snowflake/lib/grant-privileges-to-account-role';
import { GrantAccountRole } from '@cdktf/provider-snowflake/lib/grant-account-role';
import { ProcedurePython } from '@cdktf/provider-snowflake/lib/procedure-python';
import { SnowflakeProviderConfig } from '@cdktf/provider-snowflake/lib/provider';
import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  ComputePool,
  Database,
  HooksLedger,
  ImageRepository,
  InstanceFamily,
  ManyModelPipeline,
  ManyModelPipelineProps,
  Role,
  Schema,
  SourceTable,
  Trainer,
  TrainingStrategy,
  Warehouse,
} from '../../index';
import { errorOf, forecastPipeline, newStack, resources, synthJson } from './helpers';

/** The role contract of docs/roles.md (issue #24), asserted on the synthesized grants. */
const pipeline = (scope: Construct, overrides: Partial<ManyModelPipelineProps> = {}) => forecastPipeline(scope, { scoring: { horizon: 28 }, ...overrides });

type Grant = { account_role_name: string; privileges: string[]; on_account?: boolean; on_account_object?: any; on_schema?: any; on_schema_object?: any };

function grantsOf(overrides: Partial<ManyModelPipelineProps> = {}, build?: (s: Construct, p: ManyModelPipeline) => void): Grant[] {
  const stack = newStack();
  const p = pipeline(stack, overrides);
  build?.(stack, p);
  return Object.values(resources(synthJson(stack), 'snowflake_grant_privileges_to_account_role')) as Grant[];
}

/** What a grant is on, as one string: `TABLE "DB"."S"."T"`, `SCHEMA "DB"."S"`, `FUTURE MODELS IN "DB"."S"`. */
function target(g: Grant): string {
  if (g.on_account) return 'ACCOUNT';
  if (g.on_account_object) return `${g.on_account_object.object_type} ${g.on_account_object.object_name}`;
  if (g.on_schema) return `SCHEMA ${g.on_schema.schema_name}`;
  const o = g.on_schema_object;
  if (o.future) return `FUTURE ${o.future.object_type_plural} IN ${o.future.in_schema}`;
  return `${o.object_type} ${o.object_name}`;
}

const runnerGrants = (grants: Grant[]) => grants.filter((g) => g.account_role_name === 'FORECAST_RUNNER');
const privilegesOn = (grants: Grant[], on: string) =>
  grants
    .filter((g) => target(g) === on)
    .flatMap((g) => g.privileges)
    .sort();

describe('runner role: least privilege', () => {
  test("the runner gets no account privilege: EXECUTE TASK is the task owner's, the runner only OPERATEs the root", () => {
    const grants = runnerGrants(grantsOf());
    expect(grants.filter((g) => g.on_account)).toEqual([]);
    expect(grants.flatMap((g) => g.privileges)).not.toContain('EXECUTE TASK');
    expect(privilegesOn(grants, 'TASK "ANALYTICS"."FORECAST"."FORECAST_SCREEN_ROOT"')).toEqual(['MONITOR', 'OPERATE']);
  });

  test('DELETE and UPDATE only on the tables a statement deletes from or updates: metrics are replaced (DELETE, INSERT), runs, ledger and queue updated in place', () => {
    const grants = runnerGrants(grantsOf());
    expect(privilegesOn(grants, 'TABLE "ANALYTICS"."FORECAST"."FORECAST_TRAINING_METRICS"')).toEqual(['DELETE', 'INSERT', 'SELECT']);
    expect(privilegesOn(grants, 'TABLE "ANALYTICS"."FORECAST"."FORECAST_RESULTS"')).toContain('DELETE');
    for (const t of ['FORECAST_TRAINING_RUNS', 'HOOK_RUNS', 'FORECAST_QUEUE']) {
      expect(privilegesOn(grants, `TABLE "ANALYTICS"."FORECAST"."${t}"`)).toEqual(['INSERT', 'SELECT', 'UPDATE']);
    }
  });

  test('the synthesized runner grants match the cdktf matcher too (no DELETE on the runs table)', () => {
    const stack = newStack();
    pipeline(stack);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(GrantPrivilegesToAccountRole, {
      account_role_name: 'FORECAST_RUNNER',
      privileges: ['INSERT', 'SELECT', 'UPDATE'],
      on_schema_object: { object_type: 'TABLE', object_name: '"ANALYTICS"."FORECAST"."FORECAST_TRAINING_RUNS"' },
    });
  });
});

describe('USAGE on every parent', () => {
  test("the runner gets USAGE on the source's database and schema (ANALYTICS.RAW), not only SELECT on the table", () => {
    const grants = runnerGrants(grantsOf());
    expect(privilegesOn(grants, 'TABLE "ANALYTICS"."RAW"."SERIES_EVENTS"')).toEqual(['SELECT']);
    expect(privilegesOn(grants, 'SCHEMA "ANALYTICS"."RAW"')).toEqual(['USAGE']);
    expect(privilegesOn(grants, 'DATABASE "ANALYTICS"')).toEqual(['USAGE']);
  });

  test('SourceTable.grantRead alone grants SELECT and USAGE on both parents', () => {
    const stack = newStack();
    const src = SourceTable.fromName(stack, 'Src', 'RAWDB.LANDING.EVENTS', { partitionColumn: 'K', orderColumn: 'D', targetColumn: 'Y' });
    src.grantRead(Role.fromName(stack, 'R', 'READER'));
    const out = Testing.synth(stack);
    expect(out).toHaveResourceWithProperties(GrantPrivilegesToAccountRole, {
      account_role_name: 'READER',
      privileges: ['USAGE'],
      on_account_object: { object_type: 'DATABASE', object_name: '"RAWDB"' },
    });
    expect(out).toHaveResourceWithProperties(GrantPrivilegesToAccountRole, {
      account_role_name: 'READER',
      privileges: ['USAGE'],
      on_schema: { schema_name: '"RAWDB"."LANDING"' },
    });
    expect(out).toHaveResourceWithProperties(GrantPrivilegesToAccountRole, {
      account_role_name: 'READER',
      privileges: ['SELECT'],
      on_schema_object: { object_type: 'TABLE', object_name: '"RAWDB"."LANDING"."EVENTS"' },
    });
  });

  test('no grant is declared twice: one resource per (role, object, privileges) across the stack', () => {
    const grants = grantsOf({}, (s, p) => {
      p.aggregator.grantPredict(Role.fromName(s, 'Analysts', 'ANALYSTS'));
      p.source.grantRead(p.runnerRole);
    });
    const keys = grants.map((g) => `${g.account_role_name} ${g.privileges.join(',')} ON ${target(g)}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    // ...and no role holds one privilege on one object through two grants (revoking one would revoke the other's).
    const pairs = grants.flatMap((g) => g.privileges.map((p) => `${g.account_role_name} ${p} ON ${target(g)}`));
    expect(pairs.filter((k, i) => pairs.indexOf(k) !== i)).toEqual([]);
  });
});

describe('image repository', () => {
  test('the runner gets READ on the repository the trainer image path names, and USAGE on its database and schema', () => {
    const grants = runnerGrants(grantsOf());
    expect(privilegesOn(grants, 'IMAGE REPOSITORY "ANALYTICS"."ML"."IMAGES"')).toEqual(['READ']);
    expect(privilegesOn(grants, 'SCHEMA "ANALYTICS"."ML"')).toEqual(['USAGE']);
    expect(privilegesOn(grants, 'DATABASE "ANALYTICS"')).toEqual(['USAGE']);
  });

  test('ImageRepository.repositoryOfImage reads DB.SCHEMA.REPOSITORY from the path', () => {
    expect(ImageRepository.repositoryOfImage('/analytics/ml/images/forecast-worker:1.4.0').toString()).toBe('ANALYTICS.ML.IMAGES');
    expect(() => ImageRepository.repositoryOfImage('/a/b/my-repo/w:1')).toThrow(/names repository a.b.my-repo, which is not a valid unquoted identifier/);
  });

  test('an owned repository is a snowflake_image_repository, and its READ grant waits for it', () => {
    const stack = newStack();
    const schema = new Schema(stack, 'Images', { database: Database.fromName(stack, 'ImgDb', 'ANALYTICS'), name: 'ML' });
    const repository = new ImageRepository(stack, 'Repo', { schema, name: 'IMAGES' });
    pipeline(stack, { trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0', { repository }) });
    const json = synthJson(stack);
    expect(Object.values(resources(json, 'snowflake_image_repository'))).toEqual([
      expect.objectContaining({ database: 'ANALYTICS', schema: 'ML', name: 'IMAGES' }),
    ]);
    const read = (Object.values(resources(json, 'snowflake_grant_privileges_to_account_role')) as any[]).find(
      (g) => g.on_schema_object?.object_type === 'IMAGE REPOSITORY',
    );
    expect(read.privileges).toEqual(['READ']);
    expect(read.depends_on.some((d: string) => d.startsWith('${snowflake_image_repository.'))).toBe(true);
  });

  test('an explicit repository must be the one the image path names', () => {
    expect(
      errorOf((s) =>
        pipeline(s, { trainer: Trainer.fromImage('/analytics/ml/images/w:1', { repository: ImageRepository.fromName(s, 'Other', 'ANALYTICS.ML.OTHER') }) }),
      ),
    ).toContain('test/Forecast: trainer repository ANALYTICS.ML.OTHER is not the repository the image path names (ANALYTICS.ML.IMAGES)');
  });
});

describe("registration with the caller's rights: the runner owns the model", () => {
  test('the registration procedure runs as CALLER', () => {
    const stack = newStack();
    pipeline(stack);
    expect(Testing.synth(stack)).toHaveResourceWithProperties(ProcedurePython, { name: 'FORECAST_AGGREGATOR_REGISTER', execute_as: 'CALLER' });
  });

  test("the runner can create the model and log_model's temporary stage, and read what the procedure reads", () => {
    const grants = runnerGrants(grantsOf());
    expect(privilegesOn(grants, 'SCHEMA "ANALYTICS"."FORECAST"')).toEqual(['CREATE MODEL', 'CREATE SERVICE', 'CREATE STAGE', 'USAGE']);
    expect(privilegesOn(grants, 'TABLE "ANALYTICS"."FORECAST"."FORECAST_TRAINING_METRICS"')).toContain('SELECT');
    expect(privilegesOn(grants, 'STAGE "ANALYTICS"."FORECAST"."FORECAST_MODELS"')).toContain('READ');
    expect(privilegesOn(grants, 'PROCEDURE "ANALYTICS"."FORECAST"."FORECAST_AGGREGATOR_REGISTER"(VARCHAR, VARCHAR, VARCHAR)')).toEqual(['USAGE']);
  });

  test('the consumer keeps USAGE on future models of the schema (whoever creates them)', () => {
    const consumer = grantsOf().filter((g) => g.account_role_name === 'FORECAST_CONSUMER');
    expect(privilegesOn(consumer, 'FUTURE MODELS IN "ANALYTICS"."FORECAST"')).toEqual(['USAGE']);
  });
});

describe('job services the tasks start', () => {
  test('the runner gets MONITOR on future services of the pipeline schema', () => {
    const grants = runnerGrants(grantsOf());
    expect(privilegesOn(grants, 'FUTURE SERVICES IN "ANALYTICS"."FORECAST"')).toEqual(['MONITOR']);
  });

  test('a queue-only pipeline starts every job service as the runner and needs no such grant', () => {
    const grants = runnerGrants(grantsOf({ training: TrainingStrategy.queue({ workers: 2 }) }));
    expect(grants.filter((g) => target(g).startsWith('FUTURE SERVICES'))).toEqual([]);
  });
});

describe('role hierarchy: the deploy role holds the runner and consumer roles', () => {
  const parents = (provider: SnowflakeProviderConfig, overrides: Partial<ManyModelPipelineProps> = {}) => {
    const stack = newStack('test', provider);
    pipeline(stack, overrides);
    return Object.values(resources(synthJson(stack), 'snowflake_grant_account_role'))
      .map((g: any) => `${g.role_name} -> ${g.parent_role_name}`)
      .sort();
  };

  test("roles.owner defaults to the stack provider's role", () => {
    expect(parents({ role: 'MANY_MODEL_DEPLOYER' })).toEqual(['FORECAST_CONSUMER -> MANY_MODEL_DEPLOYER', 'FORECAST_RUNNER -> MANY_MODEL_DEPLOYER']);
  });

  test('without a provider role it falls back to SYSADMIN; an explicit owner wins', () => {
    expect(parents({})).toEqual(['FORECAST_CONSUMER -> SYSADMIN', 'FORECAST_RUNNER -> SYSADMIN']);
    const stack = newStack('test', { role: 'MANY_MODEL_DEPLOYER' });
    pipeline(stack, { roles: { owner: Role.fromName(stack, 'Ops', 'ML_OPS') } });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(GrantAccountRole, { role_name: 'FORECAST_RUNNER', parent_role_name: 'ML_OPS' });
  });
});

describe('consumer warehouse', () => {
  test('consumerWarehouse grants the consumer USAGE on it, and nothing else new', () => {
    const stack = newStack();
    const p = pipeline(stack, { consumerWarehouse: Warehouse.fromName(stack, 'Bi', 'BI_WH') });
    expect(p.consumerWarehouse!.qualifiedName.toString()).toBe('BI_WH');
    expect(Testing.synth(stack)).toHaveResourceWithProperties(GrantPrivilegesToAccountRole, {
      account_role_name: 'FORECAST_CONSUMER',
      privileges: ['USAGE'],
      on_account_object: { object_type: 'WAREHOUSE', object_name: '"BI_WH"' },
    });
  });

  test("by default the consumer gets no warehouse (the pipeline's is not shared)", () => {
    const consumer = grantsOf().filter((g) => g.account_role_name === 'FORECAST_CONSUMER');
    expect(consumer.filter((g) => g.on_account_object?.object_type === 'WAREHOUSE')).toEqual([]);
  });
});

describe('composition: one grant per (role, object), whichever construct asks', () => {
  /** Two pipelines in one database; `runner` shared when given. */
  function twoPipelines(stack: Construct, opts: { runner?: Role; only?: 'First' | 'Second' } = {}): ManyModelPipeline[] {
    const db = Database.fromName(stack, 'Db', 'ANALYTICS');
    // The ledger in a schema of its own, so that it stays where it is when a pipeline goes.
    HooksLedger.place(stack, Schema.fromName(stack, 'Ops', 'ANALYTICS.OPS'));
    const pool = new ComputePool(stack, 'Pool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 8 });
    const src = SourceTable.fromName(stack, 'Src', 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' });
    return (['First', 'Second'] as const)
      .filter((id) => !opts.only || opts.only === id)
      .map(
        (id) =>
          new ManyModelPipeline(stack, id, {
            database: db,
            source: src,
            computePool: pool,
            trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
            scoring: { horizon: 7 },
            ...(opts.runner ? { roles: { runner: opts.runner } } : {}),
          }),
      );
  }

  const allGrants = (stack: Construct) => resources(synthJson(stack as never), 'snowflake_grant_privileges_to_account_role') as Record<string, Grant>;

  test('two pipelines granting PREDICT to one role declare USAGE on the database once; the grant returned says what was granted', () => {
    const stack = newStack();
    const analysts = Role.fromName(stack, 'Analysts', 'ANALYSTS');
    const [a, b] = twoPipelines(stack);
    const granted = a.aggregator.grantPredict(analysts);
    b.aggregator.grantPredict(analysts);
    expect(granted.describe()).toEqual([
      'USAGE ON DATABASE "ANALYTICS"',
      'USAGE ON SCHEMA "ANALYTICS"."FIRST"',
      'USAGE ON FUTURE MODELS IN SCHEMA "ANALYTICS"."FIRST"',
    ]);
    const analystGrants = Object.values(allGrants(stack)).filter((g) => g.account_role_name === 'ANALYSTS');
    expect(analystGrants.filter((g) => target(g) === 'DATABASE "ANALYTICS"')).toEqual([expect.objectContaining({ privileges: ['USAGE'] })]);
  });

  test('db.grantUsage(r) and grantPredict(r) declare USAGE on the database once, in one resource', () => {
    const stack = newStack();
    const analysts = Role.fromName(stack, 'Analysts', 'ANALYSTS');
    const [a] = twoPipelines(stack, { only: 'First' });
    const viaDb = Database.fromName(stack, 'SameDb', 'ANALYTICS').grantUsage(analysts);
    const viaPredict = a.aggregator.grantPredict(analysts);
    expect(viaPredict.granted[0].resource).toBe(viaDb.granted[0].resource);
    expect(Object.values(allGrants(stack)).filter((g) => g.account_role_name === 'ANALYSTS' && target(g) === 'DATABASE "ANALYTICS"')).toHaveLength(1);
  });

  test('a runner shared by two pipelines holds each privilege on each object through exactly one resource (the ledger DML once)', () => {
    const stack = newStack();
    twoPipelines(stack, { runner: new Role(stack, 'Runner', { name: 'SHARED_RUNNER' }) });
    const grants = Object.values(allGrants(stack));
    const perTarget = grants.map((g) => `${g.account_role_name} ON ${target(g)}`);
    expect(perTarget.filter((k, i) => perTarget.indexOf(k) !== i)).toEqual([]);
    const ledger = grants.filter((g) => g.account_role_name === 'SHARED_RUNNER' && target(g).endsWith('."HOOK_RUNS"'));
    expect(ledger).toEqual([expect.objectContaining({ privileges: ['INSERT', 'SELECT', 'UPDATE'] })]);
  });

  test('removing one pipeline keeps every grant the other declares at the same address, so no destroy revokes it', () => {
    const both = newStack();
    twoPipelines(both, { runner: new Role(both, 'Runner', { name: 'SHARED_RUNNER' }) });
    const second = newStack();
    twoPipelines(second, { runner: new Role(second, 'Runner', { name: 'SHARED_RUNNER' }), only: 'Second' });
    const before = allGrants(both);
    for (const [address, g] of Object.entries(allGrants(second))) {
      expect([address, before[address] !== undefined]).toEqual([address, true]); // the address exists in both
      expect(before[address].privileges).toEqual(expect.arrayContaining(g.privileges));
    }
  });
});
