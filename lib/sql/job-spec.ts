/**
 * SPCS job-service specifications for the training workers, and the statements that run them.
 * The spec is YAML (Snowpark Container Services "Specification reference"); it is rendered
 * deterministically (fixed key order, sorted env) so the manifest fingerprint only changes when
 * the job really changes.
 */
import { stringify } from 'yaml';
import { ObjectName, dollarQuoted } from '../identifiers';

/** Version of the worker contract (docs/worker-contract.md) the env below implements. */
export const WORKER_CONTRACT_VERSION = '1';

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
  const env: Record<string, string> = {};
  for (const key of Object.keys(m.env).sort()) env[key] = m.env[key];
  const container: Record<string, unknown> = { name: 'worker', image: m.image };
  if (m.command && m.command.length > 0) container.command = [...m.command];
  if (m.args && m.args.length > 0) container.args = [...m.args];
  container.env = env;
  container.volumeMounts = [{ name: 'models', mountPath: MODEL_MOUNT_PATH }];
  if (m.resources && (m.resources.cpu !== undefined || m.resources.memory !== undefined)) {
    const requests: Record<string, unknown> = {};
    if (m.resources.cpu !== undefined) requests.cpu = m.resources.cpu;
    if (m.resources.memory !== undefined) requests.memory = m.resources.memory;
    container.resources = { requests };
  }
  const spec = {
    spec: {
      containers: [container],
      volumes: [{ name: 'models', source: `@${m.stage.quoted}` }],
    },
  };
  return stringify(spec, { lineWidth: 0 });
}

export interface ExecuteJobServiceModel {
  readonly computePool: ObjectName;
  /** Deterministic job-service name: how a resumed runner re-attaches instead of starting twice. */
  readonly name: ObjectName;
  readonly warehouse?: ObjectName;
  readonly spec: string;
  /** Return at once (the runner polls SYSTEM$GET_SERVICE_STATUS) rather than when the job ends. */
  readonly async: boolean;
}

/** `EXECUTE JOB SERVICE IN COMPUTE POOL ... FROM SPECIFICATION $$...$$`. */
export function renderExecuteJobService(m: ExecuteJobServiceModel): string {
  const lines = [`EXECUTE JOB SERVICE`, `  IN COMPUTE POOL ${m.computePool.quoted}`, `  NAME = ${m.name.quoted}`];
  if (m.async) lines.push('  ASYNC = TRUE');
  if (m.warehouse) lines.push(`  QUERY_WAREHOUSE = ${m.warehouse.quoted}`);
  lines.push(`  FROM SPECIFICATION ${dollarQuoted(m.spec)}`);
  return lines.join('\n');
}
