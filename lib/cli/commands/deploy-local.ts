/**
 * `many-model deploy --local`: the demo's loop for any app. Starts the local Snowflake-protocol
 * server (state kept in `--data DIR`), sets the account up as a real one would be — the bootstrap
 * statements as ACCOUNTADMIN, the stack applied as the deploy role (lib/demo/provision.ts) — and
 * runs the stack's hooks as its runner role. The server enforces Snowflake's access control, so a
 * grant the stack lacks fails here first (docs/local-server.md).
 *
 * Trainer images run as local commands: `--images FILE` maps an image (or a prefix of it) to a
 * command; an image it does not map runs the reference worker (lib/worker), which is what the
 * default trainer contract expects. Registration and PREDICT are the local stand-ins of the
 * built-in aggregator (lib/emulator/forecast-standins.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { App } from 'cdktf';
import { ManyModelPipeline } from '../../../constructs/many-model-pipeline';
import { ModelRegistryAggregator } from '../../../constructs/model-registry-aggregator';
import { TerraformJson } from '../../bootstrap/bootstrap';
import { provisionLocally } from '../../demo/provision';
import { localConnection } from '../../demo/run-demo';
import { imagesInSpecs } from '../../images';
import { ImageCommand, ProcedureHandler, startLocalServer } from '../../emulator';
import { forecastPredictor, registrationStandIn } from '../../emulator/forecast-standins';
import { HookManifest } from '../../hooks/manifest';
import { runHooks } from '../../hooks/runner';
import { SnowflakeSession } from '../../snowflake/session';
import { UsageError } from '../args';
import { EXIT } from '../exit-codes';
import { StackOutput } from '../synth-app';
import { consoleLog } from './hooks';

export interface DeployLocalOptions {
  readonly app: App;
  readonly stack: StackOutput;
  /** Where the server keeps its state; a temporary directory (removed afterwards) when absent. */
  readonly dataDir?: string;
  /** The JSON file mapping images to local commands. */
  readonly imagesFile?: string;
}

/** The command that runs the reference worker: compiled (a package install) or through tsx (a checkout). */
export function referenceWorkerCommand(): string[] {
  const compiled = path.resolve(__dirname, '..', '..', 'worker', 'main.js');
  if (fs.existsSync(compiled)) return [process.execPath, compiled];
  return [process.execPath, '-r', require.resolve('tsx/cjs'), path.resolve(__dirname, '..', '..', 'worker', 'main.ts')];
}

/**
 * `--images FILE`: `{ "<image or prefix>": { "command": [...], "cwd"?: "...", "env"?: {...} } }`
 * or `{ "<image or prefix>": ["command", "arg", ...] }`. A relative `cwd` is relative to the file.
 */
export function readImageCommands(file: string): Record<string, ImageCommand> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--images ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON: ${(e as Error).message}`}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--images ${file}: must be an object of image -> command`);
  const out: Record<string, ImageCommand> = {};
  for (const [image, spec] of Object.entries(raw)) {
    const command = Array.isArray(spec) ? spec : (spec as { command?: unknown })?.command;
    if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) {
      throw new UsageError(`--images ${file}: "${image}" needs a command: a non-empty array of strings, e.g. ["python", "worker.py"]`);
    }
    const cwd = Array.isArray(spec) ? undefined : (spec as { cwd?: string }).cwd;
    const env = Array.isArray(spec) ? undefined : (spec as { env?: Record<string, string> }).env;
    out[image] = { command, ...(cwd ? { cwd: path.resolve(path.dirname(file), cwd) } : {}), ...(env ? { env } : {}) };
  }
  return out;
}

/** The images the stack's job specs name (`image: '/db/schema/repo/name:tag'`), in task bodies and hook statements. */
export function imagesOf(tf: TerraformJson, manifest: HookManifest | undefined): string[] {
  return imagesInSpecs([...Object.values(tf.resource?.snowflake_task ?? {}).map((t) => String(t.sql_statement ?? '')), ...(manifest?.steps ?? []).flatMap((s) => s.statements.map((st) => st.sql))]);
}

