/** Where the CLI writes: results on stdout, human text and progress on stderr. Swappable in tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The terminal behind `err`, when there is one: progress bars are drawn only there. */
  readonly tty?: NodeJS.WriteStream;
  /** `out` goes to that terminal too: what is written there must not be drawn over. */
  readonly sharedTerminal?: boolean;
}

/** What the process streams report when they fail. */
export interface StreamFailures {
  /** stdout failed (EPIPE: whoever read it went away); nothing more goes there. */
  stdoutClosed?(err: Error): void;
}

/**
 * Line writer for a process stream that survives the stream's death: a write to a closed pipe fails
 * with an `'error'` event (Node ignores SIGPIPE), which unheard would crash the process before it has
 * removed its temporary files. After a failure further lines are dropped.
 */
function lineWriter(stream: NodeJS.WriteStream, onFailure: (err: Error) => void): (line: string) => void {
  let failed = false;
  stream.on('error', (err: Error) => {
    if (failed) return;
    failed = true;
    onFailure(err);
  });
  return (line) => {
    if (!failed && !stream.destroyed) stream.write(`${line}\n`);
  };
}

/** The process's own streams. A failing stderr is only silenced: losing diagnostics is no reason to stop. */
export function processIo(failures: StreamFailures = {}): CliIo {
  return {
    out: lineWriter(process.stdout, (err) => failures.stdoutClosed?.(err)),
    err: lineWriter(process.stderr, () => {}),
    ...(process.stderr.isTTY && { tty: process.stderr }),
    ...(process.stderr.isTTY && process.stdout.isTTY && { sharedTerminal: true }),
  };
}

/**
 * Says once, through `write`, that the work is stopping and why (the signal's reason), as soon as it
 * is; returns the function that stops listening.
 */
export function announceStop(signal: AbortSignal, write: (line: string) => void): () => void {
  const announce = (): void => {
    const reason: unknown = signal.reason;
    write(`rpmfetch: ${reason instanceof Error ? reason.message : String(reason)}; stopping`);
  };
  if (signal.aborted) {
    announce();
    return () => {};
  }
  signal.addEventListener('abort', announce, { once: true });
  return () => signal.removeEventListener('abort', announce);
}
