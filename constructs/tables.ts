import { Table } from './resources';
import { Construct } from 'constructs';
import { ObjectName } from '../lib/identifiers';
import { Hooks } from '../lib/hooks/hooks';
import { LEDGER_COLUMNS, LEDGER_TABLE_NAME } from '../lib/sql/ledger';
import { ISchema, Schema } from './core';
import { checkPreviewFeatures } from './preview-features';
import { dependOn } from './depends';
import { claimName } from './object-names';

/** A `snowflake_table` from (name, type, nullable) column triples; `scope`'s `prop` names it. */
export function columnTable(
  scope: Construct,
  id: string,
  schema: ISchema,
  name: string,
  columns: readonly (readonly [string, string, boolean])[],
  comment: string,
  prop = 'name',
): Table {
  checkPreviewFeatures(scope);
  claimName(scope, prop, 'TABLE', schema.qualifiedName.child(name));
  const t = new Table(scope, id, {
    database: schema.databaseName,
    schema: schema.schemaName,
    name,
    comment,
    column: columns.map(([n, type, nullable]) => ({ name: n, type, nullable })),
  });
  if (schema instanceof Schema) dependOn(t, schema.resource);
  return t;
}

/**
 * Makes sure the stack has a hooks ledger (`HOOK_RUNS`): the first construct that adds hook
 * steps creates it in its schema; later ones share it.
 */
export function ensureLedger(scope: Construct, schema: ISchema): { name: ObjectName; table: Table; schema: ISchema } {
  const hooks = Hooks.of(scope);
  const existing = hooks.node.tryFindChild('Ledger');
  if (existing instanceof Table) {
    const l = hooks.ledger!;
    return { name: ObjectName.of(l.database, l.schema, l.table), table: existing, schema: LEDGER_SCHEMAS.get(existing)! };
  }
  const name = schema.qualifiedName.child(LEDGER_TABLE_NAME);
  const table = columnTable(
    hooks,
    'Ledger',
    schema,
    LEDGER_TABLE_NAME,
    LEDGER_COLUMNS,
    'many-model hooks ledger: one row per post-deploy step attempt',
    'the hooks ledger (HooksLedger.place)',
  );
  LEDGER_SCHEMAS.set(table, schema);
  hooks.useLedger(name);
  return { name, table, schema };
}

const LEDGER_SCHEMAS = new WeakMap<Table, ISchema>();
