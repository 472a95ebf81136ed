/**
 * Removing a stored package while other processes may be placing it. Only ever by unlinking (cacache's
 * removals and `unlink`), never by truncating or writing: a process that already linked the content
 * file keeps the inode and its whole bytes, and one copying or cloning it holds it open, which an unlink
 * does not disturb. A process that comes after finds the name gone (its link or open fails) and falls
 * back to the mirror (client/store-package.ts). The index keys go first, so that lookups miss before
 * the content disappears rather than find a name that is about to vanish.
 */
import createDebug from 'debug';
import { cacache } from './cacache.js';
import type { StoreEntry } from './entries.js';
import { forgetUse } from './last-use.js';

const debug = createDebug('rpmfetch:cache');

const sri256 = (hex: string): string => `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;

/** Removes index keys; `removeFully` deletes their bucket files instead of appending tombstones. */
export async function removeKeys(dir: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) await cacache().rm.entry(dir, key, { removeFully: true }).catch((err: Error) => debug('removing key %s: %s', key, err.message));
}

/** Removes a stored package: its keys, its content, its record of use. */
export async function removeEntry(dir: string, entry: Pick<StoreEntry, 'sha256' | 'keys'>): Promise<void> {
  await removeKeys(dir, entry.keys);
  await cacache().rm.content(dir, sri256(entry.sha256)).catch((err: Error) => debug('removing content %s: %s', entry.sha256, err.message));
  await forgetUse(dir, entry.sha256);
}
