/**
 * Snowflake alerts on the local server: CREATE / ALTER (RESUME, SUSPEND) / DROP / EXECUTE ALERT.
 * An alert runs its condition, and when that returns at least one row its action, in a session of
 * its owner on its warehouse ("Setting up alerts based on data in Snowflake":
 * https://docs.snowflake.com/en/user-guide/alerts ; CREATE ALERT:
 * https://docs.snowflake.com/en/sql-reference/sql/create-alert ; EXECUTE ALERT:
 * https://docs.snowflake.com/en/sql-reference/sql/execute-alert).
 *
 * Not modelled: scheduled runs (SCHEDULE is stored, never fired, as for tasks), ALERT_HISTORY,
 * SHOW / DESCRIBE ALERTS, ALTER ALERT ... SET / MODIFY, alerts on new data, serverless alerts.
 */
import { Engine, SessionState, nameParts } from './engine';
import { Errors, SfError } from './errors';
import { SfResult, statusResult } from './results';
import { IDENT, QNAME } from './translate';
import { STRING_LITERAL, readLiteral } from './literals';

/** An alert as created. */
export interface AlertEntry {
  readonly name: string;
  readonly database: string;
  readonly schema: string;
  readonly warehouse?: string;
  readonly schedule?: string;
  readonly condition: string;
  readonly action: string;
  /** Created suspended; ALTER ALERT ... RESUME starts it. */
  started: boolean;
}

/** One run of an alert, with ALERT_HISTORY's states for what it reached. */
export interface AlertRun {
  readonly NAME: string;
  readonly DATABASE_NAME: string;
  readonly SCHEMA_NAME: string;
  STATE: 'EXECUTING' | 'CONDITION_FALSE' | 'TRIGGERED' | 'CONDITION_FAILED' | 'ACTION_FAILED';
  ERROR_CODE: string | null;
  ERROR_MESSAGE: string | null;
  readonly SCHEDULED_TIME: string;
  COMPLETED_TIME: string | null;
}

/** Runs one statement of an action in a session (the server's own paths: objects first, then SQL). */
export type RunStatement = (s: SessionState, sql: string) => Promise<SfResult>;

