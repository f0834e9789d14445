/** Reads a synthesized cdktf output directory into the plan's input (I/O at the edge). */
import * as fs from 'fs';
import * as path from 'path';
import { HookManifest, MANIFEST_FILE_NAME } from '../../lib/hooks/manifest';
import { parseManifest } from '../../lib/hooks/validate';
import { POLICY_REPORT_FILE, PolicyReport } from '../../lib/policy/checks';
import { StackSynthesis, Synthesis } from './plan';

interface CdktfManifest {
  stacks: Record<string, { synthesizedStackPath: string; annotations?: { constructPath: string; level: string; message: string }[] }>;
}

export function readSynthesis(outdir: string, label = outdir): Synthesis {
  const manifestPath = path.join(outdir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new Error(`${outdir} has no manifest.json: not a synthesized cdktf output directory`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as CdktfManifest;
  const stacks = new Map<string, StackSynthesis>();
  for (const [name, s] of Object.entries(manifest.stacks ?? {})) {
    const tfFile = path.join(outdir, s.synthesizedStackPath);
    const dir = path.dirname(tfFile);
    const hooksFile = path.join(dir, MANIFEST_FILE_NAME);
    const policyFile = path.join(dir, POLICY_REPORT_FILE);
    let hooks: HookManifest | undefined;
    if (fs.existsSync(hooksFile)) hooks = parseManifest(fs.readFileSync(hooksFile, 'utf8'), hooksFile);
    stacks.set(name, {
      terraform: JSON.parse(fs.readFileSync(tfFile, 'utf8')),
      hooks,
      policy: fs.existsSync(policyFile) ? (JSON.parse(fs.readFileSync(policyFile, 'utf8')) as PolicyReport) : undefined,
      warnings: (s.annotations ?? []).filter((a) => /warn/i.test(a.level)).map((a) => a.message),
    });
  }
  return { label, stacks };
}
