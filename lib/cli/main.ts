#!/usr/bin/env node
/**
 * `many-model` command-line entry point. Each command lives in its own module under
 * lib/cli/commands/ and is loaded only when called, so `many-model synth` never pays for
 * the local server's engine and `local-server` never loads cdktf.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT } from './exit-codes';

type CommandModule = { run(argv: string[]): Promise<number> };

// require() rather than import(): tsx (fresh clones) hooks require for .ts files, not import().
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, { summary: string; load: () => CommandModule }> = {
  synth: { summary: 'synthesize the app (Terraform JSON + hooks.json) and print a summary', load: () => require('./commands/synth') },
  demo: { summary: 'the offline demo: synthesize the example app and run it on the local server', load: () => require('./commands/demo') },
  hooks: { summary: 'hooks plan|run: plan or run the post-deploy steps of a synthesized stack', load: () => require('./commands/hooks') },
  plan: { summary: 'pull-request plan: Terraform changes, hook steps and destructive changes vs a base (--base DIR|REF)', load: () => require('./commands/plan') },
  bootstrap: { summary: 'the one-time ACCOUNTADMIN statements the synthesized stacks need (printed, or run with --connection)', load: () => require('./commands/bootstrap') },
  doctor: { summary: 'read-only preflight before deploy: roles, grants, hybrid tables, image repositories, packages, instance families', load: () => require('./commands/doctor') },
  deploy: { summary: 'synth, terraform apply the stack, then run its hooks (no hooks when the apply fails)', load: () => require('./commands/deploy') },
  'local-server': { summary: 'start the local Snowflake-protocol server (--port N --data DIR)', load: () => require('./commands/local-server') },
};
/* eslint-enable @typescript-eslint/no-require-imports */

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return [
    'usage: many-model <command> [flags]',
    '       many-model <command> --help     flags and exit codes of one command',
    '       many-model --version',
    '',
    'commands:',
    ...lines,
    '',
    'exit codes: 0 ok, 1 a step (or the apply, or reaching Snowflake) failed, 2 usage or configuration error,',
    '            3 destructive change refused (plan --fail-on destructive)',
  ].join('\n');
}

/** The version in the package's package.json (found upwards from here: sources or dist/). */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cdktf-snowflake-many-model' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return EXIT.OK;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`many-model ${packageVersion()}\n`);
    return EXIT.OK;
  }
  if (!name) {
    process.stderr.write(usage() + '\n');
    return EXIT.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`many-model: unknown ${name.startsWith('-') ? 'flag' : 'command'} '${name}'. Run 'many-model --help'.\n`);
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
