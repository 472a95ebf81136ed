/**
 * The real executable in a child process, for what only a process has: signals, closed pipes, exit
 * statuses set by the process itself. Also: the temporary files left in a directory.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface CliProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it wrote to stderr so far (when stderr is a pipe that was not closed). */
  stderr(): string;
  /** What it wrote to stdout so far (likewise). */
  stdout(): string;
}

/** Starts `node bin.ts ...args` (through tsx, as the tests run the sources). */
export function spawnCli(args: string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe'], script = join(ROOT, 'src/cli/bin.ts')): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio });
  let err = '';
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  // 'close' rather than 'exit': the output is all in by then.
  const exited = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, exited, stderr: () => err, stdout: () => out };
}

/** Temporary files of rpmfetch in `dir`. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.rpmfetch-part'));
}

/**
 * Waits until a temporary file shows up in `dir` (the body is flowing), polling; false when the process
 * exited first. No time limit: the test runner's own timeout catches a run that never gets there.
 */
export async function untilDownloading(dir: string, cli: CliProcess): Promise<boolean> {
  let exited = false;
  void cli.exited.then(() => (exited = true));
  while (!exited) {
    if ((await tempFilesIn(dir)).length > 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
