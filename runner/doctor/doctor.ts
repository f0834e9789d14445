/**
 * `many-model doctor`'s core: what each synthesized stack needs, what the account answers, and the
 * checks' results (docs/deploying.md, "Doctor"). The CLI (runner/cli/commands/doctor.ts) adds flags,
 * the connection and exit codes.
 */
import * as fs from 'fs';
import { TerraformJson } from '../bootstrap/bootstrap';
import { StackOutput } from '../cli/synth-app';
import { CheckResult, runChecks } from './checks';
import { StackNeeds, stackNeeds } from './needs';
import { Query, gatherAnswers } from './queries';

export type { CheckResult } from './checks';
export { renderResults } from './checks';

/** What each synthesized stack needs, read from its files. Throws BootstrapError for a stack without a provider role. */
export function needsOfStacks(stacks: readonly StackOutput[]): StackNeeds[] {
  return stacks.map((s) => {
    const tf = JSON.parse(fs.readFileSync(s.terraformFile, 'utf8')) as TerraformJson;
    const manifest = s.manifestFile ? fs.readFileSync(s.manifestFile, 'utf8') : '';
    return stackNeeds(s.name, tf, manifest);
  });
}

/** Asks the account once for all stacks and runs every check of each. */
export async function diagnose(query: Query, needs: readonly StackNeeds[]): Promise<{ stack: string; results: CheckResult[] }[]> {
  const answers = await gatherAnswers(query, needs);
  return needs.map((n) => ({ stack: n.stack, results: runChecks(n, answers) }));
}
