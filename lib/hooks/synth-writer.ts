/**
 * The one module that uses the engine's custom-synthesis API (`addCustomSynthesis`, a deep import
 * in both cdktf 0.21.0 and cdktn 0.24.0, loaded by lib/engine.ts). Writes a file beside the stack's
 * cdk.tf.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack, addCustomSynthesis } from '../engine';
import { IConstruct } from 'constructs';

/** Registers `render` to run at synth and writes its text as `fileName` in the stack's output folder. */
export function writeBesideStack(construct: IConstruct, stack: TerraformStack, fileName: string, render: () => string): void {
  addCustomSynthesis(construct, {
    onSynthesize(session) {
      const stackFile = session.manifest.forStack(stack).synthesizedStackPath;
      const dir = path.join(session.outdir, path.dirname(stackFile));
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, fileName), render());
    },
  });
}
