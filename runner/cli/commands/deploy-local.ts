/**
 * `many-model deploy --local`: the demo's loop for any app. On the local Snowflake-protocol server —
 * one it starts (state kept in `--data DIR`) or a running `many-model local-server` (`--port N`) —
 * it sets the account up as a real one would be: the bootstrap statements as ACCOUNTADMIN, the
 * stack applied as the deploy role (runner/demo/provision.ts); then it runs the stack's hooks as its
 * runner role. The server enforces Snowflake's access control, so a grant the stack lacks fails
 * here first (docs/local-server.md).
 *
 * Trainer images run as local commands: `--images FILE` (given to whichever starts the server)
 * maps an image (or a prefix of it) to a command; an image it does not map runs the reference
 * worker (worker), which is what the default trainer contract expects. Registration and
 * PREDICT are the local stand-ins of the built-in aggregator, chosen by the procedure's body
 * (local-server/forecast-standins.ts), so a running server needs nothing from the app.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { App } from '../../../lib/engine';
import { ManyModelPipeline } from '../../../constructs/many-model-pipeline';
import { TerraformJson } from '../../bootstrap/bootstrap';
import { provisionLocally } from '../../demo/provision';
import { imagesInSpecs } from '../../../lib/images';
import { ImageCommand, LocalSnowflakeServer, startLocalServer } from '../../../local-server';
import { pipelineServerOptions } from '../../../local-server/forecast-standins';
import { resolveConnection } from '../../snowflake/connection';
import { HookManifest } from '../../../lib/hooks/manifest';
import { ObjectName } from '../../../lib/identifiers';
import { renderReadProbe, sourcesOfKeysQueries } from '../../../lib/sql/training';
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
  /** Images (or prefixes) mapped to local commands (`--images FILE`); unmapped images run the reference worker. */
  readonly images?: Record<string, ImageCommand>;
  /** A running local server on 127.0.0.1 to deploy to, instead of starting one. */
  readonly server?: RunningServer;
}

