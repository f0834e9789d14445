/**
 * The command reference of docs/cli.md: every command's help, exactly as `many-model <command>
 * --help` prints it, generated from the definitions in ./program.ts. test/runner/cli/reference.test.ts
 * keeps docs/cli.md equal to it; `npm run docs:cli` writes it there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { manyModelProgram } from './program';

const START = '<!-- cli-reference -->\n';
const END = '<!-- /cli-reference -->';

/** The help of `command` as `--help` prints it (its text after commander's included). */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text;
}

/** One section per command, subcommands after their group, each with its help in a text block. */
export function cliReference(): string {
  const sections: string[] = [];
  const add = (command: Command, name: string) => {
    sections.push(`### \`${name}\`\n\n\`\`\`text\n${helpOf(command)}\`\`\`\n`);
    for (const sub of command.commands) add(sub, `${name} ${sub.name()}`);
  };
  add(manyModelProgram(), 'many-model');
  return sections.join('\n');
}

/** The reference as docs/cli.md holds it, between its markers; undefined when the markers are missing. */
export function referenceIn(doc: string): string | undefined {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  return start < 0 || end < start ? undefined : doc.slice(start + START.length, end);
}

if (require.main === module) {
  const file = path.join(__dirname, '..', '..', 'docs', 'cli.md');
  const doc = fs.readFileSync(file, 'utf8');
  const shown = referenceIn(doc);
  if (shown === undefined) throw new Error(`${file} has no ${START.trim()} ... ${END} markers`);
  const at = doc.indexOf(START) + START.length;
  fs.writeFileSync(file, doc.slice(0, at) + cliReference() + doc.slice(at + shown.length));
  process.stdout.write(`wrote the command reference into ${path.relative(process.cwd(), file)}\n`);
}
