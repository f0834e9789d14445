/**
 * Snowflake Scripting helpers for the task bodies of the monitoring's closed loop and its
 * champion/challenger gate (lib/sql/retrain.ts, lib/sql/challenger.ts): a block with declarations,
 * and a runner statement run as dynamic SQL with Scripting variables in place of its `{{...}}`
 * placeholders.
 */
import { dollarQuoted, sqlString } from '../identifiers';
import { RunVariable, runVar } from './statement';

/**
 * A Scripting block with declarations, as a task body: `EXECUTE IMMEDIATE $$ DECLARE ... END $$`,
 * the form CREATE TASK's page gives for a task whose body is a block with a DECLARE section
 * (https://docs.snowflake.com/en/sql-reference/sql/create-task, "procedural logic using Snowflake
 * Scripting"). The body's lines each already end with `;`.
 *
 * With `onError`, the block ends with an exception handler, `EXCEPTION WHEN OTHER THEN <onError>
 * RAISE;`: any failed statement or RAISE of the body runs `onError` (where SQLCODE, SQLERRM and
 * SQLSTATE describe it), then is raised again unchanged, so the task still fails with its own
 * error ("Handling exceptions": https://docs.snowflake.com/en/developer-guide/snowflake-scripting/exceptions,
 * `RAISE;` in a handler: https://docs.snowflake.com/en/sql-reference/snowflake-scripting/raise).
 */
export function scriptingBlock(declare: readonly string[], body: readonly string[], onError: readonly string[] = []): string {
  const indent = (l: string, by: string) => `${by}${l.replace(/\n/g, `\n${by}`)}`;
  const handler = onError.length ? ['EXCEPTION', '  WHEN OTHER THEN', ...onError.map((l) => indent(l, '    ')), '    RAISE;'] : [];
  const text = ['DECLARE', ...declare.map((d) => `  ${d};`), 'BEGIN', ...body.map((l) => indent(l, '  ')), ...handler, 'END;'].join('\n');
  return `EXECUTE IMMEDIATE ${dollarQuoted(`\n${text}\n`)}`;
}

/**
 * A runner statement run as dynamic SQL, each `{{NAME}}` placeholder replaced by the value of a
 * Scripting variable: `STMT := REPLACE('<text>', '{{RUN_ID}}', RETRAIN_RUN); EXECUTE IMMEDIATE :STMT;`
 * ("EXECUTE IMMEDIATE": https://docs.snowflake.com/en/sql-reference/sql/execute-immediate). For
 * statements whose placeholder is part of a path or a name (a stage path, a model version), which
 * a bound variable cannot stand for. The caller declares `STMT VARCHAR`; the variables' values
 * must be what the placeholders accept (RUN_VARIABLES), never user text.
 */
export function dynamicSql(sql: string, variables: Partial<Record<RunVariable, string>>): string[] {
  let expr = sqlString(sql);
  for (const [name, variable] of Object.entries(variables) as [RunVariable, string][]) expr = `REPLACE(${expr}, ${sqlString(runVar(name))}, ${variable})`;
  return [`STMT := ${expr};`, 'EXECUTE IMMEDIATE :STMT;'];
}
