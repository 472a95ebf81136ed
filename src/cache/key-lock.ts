/**
 * One download per package across processes: a lock per key in the store's `locks/` directory.
 *
 * A lock is a hard link, under the key's lock name, to its holder's owner file (`owner-<pid>-<random>`,
 * holding the holder's pid and host): taking one is a single `link`, atomic and refused when the name
 * exists, and makes no inode (an inode costs as much as the rest of a store insert, layout.ts). While a
 * holder holds any lock it touches its owner file's mtime every second; every lock it holds shares that
 * inode, so one touch is the heartbeat of them all. A lock whose holder is gone (its pid no longer runs
 * on this host) or whose heartbeat stopped for {@link STALE_AFTER} ms is stolen, so a process killed
 * while downloading holds no one up for more than a few seconds; the owner files of dead holders are
 * removed by whoever notices them.
 *
 * Removing another's lock is not atomic with judging it (POSIX has no "unlink if still this inode"), so
 * a thief first takes the lock's steal mark (`<lock>.steal`, a link to its owner file like a lock, held
 * for the few system calls of a steal), judges the lock again under it and removes it only if it is still
 * stale: several waiters noticing one dead holder at once leave exactly one of them holding the lock, and
 * a lock taken since the first judgement is never removed. A thief that dies holding the mark leaves a
 * mark that is stale like a lock and is moved aside. The lock only saves downloads; nothing relies on it
 * for correctness: should a stale holder release its lock and another take it in the instant between a
 * thief's judgement and its unlink, two processes download, and the store takes the same verified bytes
 * twice.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { disk } from '../fetch/disk-pace.js';
import { holdTempPath } from '../fetch/temp-file.js';
import { inDir } from './in-dir.js';
import { LOCKS_DIR } from './layout.js';
import { uniqueTag } from '../fetch/unique-tag.js';

/** A heartbeat older than this (ms) makes a lock stale. */
export const STALE_AFTER = 5000;
/** How often a holder touches its owner file (ms). */
export const HEARTBEAT = 1000;
/** How often a waiter looks at the lock (ms). */
const POLL = 50;
/** How long a would-be thief waits for another's steal to finish before looking again (ms). */
const STEAL_WAIT = 5;
/** An owner file holding no lock for this long (ms) is removed (made again at the next lock). */
const IDLE = 2000;

const OWNER_PREFIX = 'owner-';

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

const missing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** The holder of a lock, from its content: whether it is a process of this host that no longer runs. */
function deadHolder(text: string): boolean {
  try {
    const holder = JSON.parse(text) as LockContent;
    return holder.host === hostname() && !alive(holder.pid);
  } catch {
    // Not a holder's content (a foreign file): never judged dead by it, only by its heartbeat.
    return false;
  }
}

