/**
 * How the executable stops when told to from outside, without leaving temporary files behind.
 *
 * - SIGINT, SIGTERM, SIGHUP: the work is aborted and unwinds (downloads fail with ERR_ABORTED, their
 *   temporary files are removed, every target still gets its result line); the exit status is the
 *   command's own, 1. A second signal does not wait for that: it removes every temporary file of the
 *   process itself, then exits 128 + the signal's number (130, 143, 129).
 * - stdout closed (EPIPE: `rpmfetch get --json … | head -1`): nobody reads the results any more, so
 *   the work is aborted as for a signal and the exit status is 141, what a shell reports for a tool
 *   killed by SIGPIPE, so that `set -o pipefail` scripts treat it as they treat any other.
 * - stderr closed: diagnostics are dropped; the work goes on.
 * - a fatal error (an exception nothing caught): reported, temporary files removed, exit 1.
 */
import { constants } from 'node:os';
import { abandonTempFiles, removeTempFilesSync } from '../fetch/temp-file.js';
import { processIo, type CliIo } from './io.js';

/** Exit status when stdout was closed under the command. */
export const EXIT_STDOUT_CLOSED = 128 + constants.signals.SIGPIPE;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The executable's wiring: hand `io` and `signal` to the command, then its status to {@link finish}. */
export interface Shutdown {
  readonly io: CliIo;
  readonly signal: AbortSignal;
  /** Sets the exit status from the command's. */
  finish(code: number): void;
  /** The command failed unexpectedly. */
  fail(err: unknown): void;
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Installs the process-wide handlers. Call once, before the command starts. */
export function installShutdown(): Shutdown {
  const controller = new AbortController();
  let stdoutClosed = false;
  let leaving = false;
  const io = processIo({
    stdoutClosed: () => {
      stdoutClosed = true;
      // May come after the command finished (its last line was the one that failed).
      process.exitCode = EXIT_STDOUT_CLOSED;
      if (!controller.signal.aborted) controller.abort(new Error('stdout closed'));
    },
  });

  /** Leaves without waiting for the work to unwind, but never before the temporary files are gone. */
  const leave = (code: number, reason: string): void => {
    if (leaving) return;
    leaving = true;
    if (!controller.signal.aborted) controller.abort(new Error(reason));
    void abandonTempFiles()
      .catch(() => removeTempFilesSync())
      .finally(() => process.exit(code));
  };

  let signals = 0;
  for (const name of STOP_SIGNALS) {
    process.on(name, () => {
      signals++;
      if (signals === 1 && !leaving) {
        if (!controller.signal.aborted) controller.abort(new Error(`interrupted by ${name}`));
        return;
      }
      io.err(`rpmfetch: ${name} while stopping; removing temporary files and leaving now`);
      leave(128 + constants.signals[name], `interrupted by ${name}`);
    });
  }
  process.on('uncaughtException', (err) => {
    io.err(`rpmfetch: internal error: ${describe(err)}`);
    leave(1, 'internal error');
  });
  // Whatever path the process takes out, nothing of ours stays in a destination directory.
  process.on('exit', removeTempFilesSync);

  return {
    io,
    signal: controller.signal,
    finish: (code) => {
      process.exitCode = stdoutClosed ? EXIT_STDOUT_CLOSED : code;
    },
    fail: (err) => {
      io.err(`rpmfetch: internal error: ${describe(err)}`);
      process.exitCode = 1;
      // Whatever still runs unwinds and removes its files; the process ends when it has.
      if (!controller.signal.aborted) controller.abort(new Error('internal error'));
    },
  };
}
