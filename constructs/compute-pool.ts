import { Annotations, TerraformResource, Token } from '../lib/engine';
import { ComputePoolResource } from './resources';
import { Construct, IConstruct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { GrantTarget, IRole, SnowflakeObject } from './core';
import { Grant } from './grants';
import { claimName } from './object-names';
import { nameFromPath } from './names';

/**
 * SPCS instance families ("CREATE COMPUTE POOL": INSTANCE_FAMILY). The vCPU figures are what one
 * node offers a container; the training workers use them to size their own parallelism.
 */
export enum InstanceFamily {
  CPU_X64_XS = 'CPU_X64_XS',
  CPU_X64_S = 'CPU_X64_S',
  CPU_X64_M = 'CPU_X64_M',
  CPU_X64_SL = 'CPU_X64_SL',
  CPU_X64_L = 'CPU_X64_L',
  HIGHMEM_X64_S = 'HIGHMEM_X64_S',
  HIGHMEM_X64_M = 'HIGHMEM_X64_M',
  HIGHMEM_X64_L = 'HIGHMEM_X64_L',
  GPU_NV_S = 'GPU_NV_S',
  GPU_NV_M = 'GPU_NV_M',
  GPU_NV_L = 'GPU_NV_L',
}

/** vCPUs available to a container per node of each family (Snowflake's instance family table). */
export const INSTANCE_FAMILY_VCPUS: Readonly<Record<InstanceFamily, number>> = {
  CPU_X64_XS: 1,
  CPU_X64_S: 3,
  CPU_X64_M: 6,
  CPU_X64_SL: 14,
  CPU_X64_L: 28,
  HIGHMEM_X64_S: 6,
  HIGHMEM_X64_M: 28,
  HIGHMEM_X64_L: 124,
  GPU_NV_S: 6,
  GPU_NV_M: 44,
  GPU_NV_L: 92,
};

/** A compute pool that training jobs run on, owned or imported. */
export interface IComputePool extends IConstruct {
  readonly poolName: string;
  readonly qualifiedName: ObjectName;
  /** The family when known (owned pools, or imports that state it); sizes worker parallelism. */
  readonly instanceFamily?: InstanceFamily;
  /** Nodes the pool may grow to, when known. */
  readonly maxNodes?: number;
  /** Grants USAGE (run services on the pool) to `role`. */
  grantUsage(role: IRole): Grant;
  /** Grants MONITOR (see the pool's state) to `role`. */
  grantMonitor(role: IRole): Grant;
}

abstract class ComputePoolBase extends SnowflakeObject implements IComputePool {
  readonly objectType = 'COMPUTE POOL';
  protected readonly grantTarget = GrantTarget.ACCOUNT_OBJECT;
  abstract readonly poolName: string;
  abstract readonly instanceFamily?: InstanceFamily;
  abstract readonly maxNodes?: number;
  get qualifiedName(): ObjectName {
    return ObjectName.of(this.poolName);
  }
  grantUsage(role: IRole): Grant {
    return this.grant(role, 'USAGE');
  }
  grantMonitor(role: IRole): Grant {
    return this.grant(role, 'MONITOR');
  }
}

export interface ComputePoolProps {
  /** Pool name. @default - derived from the construct path */
  readonly name?: string;
  /** Machine type of the pool's nodes. @default InstanceFamily.CPU_X64_XS */
  readonly instanceFamily?: InstanceFamily;
  /** Nodes kept running while the pool is active. @default 1 */
  readonly minNodes?: number;
  /** Nodes the pool may scale out to (Snowflake allows up to 150). @default - `minNodes` (1 by default) */
  readonly maxNodes?: number;
  /** Idle time before the pool suspends; 0 disables auto-suspend (not recommended). @default Duration.minutes(5) */
  readonly autoSuspend?: Duration;
  /** Resume automatically when a service or job is started on it. @default true */
  readonly autoResume?: boolean;
  /** Create the pool suspended so an idle pool costs nothing until the first job. @default true */
  readonly initiallySuspended?: boolean;
  /** Comment. @default - none */
  readonly comment?: string;
}

export interface ComputePoolImportOptions {
  /** The pool's instance family, if known; lets pipelines size worker parallelism. @default - unknown */
  readonly instanceFamily?: InstanceFamily;
  /** The pool's max nodes, if known; lets pipelines warn when they ask for more workers. @default - unknown */
  readonly maxNodes?: number;
}

/** Snowflake's upper bound on MAX_NODES ("CREATE COMPUTE POOL"). */
export const MAX_COMPUTE_POOL_NODES = 150;

/**
 * A Snowpark Container Services compute pool (`snowflake_compute_pool`). Secure, cheap defaults:
 * the smallest CPU family, one node, created suspended, auto-suspended after 5 idle minutes.
 */
export class ComputePool extends ComputePoolBase {
  /** Imports an existing pool (e.g. owned by another team's stack) by name. */
  static fromName(scope: Construct, id: string, name: string, options: ComputePoolImportOptions = {}): IComputePool {
    const path = `${scope.node.path}/${id}`;
    const poolName = validateProp(path, 'name', () => normalizeIdentifier(name, 'compute pool name'));
    if (options.instanceFamily !== undefined) checkFamily(path, options.instanceFamily);
    return new (class extends ComputePoolBase {
      readonly poolName = poolName;
      readonly instanceFamily = options.instanceFamily;
      readonly maxNodes = options.maxNodes;
    })(scope, id);
  }

  readonly poolName: string;
  readonly instanceFamily: InstanceFamily;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly resource: ComputePoolResource;

  protected primaryResource(): TerraformResource {
    return this.resource;
  }

  constructor(scope: Construct, id: string, props: ComputePoolProps = {}) {
    super(scope, id);
    const path = this.node.path;
    this.poolName = validateProp(path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(this), 'compute pool name'));
    claimName(this, 'name', 'COMPUTE POOL', ObjectName.of(this.poolName));
    this.instanceFamily = props.instanceFamily ?? InstanceFamily.CPU_X64_XS;
    checkFamily(path, this.instanceFamily);
    this.minNodes = props.minNodes ?? 1;
    this.maxNodes = props.maxNodes ?? Math.max(1, this.minNodes);
    for (const [prop, v] of [
      ['minNodes', this.minNodes],
      ['maxNodes', this.maxNodes],
    ] as const) {
      if (Token.isUnresolved(v)) continue;
      if (!Number.isInteger(v) || v < 1 || v > MAX_COMPUTE_POOL_NODES) {
        throw new ValidationError(
          path,
          prop,
          `is ${v}; it must be a whole number from 1 to ${MAX_COMPUTE_POOL_NODES}`,
          `Set ${prop} within 1..${MAX_COMPUTE_POOL_NODES}`,
        );
      }
    }
    if (!Token.isUnresolved(this.minNodes) && !Token.isUnresolved(this.maxNodes) && this.maxNodes < this.minNodes) {
      throw new ValidationError(path, 'maxNodes', `(${this.maxNodes}) is below minNodes (${this.minNodes})`, 'Raise maxNodes or lower minNodes');
    }
    const autoSuspend = validateProp(path, 'autoSuspend', () => (props.autoSuspend ?? Duration.minutes(5)).toSeconds());
    if (autoSuspend === 0) {
      Annotations.of(this).addWarning(
        `${path}: autoSuspend is 0, so the pool never suspends and bills while idle. Set autoSuspend to a few minutes unless it serves a long-running service.`,
      );
    }
    this.resource = new ComputePoolResource(this, 'Resource', {
      name: this.poolName,
      instanceFamily: this.instanceFamily,
      minNodes: this.minNodes,
      maxNodes: this.maxNodes,
      autoSuspendSecs: autoSuspend,
      autoResume: String(props.autoResume ?? true),
      initiallySuspended: String(props.initiallySuspended ?? true),
      comment: props.comment,
    });
  }
}

function checkFamily(path: string, family: string): void {
  if (!Object.values(InstanceFamily).includes(family as InstanceFamily)) {
    throw new ValidationError(
      path,
      'instanceFamily',
      `${JSON.stringify(family)} is not a known instance family`,
      `Use one of InstanceFamily.${Object.values(InstanceFamily).join(', InstanceFamily.')}`,
    );
  }
}
