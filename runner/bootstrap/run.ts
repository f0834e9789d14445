/** Running the bootstrap statements (runner/bootstrap/bootstrap.ts) on a connection. */
import { SnowflakeSession } from '../snowflake/session';
import { renderUseSystemRole } from '../../lib/sql/session';
import { BootstrapStatement } from './bootstrap';

/** Runs the statements as ACCOUNTADMIN, in order, each once; a failure names the statement. */
export async function runBootstrap(
  session: SnowflakeSession,
  statements: readonly BootstrapStatement[],
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const seen = new Set<string>();
  for (const sql of [renderUseSystemRole('ACCOUNTADMIN'), ...statements.map((s) => s.sql)]) {
    if (seen.has(sql)) continue;
    seen.add(sql);
    try {
      await session.query(sql);
    } catch (e) {
      throw new Error(`bootstrap statement failed: ${sql}: ${(e as Error).message}`);
    }
    log(`ok  ${sql}`);
  }
}
