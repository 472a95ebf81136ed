/**
 * The `rpmfetch` command line. Exit codes (contract): 0 every target verified, 1 at least one failed,
 * 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { processIo, type CliIo } from './io.js';
import { verifyCommand } from './verify-command.js';

/** Exit status for a malformed command line. */
export const EXIT_USAGE = 2;

/** Runs the CLI with `argv` (without the node and script paths); resolves with the exit status. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let status = 0;
  const done = (code: number): void => {
    status = code;
  };
  const program = new Command('rpmfetch')
    .description('download RPM packages from mirrors and verify them as strictly as rpmkeys')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.err(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError('(run rpmfetch --help for usage)');
  const sub = verifyCommand(io, done).exitOverride().configureOutput({ writeOut: (s) => io.err(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program.addCommand(sub);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const benign = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      return benign ? 0 : EXIT_USAGE;
    }
    throw err;
  }
  return status;
}
