import { TerraformResource, Token } from '../lib/engine';
import { Execute } from './resources';
import { Construct, IConstruct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { QueueModel, renderQueueCreate, renderQueueDrop, renderQueueStatements } from '../lib/sql/queue';
import { GrantTarget, IRole, ISchema, Schema, SnowflakeObject } from './core';
import { Grant } from './grants';
import { claimName } from './object-names';
import { nameFromPath } from './names';
import { dependOn } from './depends';

/** The claim / heartbeat / complete / fail / requeue statements workers and the runner issue. */
export type QueueStatements = ReturnType<typeof renderQueueStatements>;

/** A hybrid-table work queue, owned or imported. */
export interface IQueueTable extends IConstruct {
  readonly qualifiedName: ObjectName;
  /** How long a claim lasts without a heartbeat. */
  readonly leaseSeconds: number;
  /** Claims per chunk before it is marked FAILED. */
  readonly maxAttempts: number;
  /** Rendered statements (with `?` binds) for the queue protocol. */
  readonly statements: QueueStatements;
  /** Grants what a worker or runner needs: SELECT, INSERT, UPDATE (no queue statement deletes). */
  grantWorker(role: IRole): Grant;
  /** Grants SELECT (progress dashboards). */
  grantRead(role: IRole): Grant;
}

abstract class QueueTableBase extends SnowflakeObject implements IQueueTable {
  readonly objectType = 'TABLE';
  protected readonly grantTarget = GrantTarget.SCHEMA_OBJECT;
  abstract readonly qualifiedName: ObjectName;
  abstract readonly leaseSeconds: number;
  abstract readonly maxAttempts: number;
  get model(): QueueModel {
    return { table: this.qualifiedName, leaseSeconds: this.leaseSeconds, maxAttempts: this.maxAttempts };
  }
  get statements(): QueueStatements {
    return renderQueueStatements(this.model);
  }
  grantWorker(role: IRole): Grant {
    // Chunks are enqueued, claimed, renewed, completed, failed and re-queued; none is deleted
    // (lib/sql/queue.ts), so DELETE is not granted.
    return this.grant(role, 'SELECT', 'INSERT', 'UPDATE');
  }
  grantRead(role: IRole): Grant {
    return this.grant(role, 'SELECT');
  }
}

export interface QueueTableProps {
  /** Schema that holds the queue. */
  readonly schema: ISchema;
  /** Table name. @default - derived from the construct path */
  readonly name?: string;
  /** How long a claim lasts without a heartbeat before another worker may take the chunk. @default Duration.minutes(10) */
  readonly leaseDuration?: Duration;
  /** Claims per chunk before it is marked FAILED. @default 3 */
  readonly maxAttempts?: number;
}

export interface QueueTableImportOptions {
  /** The lease the existing queue's workers use. @default Duration.minutes(10) */
  readonly leaseDuration?: Duration;
  /** The attempt cap. @default 3 */
  readonly maxAttempts?: number;
}

/**
 * The training work queue: a Snowflake hybrid table with one row per chunk of partitions, with
 * lease and attempt columns so a crashed worker's chunk is retried by another, at most
 * `maxAttempts` times. There is no provider resource for hybrid tables, so it is created through
 * `snowflake_execute` (CREATE HYBRID TABLE IF NOT EXISTS; revert: DROP TABLE IF EXISTS).
 */
export class QueueTable extends QueueTableBase {
  /** Imports an existing queue table (`DATABASE.SCHEMA.NAME`) with the same columns. */
  static fromName(scope: Construct, id: string, qualifiedName: string, options: QueueTableImportOptions = {}): IQueueTable {
    const path = `${scope.node.path}/${id}`;
    const name = validateProp(path, 'qualifiedName', () => ObjectName.parse(qualifiedName, 3));
    const { leaseSeconds, maxAttempts } = checkQueueOptions(path, options);
    return new (class extends QueueTableBase {
      readonly qualifiedName = name;
      readonly leaseSeconds = leaseSeconds;
      readonly maxAttempts = maxAttempts;
    })(scope, id);
  }

  readonly qualifiedName: ObjectName;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  readonly resource: Execute;

  constructor(scope: Construct, id: string, props: QueueTableProps) {
    super(scope, id);
    const path = this.node.path;
    const tableName = validateProp(path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(this), 'table name'));
    this.qualifiedName = props.schema.qualifiedName.child(tableName);
    claimName(this, 'name', 'TABLE', this.qualifiedName);
    const checked = checkQueueOptions(path, props);
    this.leaseSeconds = checked.leaseSeconds;
    this.maxAttempts = checked.maxAttempts;
    this.resource = new Execute(this, 'Resource', {
      execute: renderQueueCreate(this.model),
      revert: renderQueueDrop(this.model),
    });
    if (props.schema instanceof Schema) dependOn(this.resource, props.schema.resource);
  }

  protected primaryResource(): TerraformResource {
    return this.resource;
  }
}

/** A queue's lease and attempt cap, checked, with defaults; `path` is the queue's (a pipeline checks its queue's before creating it). */
export function checkQueueOptions(path: string, o: QueueTableImportOptions): { leaseSeconds: number; maxAttempts: number } {
  const leaseSeconds = validateProp(path, 'leaseDuration', () => (o.leaseDuration ?? Duration.minutes(10)).toSeconds());
  if (leaseSeconds < 30 || leaseSeconds > 24 * 3600) {
    throw new ValidationError(
      path,
      'leaseDuration',
      `is ${leaseSeconds}s; it must be from 30 s to 24 h`,
      'A lease a few times longer than a chunk fit, e.g. Duration.minutes(10)',
    );
  }
  const maxAttempts = o.maxAttempts ?? 3;
  if (!Token.isUnresolved(maxAttempts) && (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)) {
    throw new ValidationError(path, 'maxAttempts', `is ${maxAttempts}; it must be a whole number from 1 to 100`, 'Use 3 unless fits are flaky');
  }
  return { leaseSeconds, maxAttempts };
}
