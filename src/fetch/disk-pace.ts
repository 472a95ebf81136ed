/**
 * Whether this process runs its file operations on the main thread or through the thread pool: a
 * temporary file's open, writes, fstat, close and rename, and the package store's facts files, reads,
 * links, stats and renames (making the store's directories always goes through the pool, cache/in-dir.ts).
 *
 * Synchronous while the disk keeps up: an operation on the page cache takes microseconds, while a trip
 * through the thread pool costs the main thread the hand-off and, on a machine whose cores are all busy,
 * the wake-up of a pool thread that preempts it (docs/architecture.md, "Performance"). The first
 * operation that blocks longer than {@link SLOW_MS} (dirty-page throttling, a network filesystem) turns
 * every later one asynchronous, so that one slow disk cannot hold every other download's timers and
 * sockets.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { promisify } from 'node:util';

/** An operation slower than this (ms) makes every later one asynchronous. */
export const SLOW_MS = 20;

let sync = true;

/** Runs `fast` on this thread while the disk keeps up, else `slow` through the thread pool. */
export function onDisk<T>(fast: () => T, slow: () => Promise<T>): Promise<T> {
  if (!sync) return slow();
  const start = performance.now();
  try {
    return Promise.resolve(fast());
  } catch (err) {
    return Promise.reject(err as Error);
  } finally {
    if (performance.now() - start > SLOW_MS) sync = false;
  }
}

/** Whether operations still run synchronously (for tests). @internal */
export function diskIsFast(): boolean {
  return sync;
}

/** An operation with both forms, run with the disk pace. */
function paced<A extends unknown[], R>(fast: (...args: A) => R, slow: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) =>
    onDisk(
      () => fast(...args),
      () => slow(...args),
    );
}

/** `read()`, or undefined when the file went away between a `stat` and the read. */
function orMissing<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The most one synchronous write system call carries. On the test machine (Linux 6.18 in a VM that
 * reports free memory back to its host) writing 1 GiB into the page cache took 0.4-0.6 s of system time
 * in 32 KiB calls and 0.8-3.7 s in 256 KiB calls (alternating runs; 64 KiB and up as slow, 16 KiB and 8
 * KiB a little slower than 32 KiB). The page cache sizes a folio by the write, and, as far as we can
 * tell, folios above order 3 (32 KiB) come from the buddy lists, whose large free blocks are the ones
 * handed back to the host (each page then faults in the host on its first write), while smaller ones
 * come from per-CPU lists of recently freed pages. 32 system calls per MiB cost about 30 µs.
 */
const SYNC_WRITE_BYTES = 32 * 1024;
/**
 * The most one write through the thread pool carries: each trip costs the main thread a callback and,
 * on busy cores, a wake-up, and the writes go that way only once the disk itself is slow.
 */
const ASYNC_WRITE_BYTES = 256 * 1024;

/** A write that wrote nothing would make a write loop spin for ever; no filesystem should answer so. */
function progress(written: number): number {
  if (written <= 0) throw new Error(`a write system call wrote ${written} bytes`);
  return written;
}

const openFd = promisify(fs.open);
const writeFd = promisify(fs.write);
const fstatFd = promisify(fs.fstat);
const closeFd = promisify(fs.close);
const truncateFd = promisify(fs.ftruncate);

/**
 * The file operations of downloads and of the package store, each run with the disk pace. Descriptors
 * are plain numbers (not FileHandles) so that both forms can use the same one.
 */
export const disk = {
  open: paced((path: string, flags: string, mode: number) => fs.openSync(path, flags, mode), (path: string, flags: string, mode: number) => openFd(path, flags, mode)),
  /** Writes all of `data` at `position`, in as many system calls as suit the pace. */
  writeAll: paced(
    (fd: number, data: Buffer, position: number) => {
      for (let done = 0; done < data.length; ) done += progress(fs.writeSync(fd, data, done, Math.min(SYNC_WRITE_BYTES, data.length - done), position + done));
    },
    async (fd: number, data: Buffer, position: number) => {
      for (let done = 0; done < data.length; ) done += progress((await writeFd(fd, data, done, Math.min(ASYNC_WRITE_BYTES, data.length - done), position + done)).bytesWritten);
    },
  ),
  fstat: paced((fd: number) => fs.fstatSync(fd), (fd: number) => fstatFd(fd)),
  close: paced((fd: number) => fs.closeSync(fd), (fd: number) => closeFd(fd)),
  ftruncate: paced((fd: number, length: number) => fs.ftruncateSync(fd, length), (fd: number, length: number) => truncateFd(fd, length)),
  stat: paced((path: string) => fs.statSync(path), (path: string) => fsp.stat(path)),
  link: paced((from: string, to: string) => fs.linkSync(from, to), (from: string, to: string) => fsp.link(from, to)),
  rename: paced((from: string, to: string) => fs.renameSync(from, to), (from: string, to: string) => fsp.rename(from, to)),
  unlink: paced((path: string) => fs.unlinkSync(path), (path: string) => fsp.unlink(path)),
  chmod: paced((path: string, mode: number) => fs.chmodSync(path, mode), (path: string, mode: number) => fsp.chmod(path, mode)),
  utimes: paced((path: string, time: Date) => fs.utimesSync(path, time, time), (path: string, time: Date) => fsp.utimes(path, time, time)),
  /**
   * The text of `path`, or undefined when there is no such file. A miss is a `stat` that throws nothing:
   * a thrown ENOENT cost about 25 µs (the error and its stack), and a package looked up in the store
   * misses several names before it is stored.
   */
  readTextIfAny: paced(
    (path: string) => (fs.statSync(path, { throwIfNoEntry: false }) ? orMissing(() => fs.readFileSync(path, 'utf8')) : undefined),
    (path: string) => fsp.readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err))),
  ),
  /** Creates `path` (refused when it exists) holding `text`. */
  createText: paced(
    (path: string, text: string) => fs.writeFileSync(path, text, { flag: 'wx' }),
    (path: string, text: string) => fsp.writeFile(path, text, { flag: 'wx' }),
  ),
};
