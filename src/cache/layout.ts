/**
 * Where the package store keeps things in its directory. Flat directories, and every name but a
 * package's facts file made by a hard link or a rename: on the ext4 test machine, making an inode (a
 * file, a directory) took 0.2-0.8 ms while a link or a rename took 10-25 µs, and cacache's layout (a
 * bucket file per index key in a two-level directory tree, content in another) made about seven inodes
 * per package stored (docs/architecture.md, "Performance").
 *
 *   content/<sha256>   the verified package, read-only, named by the SHA-256 of its bytes
 *   index/<sha256 of key>   the package's facts (store.ts, `StoredFacts`), one file per package: its
 *                      content key's name is the file, every other key of it a hard link to it; its
 *                      mtime is the package's last use (last-use.ts)
 *   locks/             download locks (key-lock.ts)
 *   tmp/               facts and copies being written, renamed into place when whole
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { uniqueTag } from '../fetch/unique-tag.js';

export const CONTENT_DIR = 'content';
export const INDEX_DIR = 'index';
export const LOCKS_DIR = 'locks';
export const TMP_DIR = 'tmp';
/** What stores of earlier versions (cacache's layout) kept, removed by `clear`. */
export const LEGACY_DIRS = ['content-v2', 'index-v5', 'last-use'] as const;

/** The content file of a package with this whole-file SHA-256 (hex). */
export function contentFile(dir: string, sha256: string): string {
  return join(dir, CONTENT_DIR, sha256.toLowerCase());
}

/**
 * Names of keys asked for recently: a package's keys are named several times per download (looked up
 * before and after its lock, stored, its use recorded), and a hash object costs about 12 µs.
 */
const keyNames = new Map<string, string>();
const KEY_NAMES_KEPT = 4096;

/** The index name of a key. */
export function keyFile(dir: string, key: string): string {
  let name = keyNames.get(key);
  if (name === undefined) {
    if (keyNames.size >= KEY_NAMES_KEPT) keyNames.clear();
    name = createHash('sha256').update(key).digest('hex');
    keyNames.set(key, name);
  }
  return join(dir, INDEX_DIR, name);
}

/** A private name under `tmp/` for a file being written (`what` says which kind). */
export function tmpName(dir: string, what: string): string {
  return join(dir, TMP_DIR, `${what}-${uniqueTag()}`);
}
