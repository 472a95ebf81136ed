/**
 * The size limit: least recently used entries removed until the store holds at most `maxSize` bytes
 * of content. One prune at a time per store (a lock file in `DIR/locks/`, as downloads take): two at once
 * would each remove the oldest entries for the same excess. Removal is safe for readers placing the
 * same entries at that moment (remove-entry.ts).
 */
import { KeyLock, LockOwner } from './key-lock.js';
import { listStore, type StoreEntry } from './entries.js';
import { removeDangling, removeEntry } from './remove-entry.js';

/** What a prune did. */
export interface PruneReport {
  /** The limit applied, in bytes. */
  readonly maxSize: number;
  /** Content bytes before. */
  readonly before: number;
  /** Content bytes after. */
  readonly after: number;
  /** The entries removed, least recently used first. */
  readonly removed: readonly StoreEntry[];
}

const LOCK_KEY = 'rpmfetch:housekeeping:prune';

/** Takes the prune lock; with `wait`, waits for another prune to finish, else undefined when one runs. */
async function pruneLock(owner: LockOwner, wait: boolean, signal?: AbortSignal): Promise<KeyLock | undefined> {
  const dir = owner.dir;
  for (;;) {
    const lock = await owner.tryTake(LOCK_KEY);
    if (lock || !wait) return lock;
    await KeyLock.waitFor(dir, LOCK_KEY, signal);
  }
}

/**
 * Prunes the store at `dir` to `maxSize` bytes. Without `wait`, resolves to undefined when another
 * process is pruning it already (that one brings it under its limit).
 */
export async function pruneStore(dir: string, maxSize: number, options: { wait: boolean; signal?: AbortSignal }): Promise<PruneReport | undefined> {
  const owner = new LockOwner(dir);
  let lock: KeyLock | undefined;
  try {
    lock = await pruneLock(owner, options.wait, options.signal);
  } finally {
    if (!lock) owner.close();
  }
  if (!lock) return undefined;
  try {
    const { entries, dangling } = await listStore(dir);
    await removeDangling(dangling);
    const before = entries.reduce((n, e) => n + e.size, 0);
    let after = before;
    const removed: StoreEntry[] = [];
    // Least recently used first (listStore's order).
    for (const entry of entries) {
      if (after <= maxSize) break;
      options.signal?.throwIfAborted();
      await removeEntry(dir, entry);
      removed.push(entry);
      after -= entry.size;
    }
    return { maxSize, before, after, removed };
  } finally {
    await lock.release();
    owner.close();
  }
}
