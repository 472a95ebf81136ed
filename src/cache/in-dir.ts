/**
 * Runs a file operation that creates something in `dir`, making `dir` only when the operation says it
 * is missing: the store's directories exist after the first package, and a `mkdir` before every
 * operation was a tenth of the store's system calls per package.
 */
import { mkdir } from 'node:fs/promises';

export async function inDir<T>(dir: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // Through the thread pool even while other operations run synchronously (fetch/disk-pace.ts): making
    // directories and files took 0.5-1 ms each on a disk busy writing a batch, blocking the main thread.
    await mkdir(dir, { recursive: true });
    return operation();
  }
}
