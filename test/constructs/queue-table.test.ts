import 'cdktf/lib/testing/adapters/jest';
import { Execute } from '@cdktf/provider-snowflake/lib/execute';
import { Testing } from 'cdktf';
import { Duration } from '../../lib/duration';
import { QueueTable, Role, Schema } from '../../index';
import { errorOf, newStack, resources, synthJson } from './helpers';

describe('QueueTable', () => {
  test('creates the hybrid table through Execute, with a revert that drops it', () => {
    const stack = newStack();
    new QueueTable(stack, 'Queue', { schema: Schema.fromName(stack, 'S', 'ML.WORK') });
    const exec = Object.values(resources(synthJson(stack), 'snowflake_execute'))[0];
    expect(exec.execute).toMatch(/^CREATE HYBRID TABLE IF NOT EXISTS "ML"."WORK"."QUEUE" \(/);
    expect(exec.execute).toContain('LEASE_UNTIL TIMESTAMP_NTZ');
    expect(exec.execute).toContain('ATTEMPTS NUMBER(5,0) NOT NULL DEFAULT 0');
    expect(exec.revert).toBe('DROP TABLE IF EXISTS "ML"."WORK"."QUEUE"');
  });

  test('renders the protocol statements with its lease and attempt cap', () => {
    const stack = newStack();
    const q = new QueueTable(stack, 'Queue', { schema: Schema.fromName(stack, 'S', 'ML.WORK'), leaseDuration: Duration.minutes(2), maxAttempts: 5 });
    expect(q.statements.claim.sql).toContain('DATEADD(second, 120, CURRENT_TIMESTAMP())');
    expect(q.statements.claim.sql).toContain('ATTEMPTS < 5');
    expect(q.statements.requeueExpired.sql).toContain('LEASE_UNTIL < CURRENT_TIMESTAMP()');
  });

  test('grants for workers wait for the Execute resource that creates the table', () => {
    const stack = newStack();
    const q = new QueueTable(stack, 'Queue', { schema: Schema.fromName(stack, 'S', 'ML.WORK') });
    q.grantWorker(Role.fromName(stack, 'R', 'RUNNER'));
    const json = synthJson(stack);
    const grant = Object.values(resources(json, 'snowflake_grant_privileges_to_account_role'))[0];
    expect(grant.privileges).toEqual(['INSERT', 'SELECT', 'UPDATE']);
    expect(grant.on_schema_object.object_name).toBe('"ML"."WORK"."QUEUE"');
    expect(grant.depends_on.some((d: string) => /^\$\{snowflake_execute\.Queue_/.test(d))).toBe(true);
  });

  test('imports an existing queue without creating anything', () => {
    const stack = newStack();
    const q = QueueTable.fromName(stack, 'Q', 'ml.work.shared_queue', { maxAttempts: 2 });
    expect(Testing.synth(stack)).not.toHaveResource(Execute);
    expect(q.statements.fail.sql).toContain('"ML"."WORK"."SHARED_QUEUE"');
    expect(q.maxAttempts).toBe(2);
  });

  test.each([
    [{ leaseDuration: Duration.seconds(5) }, 'test/Queue: leaseDuration is 5s; it must be from 30 s to 24 h.'],
    [{ leaseDuration: Duration.seconds(NaN) }, 'test/Queue: leaseDuration Duration.seconds(NaN) is not a finite, non-negative duration.'],
    [{ maxAttempts: 0 }, 'test/Queue: maxAttempts is 0; it must be a whole number from 1 to 100.'],
    [{ name: 'q;' }, 'test/Queue: name "q;" is not a valid Snowflake identifier'],
  ])('rejects %j', (props, message) => {
    expect(errorOf((s) => new QueueTable(s, 'Queue', { schema: Schema.fromName(s, 'S', 'ML.WORK'), ...props }))).toContain(message);
  });

  test('rejects an import name that is not DATABASE.SCHEMA.NAME', () => {
    expect(errorOf((s) => QueueTable.fromName(s, 'Q', 'WORK.Q'))).toContain('test/Q: qualifiedName "WORK.Q" must have the form DATABASE.SCHEMA.NAME');
  });
});
