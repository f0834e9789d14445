import 'cdktf/lib/testing/adapters/jest';
import { ComputePool as ComputePoolResource } from '@cdktf/provider-snowflake/lib/compute-pool';
import { GrantPrivilegesToAccountRole } from '@cdktf/provider-snowflake/lib/grant-privileges-to-account-role';
import { Duration } from '../../lib/duration';
import { ComputePool, InstanceFamily, Role } from '../../index';
import { Testing } from 'cdktf';
import { errorOf, newStack } from './helpers';

describe('ComputePool', () => {
  test('defaults to the smallest family, one node, created suspended, auto-suspended after 5 minutes', () => {
    const stack = newStack();
    new ComputePool(stack, 'Pool');
    expect(Testing.synth(stack)).toHaveResourceWithProperties(ComputePoolResource, {
      name: 'POOL',
      instance_family: 'CPU_X64_XS',
      min_nodes: 1,
      max_nodes: 1,
      auto_suspend_secs: 300,
      auto_resume: 'true',
      initially_suspended: 'true',
    });
  });

  test('takes the family, node range, suspend time and name', () => {
    const stack = newStack();
    new ComputePool(stack, 'Pool', {
      name: 'ml_pool',
      instanceFamily: InstanceFamily.HIGHMEM_X64_M,
      minNodes: 2,
      maxNodes: 10,
      autoSuspend: Duration.minutes(1),
    });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(ComputePoolResource, {
      name: 'ML_POOL',
      instance_family: 'HIGHMEM_X64_M',
      min_nodes: 2,
      max_nodes: 10,
      auto_suspend_secs: 60,
    });
  });

  test('grantUsage grants USAGE on the pool to the role', () => {
    const stack = newStack();
    const pool = new ComputePool(stack, 'Pool');
    pool.grantUsage(Role.fromName(stack, 'R', 'ml_runner'));
    expect(Testing.synth(stack)).toHaveResourceWithProperties(GrantPrivilegesToAccountRole, {
      account_role_name: 'ML_RUNNER',
      privileges: ['USAGE'],
      on_account_object: { object_type: 'COMPUTE POOL', object_name: '"POOL"' },
    });
  });

  test('an imported pool creates no pool resource and can still be granted', () => {
    const stack = newStack();
    const pool = ComputePool.fromName(stack, 'Shared', 'shared_pool', { instanceFamily: InstanceFamily.CPU_X64_M, maxNodes: 4 });
    pool.grantUsage(Role.fromName(stack, 'R', 'X'));
    const out = Testing.synth(stack);
    expect(out).not.toHaveResource(ComputePoolResource);
    expect(out).toHaveResourceWithProperties(GrantPrivilegesToAccountRole, {
      on_account_object: { object_type: 'COMPUTE POOL', object_name: '"SHARED_POOL"' },
    });
    expect(pool.maxNodes).toBe(4);
  });

  test('rejects maxNodes below minNodes, naming the path, the prop and the fix', () => {
    expect(errorOf((s) => new ComputePool(s, 'Pool', { minNodes: 3, maxNodes: 2 }))).toBe(
      'test/Pool: maxNodes (2) is below minNodes (3). Raise maxNodes or lower minNodes',
    );
  });

  test.each([
    [{ minNodes: 0 }, /minNodes is 0; it must be a whole number from 1 to 150/],
    [{ maxNodes: 151 }, /maxNodes is 151/],
    [{ minNodes: 1.5, maxNodes: 2 }, /minNodes is 1.5/],
    [
      { instanceFamily: 'CPU_X64_HUGE' as InstanceFamily },
      /instanceFamily "CPU_X64_HUGE" is not a known instance family. Use one of InstanceFamily.CPU_X64_XS/,
    ],
    [{ name: 'pool;drop' }, /test\/Pool: name "pool;drop" is not a valid Snowflake identifier/],
    [{ name: 'p"q' }, /name "p\\"q" is not a valid Snowflake identifier/],
    [{ name: 'P'.repeat(256) }, /name .* over Snowflake's 255-character identifier limit/],
    [{ autoSuspend: Duration.minutes(-1) }, /^test\/Pool: autoSuspend Duration\.minutes\(-1\) is not a finite, non-negative duration\./],
  ])('rejects %j', (props, message) => {
    expect(errorOf((s) => new ComputePool(s, 'Pool', props))).toMatch(message);
  });

  test('warns when auto-suspend is disabled', () => {
    const stack = newStack();
    new ComputePool(stack, 'Pool', { autoSuspend: Duration.seconds(0) });
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
    expect(warnings.some((w) => w.includes('autoSuspend is 0'))).toBe(true);
  });
});
