/**
 * A stored package placed at its destination name: a hard link when the store is on the same file
 * system, else a copy-on-write clone where the file system offers one, else a copy. A link is made
 * straight at the destination name when nothing is there (a link appears whole, at once); anything else
 * is made under a temporary name in the destination directory and renamed over the destination, so the
 * name is replaced atomically and only by the stored (verified) bytes.
 *
 * A hard link shares its inode with the store: the placed file is read-only (store files are 0444), and
 * whoever makes it writable and changes it changes the stored file too; the next hit sees the changed
 * size, mtime or inode and verifies again (hit-check.ts). Clones and copies are the caller's own files
 * and get the mode a download gets.
 */
import { constants } from 'node:fs';
import { chmod, copyFile } from 'node:fs/promises';
import { disk } from '../fetch/disk-pace.js';
import { inDir } from './in-dir.js';
import { basename, dirname, join } from 'node:path';
import { holdTempPath, tempFileName } from '../fetch/temp-file.js';

/** How a stored package was placed. */
export type Placement = 'link' | 'clone' | 'copy';

/** Errors of link() that mean "not here": another file system, links refused or not supported. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'EACCES']);
/** Errors of a forced clone that mean the file system cannot clone. */
const NO_CLONE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);

async function copyInto(source: string, temp: string): Promise<Placement> {
  try {
    await copyFile(source, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
    return 'clone';
  } catch (err) {
    if (!NO_CLONE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  await copyFile(source, temp, constants.COPYFILE_EXCL);
  return 'copy';
}

/** Places `source` (a store content file) at `destination`; resolves to how. */
export async function place(source: string, destination: string, allowLink = true): Promise<Placement> {
  // Where nothing is at the destination name, a link straight to it makes the whole file appear at once,
  // and saves the temporary name and the rename (a third of a hit's file operations).
  if (allowLink) {
    try {
      await inDir(dirname(destination), () => disk.link(source, destination));
      return 'link';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code !== 'EEXIST' && !NO_LINK.has(code)) throw err;
    }
  }
  const temp = join(dirname(destination), tempFileName(basename(destination)));
  // Listed so that a Ctrl-C between the link (or copy) and the rename leaves nothing behind.
  const release = holdTempPath(temp);
  try {
    let how: Placement;
    try {
      if (!allowLink) throw Object.assign(new Error('links not wanted'), { code: 'EPERM' });
      await inDir(dirname(destination), () => disk.link(source, temp));
      how = 'link';
    } catch (err) {
      if (!NO_LINK.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
      how = await inDir(dirname(destination), () => copyInto(source, temp));
      // A copy is the caller's own file: writable as a downloaded one would be.
      await chmod(temp, 0o666 & ~process.umask());
    }
    await disk.rename(temp, destination);
    return how;
  } catch (err) {
    await disk.unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    release();
  }
}