export class LocalAlerts {
  readonly alerts = new Map<string, AlertEntry>();
  readonly history: AlertRun[] = [];
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly run: RunStatement,
  ) {}

  private get auth() {
    return this.engine.auth;
  }

  /** Handles an ALERT statement; undefined for anything else. */
  async handle(s: SessionState, sql: string): Promise<SfResult | undefined> {
    let m: RegExpExecArray | null;
    if (
      (m = new RegExp(
        `^CREATE\\s+(OR\\s+REPLACE\\s+)?ALERT\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(${QNAME})([\\s\\S]*?)\\bIF\\s*\\(\\s*EXISTS\\s*\\(([\\s\\S]*)\\)\\s*\\)\\s*THEN\\s+([\\s\\S]+)$`,
        'i',
      ).exec(sql))
    ) {
      const [db, schema, name] = this.engine.qualify(s, m[3]);
      const key = `${db}.${schema}.${name}`;
      const exists = this.alerts.has(key);
      // The creating role needs the global EXECUTE ALERT, CREATE ALERT on the schema (USAGE on its
      // database) and USAGE on the warehouse ("Setting up alerts": https://docs.snowflake.com/en/user-guide/alerts).
      this.auth.onAccount(s, 'EXECUTE ALERT');
      this.auth.create(s, 'ALERT', key, exists && Boolean(m[1]));
      if (exists && !m[1]) {
        if (m[2]) return statusResult(`${name} already exists, statement succeeded.`);
        throw Errors.alreadyExists(key);
      }
      const header = m[4];
      const warehouseRef = new RegExp(`\\bWAREHOUSE\\s*=\\s*(${IDENT})`, 'i').exec(header)?.[1];
      const warehouse = warehouseRef ? nameParts(warehouseRef)[0] : undefined;
      if (warehouse) this.auth.need(s, 'USAGE', 'WAREHOUSE', warehouse);
      const schedule = new RegExp(`\\bSCHEDULE\\s*=\\s*(${STRING_LITERAL})`, 'i').exec(header)?.[1];
      if (schedule === undefined) throw Errors.syntax("CREATE ALERT needs SCHEDULE = '...' (alerts on new data are not emulated)");
      this.alerts.set(key, {
        name,
        database: db,
        schema,
        warehouse,
        schedule: readLiteral(schedule),
        condition: m[5].trim(),
        action: m[6].trim().replace(/;\s*$/, ''),
        started: false,
      });
      this.auth.created(s, 'ALERT', key);
      return statusResult(`Alert ${name} successfully created.`);
    }
    if ((m = new RegExp(`^ALTER\\s+ALERT\\s+(IF\\s+EXISTS\\s+)?(${QNAME})\\s+(RESUME|SUSPEND)$`, 'i').exec(sql))) {
      const a = this.alert(s, m[2], Boolean(m[1]));
      if (!a) return statusResult('Statement executed successfully.');
      const key = `${a.database}.${a.schema}.${a.name}`;
      // RESUME / SUSPEND: OWNERSHIP or OPERATE on the alert (https://docs.snowflake.com/en/sql-reference/sql/alter-alert).
      this.auth.need(s, 'OPERATE', 'ALERT', key);
      if (m[3].toUpperCase() === 'RESUME') this.engine.auth.ownerMayExecute('ALERT', key);
      a.started = m[3].toUpperCase() === 'RESUME';
      return statusResult('Statement executed successfully.');
    }
    if ((m = new RegExp(`^DROP\\s+ALERT\\s+(IF\\s+EXISTS\\s+)?(${QNAME})$`, 'i').exec(sql))) {
      const key = this.engine.qualify(s, m[2]).join('.');
      if (this.alerts.has(key)) this.auth.own(s, 'ALERT', key);
      if (!this.alerts.delete(key) && !m[1]) throw Errors.objectMissing(`Alert '${key}'`);
      this.auth.dropped('ALERT', key);
      return statusResult(`${key.split('.').pop()} successfully dropped.`);
    }
    if ((m = new RegExp(`^EXECUTE\\s+ALERT\\s+(${QNAME})$`, 'i').exec(sql))) {
      const a = this.alert(s, m[1], false)!;
      const key = `${a.database}.${a.schema}.${a.name}`;
      // EXECUTE ALERT: the caller needs the global EXECUTE ALERT, OWNERSHIP or OPERATE on the alert
      // and USAGE on its warehouse; the alert runs with its owner's privileges, suspended or not
      // (https://docs.snowflake.com/en/sql-reference/sql/execute-alert).
      this.auth.onAccount(s, 'EXECUTE ALERT');
      this.auth.need(s, 'OPERATE', 'ALERT', key);
      if (a.warehouse) this.auth.need(s, 'USAGE', 'WAREHOUSE', a.warehouse);
      const run: AlertRun = {
        NAME: a.name,
        DATABASE_NAME: a.database,
        SCHEMA_NAME: a.schema,
        STATE: 'EXECUTING',
        ERROR_CODE: null,
        ERROR_MESSAGE: null,
        SCHEDULED_TIME: new Date().toISOString(),
        COMPLETED_TIME: null,
      };
      this.history.push(run);
      this.running.push(this.execute(a, key, run));
      return statusResult(`Alert ${a.name} is scheduled to run immediately.`);
    }
    return undefined;
  }

  /** Waits for the alert runs started so far. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.running);
  }

  /** Whether an alert of that name exists. */
  has(key: string): boolean {
    return this.alerts.has(key);
  }

  private alert(s: SessionState, ref: string, ifExists: boolean): AlertEntry | undefined {
    const key = this.engine.qualify(s, ref).join('.');
    const a = this.alerts.get(key);
    if (!a && !ifExists) throw Errors.objectMissing(`Alert '${key}'`);
    return a;
  }

  /** The condition, then (when it returned a row) the action, in a session of the owner on the alert's warehouse. */
  private async execute(a: AlertEntry, key: string, run: AlertRun): Promise<void> {
    let session: SessionState | undefined;
    let phase: 'CONDITION_FAILED' | 'ACTION_FAILED' = 'CONDITION_FAILED';
    try {
      this.engine.auth.ownerMayExecute('ALERT', key);
      session = await this.engine.newSession();
      session.role = this.engine.access.ownerOf('ALERT', key);
      session.baseRole = session.role;
      session.fixedRole = 'task';
      if (a.warehouse === undefined) session.serverless = true;
      else if (this.engine.access.has(session.role, 'USAGE', 'WAREHOUSE', a.warehouse)) session.warehouse = a.warehouse;
      await this.engine.execute(session, `USE SCHEMA "${a.database}"."${a.schema}"`);
      const found = await this.run(session, a.condition);
      if (found.rows.length === 0) {
        run.STATE = 'CONDITION_FALSE';
        return;
      }
      phase = 'ACTION_FAILED';
      await this.run(session, a.action);
      run.STATE = 'TRIGGERED';
    } catch (e) {
      run.STATE = phase;
      run.ERROR_CODE = e instanceof SfError ? e.code : '000603';
      run.ERROR_MESSAGE = (e as Error).message;
    } finally {
      run.COMPLETED_TIME = new Date().toISOString();
      if (session) this.engine.closeSession(session);
    }
  }

  toJSON(): unknown {
    return { alerts: [...this.alerts.entries()], history: this.history };
  }

  load(state: { alerts?: [string, AlertEntry][]; history?: AlertRun[] } | undefined): void {
    for (const [k, a] of state?.alerts ?? []) this.alerts.set(k, a);
    const now = new Date().toISOString();
    // A run cut off by a restart ends failed, as a task's does.
    this.history.push(
      ...(state?.history ?? []).map(
        (h): AlertRun => (h.STATE === 'EXECUTING' ? { ...h, STATE: 'CONDITION_FAILED', ERROR_MESSAGE: 'server restarted', COMPLETED_TIME: now } : h),
      ),
    );
  }
}
