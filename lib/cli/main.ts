#!/usr/bin/env node
/**
 * `many-model` command-line entry point. Each command lives in its own module under
 * lib/cli/commands/ and is loaded only when called, so `many-model synth` never pays for
 * the local server's engine and `local-server` never loads cdktf.
 */
import { EXIT } from './exit-codes';

type CommandModule = { run(argv: string[]): Promise<number> };

// require() rather than import(): tsx (fresh clones) hooks require for .ts files, not import().
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, { summary: string; load: () => CommandModule }> = {
  synth: { summary: 'synthesize the app (Terraform JSON + hooks.json) and print a summary', load: () => require('./commands/synth') },
  demo: { summary: 'the offline demo: synthesize the example app and run it on the local server', load: () => require('./commands/demo') },
  hooks: { summary: 'hooks plan|run: plan or run the post-deploy steps of a synthesized stack', load: () => require('./commands/hooks') },
  plan: { summary: 'pull-request plan: Terraform changes, hook steps and destructive changes vs a base (--base DIR|REF)', load: () => require('./commands/plan') },
  deploy: { summary: 'synth, terraform apply the stack, then run its hooks (no hooks when the apply fails)', load: () => require('./commands/deploy') },
  'local-server': { summary: 'start the local Snowflake-protocol server (--port N --data DIR)', load: () => require('./commands/local-server') },
};
/* eslint-enable @typescript-eslint/no-require-imports */

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return ['usage: many-model <command> [options]', '', 'commands:', ...lines].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`many-model: unknown command '${name}'.\n${usage()}\n`);
    return EXIT.USAGE;
  }
  const mod = command.load();
  return mod.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`many-model: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT.STEP_FAILED;
    },
  );
}
