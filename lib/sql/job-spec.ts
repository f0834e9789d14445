/**
 * SPCS job-service specifications for the training workers, and the statements that run them.
 * The spec is YAML (Snowpark Container Services "Specification reference"); it is rendered
 * deterministically (fixed key order, sorted env) so the manifest fingerprint only changes when
 * the job really changes.
 *
 * The spec has one fixed shape, so it is written directly as block YAML with every string quoted
 * (no value can be read back as a number, boolean or null) instead of through a general YAML
 * serializer: a pipeline renders one spec per worker task at synth, and building a YAML document
 * model for each was about a tenth of a 100-pipeline synth (`npm run bench`). The tests parse the
 * output with the `yaml` library and compare it with the model.
 */
import { ObjectName, dollarQuoted, unquotedName } from '../identifiers';

/**
 * Version of the worker contract (docs/worker-contract.md) the env below implements. 2: artifacts
 * go to shard directories (lib/sql/training.ts artifactPath); a version-1 worker would write one
 * flat directory per pass, so it refuses version 2 rather than write the old layout. 3: the worker
 * is given its run (MM_RUN_ID) and works for no other; a version-2 worker would join the newest
 * running run of its pass, whichever that is, so it refuses version 3.
 */
export const WORKER_CONTRACT_VERSION = '3';

/** The one container of a worker's job service (the name its logs are asked for by). */
export const WORKER_CONTAINER_NAME = 'worker';

/** Where the model stage is mounted inside the worker container. */
export const MODEL_MOUNT_PATH = '/models';

export interface JobSpecModel {
  /** Image path, e.g. `/db/schema/repo/image:tag`. */
  readonly image: string;
  /** Override of the container entrypoint. */
  readonly command?: readonly string[];
  /** Arguments to the entrypoint. */
  readonly args?: readonly string[];
  /** Model stage mounted at MODEL_MOUNT_PATH. */
  readonly stage: ObjectName;
  /** Environment (contract variables and user variables). */
  readonly env: Readonly<Record<string, string>>;
  /** CPU request (vCPU) and memory request for the container. */
  readonly resources?: { readonly cpu?: number; readonly memory?: string };
}

/** The YAML job specification. */
export function renderJobSpec(m: JobSpecModel): string {
  const lines = ['spec:', '  containers:', `    - name: ${yamlString(WORKER_CONTAINER_NAME)}`, `      image: ${yamlString(m.image)}`];
  const list = (key: string, items: readonly string[] | undefined) => {
    if (!items || items.length === 0) return;
    lines.push(`      ${key}:`);
    for (const item of items) lines.push(`        - ${yamlString(item)}`);
  };
  list('command', m.command);
  list('args', m.args);
  const envKeys = Object.keys(m.env).sort();
  lines.push(envKeys.length > 0 ? '      env:' : '      env: {}');
  for (const key of envKeys) lines.push(`        ${yamlKey(key)}: ${yamlString(m.env[key])}`);
  lines.push('      volumeMounts:', `        - name: ${yamlString('models')}`, `          mountPath: ${yamlString(MODEL_MOUNT_PATH)}`);
  const r = m.resources;
  if (r && (r.cpu !== undefined || r.memory !== undefined)) {
    lines.push('      resources:', '        requests:');
    if (r.cpu !== undefined) lines.push(`          cpu: ${yamlNumber(r.cpu)}`);
    if (r.memory !== undefined) lines.push(`          memory: ${yamlString(r.memory)}`);
  }
  // The generally available stage volume ("Using Snowflake stage volumes with services",
  // https://docs.snowflake.com/en/developer-guide/snowpark-container-services/snowflake-stage-volume):
  // `source: stage` with the stage in `stageConfig.name`. The deprecated form `source: "@stage"` is
  // refused from bundle 2026_08 (https://docs.snowflake.com/en/release-notes/bcr-bundles/2026_08/bcr-2449).
  // The name is written unquoted: its parts are validated unquoted identifiers, upper-cased, so
  // `@DB.S.STAGE` names the same stage as `@"DB"."S"."STAGE"`.
  lines.push(
    '  volumes:',
    `    - name: ${yamlString('models')}`,
    `      source: ${yamlString('stage')}`,
    '      stageConfig:',
    `        name: ${yamlString(`@${unquotedName(m.stage)}`)}`,
  );
  return lines.join('\n') + '\n';
}

/** Printable text without line breaks or control characters: safe inside YAML single quotes. */
const SINGLE_QUOTABLE = /^[\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/;

/**
 * A YAML string scalar that always reads back as that string: single-quoted (only `'` is escaped,
 * as `''`) when printable, else double-quoted with JSON escapes, which YAML's double-quoted style
 * accepts. YAML's rule, not SQL's: the spec travels in a `$$` constant (dollarQuoted), where no
 * SQL escape applies.
 */
function yamlString(v: string): string {
  return SINGLE_QUOTABLE.test(v) ? `'${v.replace(/'/g, "''")}'` : JSON.stringify(v);
}

/** Words some YAML readers (1.1 and 1.2) take as booleans or null even as keys. */
const RESERVED_WORDS = /^(y|yes|n|no|true|false|on|off|null)$/i;

/** Environment names are plain words (Trainer validates them) and stay bare unless a reader could mistake them. */
function yamlKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !RESERVED_WORDS.test(k) ? k : yamlString(k);
}

function yamlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`job spec: ${n} is not a finite number`);
  return String(n);
}

export interface ExecuteJobServiceModel {
  readonly computePool: ObjectName;
  /** Deterministic job-service name: how a resumed runner re-attaches instead of starting twice. */
  readonly name: ObjectName;
  readonly warehouse?: ObjectName;
  readonly spec: string;
  /** Return at once (the runner polls DESCRIBE SERVICE) rather than when the job ends. */
  readonly async: boolean;
}

/** `EXECUTE JOB SERVICE IN COMPUTE POOL ... NAME = DB.S.X ... FROM SPECIFICATION $$...$$`. */
export function renderExecuteJobService(m: ExecuteJobServiceModel): string {
  const lines = [`EXECUTE JOB SERVICE`, `  IN COMPUTE POOL ${m.computePool.quoted}`, `  NAME = ${unquotedName(m.name)}`];
  if (m.async) lines.push('  ASYNC = TRUE');
  if (m.warehouse) lines.push(`  QUERY_WAREHOUSE = ${m.warehouse.quoted}`);
  lines.push(`  FROM SPECIFICATION ${dollarQuoted(m.spec)}`);
  return lines.join('\n');
}
