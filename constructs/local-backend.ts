import * as path from 'path';
import { App, Aspects, DataTerraformRemoteStateLocal, IAspect, LocalBackend, TerraformStack, assertSameEngine } from '../lib/engine';
import { IConstruct } from 'constructs';

/**
 * An Aspect that writes a stack's default local state path relative to the directory Terraform
 * runs in, so that the synthesized `cdk.tf.json` does not depend on where the project is checked
 * out.
 *
 * A stack without a backend gets cdktf's `LocalBackend`, whose path cdktf 0.21 writes as
 * `<working directory>/terraform.<stack>.tfstate`: an absolute path, different in every clone and
 * on every CI runner, so two clones synthesize different files and a moved project loses its state.
 * This aspect keeps the same file (the project root's `terraform.<stack>.tfstate`, which cdktf keeps
 * out of the throwaway `cdktf.out/`) and spells it relative to the stack's synthesized directory,
 * where `cdktf deploy` and `many-model deploy` run Terraform: `../../../terraform.<stack>.tfstate`
 * for the default `cdktf.out`. Cross-stack references (`terraform_remote_state` of another stack's
 * default local state) get the same treatment.
 *
 * A backend you configure (S3, Terraform Cloud, a local path of your own) is left as it is. Every
 * stack holding one of this library's constructs gets the aspect; add it to other stacks with
 * `Aspects.of(stack).add(new RelativeLocalState())`.
 */
export class RelativeLocalState implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof LocalBackend) {
      const stack = TerraformStack.of(node);
      const local = (node.toTerraform() as { terraform: { backend: { local: { path?: string } } } }).terraform.backend.local;
      if (local.path === defaultStatePath(stack.node.id)) node.addOverride('path', relativeToStackDir(stack, local.path));
    } else if (node instanceof DataTerraformRemoteStateLocal) {
      const stack = TerraformStack.of(node);
      const data = (node.toTerraform() as { data: { terraform_remote_state: Record<string, { config?: { path?: string } }> } }).data.terraform_remote_state;
      for (const remote of Object.values(data)) {
        const file = remote.config?.path;
        const from = file !== undefined ? /^terraform\.(.+)\.tfstate$/.exec(path.basename(file)) : null;
        if (file !== undefined && from && file === defaultStatePath(from[1])) node.addOverride('config.path', relativeToStackDir(stack, file));
      }
    }
  }
}

/** The path LocalBackend uses when given none (backends/local-backend.js, the same in cdktf 0.21 and cdktn 0.24). */
function defaultStatePath(stackId: string): string {
  return path.join(process.cwd(), `terraform.${stackId}.tfstate`);
}

/** `file` relative to the directory the stack is synthesized into (Terraform's working directory), with `/`. */
function relativeToStackDir(stack: TerraformStack, file: string): string {
  const app = App.of(stack);
  const stackDir = path.resolve(app.outdir, app.manifest.forStack(stack).workingDirectory);
  return path.relative(stackDir, file).split(path.sep).join('/');
}

const REGISTERED = new WeakSet<TerraformStack>();

/**
 * Adds `RelativeLocalState` to the stack of `scope`, once; a scope outside any stack is left alone.
 * Every construct of the library comes through here first, so this is also where a stack of
 * another cdktf/cdktn copy than the library's is refused (lib/engine.ts).
 */
export function useRelativeLocalState(scope: IConstruct): void {
  const stack = scope.node.scopes.find((s): s is TerraformStack => TerraformStack.isStack(s));
  if (!stack || REGISTERED.has(stack)) return;
  assertSameEngine(stack);
  REGISTERED.add(stack);
  Aspects.of(stack).add(new RelativeLocalState());
}
