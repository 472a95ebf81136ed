/**
 * `clear`: empties the store while other processes may be using it. The content and index directories
 * are first renamed aside in one step each, so that from that moment every
 * lookup misses and every link or open of a content file by its name fails (the reader falls back to
 * the mirror), then the renamed directories are removed at leisure. Nothing is truncated: a reader that
 * already linked or opened a content file keeps its whole bytes. In-flight writes under `DIR/tmp` and
 * the download locks in `DIR/locks/` are left to their processes.
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listStore, type StoreEntry } from './entries.js';
import { CONTENT_DIR, INDEX_DIR, LEGACY_DIRS } from './layout.js';
import { uniqueTag } from '../fetch/unique-tag.js';

/** What a clear removed. */
export interface ClearReport {
  /** The entries the store held just before (as listed then). */
  readonly removed: readonly StoreEntry[];
  /** Their content bytes. */
  readonly bytes: number;
}

const TRASH_PREFIX = '.trash-';

function running(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Empties the store at `dir`; see the module comment. */
export async function clearStore(dir: string): Promise<ClearReport> {
  const { entries } = await listStore(dir);
  // The index first: lookups miss before any content name goes.
  const names = [INDEX_DIR, CONTENT_DIR, ...LEGACY_DIRS];
  const aside: string[] = [];
  for (const name of names) {
    const to = join(dir, `${TRASH_PREFIX}${uniqueTag()}`);
    try {
      await rename(join(dir, name), to);
      aside.push(to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  // Left over by a clear that was killed before it finished removing (one still running removes its own).
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(/^\.trash-(\d+)-/.exec(name)?.[1]);
    if (pid !== process.pid && !running(pid)) aside.push(join(dir, name));
  }
  await Promise.all(aside.map((p) => rm(p, { recursive: true, force: true, maxRetries: 3 })));
  return { removed: entries, bytes: entries.reduce((n, e) => n + e.size, 0) };
}
