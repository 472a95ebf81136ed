/** Where the CLI writes: results on stdout, human text and progress on stderr. Swappable in tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The terminal behind `err`, when there is one: progress bars are drawn only there. */
  readonly tty?: NodeJS.WriteStream;
}

/** The process's own streams. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  ...(process.stderr.isTTY && { tty: process.stderr }),
};
