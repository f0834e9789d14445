/**
 * `many-model deploy [--stack S] [--out DIR] [--app FILE] [--connection NAME] [--terraform BIN]`:
 * synthesizes the app, applies the stack with Terraform in its synthesized directory
 * (`terraform init` + `terraform apply -auto-approve`), and only when the apply succeeded runs the
 * stack's hooks. A failed apply runs no hooks and exits 1.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { UsageError, parseFlags } from '../args';
import { EXIT } from '../exit-codes';
import { synthApp } from './synth';
import { run as runHooksCommand } from './hooks';
import { readSynthOutput } from '../synth-app';

export async function run(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv, { stack: 'string', out: 'string', app: 'string', connection: 'string', terraform: 'string' });
  } catch (e) {
    process.stderr.write(`many-model deploy: ${(e as Error).message}\n`);
    return EXIT.USAGE;
  }
  const out = flags.out ?? 'cdktf.out';
  try {
    await synthApp(flags.app ?? 'stacks/main.ts', out);
  } catch (e) {
    process.stderr.write(`many-model deploy: synth failed: ${(e as Error).message}\n`);
    return e instanceof UsageError ? EXIT.USAGE : EXIT.STEP_FAILED;
  }
  const stacks = readSynthOutput(out);
  const stack = flags.stack ? stacks.find((s) => s.name === flags.stack) : stacks.length === 1 ? stacks[0] : undefined;
  if (!stack) {
    process.stderr.write(`many-model deploy: ${flags.stack ? `no stack '${flags.stack}'` : 'several stacks'} under ${out}/ (${stacks.map((s) => s.name).join(', ')}); choose one with --stack\n`);
    return EXIT.USAGE;
  }
  const terraform = flags.terraform ?? 'terraform';
  const dir = path.dirname(stack.terraformFile);
  for (const args of [['init', '-input=false', '-no-color'], ['apply', '-input=false', '-auto-approve', '-no-color']]) {
    process.stdout.write(`many-model deploy: ${terraform} ${args.join(' ')} (in ${path.relative(process.cwd(), dir) || '.'})\n`);
    const r = spawnSync(terraform, args, { cwd: dir, stdio: 'inherit' });
    if (r.error) {
      process.stderr.write(`many-model deploy: cannot run ${terraform}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH (install Terraform or pass --terraform)' : r.error.message}\n`);
      return EXIT.USAGE;
    }
    if (r.status !== 0) {
      process.stderr.write(`many-model deploy: terraform ${args[0]} failed (exit ${r.status}); no hooks were run\n`);
      return EXIT.STEP_FAILED;
    }
  }
  const hookArgs = ['run', '--out', out, '--stack', stack.name, ...(flags.connection ? ['--connection', flags.connection] : [])];
  return runHooksCommand(hookArgs);
}
