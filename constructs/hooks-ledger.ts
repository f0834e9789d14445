import { Construct } from 'constructs';
import { ValidationError } from '../lib/errors';
import { Hooks } from '../lib/hooks/hooks';
import { ISchema } from './core';
import { ensureLedger } from './tables';

/**
 * Where a stack's hooks ledger (`HOOK_RUNS`) lives. By default the first pipeline or scoring job
 * of the stack creates it in its own schema, so removing that pipeline later would move the
 * ledger and drop its history (`many-model plan` flags it as destructive). Placing the ledger in
 * a schema of its own keeps it where it is whatever pipelines come and go.
 */
export class HooksLedger {
  /**
   * Creates the stack's ledger in `schema`. Call it before declaring the first pipeline or
   * scoring job of the stack.
   */
  static place(scope: Construct, schema: ISchema): void {
    const hooks = Hooks.of(scope);
    const existing = hooks.ledger;
    if (existing) {
      const wanted = schema.qualifiedName.toString();
      if (`${existing.database}.${existing.schema}` !== wanted) {
        throw new ValidationError(
          scope.node.path,
          'HooksLedger.place',
          `comes after the ledger was already created in ${existing.database}.${existing.schema}`,
          'Call HooksLedger.place(stack, schema) before declaring the first pipeline or scoring job of the stack',
        );
      }
      return;
    }
    ensureLedger(scope, schema);
  }
}
