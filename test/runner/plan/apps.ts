/** Pairs of small apps for the plan tests, synthesized for real into temporary directories. */
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { App, Aspects, TerraformStack } from 'cdktf';
import {
  ChallengerMerge,
  ComputePool,
  Database,
  InstanceFamily,
  ManyModelChecks,
  ManyModelPipeline,
  PolicySuppressions,
  Schedule,
  ServiceIngress,
  SourceTable,
  Trainer,
  enablePreviewFeatures,
} from '../../../index';
import { tempDir } from '../../tmp';

export interface Variant {
  image?: string;
  poolFamily?: InstanceFamily;
  poolMaxNodes?: number;
  /** Pipeline construct ids to declare, beside the main one ('Forecast'). */
  extra?: string[];
  /** Give the extra pipelines the main one's scoring schedule (by default they have none). */
  extraScheduled?: boolean;
  forecastPrefix?: string;
  horizon?: number;
  /** Suppress MM-CP1 (node budget 4) on the pool with this reason. */
  suppressPool?: string;
  /** The construct id of the pool (a rename changes its logical id). */
  poolId?: string;
  /** An inference service on the main pipeline's aggregator, on a pool of its own (CPU_X64_S). */
  service?: { minInstances?: number; maxInstances?: number; ingress?: ServiceIngress };
  /** The main pipeline's monitoring (addMonitoring), with its degraded-share alert. */
  monitoring?: boolean;
  /** With monitoring: a Snowflake model monitor on the promoted version (addMonitoring({ modelMonitor })). */
  modelMonitor?: boolean;
  /** The main pipeline's monitoring with the closed loop (`retrain`), and a per-partition champion/challenger policy when `challenger`. */
  closedLoop?: { challenger?: boolean };
}

export function synthVariant(v: Variant = {}): string {
  const outdir = tempDir('mm-plan-');
  buildVariantApp(outdir, v).synth();
  return outdir;
}

/** The app of a variant (also usable as a cdktf app module: `buildApp = (o) => buildVariantApp(o, v)`). */
export function buildVariantApp(outdir: string, v: Variant = {}): App {
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, 'forecast');
  new SnowflakeProvider(stack, 'snowflake', {});
  enablePreviewFeatures(stack);
  Aspects.of(stack).add(new ManyModelChecks({ computePoolNodeBudget: 4 }));
  const pool = new ComputePool(stack, v.poolId ?? 'Pool', { instanceFamily: v.poolFamily ?? InstanceFamily.CPU_X64_S, maxNodes: v.poolMaxNodes ?? 4 });
  if (v.suppressPool) PolicySuppressions.add(pool, [{ id: 'MM-CP1', reason: v.suppressPool }]);
  const db = Database.fromName(stack, 'Db', 'ANALYTICS');
  const pipeline = (id: string, extra: { namePrefix?: string; horizon?: number; schedule?: boolean } = {}) =>
    new ManyModelPipeline(stack, id, {
      database: db,
      source: SourceTable.fromName(stack, `${id}Src`, 'ANALYTICS.RAW.SERIES_EVENTS', { partitionColumn: 'UNIT_ID', orderColumn: 'DATE', targetColumn: 'Y' }),
      computePool: pool,
      trainer: Trainer.fromImage(v.image ?? '/analytics/ml/images/forecast-worker:1.4.0'),
      scoring: { horizon: extra.horizon ?? 28, ...(extra.schedule === false ? {} : { schedule: Schedule.cron('0 6 * * *', 'UTC') }) },
      namePrefix: extra.namePrefix,
    });
  const main = pipeline('Forecast', { namePrefix: v.forecastPrefix, horizon: v.horizon });
  if (v.service) {
    const serving = new ComputePool(stack, 'ServingPool', { instanceFamily: InstanceFamily.CPU_X64_S, maxNodes: 2 });
    const service = main.aggregator.addInferenceService('Online', { computePool: serving, ...v.service });
    if (v.service.ingress === ServiceIngress.PUBLIC) PolicySuppressions.add(service, [{ id: 'MM-SV1', reason: 'the plan tests price a public service' }]);
  }
  if (v.monitoring) main.addMonitoring({ alert: {}, ...(v.modelMonitor ? { modelMonitor: {} } : {}) });
  if (v.closedLoop) main.addMonitoring({ retrain: {}, ...(v.closedLoop.challenger ? { challenger: { merge: ChallengerMerge.PER_PARTITION_BEST } } : {}) });
  for (const id of v.extra ?? []) pipeline(id, { schedule: v.extraScheduled === true });
  return app;
}
