/**
 * Fault injection for tests: statement failures, HTTP errors, delays and hangs, dropped
 * connections, expired session tokens and stage files changing while they are listed. Each fault
 * fires a bounded number of times.
 */
export interface StatementFault {
  /** Statements whose text matches. */
  readonly match: RegExp;
  /** Fire on the Nth matching statement (1-based), counting from when the fault was added. @default 1 */
  readonly nth?: number;
  /** How many times it fires from then on. @default 1 */
  readonly times?: number;
  readonly code: string;
  readonly message?: string;
  readonly sqlState?: string;
}

export interface HttpFault {
  /** Request paths that match. */
  readonly path: RegExp;
  /** 5xx or 429. */
  readonly status: number;
  /** @default 1 */
  readonly times?: number;
}

export interface DelayFault {
  readonly match: RegExp;
  /** Milliseconds; omit to hang until cancelled or the server closes. */
  readonly ms?: number;
  /** @default 1 */
  readonly times?: number;
}

export interface DropFault {
  /** Request paths whose response is cut off mid-body. */
  readonly path: RegExp;
  /** @default 1 */
  readonly times?: number;
}

export interface StageListingFault {
  /** Stages (fully qualified, e.g. DB.SCHEMA.STAGE) whose listing is interrupted. @default every stage */
  readonly stage?: RegExp;
  /**
   * Runs after a stage's files have been listed and before they are read (by ALTER STAGE ...
   * REFRESH, LIST, or an auto-refreshing directory table): what other processes may do to the
   * stage's directory in between, made deterministic. It may also throw, as a failing disk would.
   */
  readonly meanwhile: (stageDir: string, listed: readonly string[]) => void;
  /** @default 1 */
  readonly times?: number;
}

interface Counted<T> {
  fault: T;
  seen: number;
  fired: number;
}

export class Faults {
  private statements: Counted<StatementFault>[] = [];
  private http: Counted<HttpFault>[] = [];
  private delays: Counted<DelayFault>[] = [];
  private drops: Counted<DropFault>[] = [];
  private listings: Counted<StageListingFault>[] = [];
  /** Sessions whose token should be reported expired once (driver then renews it). */
  expireSessionsOnce = false;

  failStatement(f: StatementFault): void {
    this.statements.push({ fault: f, seen: 0, fired: 0 });
  }
  httpError(f: HttpFault): void {
    this.http.push({ fault: f, seen: 0, fired: 0 });
  }
  delayStatement(f: DelayFault): void {
    this.delays.push({ fault: f, seen: 0, fired: 0 });
  }
  dropConnection(f: DropFault): void {
    this.drops.push({ fault: f, seen: 0, fired: 0 });
  }
  /** Runs `meanwhile` between listing a stage's files and reading them (a race made deterministic). */
  interruptStageListing(f: StageListingFault): void {
    this.listings.push({ fault: f, seen: 0, fired: 0 });
  }
  /** The next query of every session gets 390112 (session token expired) once. */
  expireSessionTokens(): void {
    this.expireSessionsOnce = true;
  }
  reset(): void {
    this.statements = [];
    this.http = [];
    this.delays = [];
    this.drops = [];
    this.listings = [];
    this.expireSessionsOnce = false;
  }

  /** @internal */
  statementFault(sql: string): StatementFault | undefined {
    for (const c of this.statements) {
      if (!c.fault.match.test(sql)) continue;
      c.seen++;
      if (c.seen >= (c.fault.nth ?? 1) && c.fired < (c.fault.times ?? 1)) {
        c.fired++;
        return c.fault;
      }
    }
    return undefined;
  }
  /** @internal */
  httpFault(path: string): HttpFault | undefined {
    return take(this.http, (f) => f.path.test(path));
  }
  /** @internal */
  delayFault(sql: string): DelayFault | undefined {
    return take(this.delays, (f) => f.match.test(sql));
  }
  /** @internal */
  dropFault(path: string): DropFault | undefined {
    return take(this.drops, (f) => f.path.test(path));
  }
  /** @internal */
  stageListingFault(stage: string): StageListingFault | undefined {
    return take(this.listings, (f) => f.stage?.test(stage) ?? true);
  }
}

function take<T extends { times?: number }>(list: Counted<T>[], pred: (f: T) => boolean): T | undefined {
  for (const c of list) {
    if (pred(c.fault) && c.fired < (c.fault.times ?? 1)) {
      c.fired++;
      return c.fault;
    }
  }
  return undefined;
}
