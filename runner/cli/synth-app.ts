/**
 * Synthesizes a cdktf app in this process and summarizes what it wrote: per stack, the Terraform
 * resources by type and the hook steps. Used by `many-model synth` and the demo.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from './args';
import { HookManifest, MANIFEST_FILE_NAME } from '../../lib/hooks/manifest';

export interface StackOutput {
  readonly name: string;
  readonly terraformFile: string;
  readonly manifestFile?: string;
  readonly resourceCounts: Record<string, number>;
  readonly manifest?: HookManifest;
}

/** Reads `<outdir>/manifest.json` (cdktf's) and each stack's files. */
export function readSynthOutput(outdir: string): StackOutput[] {
  const manifestPath = path.join(outdir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new Error(`no cdktf manifest at ${manifestPath}: the app did not synthesize`);
  const cdktfManifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
  return Object.entries(cdktfManifest.stacks).map(([name, s]) => {
    const terraformFile = path.join(outdir, s.synthesizedStackPath);
    const tf = JSON.parse(fs.readFileSync(terraformFile, 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
    const resourceCounts: Record<string, number> = {};
    for (const [type, byId] of Object.entries(tf.resource ?? {})) resourceCounts[type] = Object.keys(byId).length;
    const manifestFile = path.join(path.dirname(terraformFile), MANIFEST_FILE_NAME);
    const has = fs.existsSync(manifestFile);
    return {
      name,
      terraformFile,
      manifestFile: has ? manifestFile : undefined,
      resourceCounts,
      manifest: has ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as HookManifest) : undefined,
    };
  });
}

/** A one-screen summary of a synthesis. */
export function formatSummary(stacks: StackOutput[], cwd = process.cwd()): string {
  const lines: string[] = [];
  for (const s of stacks) {
    const total = Object.values(s.resourceCounts).reduce((a, b) => a + b, 0);
    lines.push(`stack ${s.name}`);
    lines.push(`  Terraform JSON   ${path.relative(cwd, s.terraformFile)}  (${total} resources)`);
    for (const [type, n] of Object.entries(s.resourceCounts).sort()) lines.push(`    ${String(n).padStart(4)}  ${type}`);
    if (s.manifest && s.manifestFile) {
      const ledger = s.manifest.ledger ? `${s.manifest.ledger.database}.${s.manifest.ledger.schema}.${s.manifest.ledger.table}` : 'none';
      lines.push(
        `  hook manifest    ${path.relative(cwd, s.manifestFile)}  (schema v${s.manifest.schemaVersion}, ${s.manifest.steps.length} steps, ledger ${ledger})`,
      );
      for (const step of s.manifest.steps) lines.push(`    ${step.kind.padEnd(18)} ${step.id}  [${step.fingerprint.slice(0, 12)}]`);
    } else {
      lines.push('  hook manifest    none (no post-deploy steps)');
    }
  }
  return lines.join('\n');
}

/**
 * The synthesized stacks under `outdir` (only `stack` when given), for commands that work on every
 * stack by default; a missing synthesis or an unknown stack is a UsageError naming the fix.
 */
export function selectStacks(outdir: string, stack: string | undefined): StackOutput[] {
  let stacks: StackOutput[];
  try {
    stacks = readSynthOutput(outdir);
  } catch {
    throw new UsageError(`no synthesized stacks under ${outdir}/. Run 'many-model synth' (or cdktf synth) first`);
  }
  if (stack === undefined) return stacks;
  const chosen = stacks.filter((s) => s.name === stack);
  if (chosen.length === 0) throw new UsageError(`no stack '${stack}' under ${outdir}/`);
  return chosen;
}
