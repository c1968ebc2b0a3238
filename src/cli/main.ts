import { Command, CommanderError } from 'commander';
import { errorKindOf } from '../core/errors.ts';
import { checkCommand } from './commands/check.ts';
import { connectorsCommand } from './commands/connectors.ts';
import { dlqCommand } from './commands/dlq.ts';
import { hashPasswordCommand } from './commands/hash-password.ts';
import { initCommand } from './commands/init.ts';
import { recordsCommand } from './commands/records.ts';
import { runCommand } from './commands/run.ts';
import { runsCommand } from './commands/runs.ts';
import { schemaCommand } from './commands/schema.ts';
import { serveCommand } from './commands/serve.ts';
import { validateCommand } from './commands/validate.ts';
import { workerCommand } from './commands/worker.ts';
import { ExitCode, exitCodeForError } from './exit-codes.ts';
import { mockCommand } from './mock-command.ts';
import { printError } from './print-error.ts';

/** The `ferry` program: every command registered explicitly here, nothing by side effect of an import. */
export function createProgram(): Command {
  const program = new Command('ferry')
    .description('Moves records between APIs: nothing lost, nothing sent twice, nothing secret leaked.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(runCommand());
  program.addCommand(serveCommand());
  program.addCommand(workerCommand());
  program.addCommand(validateCommand());
  program.addCommand(dlqCommand());
  program.addCommand(runsCommand());
  program.addCommand(recordsCommand());
  program.addCommand(mockCommand());
  program.addCommand(schemaCommand());
  program.addCommand(connectorsCommand());
  program.addCommand(initCommand());
  program.addCommand(checkCommand());
  program.addCommand(hashPasswordCommand());
  // Subcommands (`dlq list`, `runs show`) too: else commander exits by itself, with 1, on a usage error.
  const overrideExit = (command: Command): void => {
    command.exitOverride();
    for (const sub of command.commands) overrideExit(sub);
  };
  overrideExit(program);
  return program;
}

/** Parses argv, runs the command and sets the exit code; errors become a message and a code, never a stack. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    printError(error);
    process.exitCode = exitCodeForError(errorKindOf(error));
  }
}
