/**
 * One download per package across processes: a lock file per key in the store directory, holding the
 * holder's pid and host, its mtime touched every second while held. A lock whose holder is gone (its
 * pid no longer runs on this host) or whose heartbeat stopped for {@link STALE_AFTER} ms is stolen, so a
 * process killed while downloading holds no one up for more than a few seconds.
 *
 * The lock only saves downloads; nothing relies on it for correctness. Two processes that both steal
 * one stale lock at the same moment both download, and the store takes the same verified bytes twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { disk } from '../fetch/disk-pace.js';
import { inDir } from './in-dir.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** A heartbeat older than this (ms) makes a lock stale. */
export const STALE_AFTER = 5000;
/** How often a holder touches its lock (ms). */
export const HEARTBEAT = 1000;
/** How often a waiter looks at the lock (ms). */
const POLL = 50;

interface LockContent {
  readonly pid: number;
  readonly host: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock held by this process. */
export class KeyLock {
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    private readonly ino: number,
  ) {
    this.timer = setInterval(() => {
      const now = new Date();
      utimes(this.path, now, now).catch(() => undefined);
    }, HEARTBEAT);
    this.timer.unref();
  }

  /** The lock file of a key. */
  static pathOf(dir: string, key: string): string {
    return join(dir, 'locks', `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.lock`);
  }

  /** Takes the lock if free (stealing a stale one); undefined when someone alive holds it. */
  static async tryTake(dir: string, key: string): Promise<KeyLock | undefined> {
    const path = KeyLock.pathOf(dir, key);
    // Written whole under a private name, then linked: no one ever reads a half-written lock.
    const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
    const content: LockContent = { pid: process.pid, host: hostname() };
    // Creating a file goes through the thread pool (in-dir.ts); the link and unlink are cheap.
    await inDir(join(dir, 'locks'), () => writeFile(temp, JSON.stringify(content)));
    try {
      for (let round = 0; round < 3; round++) {
        try {
          await disk.link(temp, path);
          return new KeyLock(path, (await disk.stat(path)).ino);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        if (!(await KeyLock.stale(path))) return undefined;
        await KeyLock.steal(path);
      }
      return undefined;
    } finally {
      await disk.unlink(temp).catch(() => undefined);
    }
  }

  /** Whether the lock at `path` is stale (false when it is gone: the next take decides). */
  static async stale(path: string): Promise<boolean> {
    const [s, text] = await Promise.all([stat(path).catch(() => undefined), readFile(path, 'utf8').catch(() => undefined)]);
    if (!s || text === undefined) return false;
    if (Date.now() - s.mtimeMs > STALE_AFTER) return true;
    try {
      const holder = JSON.parse(text) as LockContent;
      return holder.host === hostname() && !alive(holder.pid);
    } catch {
      return false;
    }
  }

  /** Removes a stale lock: moved aside first, so that a second thief removes nothing. */
  private static async steal(path: string): Promise<void> {
    const aside = `${path}.stolen-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch {
      return;
    }
    await unlink(aside).catch(() => undefined);
  }

  /**
   * Waits while someone alive holds the lock of `key`; resolves once it is released or stale (the
   * caller then looks in the store again and tries to take it).
   */
  static async waitFor(dir: string, key: string, signal?: AbortSignal): Promise<void> {
    const path = KeyLock.pathOf(dir, key);
    for (;;) {
      signal?.throwIfAborted();
      const s = await stat(path).catch(() => undefined);
      if (!s || (await KeyLock.stale(path))) return;
      await sleep(POLL, undefined, signal ? { signal } : {});
    }
  }

  /** Releases the lock (only if the file is still this holder's). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    const s = await disk.stat(this.path).catch(() => undefined);
    if (s?.ino === this.ino) await disk.unlink(this.path).catch(() => undefined);
  }
}
