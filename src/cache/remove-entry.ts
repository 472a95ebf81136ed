/**
 * Removing a stored package while other processes may be placing it. Only ever by unlinking, never by
 * truncating or writing: a process that already linked the content file keeps the inode and its whole
 * bytes, and one copying or cloning it holds it open, which an unlink does not disturb. A process that
 * comes after finds the name gone (its link or open fails) and falls back to the mirror
 * (client/store-package.ts). The index names go first, so that lookups miss before the content
 * disappears rather than find a name that is about to vanish.
 */
import { disk } from '../fetch/disk-pace.js';
import type { StoreEntry } from './entries.js';
import { removeKeys } from './index-file.js';

/** Removes a stored package: the index names that lead to its facts, then its content. */
export async function removeEntry(dir: string, entry: Pick<StoreEntry, 'file' | 'keys'> & { readonly factsIno?: number | undefined }): Promise<void> {
  await removeKeys(dir, entry.keys, entry.factsIno);
  await disk.unlink(entry.file).catch(() => undefined);
}

/** Removes index names whose content is gone (their paths, as listed). */
export async function removeDangling(names: readonly string[]): Promise<void> {
  for (const name of names) await disk.unlink(name).catch(() => undefined);
}
