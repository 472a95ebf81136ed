/**
 * The temporary file a download writes into: uniquely named in the destination directory (so the final
 * rename is atomic and two processes never share one), renamed into place only after the verdict
 * passed, removed on any failure.
 *
 * Every temporary file of the process is also listed here, from the moment its creation starts until it
 * is renamed or removed, so that a process that must leave before its downloads have unwound (a second
 * Ctrl-C, a fatal error) can still remove them: {@link abandonTempFiles}, {@link removeTempFilesSync}.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { disk } from './disk-pace.js';
import { uniqueTag } from './unique-tag.js';

/** Suffix of every temporary file rpmfetch creates. */
export const TEMP_SUFFIX = '.rpmfetch-part';

/** The longest file name, in bytes, that Linux filesystems take (ext4, xfs, btrfs, tmpfs). */
export const NAME_MAX = 255;

/** Paths of this process's temporary files that exist or whose creation is under way. */
const held = new Set<string>();
/**
 * Directories where other threads of this process (download lanes) create temporary files: swept for
 * this process's names when it exits, since their lists live in those threads.
 */
const sweptDirs = new Set<string>();
/** What else must happen before a leaving process may go (lanes removing their files). */
const abandonHooks = new Set<() => Promise<void>>();
/** Creations under way, each settling only after it has removed its file if abandoned meanwhile. */
const creations = new Set<Promise<unknown>>();
let abandoned = false;

/** The longest prefix of `s` that fits in `max` bytes of UTF-8, never splitting a character. */
function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}

/**
 * `.<name>.<pid>-<random>.rpmfetch-part`. The pid and random part alone keep names unique, so the name
 * part is shortened (by bytes, as the kernel counts) when the whole would pass NAME_MAX: a destination
 * name of up to 255 bytes must still get a temporary file.
 */
export function tempFileName(name: string): string {
  const tail = `.${uniqueTag()}${TEMP_SUFFIX}`;
  return `.${truncateUtf8(name, NAME_MAX - 1 - Buffer.byteLength(tail))}${tail}`;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (renamed into place, removed, or never created): nothing of ours is left there.
  }
}

/**
 * Lists `path` (a temporary file made by other means than {@link TempFile}, e.g. a link or copy into
 * the destination directory) with the files removed when the process leaves; the returned function
 * takes it off the list once it was renamed into place or removed.
 */
export function holdTempPath(path: string): () => void {
  if (abandoned) throw new Error('the process is leaving: no new temporary files');
  held.add(path);
  return () => void held.delete(path);
}

/**
 * Removes every temporary file of this process at once, synchronously: for exit paths that cannot wait
 * (an `'exit'` listener). A file whose creation is still in flight may appear after this; see
 * {@link abandonTempFiles}.
 */
export function removeTempFilesSync(): void {
  for (const path of held) unlinkQuietly(path);
  held.clear();
  const mine = `.${process.pid}-`;
  for (const dir of sweptDirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) if (name.endsWith(TEMP_SUFFIX) && name.includes(mine)) unlinkQuietly(join(dir, name));
  }
}

/** Sweeps `dir` for this process's temporary files when it exits (another thread creates them there). */
export function sweepOnExit(dir: string): void {
  sweptDirs.add(dir);
}

/** Runs `hook` when the process abandons its temporary files; returns the function that removes it. */
export function onAbandon(hook: () => Promise<void>): () => void {
  abandonHooks.add(hook);
  return () => abandonHooks.delete(hook);
}

/**
 * For a process about to exit without letting its downloads unwind: refuses new temporary files,
 * removes every existing one synchronously, and resolves once creations that were in flight have landed
 * and removed their files too. Unlinking a file that is being renamed into place is harmless: either
 * the rename already moved it (the unlink finds nothing) or it never will (the rename finds nothing).
 */
export async function abandonTempFiles(): Promise<void> {
  abandoned = true;
  removeTempFilesSync();
  await Promise.allSettled([...creations, ...[...abandonHooks].map((hook) => hook())]);
  removeTempFilesSync();
}

/** Which file a path names: the same device and inode are the same file, whatever its name now. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export class TempFile {
  private fd: number | undefined;
  private closed = false;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Creates `.<name>.<pid>-<random>.rpmfetch-part` in `dir`, exclusively. */
  static async create(dir: string, name: string): Promise<TempFile> {
    if (abandoned) throw new Error('the process is leaving: no new temporary files');
    const path = join(dir, tempFileName(name));
    // Listed before the open starts: a sweep while the open is in flight must know of it.
    held.add(path);
    const creation = (async () => {
      let fd: number;
      try {
        fd = await disk.open(path, 'wx', 0o644);
      } catch (err) {
        held.delete(path);
        throw err;
      }
      if (abandoned) {
        // The sweep ran while the open was in flight and may have missed the file.
        unlinkQuietly(path);
        held.delete(path);
        await disk.close(fd).catch(() => {});
        throw new Error('the process is leaving: no new temporary files');
      }
      return new TempFile(path, fd);
    })();
    creations.add(creation);
    try {
      return await creation;
    } finally {
      creations.delete(creation);
    }
  }

  /** Writes `data` at `position`. */
  async write(data: Buffer, position: number): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) throw new Error('temporary file is closed');
    // In small system calls while the disk keeps up: see disk-pace.ts on the page cache's folios.
    await disk.writeAll(fd, data, position);
  }

  /** Drops everything from `length` on (a restart from zero truncates to 0). */
  async truncate(length: number): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return;
    await disk.ftruncate(fd, length);
  }

  /**
   * Closes and renames the file to `destination`, replacing what is there atomically; resolves to the
   * file's identity, by which a later step (the package store) can tell that the file at `destination`
   * is still the one written here.
   */
  async commit(destination: string): Promise<FileIdentity | undefined> {
    const fd = this.fd;
    this.fd = undefined;
    let identity: FileIdentity | undefined;
    if (fd !== undefined) {
      try {
        const stats = await disk.fstat(fd);
        identity = { dev: stats.dev, ino: stats.ino };
      } finally {
        await disk.close(fd);
      }
    }
    await disk.rename(this.path, destination);
    // Only now: until the rename is done the file is still ours to remove.
    held.delete(this.path);
    this.closed = true;
    return identity;
  }

  /** Closes and deletes the file; safe to call more than once. */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await disk.close(fd).catch(() => {});
    await rm(this.path, { force: true });
    held.delete(this.path);
  }
}
