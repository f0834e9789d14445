/** The example app (cdktf.json's `app`): `npx tsx stacks/main.ts` synthesizes it into cdktf.out/. */
import { App } from 'cdktf';
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
