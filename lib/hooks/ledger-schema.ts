/**
 * Columns of the ledger table `HOOK_RUNS`: one row per step attempt. Created by the constructs
 * (Terraform), written only by the hooks runner. Shared so DDL and runner never drift.
 */
export const LEDGER_TABLE_NAME = 'HOOK_RUNS';

export const LEDGER_COLUMNS: readonly (readonly [name: string, type: string, nullable: boolean])[] = [
  ['STACK', 'VARCHAR(256)', false],
  ['STEP_ID', 'VARCHAR(1024)', false],
  ['RUN_ID', 'VARCHAR(64)', false],
  ['FINGERPRINT', 'VARCHAR(64)', false],
  ['ATTEMPT', 'NUMBER(5,0)', false],
  ['STATUS', 'VARCHAR(16)', false],
  ['RUNNER_ID', 'VARCHAR(128)', true],
  ['STARTED_AT', 'TIMESTAMP_NTZ', false],
  ['ENDED_AT', 'TIMESTAMP_NTZ', true],
  ['QUERY_IDS', 'ARRAY', true],
  ['ERROR_MSG', 'VARCHAR(4000)', true],
  ['DETAILS', 'VARIANT', true],
];

/** `CREATE TABLE IF NOT EXISTS` of the ledger (what the constructs' snowflake_table declares). */
export function renderLedgerDdl(qualifiedQuoted: string): string {
  const cols = LEDGER_COLUMNS.map(([n, t, nullable]) => `${n} ${t}${nullable ? '' : ' NOT NULL'}`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualifiedQuoted} (${cols})`;
}
