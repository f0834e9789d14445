/** The example app (cdktf.json's `app`): `npx tsx stacks/main.ts` synthesizes it into cdktf.out/. */
// The engine (cdktf, or CDK Terrain) the way the library loads it, so that the packaged demo runs
// on either; an app of your own imports 'cdktf' or 'cdktn' itself (examples/composition/app.ts).
import { App } from '../lib/engine';
import { ManyModelPipelineProps } from '../constructs/many-model-pipeline';
import { ForecastStack } from './forecast-stack';

export function buildApp(outdir = 'cdktf.out', overrides: Partial<ManyModelPipelineProps> = {}): App {
  const app = new App({ outdir });
  new ForecastStack(app, 'forecast', overrides);
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
