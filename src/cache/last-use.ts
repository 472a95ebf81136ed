/**
 * When a stored package was last used, for least-recently-used pruning: the modification time of an
 * empty file per content, `DIR/last-use/<sha256>`, set at each hit and at each insert.
 *
 * Why a file's mtime and not the index: cacache's index is append-only, and recording a use there
 * would append the entry's whole metadata (its verdict, kilobytes) to a bucket at every hit, making
 * every later lookup read more. Why not the content file's own atime: mounts with `noatime` or
 * `relatime` do not keep it, and its mtime is part of what a hit checks (hit-check.ts). A `utimes` is
 * one system call that needs no read-modify-write, so processes touching the same file at once cannot
 * corrupt anything: whichever lands last leaves a time of a recent use, which is all pruning needs.
 */
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { disk } from '../fetch/disk-pace.js';
import { join } from 'node:path';

const DIR = 'last-use';

const pathOf = (dir: string, sha256: string): string => join(dir, DIR, sha256);

/** Records a use of the content `sha256` now; never fails (a lost record only makes pruning less exact). */
export async function touchUse(dir: string, sha256: string, now = new Date()): Promise<void> {
  const path = pathOf(dir, sha256);
  try {
    await disk.utimes(path, now);
  } catch {
    try {
      // Creating goes through the thread pool (in-dir.ts).
      await mkdir(join(dir, DIR), { recursive: true });
      // 'a': creating never truncates or races another creator into an error.
      await writeFile(path, '', { flag: 'a' });
      await disk.utimes(path, now);
    } catch {
      // A store that cannot be written records no use; pruning then goes by the time stored.
    }
  }
}

/** The last recorded use of `sha256` (ms since the epoch), or undefined when none was recorded. */
export async function lastUse(dir: string, sha256: string): Promise<number | undefined> {
  const s = await stat(pathOf(dir, sha256)).catch(() => undefined);
  return s?.mtimeMs;
}

/** Forgets the uses of a content that was removed. */
export async function forgetUse(dir: string, sha256: string): Promise<void> {
  await unlink(pathOf(dir, sha256)).catch(() => undefined);
}

/** The directory holding the records, relative to the store. */
export const LAST_USE_DIR = DIR;
