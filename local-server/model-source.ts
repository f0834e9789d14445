/**
 * Where a model version made in SQL comes from. Snowflake creates model versions in SQL only from
 * an existing version or from files on an internal stage (the registry's Python API uses the
 * second): `CREATE MODEL m [WITH VERSION v] FROM MODEL src [VERSION sv]` or `... FROM @stage[/path]`,
 * and `ALTER MODEL m ADD VERSION v FROM MODEL src [VERSION sv]` or `... FROM @stage[/path]`; the
 * FROM clause is required (https://docs.snowflake.com/en/sql-reference/sql/create-model,
 * https://docs.snowflake.com/en/sql-reference/sql/alter-model-add-version). The stage files'
 * layout is not documented, so here a stage path must hold at least one file, and nothing more is
 * read from it.
 */
import * as path from 'path';
import type { Engine, SessionState } from './engine';
import { nameParts } from './engine';
import { Errors } from './errors';
import type { ModelCatalog } from './objects';
import { listFiles } from './stage-directory';
import { IDENT, QNAME } from './translate';

/** What a new version takes from its source. */
export interface ModelVersionSource {
  /** The version's name when the statement gives none: the source version's (FROM MODEL), or undefined (FROM @stage). */
  readonly name?: string;
  readonly metadata: Record<string, unknown>;
  readonly artifactsDir?: string;
}

const FROM_MODEL = new RegExp(`^FROM\\s+MODEL\\s+(${QNAME})(?:\\s+VERSION\\s+(${IDENT}))?$`, 'i');
const FROM_STAGE = new RegExp(`^FROM\\s+@(${QNAME})((?:/[^\\s]*)?)$`, 'i');

/**
 * Reads the FROM clause (`tail`, the statement's text after the version name) and checks it as the
 * session's role: USAGE on a source model, READ on a stage. `statement` is the whole statement, for
 * the position of a syntax error.
 */
export function modelVersionSource(engine: Engine, models: ModelCatalog, s: SessionState, statement: string, tail: string): ModelVersionSource {
  const text = tail.trim();
  let m: RegExpExecArray | null;
  if ((m = FROM_MODEL.exec(text))) {
    const key = engine.qualify(s, m[1]).join('.');
    // Reading another model's version needs USAGE on it (or ownership), as predicting does.
    if (models.models.has(key)) engine.auth.need(s, 'USAGE', 'MODEL', key);
    const source = models.resolve(key, m[2] ? nameParts(m[2])[0] : 'DEFAULT');
    return { name: source.name, metadata: structuredClone(source.metadata), artifactsDir: source.artifactsDir };
  }
  if ((m = FROM_STAGE.exec(text))) {
    const { dir, name } = engine.stageDir(s, m[1], 'READ');
    const sub = m[2].replace(/^\/+/, '');
    if (listFiles(dir, sub).length === 0) throw Errors.objectMissing(`Model files at '@${name}/${sub}'`);
    return { metadata: {}, artifactsDir: path.join(dir, sub) };
  }
  if (text === '') throw Errors.syntax(`line 1 at position ${statement.trimEnd().length} unexpected '<EOF>'.`);
  throw Errors.syntax(`line 1 at position ${statement.length - tail.trimStart().length} unexpected '${text.split(/\s+/)[0]}'.`);
}

/**
 * The new version's name: the statement's, else the source version's; a model made from stage files
 * without WITH VERSION gets `VERSION$1` here (Snowflake does not document the name it chooses).
 */
export function versionName(given: string | undefined, source: ModelVersionSource): string {
  return given ? nameParts(given)[0] : (source.name ?? 'VERSION$1');
}