/** The lock file of a key. */
export function lockPath(dir: string, key: string): string {
  return join(dir, LOCKS_DIR, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.lock`);
}

/**
 * The lock at `path`, read once: `gone`, `held` by someone alive, or stale, with whether its holder is a
 * process of this host that no longer runs (`dead`; its owner file can go too).
 */
async function lockState(path: string): Promise<'gone' | 'held' | 'stale' | 'dead'> {
  const [s, text] = await Promise.all([stat(path).catch(() => undefined), readFile(path, 'utf8').catch(() => undefined)]);
  if (!s || text === undefined) return 'gone';
  if (deadHolder(text)) return 'dead';
  return Date.now() - s.mtimeMs > STALE_AFTER ? 'stale' : 'held';
}

/** Removes a stale steal mark: moved aside first, so that a second remover removes nothing. */
async function moveAside(path: string): Promise<void> {
  const aside = `${path}.stolen-${uniqueTag()}`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  await unlink(aside).catch(() => undefined);
}

/** Removes the owner files of this host's processes that no longer run (they hold no lock any more that counts). */
async function sweepDeadOwners(locks: string): Promise<void> {
  for (const name of await readdir(locks).catch(() => [] as string[])) {
    if (!name.startsWith(OWNER_PREFIX)) continue;
    const pid = Number(name.slice(OWNER_PREFIX.length).split('-')[0]);
    if (pid === process.pid || alive(pid)) continue;
    const text = await readFile(join(locks, name), 'utf8').catch(() => undefined);
    if (text !== undefined && deadHolder(text)) await unlink(join(locks, name)).catch(() => undefined);
  }
}

/** A lock held by this process. */
export class KeyLock {
  private released = false;

  constructor(
    readonly path: string,
    private readonly owner: LockOwner,
    private readonly ino: number,
  ) {}

  /**
   * Waits while someone alive holds the lock of `key`; resolves once it is released or stale (the
   * caller then looks in the store again and tries to take it).
   */
  static async waitFor(dir: string, key: string, signal?: AbortSignal): Promise<void> {
    const path = lockPath(dir, key);
    for (;;) {
      signal?.throwIfAborted();
      if ((await lockState(path)) !== 'held') return;
      await sleep(POLL, undefined, signal ? { signal } : {});
    }
  }

  /** Releases the lock (only if the name still leads to this holder's owner file). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const s = await disk.stat(this.path).catch(() => undefined);
    if (s?.ino === this.ino) await disk.unlink(this.path).catch(() => undefined);
    this.owner.released();
  }
}

/**
 * This process's locks in one store directory, and the owner file they link to. Owned by whoever opened
 * the store (a Downloader's store, a prune); {@link LockOwner.close} removes the owner file.
 */
export class LockOwner {
  private file: { readonly path: string; readonly ino: number; readonly forget: () => void } | undefined;
  private making: Promise<{ readonly path: string; readonly ino: number; readonly forget: () => void }> | undefined;
  private held = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;

  constructor(readonly dir: string) {}

  private get locks(): string {
    return join(this.dir, LOCKS_DIR);
  }

  /** The owner file, made on first use (and again after it was removed as idle or by someone's sweep). */
  private async ownerFile(): Promise<{ readonly path: string; readonly ino: number; readonly forget: () => void }> {
    if (this.file) return this.file;
    this.making ??= (async () => {
      const path = join(this.locks, `${OWNER_PREFIX}${uniqueTag()}`);
      // Removed by the process's exit paths too (fetch/temp-file.ts), should close never come.
      const forget = holdTempPath(path);
      const content: LockContent = { pid: process.pid, host: hostname() };
      try {
        await inDir(this.locks, () => writeFile(path, JSON.stringify(content), { flag: 'wx' }));
        const made = { path, ino: (await disk.stat(path)).ino, forget };
        void sweepDeadOwners(this.locks);
        return made;
      } catch (err) {
        forget();
        throw err;
      }
    })();
    try {
      this.file = await this.making;
      return this.file;
    } finally {
      this.making = undefined;
    }
  }

  /** Takes the lock of `key` if free (stealing a stale one); undefined when someone alive holds it. */
  async tryTake(key: string): Promise<KeyLock | undefined> {
    const path = lockPath(this.dir, key);
    clearTimeout(this.idle);
    this.held++;
    this.beat();
    let taken: KeyLock | undefined;
    try {
      for (let round = 0; round < 4 && !taken; round++) {
        const owner = await this.ownerFile();
        const linked = await this.link(owner.path, path);
        if (linked === 'swept') continue;
        if (linked === 'linked') {
          taken = new KeyLock(path, this, owner.ino);
          break;
        }
        const state = await lockState(path);
        // Gone since the link failed: like a held lock, left to the caller's next look.
        if (state === 'gone' || state === 'held') break;
        if (!(await this.steal(path, owner))) await sleep(STEAL_WAIT);
        if (state === 'dead') void sweepDeadOwners(this.locks);
      }
      return taken;
    } finally {
      if (!taken) this.released();
    }
  }

  /**
   * Links `name` to the owner file: `exists` when the name is taken (by anyone, this process included),
   * `swept` when the owner file was swept (or the directory removed) and must be made again.
   */
  private async link(ownerPath: string, name: string): Promise<'linked' | 'exists' | 'swept'> {
    try {
      await disk.link(ownerPath, name);
      return 'linked';
    } catch (err) {
      if (missing(err)) {
        this.file = undefined;
        return 'swept';
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return 'exists';
    }
  }

  /**
   * Removes the stale lock at `path` under its steal mark (see the module comment); false when another
   * thief holds the mark (a stale mark is moved aside for the next try).
   */
  private async steal(path: string, owner: { readonly path: string; readonly ino: number }): Promise<boolean> {
    const mark = `${path}.steal`;
    const linked = await this.link(owner.path, mark);
    if (linked === 'swept') return false;
    if (linked === 'exists') {
      const state = await lockState(mark);
      if (state === 'stale' || state === 'dead') await moveAside(mark);
      return false;
    }
    try {
      const state = await lockState(path);
      if (state === 'stale' || state === 'dead') await unlink(path).catch(() => undefined);
      return true;
    } finally {
      // Only our own mark: had this steal stalled long enough for another thief to judge the mark stale
      // and take its own, removing the name would remove that thief's.
      const s = await disk.stat(mark).catch(() => undefined);
      if (s?.ino === owner.ino) await unlink(mark).catch(() => undefined);
    }
  }

  private beat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      if (this.file) utimes(this.file.path, new Date(), new Date()).catch(() => undefined);
    }, HEARTBEAT);
    this.heartbeat.unref();
  }

  /** A lock of this owner was released (or not taken). @internal */
  released(): void {
    this.held = Math.max(0, this.held - 1);
    if (this.held > 0) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.dropFile(), IDLE);
    this.idle.unref();
  }

  private dropFile(): void {
    const file = this.file;
    if (!file || this.held > 0) return;
    this.file = undefined;
    unlink(file.path)
      .catch(() => undefined)
      .finally(file.forget);
  }

  /** Removes the owner file; locks still held stay valid until their heartbeat stops. */
  close(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.idle);
    this.heartbeat = undefined;
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    try {
      unlinkSync(file.path);
    } catch {
      // Gone already.
    }
    file.forget();
  }
}
