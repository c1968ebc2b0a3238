import { Command } from 'commander';
import { FerryError } from '../../core/errors.ts';

// node:readline loaded when this command asks, not whenever the program's commands are registered.
const readline = () => process.getBuiltinModule('node:readline/promises');

/** The first line of a non-terminal stdin (a pipe or a file), without its line break. */
async function firstLine(): Promise<string> {
  const lines = readline().createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

/** Asks on the terminal without echoing what is typed. */
async function ask(question: string): Promise<string> {
  const rl = readline().createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // readline echoes through _writeToOutput; writing nothing there hides the password.
  const output = rl as unknown as { _writeToOutput: (text: string) => void };
  process.stderr.write(question);
  output._writeToOutput = () => {};
  try {
    return await rl.question('');
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/**
 * `ferry hash-password`: the scrypt hash of a password, for the users of the dashboard and the operations
 * API. Reads the password from stdin (its first line) or asks twice on a terminal; never takes it as an
 * argument, where the shell history and `ps` would keep it.
 */
export function hashPasswordCommand(): Command {
  return new Command('hash-password')
    .description('Print the scrypt hash of a password read from stdin, for a dashboard user.')
    .action(async () => {
      const { hashPassword } = await import('../../server/operations/password-hash.ts');
      let password: string;
      if (process.stdin.isTTY) {
        password = await ask('Password: ');
        if ((await ask('Again: ')) !== password)
          throw new FerryError('FERRY_ERR_USAGE', 'the two passwords differ');
      } else {
        password = await firstLine();
      }
      process.stdout.write(`${await hashPassword(password)}\n`);
    });
}
