/**
 * The `rpmfetch` command line. Exit codes (contract): 0 every target verified, 1 at least one failed
 * (or was stopped by `signal`), 2 usage error. The executable adds those of a process stopped from
 * outside (see shutdown.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { InvalidOptionError, RepoFileError, RepoVariableError } from '../errors.js';
import { cacheCommand } from './cache-command.js';
import { getCommand } from './get-command.js';
import { processIo, type CliIo } from './io.js';
import { verifyCommand } from './verify-command.js';

/**
 * The package's version: this file is at `dist/cli/` (or `src/cli/` under tsx), two levels below
 * package.json. Laid out otherwise (a bundle), the CLI still runs and says it cannot tell.
 */
function packageVersion(): string {
  try {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Exit status for a malformed command line. */
export const EXIT_USAGE = 2;

/**
 * Runs the CLI with `argv` (without the node and script paths); resolves with the exit status.
 * `signal` stops the work (the executable wires it to signals and to a closed stdout).
 */
export async function main(argv: string[], io: CliIo = processIo(), signal: AbortSignal = new AbortController().signal): Promise<number> {
  let status = 0;
  const done = (code: number): void => {
    status = code;
  };
  // Help asked for is the command's output (stdout, for a pager); usage errors go to stderr.
  const output = { writeOut: (s: string) => io.out(s.trimEnd()), writeErr: (s: string) => io.err(s.trimEnd()) };
  const program = new Command('rpmfetch')
    .description('download RPM packages from mirrors and verify them as strictly as rpmkeys')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .configureOutput(output)
    .showHelpAfterError('(run rpmfetch --help for usage)');
  for (const sub of [getCommand(io, done, signal), verifyCommand(io, done, signal), cacheCommand(io, done, signal)]) {
    program.addCommand(sub.exitOverride().configureOutput(output).showHelpAfterError(`(run rpmfetch ${sub.name()} --help for usage)`));
    // `cache ls` and the like: nested commands behave as the others.
    for (const nested of sub.commands) nested.exitOverride().configureOutput(output).showHelpAfterError(`(run rpmfetch ${sub.name()} ${nested.name()} --help for usage)`);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const benign = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      return benign ? 0 : EXIT_USAGE;
    }
    // A .repo file that cannot be read as written is bad input of the command line's, like a bad flag.
    if (err instanceof InvalidOptionError || err instanceof RepoFileError || err instanceof RepoVariableError) {
      io.err(`rpmfetch: ${err.message}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  return status;
}