/** A running `many-model local-server`: its port and the user that logs in (an ACCOUNTADMIN). */
export interface RunningServer {
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

/** Connection settings for the local server as `role` on `warehouse`, as SNOWFLAKE_* variables would give them. */
function connectionTo(server: RunningServer, role?: string, warehouse?: string) {
  return resolveConnection({
    env: {
      SNOWFLAKE_ACCOUNT: 'local',
      SNOWFLAKE_USER: server.user,
      SNOWFLAKE_PASSWORD: server.password,
      SNOWFLAKE_HOST: '127.0.0.1',
      SNOWFLAKE_PORT: String(server.port),
      SNOWFLAKE_PROTOCOL: 'http',
      ...(role ? { SNOWFLAKE_ROLE: role } : {}),
      ...(warehouse ? { SNOWFLAKE_WAREHOUSE: warehouse } : {}),
    },
  });
}

/** The images the stack's job specs name (`image: '/db/schema/repo/name:tag'`), in task bodies and hook statements. */
export function imagesOf(tf: TerraformJson, manifest: HookManifest | undefined): string[] {
  return imagesInSpecs([
    ...Object.values(tf.resource?.snowflake_task ?? {}).map((t) => String(t.sql_statement ?? '')),
    ...(manifest?.steps ?? []).flatMap((s) => s.statements.map((st) => st.sql)),
  ]);
}

export async function deployLocal(opts: DeployLocalOptions): Promise<number> {
  const log = consoleLog();
  const tf = JSON.parse(fs.readFileSync(opts.stack.terraformFile, 'utf8')) as TerraformJson;
  const manifest = opts.stack.manifest;
  let started: { server: LocalSnowflakeServer; dataDir: string } | undefined;
  if (!opts.server) {
    const mapped = opts.images ?? {};
    for (const image of imagesOf(tf, manifest)) {
      if (!Object.keys(mapped).some((k) => image === k || image.startsWith(k)))
        log.info(`image ${image} runs the reference worker locally (map it to your own command with --images FILE)`);
    }
    const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'many-model-local-'));
    started = { dataDir, server: await startLocalServer({ dataDir, ...pipelineServerOptions(mapped) }) };
  }
  const target: RunningServer = opts.server ?? { port: started!.server.port, user: 'test', password: 'test' };
  const sessions: SnowflakeSession[] = [];
  const openAs = async (role?: string, warehouse?: string) => {
    const s = await SnowflakeSession.open(connectionTo(target, role, warehouse));
    sessions.push(s);
    return s;
  };
  try {
    if (started) log.info(`local Snowflake-protocol server on ${started.server.url} (state in ${opts.dataDir ?? `${started.dataDir}, removed afterwards`})`);
    else log.info(`local Snowflake-protocol server on 127.0.0.1:${target.port} as ${target.user} (images it does not map run the reference worker)`);
    const admin = await openAs();
    const missing = await missingSources(admin, manifest);
    if (missing.length > 0) {
      const load = started
        ? "start 'many-model local-server --data DIR', create and fill the table through any Snowflake client, stop the server, then 'many-model deploy --local --data DIR'"
        : `create and fill the table through any Snowflake client connected to 127.0.0.1:${target.port}, then deploy again`;
      throw new UsageError(`the stack reads ${missing.join(', ')}, which the local server does not hold. Load it first: ${load}`);
    }
    const provisioned = await provisionLocally(admin, tf, { user: target.user, openAs });
    log.info(
      `bootstrap: ${provisioned.bootstrapStatements} statements as ACCOUNTADMIN; apply: ${provisioned.plan.statements.length} statements as ${provisioned.deployRole}`,
    );
    if (!manifest) {
      log.info(`stack ${opts.stack.name} declares no post-deploy steps`);
      return EXIT.OK;
    }
    const roles = [...new Set(Object.values(manifest.runGroups ?? {}).flatMap((g) => (g.runnerRole ? [g.runnerRole] : [])))];
    if (roles.length > 1)
      throw new UsageError(
        `stack ${opts.stack.name} runs its hooks as several roles (${roles.join(', ')}); one session runs them all: give its pipelines one runner role (roles.runner)`,
      );
    const role = roles[0];
    // The runner queries on its pipeline's warehouse, as its connection would name it (SNOWFLAKE_WAREHOUSE).
    const warehouse = opts.app.node.findAll().find((c): c is ManyModelPipeline => c instanceof ManyModelPipeline && c.runnerRole.roleName === role)
      ?.warehouse.warehouseName;
    log.info(`hooks run as ${role ?? 'ACCOUNTADMIN (the manifest names no runner role)'}${warehouse ? ` on warehouse ${warehouse}` : ''}`);
    const result = await runHooks(manifest, await openAs(role, warehouse), { log });
    const count = (s: string) => result.outcomes.filter((o) => o.status === s).length;
    log.info(`done: ${count('SUCCEEDED')} succeeded, ${count('GATED')} gated, ${count('FAILED')} failed, ${count('SKIPPED')} skipped`);
    return result.failed || result.lockedBy ? EXIT.STEP_FAILED : EXIT.OK;
  } finally {
    for (const s of sessions) await s.close().catch(() => undefined);
    if (started) {
      await started.server.close();
      if (!opts.dataDir) fs.rmSync(started.dataDir, { recursive: true, force: true });
    }
  }
}

/** Source tables the hooks read (the `FROM` of the all-keys queries) that the server does not hold. */
async function missingSources(admin: SnowflakeSession, manifest: HookManifest | undefined): Promise<string[]> {
  const sources = new Map<string, ObjectName>();
  for (const s of manifest?.steps ?? []) {
    if (s.kind !== 'startPass') continue;
    for (const st of s.statements) for (const name of sourcesOfKeysQueries(st.sql)) sources.set(name.toString(), name);
  }
  const missing: string[] = [];
  for (const src of sources.values()) {
    try {
      await admin.query(renderReadProbe(src));
    } catch {
      missing.push(src.toString());
    }
  }
  return missing;
}
