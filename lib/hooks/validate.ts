/**
 * Loading a manifest: parse, check the schema version and the shape of every field, and check the
 * step graph, failing with a message that names the file, the step and the field.
 */
import { HookManifest, MANIFEST_SCHEMA_VERSION, STEP_KINDS } from './manifest';

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const KINDS: ReadonlySet<string> = new Set(STEP_KINDS);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and validates manifest text; `source` names the file in errors. */
export function parseManifest(text: string, source = 'hooks.json'): HookManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${source}: not valid JSON (${(e as Error).message}). Re-run synth to regenerate it`);
  }
  if (!isObj(raw)) throw new ManifestError(`${source}: the top level must be an object`);
  if (raw.schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    throw new ManifestError(
      `${source}: schemaVersion ${JSON.stringify(raw.schemaVersion)} is not supported by this runner (it reads version ${MANIFEST_SCHEMA_VERSION}). Synthesize with the same cdktf-snowflake-many-model version as the runner`,
    );
  }
  const where = (path: string) => `${source}: ${path}`;
  const str = (o: Obj, k: string, path: string): string => {
    if (typeof o[k] !== 'string' || (o[k] as string).length === 0) throw new ManifestError(`${where(path)}.${k} must be a non-empty string`);
    return o[k] as string;
  };
  const num = (o: Obj, k: string, path: string, min = 0): number => {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k]) || (o[k] as number) < min) throw new ManifestError(`${where(path)}.${k} must be a number >= ${min}`);
    return o[k] as number;
  };
  str(raw, 'stack', 'manifest');
  if (!Array.isArray(raw.steps)) throw new ManifestError(`${where('steps')} must be an array`);
  if (raw.steps.length > 0) {
    if (!isObj(raw.ledger)) throw new ManifestError(`${where('ledger')} must name the ledger table when there are steps`);
    for (const k of ['database', 'schema', 'table']) {
      const v = str(raw.ledger, k, 'ledger');
      if (!/^[A-Z_][A-Z0-9_$]*$/.test(v)) throw new ManifestError(`${where('ledger')}.${k} ${JSON.stringify(v)} is not an upper-case Snowflake identifier`);
    }
  }
  const ids = new Set<string>();
  raw.steps.forEach((s: unknown, i: number) => {
    const path = `steps[${i}]`;
    if (!isObj(s)) throw new ManifestError(`${where(path)} must be an object`);
    const id = str(s, 'id', path);
    const at = `steps[${i}] (${id})`;
    if (ids.has(id)) throw new ManifestError(`${where(at)}: id is used twice`);
    if (!KINDS.has(s.kind as string)) throw new ManifestError(`${where(at)}.kind ${JSON.stringify(s.kind)} is unknown; known kinds: ${[...KINDS].join(', ')}`);
    str(s, 'runGroup', at);
    str(s, 'fingerprint', at);
    if (!/^[0-9a-f]{64}$/.test(s.fingerprint as string)) throw new ManifestError(`${where(at)}.fingerprint must be a sha256 hex digest`);
    num(s, 'timeoutSeconds', at, 1);
    if (!Array.isArray(s.dependsOn) || !s.dependsOn.every((d) => typeof d === 'string'))
      throw new ManifestError(`${where(at)}.dependsOn must be an array of step ids`);
    for (const d of s.dependsOn as string[])
      if (!ids.has(d)) throw new ManifestError(`${where(at)} depends on ${JSON.stringify(d)}, which is not an earlier step`);
    if (!Array.isArray(s.statements)) throw new ManifestError(`${where(at)}.statements must be an array`);
    (s.statements as unknown[]).forEach((st, j) => {
      if (!isObj(st)) throw new ManifestError(`${where(at)}.statements[${j}] must be an object`);
      str(st, 'id', `${at}.statements[${j}]`);
      str(st, 'sql', `${at}.statements[${j}]`);
      if (st.capture !== undefined) {
        const c = st.capture;
        const cat = `${at}.statements[${j}].capture`;
        if (!isObj(c) || c.variable !== 'MODEL_VERSION' || !isObj(c.match))
          throw new ManifestError(`${where(cat)} must be { variable: 'MODEL_VERSION', column, match: { value, arrayColumn? }, missing }`);
        str(c, 'column', cat);
        str(c, 'missing', cat);
        str(c.match, 'value', `${cat}.match`);
      }
    });
    if (s.kind === 'executeTaskGraph' || s.kind === 'waitQueue') {
      // The runner decides that a graph run has ended from graphRunSql; manifests written before
      // it existed lack it, and their runner could execute the graph a second time mid-run. A pass
      // is verified after refreshing the stage's directory table; manifests written before polled
      // the table without refreshing it. Synthesizing again changes no fingerprint.
      const w = isObj(s.wait) ? s.wait : {};
      const needs: [string, string][] = [
        ...(s.kind === 'executeTaskGraph' ? [['graphRunSql', "the runner follows the task graph's runs with it"] as [string, string]] : []),
        ['progressSql', 'the runner polls the pass with it'],
        ['refreshSql', "the runner refreshes the stage's directory table with it before verifying the pass"],
        ['verifySql', 'the runner verifies the pass with it'],
      ];
      for (const [k, why] of needs) {
        if (typeof w[k] !== 'string' || (w[k] as string).length === 0) {
          throw new ManifestError(`${where(at)}.wait.${k} is missing: ${why}. Synthesize again with this version of cdktf-snowflake-many-model`);
        }
      }
    }
    if (s.kind === 'warehousePass') {
      const w = isObj(s.wait) ? s.wait : {};
      for (const k of ['refreshSql', 'verifySql']) {
        if (typeof w[k] !== 'string' || (w[k] as string).length === 0)
          throw new ManifestError(`${where(at)}.wait.${k} is missing: the runner verifies the pass with it`);
      }
    }
    if (s.kind === 'runWorkers') {
      // The runner re-attaches to (or starts) the job service named for each statement.
      const w = s.wait;
      const statements = s.statements as unknown[];
      if (
        !isObj(w) ||
        !Array.isArray(w.jobServices) ||
        w.jobServices.length !== statements.length ||
        !w.jobServices.every((n) => typeof n === 'string' && n.length > 0)
      ) {
        throw new ManifestError(`${where(at)}.wait.jobServices must name one job service per statement (${statements.length})`);
      }
    }
    if (s.kind === 'executeTaskGraph' || s.kind === 'waitQueue' || s.kind === 'runWorkers') num(s.wait as Obj, 'pollSeconds', `${at}.wait`, 1);
    if (s.kind === 'deployService') {
      // What the step leaves running: `many-model plan` prices it (docs/serving.md).
      if (!isObj(s.service)) throw new ManifestError(`${where(at)}.service must say what the step deploys`);
      for (const k of ['name', 'model', 'alias', 'computePool']) str(s.service, k, `${at}.service`);
      if (s.service.ingress !== 'PRIVATE' && s.service.ingress !== 'PUBLIC') throw new ManifestError(`${where(at)}.service.ingress must be PRIVATE or PUBLIC`);
      const min = num(s.service, 'minInstances', `${at}.service`, 0);
      const max = num(s.service, 'maxInstances', `${at}.service`, 1);
      if (max < min) throw new ManifestError(`${where(at)}.service.maxInstances (${max}) is below minInstances (${min})`);
    }
    if (!isObj(s.retry)) throw new ManifestError(`${where(at)}.retry must be an object`);
    num(s.retry, 'maxAttempts', `${at}.retry`, 1);
    if (!isObj(s.triggers)) throw new ManifestError(`${where(at)}.triggers must be an object`);
    ids.add(id);
  });
  if (raw.runGroups !== undefined) {
    if (!isObj(raw.runGroups)) throw new ManifestError(`${where('runGroups')} must be an object`);
    const groups = new Set((raw.steps as Obj[]).map((s) => s.runGroup as string));
    for (const [name, g] of Object.entries(raw.runGroups)) {
      const at = `runGroups[${JSON.stringify(name)}]`;
      if (!groups.has(name)) throw new ManifestError(`${where(at)} names no run group of the steps`);
      if (!isObj(g) || !Array.isArray(g.abandon)) throw new ManifestError(`${where(at)}.abandon must be an array of statements`);
      (g.abandon as unknown[]).forEach((st, j) => {
        if (!isObj(st)) throw new ManifestError(`${where(at)}.abandon[${j}] must be an object`);
        str(st, 'id', `${at}.abandon[${j}]`);
        str(st, 'sql', `${at}.abandon[${j}]`);
      });
      if (g.runnerRole !== undefined && (typeof g.runnerRole !== 'string' || g.runnerRole.length === 0))
        throw new ManifestError(`${where(at)}.runnerRole must be a role name`);
    }
  }
  if (raw.monitors !== undefined) {
    if (!Array.isArray(raw.monitors)) throw new ManifestError(`${where('monitors')} must be an array`);
    (raw.monitors as unknown[]).forEach((m, i) => {
      const at = `monitors[${i}]`;
      if (!isObj(m) || !isObj(m.source)) throw new ManifestError(`${where(at)} must be an object with a source`);
      for (const k of ['path', 'accuracyTable', 'driftTable', 'resultsTable', 'metricsTable', 'queueTable', 'model', 'alias']) str(m, k, at);
      if (typeof m.versionPrefix !== 'string') throw new ManifestError(`${where(at)}.versionPrefix must be a string`);
      for (const k of ['table', 'partitionColumn', 'orderColumn', 'targetColumn']) str(m.source, k, `${at}.source`);
      num(m, 'windowDays', at, 1);
      num(m, 'smapeAbove', at, 0);
      if (typeof m.hasInterval !== 'boolean') throw new ManifestError(`${where(at)}.hasInterval must be true or false`);
      if (m.challenger !== undefined) {
        if (!isObj(m.challenger)) throw new ManifestError(`${where(at)}.challenger must be an object`);
        for (const k of ['challengesTable', 'partitionsTable', 'alias']) str(m.challenger, k, `${at}.challenger`);
        num(m.challenger, 'windowDays', `${at}.challenger`, 1);
      }
    });
  }
  return raw as unknown as HookManifest;
}
