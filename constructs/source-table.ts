import { Construct, IConstruct } from 'constructs';
import { ValidationError, validateProp } from '../lib/errors';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { GrantTarget, IRole, SnowflakeObject, grantUsageOnParents } from './core';
import { Grant } from './grants';

/** The existing table (or view) holding the series: one row per partition and time step. */
export interface ISourceTable extends IConstruct {
  readonly qualifiedName: ObjectName;
  /** Column whose value identifies a partition (one model per value). */
  readonly partitionColumn: string;
  /** Time column (DATE or TIMESTAMP) ordering each series. */
  readonly orderColumn: string;
  /** The value to forecast. */
  readonly targetColumn: string;
  /** Extra columns passed to the worker and the aggregator. */
  readonly covariateColumns: readonly string[];
  /** Grants SELECT on the table, and USAGE on its database and schema, to `role`; returns the SELECT grant. */
  grantRead(role: IRole): Grant;
}

export interface SourceTableOptions {
  /** Column whose value identifies a partition. */
  readonly partitionColumn: string;
  /** Time column ordering each series. */
  readonly orderColumn: string;
  /** The value to forecast. */
  readonly targetColumn: string;
  /** Extra columns (covariates) passed through. @default - none */
  readonly covariateColumns?: string[];
  /** `VIEW` when the source is a view (grants differ). @default false */
  readonly isView?: boolean;
}

/** Reference to existing series data; the pipeline never creates or alters it. */
export class SourceTable extends SnowflakeObject implements ISourceTable {
  /** References an existing table or view: `DATABASE.SCHEMA.NAME`. */
  static fromName(scope: Construct, id: string, qualifiedName: string, options: SourceTableOptions): ISourceTable {
    return new SourceTable(scope, id, qualifiedName, options);
  }

  readonly objectType: string;
  protected readonly grantTarget = GrantTarget.SCHEMA_OBJECT;
  readonly qualifiedName: ObjectName;
  readonly partitionColumn: string;
  readonly orderColumn: string;
  readonly targetColumn: string;
  readonly covariateColumns: readonly string[];

  private constructor(scope: Construct, id: string, qualifiedName: string, o: SourceTableOptions) {
    super(scope, id);
    const path = this.node.path;
    this.objectType = o.isView ? 'VIEW' : 'TABLE';
    this.qualifiedName = validateProp(path, 'qualifiedName', () => ObjectName.parse(qualifiedName, 3));
    this.partitionColumn = validateProp(path, 'partitionColumn', () => normalizeIdentifier(o.partitionColumn, 'column name'));
    this.orderColumn = validateProp(path, 'orderColumn', () => normalizeIdentifier(o.orderColumn, 'column name'));
    this.targetColumn = validateProp(path, 'targetColumn', () => normalizeIdentifier(o.targetColumn, 'column name'));
    this.covariateColumns = (o.covariateColumns ?? []).map((c, i) => validateProp(path, `covariateColumns[${i}]`, () => normalizeIdentifier(c, 'column name')));
    const all = [this.partitionColumn, this.orderColumn, this.targetColumn, ...this.covariateColumns];
    const dup = all.find((c, i) => all.indexOf(c) !== i);
    if (dup) {
      throw new ValidationError(path, 'columns', `name ${dup} more than once`, 'Give the partition, order, target and covariate columns distinct names');
    }
  }

  grantRead(role: IRole): Grant {
    // SELECT alone is not enough: reading a table needs USAGE on its database and schema.
    return Grant.combine(grantUsageOnParents(this, role, this.qualifiedName), this.grant(role, 'SELECT'));
  }
}
