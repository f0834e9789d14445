/**
 * Internal stages' files and directory tables on the local server.
 *
 * A stage's files are a local directory that other processes (job services' stage mounts, the
 * driver's PUT) write while statements run. `DIRECTORY(@stage)` does not read that directory: as
 * on Snowflake it reads the stage's directory table, metadata that changes only when it is
 * refreshed.
 *
 * - "Managing directory tables" (https://docs.snowflake.com/en/user-guide/data-load-dirtables-manage):
 *   directory tables on internal stages require manual metadata refreshes; after creating the
 *   stage one must run `ALTER STAGE ... REFRESH`; a manual refresh lists the stage, optionally
 *   only under `SUBPATH = '<relative path>'`.
 * - "Automated directory table metadata refreshes"
 *   (https://docs.snowflake.com/en/user-guide/data-load-dirtables-auto): `AUTO_REFRESH = TRUE`
 *   on an internal stage keeps the metadata in sync with the stage's files, but only on accounts
 *   hosted on AWS; it is event-based (asynchronous).
 *
 * So: CREATE STAGE starts with an empty directory table; ALTER STAGE ... REFRESH [SUBPATH] replaces
 * the (sub)tree's rows with what the stage holds at that moment; PUT, REMOVE, COPY INTO @stage and
 * writes through a stage mount change the files, never the directory table. A stage created with
 * `AUTO_REFRESH = TRUE` is refreshed before each DIRECTORY read (as if every event had already been
 * processed; the pipeline does not rely on it). LIST reads the files themselves, as it does on
 * Snowflake.
 *
 * Taking a snapshot never fails because files come and go meanwhile: a file or directory that
 * disappears between being listed and being read is left out, and each row's size, checksum and
 * time come from one open file descriptor, so they describe one version of the file.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** One row of a directory table (the columns DIRECTORY(@stage) returns here). */
export interface DirectoryEntry {
  readonly relativePath: string;
  readonly size: number;
  /** ISO 8601, UTC. */
  readonly lastModified: string;
  readonly md5: string;
}

/** A stage's directory table: the snapshot of its last refresh, and whether it refreshes itself. */
export interface DirectoryTable {
  autoRefresh: boolean;
  /** Rows by relative path, as of the last refresh. */
  files: DirectoryEntry[];
}

const gone = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * Files under a directory, as forward-slash relative paths, sorted. A directory that disappears
 * while it is walked (renamed or removed by another process) is skipped, not an error.
 */
export function walk(dir: string, prefix = ''): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (gone(e)) return [];
    throw e;
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(path.join(dir, e.name), rel));
    else if (e.isFile() && !e.name.startsWith('.tmp-')) out.push(rel);
  }
  return out.sort();
}

/** One file's row, read through one descriptor; undefined when the file is gone by now. */
export function readEntry(dir: string, relativePath: string): DirectoryEntry | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, relativePath), 'r');
  } catch (e) {
    if (gone(e)) return undefined;
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    const content = fs.readFileSync(fd);
    return { relativePath, size: content.length, lastModified: st.mtime.toISOString(), md5: crypto.createHash('md5').update(content).digest('hex') };
  } finally {
    fs.closeSync(fd);
  }
}

/** Called between listing a stage's files and reading them (fault injection: Faults.interruptStageListing). */
export type ListingHook = (dir: string, listed: readonly string[]) => void;

/** Listings taken again when files vanished while one was read, before settling for the last. */
const LISTING_ATTEMPTS = 5;

/**
 * The stage's files under `subpath` (all when empty), as they are now. When a listed file is gone
 * by the time it is read (moved or removed meanwhile), the listing is taken again, so a directory
 * that has stopped changing is listed exactly; one that never stops gets the last listing's files
 * that were still there.
 */
export function listFiles(dir: string, subpath = '', meanwhile?: ListingHook): DirectoryEntry[] {
  for (let attempt = 1; ; attempt++) {
    const listed = walk(dir).filter((f) => underSubpath(f, subpath));
    meanwhile?.(dir, listed);
    const out: DirectoryEntry[] = [];
    for (const f of listed) {
      const entry = readEntry(dir, f);
      if (entry) out.push(entry);
    }
    if (out.length === listed.length || attempt >= LISTING_ATTEMPTS) return out;
  }
}

/** Normalizes a SUBPATH: no leading or trailing slash. */
function normalizeSubpath(subpath: string): string {
  return subpath.replace(/^\/+/, '').replace(/\/+$/, '');
}

function underSubpath(relativePath: string, subpath: string): boolean {
  const sub = normalizeSubpath(subpath);
  return sub === '' || relativePath === sub || relativePath.startsWith(`${sub}/`);
}

/**
 * `ALTER STAGE ... REFRESH [SUBPATH = ...]`: the rows under the subpath are replaced by the files
 * there now; rows elsewhere are kept as they were. Returns how many rows were added, updated and
 * removed.
 */
export function refreshDirectory(
  table: DirectoryTable,
  dir: string,
  subpath = '',
  meanwhile?: ListingHook,
): { added: number; updated: number; removed: number } {
  const now = listFiles(dir, subpath, meanwhile);
  const before = new Map(table.files.filter((f) => underSubpath(f.relativePath, subpath)).map((f) => [f.relativePath, f]));
  let added = 0;
  let updated = 0;
  for (const f of now) {
    const old = before.get(f.relativePath);
    if (!old) added++;
    else if (old.md5 !== f.md5 || old.size !== f.size || old.lastModified !== f.lastModified) updated++;
    before.delete(f.relativePath);
  }
  const kept = table.files.filter((f) => !underSubpath(f.relativePath, subpath));
  table.files = [...kept, ...now].sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  return { added, updated, removed: before.size };
}
