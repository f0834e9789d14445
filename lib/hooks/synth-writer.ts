/**
 * The one module that touches cdktf's custom-synthesis API (a deep import, not a root export:
 * verified with cdktf 0.21.0, the last release). Writes a file beside the stack's cdk.tf.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
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
