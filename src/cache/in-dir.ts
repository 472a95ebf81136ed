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
    // Through the thread pool even while other operations run synchronously (fetch/disk-pace.ts): a
    // directory is made once per store, and making one took 0.5-1 ms on a disk busy writing a batch.
    await mkdir(dir, { recursive: true });
    return operation();
  }
}
