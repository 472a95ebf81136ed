/**
 * When a stored package was last used, for least-recently-used pruning: the modification time of its
 * facts file (index-file.ts), set when it is stored and at each hit.
 *
 * Why the facts file's mtime: it is one `utimes` on a file that exists, with no read-modify-write, so
 * processes recording uses at once cannot corrupt anything (whichever lands last leaves a time of a
 * recent use, which is all pruning needs), and it makes no file of its own (an inode cost as much as
 * the rest of an insert, layout.ts). Not the index entry's content: rewriting kilobytes of facts at each
 * hit would race with other writers. Not the content file's atime: mounts with `noatime` or `relatime` do
 * not keep it, and its times are part of what a hit checks (hit-check.ts).
 */
import { disk } from '../fetch/disk-pace.js';
import { contentKeyOf } from './keys.js';
import { keyFile } from './layout.js';

/** Records a use of the content `sha256` now; never fails (a lost record only makes pruning less exact). */
export async function touchUse(dir: string, sha256: string, now = new Date()): Promise<void> {
  await disk.utimes(keyFile(dir, contentKeyOf(sha256)), now).catch(() => undefined);
}
