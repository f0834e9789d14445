/**
 * The local stand-ins for this project's Python code on Snowflake: the registration procedure
 * (logs one aggregator version per run from model_index.json) and the aggregator's partitioned
 * predict (routes each partition to its model). They follow the same contract as the Python
 * templates in lib/registry/python and use the TypeScript twin of its predict core.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ForecastModel, predictFromModel } from '../worker/forecast';
import { referenceWorkerCommand } from '../worker/command';
import { ImageCommand, ModelCatalog, ModelEntry, ModelVersion, PredictHandler, ProcedureContext, ProcedureHandler } from './objects';
import { sfStringLiteral } from './literals';
import { ONLINE_METHODS_METADATA, OnlineMethodHandler } from './model-serving';
import type { LocalServerOptions } from './server';

/** The first line of the registration procedure's body (lib/registry/python/register_procedure.py.tmpl). */
const REGISTRATION_HEADER = '# Registration procedure of the many-model aggregator';

/**
 * The registration stand-in for a procedure whose body is the rendered registration template: its
 * model, stage and metrics table are read from the body's constants (`MODEL_NAME = "DB.S.M"`), so
 * a server that never saw the app (a running `many-model local-server`) serves any app's aggregator.
 */
export function registrationStandInFromDefinition(definition: string): ProcedureHandler | undefined {
  if (!definition.trimStart().startsWith(REGISTRATION_HEADER)) return undefined;
  const constant = (name: string): string | undefined => {
    const m = new RegExp(`^${name} = ("(?:[^"\\\\]|\\\\.)*")$`, 'm').exec(definition);
    return m ? (JSON.parse(m[1]) as string) : undefined;
  };
  const [model, stage, metrics] = [constant('MODEL_NAME'), constant('STAGE_NAME'), constant('METRICS_TABLE')];
  // A served aggregator's body names its row-wise online method (ONLINE_METHOD, lib/registry/python/render.ts).
  const online = constant('ONLINE_METHOD');
  const inputs = [...(/^INPUT_COLUMNS = \[(.*)\]$/m.exec(definition)?.[1] ?? '').matchAll(/\("([A-Za-z0-9_$]+)", "/g)].map((x) => x[1]);
  return model && stage && metrics ? registrationStandIn(model, stage, metrics, online ? [{ name: online, inputs }] : []) : undefined;
}

/**
 * The server options that run this project's pipelines locally: unmapped images run the reference
 * worker, the registration procedure and PREDICT are the stand-ins above. `imageCommands` map the
 * user's own images (`--images FILE`).
 */
export function pipelineServerOptions(
  imageCommands: Readonly<Record<string, ImageCommand>> = {},
): Pick<LocalServerOptions, 'imageCommands' | 'defaultImageCommand' | 'procedureFromDefinition' | 'predictor' | 'onlineMethod'> {
  return {
    imageCommands,
    defaultImageCommand: { command: referenceWorkerCommand() },
    procedureFromDefinition: (definition) =>
      registrationStandInFromDefinition(definition) ?? deployStandInFromDefinition(definition) ?? grantStandInFromDefinition(definition),
    predictor: forecastPredictor,
    onlineMethod: forecastOnlineMethod,
  };
}

/**
 * CALL <register>(run_id, version_name, index_path) for the model `modelName`. `onlineMethods` are
 * the row-wise methods the version is logged with (a served aggregator's predict_rows): recorded in
 * its metadata, so an inference service can serve it (local-server/model-serving.ts).
 */
export function registrationStandIn(
  modelName: string,
  stageName: string,
  metricsTable: string,
  onlineMethods: readonly { name: string; inputs: string[] }[] = [],
): ProcedureHandler {
  return async ([runId, versionName, indexPath], ctx) => {
    const catalog: ModelCatalog = ctx.models;
    const existing = catalog.models.get(modelName)?.versions.find((v) => v.name === versionName);
    if (existing) return JSON.stringify({ status: 'exists', model: modelName, version: versionName });
    // Registry.log_model uploads the model through a temporary stage: a named temporary object,
    // which an owner's-rights procedure may not create (procedure-python-limitations), so the
    // registration procedure must run with the caller's rights (docs/roles.md).
    // Registry.log_model creates it in the registry's schema: the model's.
    ctx.createTemporary('STAGE', modelName.split('.').length === 3 ? modelName.split('.').slice(0, 2).join('.') : undefined);
    const dir = ctx.stageDir(stageName, 'READ');
    const index = JSON.parse(fs.readFileSync(path.join(dir, String(indexPath)), 'utf8')) as { partitions: Record<string, string> | null };
    if (!index.partitions || Object.keys(index.partitions).length === 0)
      throw new Error(`the index of run ${runId} lists no trained partition: nothing to register`);
    const partitions = index.partitions;
    const missing = Object.values(partitions).filter((p) => !fs.existsSync(path.join(dir, p)));
    if (missing.length > 0) throw new Error(`${missing.length} artifacts named in the index are missing, e.g. ${missing[0]}`);
    const [m] = await ctx.query(
      `SELECT COUNT_IF(STATUS = 'OK') AS TRAINED, COUNT_IF(STATUS <> 'OK') AS FAILED, MEDIAN(IFF(STATUS = 'OK', MAPE, NULL)) AS MEDIAN_MAPE FROM (SELECT * FROM ${metricsTable} WHERE RUN_ID = ${sfStringLiteral(String(runId))} QUALIFY ROW_NUMBER() OVER (PARTITION BY PARTITION_KEY ORDER BY IFF(STATUS = 'OK', 0, 1), MAPE ASC NULLS LAST) = 1)`,
    );
    // Registered as the procedure's effective role: it creates (and then owns) the model, or must own it.
    const online = onlineMethods.length > 0 ? { [ONLINE_METHODS_METADATA]: onlineMethods } : {};
    ctx.addModelVersion(modelName, String(versionName), { runId, indexPath, partitions: Object.keys(index.partitions).length, metrics: m, ...online }, dir);
    return JSON.stringify({ status: 'registered', model: modelName, version: versionName, partitions: Object.keys(partitions).length });
  };
}

/**
 * The last index read, by file: the predictor is called once per partition, and reading the
 * whole index for each made scoring quadratic in partitions (the Python aggregator loads it once,
 * in lib/registry/python/aggregator_model.py.tmpl). Checked against the file's size and time, so a rewritten
 * index is read again.
 */
let lastIndex: { file: string; size: number; mtimeMs: number; partitions: Record<string, string> } | undefined;

function readIndex(file: string): Record<string, string> {
  const st = fs.statSync(file);
  if (lastIndex?.file !== file || lastIndex.size !== st.size || lastIndex.mtimeMs !== st.mtimeMs) {
    const index = JSON.parse(fs.readFileSync(file, 'utf8')) as { partitions: Record<string, string> };
    lastIndex = { file, size: st.size, mtimeMs: st.mtimeMs, partitions: index.partitions };
  }
  return lastIndex.partitions;
}

/** MODEL(m, v)!PREDICT(PARTITION_KEY, STEP) OVER (PARTITION BY PARTITION_KEY). */
export const forecastPredictor: PredictHandler = async (_model, version, rows) => {
  if (rows.length === 0 || !version.artifactsDir) return [];
  const indexPath = String(version.metadata.indexPath);
  const index = { partitions: readIndex(path.join(version.artifactsDir, indexPath)) };
  const key = String(rows[0].PARTITION_KEY);
  const rel = index.partitions[key];
  if (!rel) return [];
  const model = JSON.parse(fs.readFileSync(path.join(version.artifactsDir, rel), 'utf8')) as ForecastModel;
  const steps = new Set(rows.map((r) => Number(r.STEP)));
  return predictFromModel(model, Math.max(...steps))
    .filter((f) => steps.has(f.step))
    .map((f) => ({ PARTITION_KEY: key, STEP: f.step, DS: f.date, FORECAST: f.forecast, LOWER: f.lower, UPPER: f.upper }));
};

/** The first line of an inference service's grant procedure (lib/registry/python/grant_procedure.py.tmpl). */
const GRANT_HEADER = '# Grant procedure of a many-model inference service';

/**
 * The grant stand-in for a procedure whose body is the rendered grant template: what its main does,
 * with the statements its body holds, run as the procedure's role (its owner: owner's rights).
 */
export function grantStandInFromDefinition(definition: string): ProcedureHandler | undefined {
  if (!definition.trimStart().startsWith(GRANT_HEADER)) return undefined;
  const prefix = /^SERVICE_PREFIX = (".*")$/m.exec(definition)?.[1];
  const block = /^STATEMENTS = \{\n([\s\S]*?)\n\}$/m.exec(definition)?.[1];
  if (!prefix || !block) return undefined;
  const servicePrefix = JSON.parse(prefix) as string;
  const statements = JSON.parse(`{${block.replace(/,$/, '')}}`) as Record<string, string>;
  return async ([serviceName], ctx) => {
    const service = String(serviceName ?? '');
    if (!IDENTIFIER.test(service) || !service.startsWith(`${servicePrefix.split('.').pop()}_`))
      throw new Error(`ValueError: ${JSON.stringify(serviceName)} is not a service of ${servicePrefix}`);
    const keys = Object.keys(statements).sort();
    for (const key of keys) await ctx.query(statements[key].split('<SERVICE>').join(service));
    return keys.join(',');
  };
}

/** The first line of an inference service's deploy procedure (lib/registry/python/deploy_procedure.py.tmpl). */
const DEPLOY_HEADER = '# Deploy procedure of a many-model inference service';

/** What the deploy procedure's body says (its constants). */
interface DeploySettings {
  readonly model: string;
  readonly servicePrefix: string;
  readonly settingsTag: string;
  readonly computePool: string;
  readonly ingressEnabled: boolean;
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly gateway: string | null;
  readonly marker: string;
  readonly statements: Readonly<Record<string, string>>;
}

/** The settings of a rendered deploy procedure, read from its body; undefined for any other body. */
export function deploySettingsOf(definition: string): DeploySettings | undefined {
  if (!definition.trimStart().startsWith(DEPLOY_HEADER)) return undefined;
  const line = (name: string) => new RegExp(`^${name} = (.*)$`, 'm').exec(definition)?.[1];
  const str = (name: string) => {
    const v = line(name);
    return v?.startsWith('"') ? (JSON.parse(v) as string) : undefined;
  };
  const int = (name: string) => (line(name) !== undefined && /^\d+$/.test(line(name)!) ? Number(line(name)) : undefined);
  const block = /^STATEMENTS = \{\n([\s\S]*?)\n\}$/m.exec(definition)?.[1];
  const [model, servicePrefix, settingsTag, computePool, marker] = [
    str('MODEL_NAME'),
    str('SERVICE_PREFIX'),
    str('SETTINGS_TAG'),
    str('COMPUTE_POOL'),
    str('SERVICE_MARKER'),
  ];
  const [minInstances, maxInstances] = [int('MIN_INSTANCES'), int('MAX_INSTANCES')];
  const ingress = line('INGRESS_ENABLED');
  const gateway = line('GATEWAY') === 'None' ? null : str('GATEWAY');
  if (
    !model ||
    !servicePrefix ||
    !settingsTag ||
    !computePool ||
    !marker ||
    minInstances === undefined ||
    maxInstances === undefined ||
    (ingress !== 'True' && ingress !== 'False') ||
    gateway === undefined ||
    !block
  )
    return undefined;
  // Each line is `    "key": "statement",` with JSON string literals (render.ts writes them so).
  const statements = JSON.parse(`{${block.replace(/,$/, '')}}`) as Record<string, string>;
  return { model, servicePrefix, settingsTag, computePool, ingressEnabled: ingress === 'True', minInstances, maxInstances, gateway, marker, statements };
}

/** The deploy stand-in for a procedure whose body is the rendered deploy template. */
export function deployStandInFromDefinition(definition: string): ProcedureHandler | undefined {
  const settings = deploySettingsOf(definition);
  return settings ? deployStandIn(settings) : undefined;
}

const IDENTIFIER = /^[A-Z_][A-Z0-9_$]*$/;

/**
 * CALL <deploy>(version_name): what deploy_procedure.py.tmpl's main does, step for step, with the
 * statements its body holds (run through the server as the caller) and create_service's stand-in
 * (ctx.createModelService). The one difference: a local gateway switches at once, so the stand-in
 * does not wait the minute Snowflake documents before dropping the earlier services.
 */
export function deployStandIn(d: DeploySettings): ProcedureHandler {
  return async ([versionName], ctx: ProcedureContext) => {
    const version = String(versionName ?? '');
    if (!IDENTIFIER.test(version)) throw new Error(`ValueError: version name ${JSON.stringify(versionName)} is not an unquoted identifier`);
    const [db, schema, prefix] = d.servicePrefix.split('.');
    const service = `${prefix}_${version}_${d.settingsTag}`;
    const qualified = `${db}.${schema}.${service}`;
    const run = (key: string, name?: string) => ctx.query(name === undefined ? d.statements[key] : d.statements[key].split('<SERVICE>').join(name));
    const col = (row: Record<string, unknown>, name: string) => row[Object.keys(row).find((k) => k.toLowerCase() === name) ?? name];
    const existing = new Map<string, { status: string; comment: unknown }>();
    for (const row of await run('show'))
      existing.set(String(col(row, 'name')).split('.').pop()!, { status: String(col(row, 'status') ?? '').toUpperCase(), comment: col(row, 'comment') });
    let status = 'exists';
    const mine = existing.get(service);
    if (mine && !['RUNNING', 'READY', 'PENDING', 'STARTING', 'SUSPENDED', 'SUSPENDING'].includes(mine.status)) {
      await run('drop', service);
      existing.delete(service);
    }
    if (!existing.has(service)) {
      const registered = ctx.models.models.get(d.model)?.versions.find((v) => v.name === version);
      const methods = (registered?.metadata[ONLINE_METHODS_METADATA] as { name: string }[] | undefined) ?? [];
      if (registered && !methods.some((x) => x.name === 'predict_rows')) {
        throw new Error(
          `ValueError: version ${version} of ${d.model} has no predict_rows method (it was registered before the inference service was added): a new training run registers one with it`,
        );
      }
      ctx.createModelService({
        name: qualified,
        model: d.model,
        version,
        computePool: d.computePool,
        ingressEnabled: d.ingressEnabled,
        minInstances: d.minInstances,
        maxInstances: d.maxInstances,
      });
      status = 'created';
    }
    await run('mark', service);
    const retired = [...existing.entries()]
      .filter(([name, v]) => v.comment === d.marker && name !== service)
      .map(([name]) => name)
      .sort();
    if (d.gateway !== null) await run('create_gateway', service);
    await run('grant', service);
    if (d.gateway !== null) await run('alter_gateway', service);
    for (const name of retired) await run('drop', name);
    return JSON.stringify({ status, service: qualified, version, gateway: d.gateway, retired });
  };
}

/**
 * A served aggregator's predict_rows (lib/registry/python/aggregator_online.py.tmpl): one output
 * row per input row, in order, each partition's rows forecast from its artifact with the
 * TypeScript twin of the predict core; a partition without a model gets NULL forecasts.
 */
export const forecastOnlineMethod: OnlineMethodHandler = async (_model: ModelEntry, version: ModelVersion, method, rows) => {
  if (method !== 'predict_rows') throw new Error(`ValueError: the aggregator has no online method ${method}`);
  if (!version.artifactsDir) throw new Error('the version has no artifacts');
  const index = JSON.parse(fs.readFileSync(path.join(version.artifactsDir, String(version.metadata.indexPath)), 'utf8')) as {
    partitions: Record<string, string>;
  };
  const step = (v: unknown) => {
    const f = Number(v);
    if (!(Number.isFinite(f) && Number.isInteger(f) && f >= 1)) throw new Error(`ValueError: STEP must be a positive integer, got ${JSON.stringify(v)}`);
    return f;
  };
  const stepsOf = new Map<string, number[]>();
  for (const r of rows) stepsOf.set(String(r.PARTITION_KEY), [...(stepsOf.get(String(r.PARTITION_KEY)) ?? []), step(r.STEP)]);
  const found = new Map<string, Record<string, unknown>>();
  for (const [key, steps] of stepsOf) {
    const rel = index.partitions[key];
    if (!rel) continue;
    const model = JSON.parse(fs.readFileSync(path.join(version.artifactsDir, rel), 'utf8')) as ForecastModel;
    for (const f of predictFromModel(model, Math.max(...steps)))
      found.set(`${key}\u0000${f.step}`, { PARTITION_KEY: key, STEP: f.step, DS: f.date, FORECAST: f.forecast, LOWER: f.lower, UPPER: f.upper });
  }
  return rows.map((r) => {
    const key = String(r.PARTITION_KEY);
    return found.get(`${key}\u0000${step(r.STEP)}`) ?? { PARTITION_KEY: key, STEP: step(r.STEP), DS: null, FORECAST: null, LOWER: null, UPPER: null };
  });
};
