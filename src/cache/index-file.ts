/**
 * A package's entry in the store's index: one facts file (`StoredFacts` and the keys it is stored
 * under), named by its content key, with a hard link for each of its other keys (layout.ts). It is
 * written whole under `tmp/` and linked into place, so that a name never leads to half a file, and a
 * name is replaced atomically (linked under a temporary name, renamed over): a key that now leads to
 * another package (a repository path reused for other bytes) is simply re-pointed.
 *
 * Reading a name is one small file read and making the facts file (the one new inode of an insert) one
 * small write, both synchronous while the disk keeps up (fetch/disk-pace.ts; docs/architecture.md,
 * "Performance", says why).
 */
import { dirname, join } from 'node:path';
import { disk } from '../fetch/disk-pace.js';
import { holdTempPath } from '../fetch/temp-file.js';
import { inDir } from './in-dir.js';
import { keyFile, TMP_DIR, tmpName } from './layout.js';
import type { StoredFacts } from './store.js';
import { uniqueTag } from '../fetch/unique-tag.js';

/** A facts file as stored: the facts and every key they were stored under. */
export interface IndexedFacts extends StoredFacts {
  readonly keys: readonly string[];
}

/** Whether parsed JSON is a facts file this version wrote (a malformed or foreign file is no entry). */
function isIndexedFacts(value: unknown): value is IndexedFacts {
  const f = value as Partial<IndexedFacts> | null;
  return (
    !!f &&
    f.version === 1 &&
    typeof f.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(f.sha256) &&
    typeof f.size === 'number' &&
    typeof f.stored === 'number' &&
    !!f.stat &&
    !!f.verdict &&
    f.verdict.ok === true &&
    Array.isArray(f.keys)
  );
}

/** The facts `key` leads to, or undefined (no such key, or a file that is not a facts file of that key). */
export async function readKey(dir: string, key: string): Promise<IndexedFacts | undefined> {
  const text = await disk.readTextIfAny(keyFile(dir, key));
  if (text === undefined) return undefined;
  const facts = parseFacts(text);
  return facts?.keys.includes(key) ? facts : undefined;
}

/** A facts file's text as facts, or undefined when it is not one (malformed, foreign, cut short). */
export function parseFacts(text: string): IndexedFacts | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isIndexedFacts(value) ? value : undefined;
}

/** Puts `from` (a facts file) at `name`: a link, or a link under a temporary name renamed over an older entry. */
async function linkAt(from: string, name: string): Promise<void> {
  try {
    await inDir(dirname(name), () => disk.link(from, name));
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const temp = `${name}.${uniqueTag()}`;
  const release = holdTempPath(temp);
  try {
    await disk.link(from, temp);
    await disk.rename(temp, name);
  } catch (err) {
    await disk.unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    release();
  }
}

/**
 * Writes the entry of a package under `keys`, its content key first in the list and made last: until
 * then a lookup by it misses (or finds the entry of the same bytes stored before), never half an entry.
 */
export async function writeEntry(dir: string, keys: readonly string[], facts: StoredFacts): Promise<void> {
  const [primary, ...others] = keys;
  if (primary === undefined) throw new Error('an entry needs a key');
  const temp = tmpName(dir, 'facts');
  const release = holdTempPath(temp);
  try {
    await inDir(join(dir, TMP_DIR), () => disk.createText(temp, JSON.stringify({ ...facts, keys })));
    for (const key of others) await linkAt(temp, keyFile(dir, key));
    await inDir(dirname(keyFile(dir, primary)), () => disk.rename(temp, keyFile(dir, primary)));
  } catch (err) {
    await disk.unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    release();
  }
}

/**
 * Removes the names of `keys` that still lead to the facts file `ino` (a name re-pointed to another
 * package since is left to it); with `ino` undefined, whatever they lead to.
 */
export async function removeKeys(dir: string, keys: readonly string[], ino?: number): Promise<void> {
  for (const key of keys) {
    const name = keyFile(dir, key);
    if (ino !== undefined) {
      const s = await disk.stat(name).catch(() => undefined);
      if (s?.ino !== ino) continue;
    }
    await disk.unlink(name).catch(() => undefined);
  }
}
