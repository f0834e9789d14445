/**
 * `many-model` command-line entry point (bin/many-model.js calls main). The commands are defined
 * in ./program.ts; this is the one place where an error, commander's or a command's, becomes a
 * message on stderr (`many-model <command>: <what is wrong>`) and an exit code (./exit-codes.ts).
 */
import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeOf } from './exit-codes';
import { manyModelProgram } from './program';

export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.OK;
  const program = manyModelProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    const command = commandOf(program, argv);
    const message = e instanceof CommanderError ? usageMessage(e, command) : e instanceof Error ? e.message : String(e);
    if (message) {
      const name = commandPath(command);
      // A message that names the command already (the local server's install line) stands alone.
      process.stderr.write(`${message.startsWith(name) ? message : `${name}: ${message}`}\n`);
    }
    return exitCodeOf(e);
  }
}

/** The command `argv` names (`hooks run`), as far as its words name one. */
function commandOf(program: Command, argv: readonly string[]): Command {
  let command = program;
  for (const word of argv) {
    const sub = command.commands.find((c) => c.name() === word);
    if (!sub) break;
    command = sub;
  }
  return command;
}

function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}

/**
 * commander's usage errors in this CLI's words, naming the flag. undefined when commander has
 * said all there is to say (it printed the help, or the version).
 */
function usageMessage(e: CommanderError, command: Command): string | undefined {
  // commander quotes what it refers to: the flag given, the flags of the option, the command.
  const quoted = /'([^']*)'/.exec(e.message)?.[1] ?? '';
  switch (e.code) {
    case 'commander.helpDisplayed':
    case 'commander.help':
    case 'commander.version':
      return undefined;
    case 'commander.unknownOption': {
      const [name, value] = [quoted.split('=', 1)[0], quoted.includes('=')];
      if (value && command.options.some((o) => o.long === name && o.isBoolean())) return `${name} takes no value`;
      return `unknown flag ${quoted}; known: ${command.options.map((o) => o.long).join(', ') || 'none'}`;
    }
    case 'commander.optionMissingArgument':
      return `${command.options.find((o) => o.flags === quoted)?.long ?? quoted} needs a value`;
    case 'commander.excessArguments':
      return `unexpected argument '${command.args[command.registeredArguments.length]}'`;
    case 'commander.unknownCommand':
      return `unknown ${command.parent ? 'subcommand' : 'command'} '${quoted}'. Run '${commandPath(command)} --help'`;
    default:
      return e.message.replace(/^error: /, '');
  }
}
