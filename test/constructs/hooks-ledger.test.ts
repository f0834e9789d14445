import { Construct } from 'constructs';
import { ComputePool, Database, Hooks, HooksLedger, IDatabase, ManyModelPipeline, Schema, SourceTable, Trainer } from '../../index';
import { errorOf, newStack, resources, synthJson } from './helpers';

function pipeline(scope: Construct, id: string, db: IDatabase, pool: ComputePool): ManyModelPipeline {
  return new ManyModelPipeline(scope, id, {
    database: db,
    source: SourceTable.fromName(scope, `${id}Src`, 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
    computePool: pool,
    trainer: Trainer.fromImage('/analytics/ml/images/forecast-worker:1.4.0'),
  });
}

describe('HooksLedger', () => {
  test('by default the first pipeline holds the ledger in its schema', () => {
    const stack = newStack();
    const db = Database.fromName(stack, 'Db', 'ANALYTICS');
    const pool = new ComputePool(stack, 'Pool');
    pipeline(stack, 'A', db, pool);
    pipeline(stack, 'B', db, pool);
    expect(Hooks.of(stack).manifest().ledger).toEqual({ database: 'ANALYTICS', schema: 'A', table: 'HOOK_RUNS' });
  });

  test('placed in a schema of its own, it stays there, and every runner role may use that schema', () => {
    const stack = newStack();
    const db = Database.fromName(stack, 'Db', 'ANALYTICS');
    const ops = new Schema(stack, 'Ops', { database: db, name: 'MM_OPS' });
    HooksLedger.place(stack, ops);
    const pool = new ComputePool(stack, 'Pool');
    pipeline(stack, 'A', db, pool);
    pipeline(stack, 'B', db, pool);
    expect(Hooks.of(stack).manifest().ledger).toEqual({ database: 'ANALYTICS', schema: 'MM_OPS', table: 'HOOK_RUNS' });
    const json = synthJson(stack);
    const ledgers = Object.values(resources(json, 'snowflake_table')).filter((t) => t.name === 'HOOK_RUNS');
    expect(ledgers).toHaveLength(1);
    expect(ledgers[0].schema).toBe('MM_OPS');
    const usage = Object.values(resources(json, 'snowflake_grant_privileges_to_account_role')).filter(
      (g) => g.on_schema?.schema_name === '"ANALYTICS"."MM_OPS"',
    );
    expect(usage.map((g) => g.account_role_name).sort()).toEqual(['A_RUNNER', 'B_RUNNER']);
  });

  test('placing it after a pipeline created it elsewhere is an error that says what to do', () => {
    expect(
      errorOf((s) => {
        const db = Database.fromName(s, 'Db', 'ANALYTICS');
        pipeline(s, 'A', db, new ComputePool(s, 'Pool'));
        HooksLedger.place(s, new Schema(s, 'Ops', { database: db, name: 'MM_OPS' }));
      }),
    ).toContain('test: HooksLedger.place comes after the ledger was already created in ANALYTICS.A');
  });
});