export async function deployLocal(opts: DeployLocalOptions): Promise<number> {
  const log = consoleLog();
  const tf = JSON.parse(fs.readFileSync(opts.stack.terraformFile, 'utf8')) as TerraformJson;
  const manifest = opts.stack.manifest;
  const mapped = opts.imagesFile ? readImageCommands(opts.imagesFile) : {};
  const imageCommands: Record<string, ImageCommand> = { ...mapped };
  for (const image of imagesOf(tf, manifest)) {
    if (Object.keys(mapped).some((k) => image === k || image.startsWith(k))) continue;
    imageCommands[image] = { command: referenceWorkerCommand() };
    log.info(`image ${image} runs the reference worker locally (map it to your own command with --images FILE)`);
  }
  const procedures: Record<string, ProcedureHandler> = {};
  for (const agg of opts.app.node.findAll().filter((c): c is ModelRegistryAggregator => c instanceof ModelRegistryAggregator)) {
    procedures[agg.procedureName.toString()] = registrationStandIn(agg.modelName.toString(), agg.stageName.toString(), agg.metricsTable.toString());
  }
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'many-model-local-'));
  const server = await startLocalServer({ dataDir, imageCommands, procedures, predictor: forecastPredictor });
  const sessions: SnowflakeSession[] = [];
  const openAs = async (role?: string, warehouse?: string) => {
    const s = await SnowflakeSession.open(localConnection(server, role, warehouse));
    sessions.push(s);
    return s;
  };
  try {
    log.info(`local Snowflake-protocol server on ${server.url} (state in ${opts.dataDir ?? `${dataDir}, removed afterwards`})`);
    const admin = await openAs();
    const missing = await missingSources(admin, manifest);
    if (missing.length > 0) {
      process.stderr.write(`many-model deploy --local: the stack reads ${missing.join(', ')}, which the local server does not hold. Load it first: start 'many-model local-server --data DIR', create and fill the table through any Snowflake client, stop the server, then 'many-model deploy --local --data DIR'\n`);
      return EXIT.USAGE;
    }
    const provisioned = await provisionLocally(admin, tf, { user: 'test', openAs });
    log.info(`bootstrap: ${provisioned.bootstrapStatements} statements as ACCOUNTADMIN; apply: ${provisioned.plan.statements.length} statements as ${provisioned.deployRole}`);
    if (!manifest) {
      log.info(`stack ${opts.stack.name} declares no post-deploy steps`);
      return EXIT.OK;
    }
    const roles = [...new Set(Object.values(manifest.runGroups ?? {}).flatMap((g) => (g.runnerRole ? [g.runnerRole] : [])))];
    if (roles.length > 1) throw new UsageError(`stack ${opts.stack.name} runs its hooks as several roles (${roles.join(', ')}); one session runs them all: give its pipelines one runner role (roles.runner)`);
    const role = roles[0];
    // The runner queries on its pipeline's warehouse, as its connection would name it (SNOWFLAKE_WAREHOUSE).
    const warehouse = opts.app.node.findAll().find((c): c is ManyModelPipeline => c instanceof ManyModelPipeline && c.runnerRole.roleName === role)?.warehouse.warehouseName;
    log.info(`hooks run as ${role ?? 'ACCOUNTADMIN (the manifest names no runner role)'}${warehouse ? ` on warehouse ${warehouse}` : ''}`);
    const result = await runHooks(manifest, await openAs(role, warehouse), { log });
    const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
    log.info(`done: ${count('SUCCEEDED')} succeeded, ${count('GATED')} gated, ${count('FAILED')} failed, ${count('SKIPPED')} skipped`);
    return result.failed || result.lockedBy ? EXIT.STEP_FAILED : EXIT.OK;
  } finally {
    for (const s of sessions) await s.close().catch(() => undefined);
    await server.close();
    if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Source tables the hooks read (the `FROM` of the all-keys queries) that the server does not hold. */
async function missingSources(admin: SnowflakeSession, manifest: HookManifest | undefined): Promise<string[]> {
  const sources = new Set<string>();
  for (const s of manifest?.steps ?? []) {
    if (s.kind !== 'startPass') continue;
    for (const st of s.statements) for (const m of st.sql.matchAll(/SELECT DISTINCT TO_VARCHAR\([^)]*\) AS PARTITION_KEY FROM ("[^"]+"\."[^"]+"\."[^"]+")/g)) sources.add(m[1]);
  }
  const missing: string[] = [];
  for (const src of sources) {
    try {
      await admin.query(`SELECT 1 FROM ${src} LIMIT 1`);
    } catch {
      missing.push(src.replace(/"/g, ''));
    }
  }
  return missing;
}
