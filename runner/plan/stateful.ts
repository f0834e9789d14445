/**
 * Which resources hold state that a destroy or a replacement loses: the databases, schemas and
 * tables that hold data and metrics, the stage that holds the models, the hybrid-table queue and
 * ledger (created through snowflake_execute). Compute pools, warehouses, tasks, procedures, roles
 * and grants are recreated without losing anything.
 */

/** Why destroying this resource loses state, or undefined when it does not. */
export function statefulReason(type: string, config: Record<string, unknown>): string | undefined {
  switch (type) {
    case 'snowflake_database':
      return 'a database: everything in it, including registered models, is dropped';
    case 'snowflake_schema':
      return 'a schema: its tables, stages and registered models are dropped';
    case 'snowflake_table':
      return 'a table: its rows (metrics, results, history) are lost';
    case 'snowflake_dynamic_table':
      return 'a dynamic table: it is rebuilt from scratch';
    case 'snowflake_stage':
      return 'a stage: the model artifacts and model_index.json files on it are lost';
    case 'snowflake_execute': {
      const sql = String(config.execute ?? '');
      if (/\bCREATE\s+(OR\s+REPLACE\s+)?(HYBRID\s+)?TABLE\b/i.test(sql)) return 'a table created by SQL (queue or ledger): revert drops it with its rows';
      if (/\bCREATE\s+(OR\s+REPLACE\s+)?(DATABASE|SCHEMA|STAGE)\b/i.test(sql)) return 'an object created by SQL that holds data: revert drops it';
      return undefined;
    }
    default:
      return undefined;
  }
}
