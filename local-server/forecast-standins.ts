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
import { ImageCommand, ModelCatalog, PredictHandler, ProcedureHandler } from './objects';
import { sfStringLiteral } from './literals';
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
  return model && stage && metrics ? registrationStandIn(model, stage, metrics) : undefined;
}

/**
 * The server options that run this project's pipelines locally: unmapped images run the reference
 * worker, the registration procedure and PREDICT are the stand-ins above. `imageCommands` map the
 * user's own images (`--images FILE`).
 */
export function pipelineServerOptions(imageCommands: Readonly<Record<string, ImageCommand>> = {}): Pick<LocalServerOptions, 'imageCommands' | 'defaultImageCommand' | 'procedureFromDefinition' | 'predictor'> {
  return { imageCommands, defaultImageCommand: { command: referenceWorkerCommand() }, procedureFromDefinition: registrationStandInFromDefinition, predictor: forecastPredictor };
}

/** CALL <register>(run_id, version_name, index_path) for the model `modelName`. */
export function registrationStandIn(modelName: string, stageName: string, metricsTable: string): ProcedureHandler {
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
    if (!index.partitions || Object.keys(index.partitions).length === 0) throw new Error(`the index of run ${runId} lists no trained partition: nothing to register`);
    const partitions = index.partitions;
    const missing = Object.values(partitions).filter((p) => !fs.existsSync(path.join(dir, p)));
    if (missing.length > 0) throw new Error(`${missing.length} artifacts named in the index are missing, e.g. ${missing[0]}`);
    const [m] = await ctx.query(
      `SELECT COUNT_IF(STATUS = 'OK') AS TRAINED, COUNT_IF(STATUS <> 'OK') AS FAILED, MEDIAN(IFF(STATUS = 'OK', MAPE, NULL)) AS MEDIAN_MAPE FROM (SELECT * FROM ${metricsTable} WHERE RUN_ID = ${sfStringLiteral(String(runId))} QUALIFY ROW_NUMBER() OVER (PARTITION BY PARTITION_KEY ORDER BY IFF(STATUS = 'OK', 0, 1), MAPE ASC NULLS LAST) = 1)`,
    );
    // Registered as the procedure's effective role: it creates (and then owns) the model, or must own it.
    ctx.addModelVersion(modelName, String(versionName), { runId, indexPath, partitions: Object.keys(index.partitions).length, metrics: m }, dir);
    return JSON.stringify({ status: 'registered', model: modelName, version: versionName, partitions: Object.keys(partitions).length });
  };
}

/** MODEL(m, v)!PREDICT(PARTITION_KEY, STEP) OVER (PARTITION BY PARTITION_KEY). */
export const forecastPredictor: PredictHandler = async (_model, version, rows) => {
  if (rows.length === 0 || !version.artifactsDir) return [];
  const indexPath = String(version.metadata.indexPath);
  const index = JSON.parse(fs.readFileSync(path.join(version.artifactsDir, indexPath), 'utf8')) as { partitions: Record<string, string> };
  const key = String(rows[0].PARTITION_KEY);
  const rel = index.partitions[key];
  if (!rel) return [];
  const model = JSON.parse(fs.readFileSync(path.join(version.artifactsDir, rel), 'utf8')) as ForecastModel;
  const steps = new Set(rows.map((r) => Number(r.STEP)));
  return predictFromModel(model, Math.max(...steps))
    .filter((f) => steps.has(f.step))
    .map((f) => ({ PARTITION_KEY: key, STEP: f.step, DS: f.date, FORECAST: f.forecast, LOWER: f.lower, UPPER: f.upper }));
};
