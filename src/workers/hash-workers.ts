/**
 * Worker threads that hash on other cores, and the batch buffers they share. Node's hashes are
 * synchronous, so a package carrying MD5 (header + payload) and SHA-256 (payload) costs about
 * 1.5 ns + 0.65 ns per byte on one core; running MD5 on a second core brings that down to the slower
 * of the two.
 *
 * Whoever creates a {@link HashWorkers} owns it and closes it: a Downloader one for all its downloads,
 * `verifyFile()` and a verifier used alone one of their own, closed when their verdict is out. Idle
 * workers never keep the process alive.
 */
import { availableParallelism } from 'node:os';
import type { HashJob } from './hash-job.js';
import { HashSession, type BatchSource } from './hash-session.js';
import { HashThread } from './hash-thread.js';
import { entryFor, hashWorkerEntry, type WorkerEntry } from './worker-entry.js';

/** The size of a batch of bytes sent to a worker. */
const BATCH_SIZE = 1024 * 1024;
/**
 * Spare batch buffers kept: a batch of small packages would otherwise allocate a fresh megabyte per
 * package and keep the garbage collector busy.
 */
const MAX_SPARE_BATCHES = 16;

/** Options of {@link HashWorkers}. */
export interface HashWorkersOptions {
  /** Worker threads at most (default: one fewer than the cores, at most four). */
  readonly threads?: number;
  /** The worker module (default: the hash worker next to this module). Tests give one that fails. */
  readonly entry?: URL;
  /**
   * Once a worker is up, hand it packages down to 256 KiB (default true): right for a thread that also
   * receives the bytes. A download lane says false: its sibling lanes already keep the other cores busy,
   * so only a package large enough to be alone in the lane is split across cores.
   */
  readonly offloadWhenWarm?: boolean;
}

/** How many hash workers pay on this machine: one fewer than the cores, at most four. */
export function defaultHashThreads(): number {
  return Math.max(0, Math.min(availableParallelism() - 1, 4));
}

/** A set of hash worker threads, started on demand, with the batch buffers their sessions share. */
export class HashWorkers implements BatchSource {
  /** How many threads it may run; 0 on a single core, where hashing stays on the caller's thread. */
  readonly slots: number;
  /** See {@link HashWorkersOptions.offloadWhenWarm}. */
  readonly offloadWhenWarm: boolean;
  private readonly entry: WorkerEntry;
  private readonly threads: HashThread[] = [];
  private readonly spare: ArrayBuffer[] = [];
  private nextSession = 1;

  /** Starts no thread yet: the first comes with {@link prewarm} or the first session. */
  constructor(options: HashWorkersOptions = {}) {
    this.slots = Math.max(0, options.threads ?? defaultHashThreads());
    this.offloadWhenWarm = options.offloadWhenWarm ?? true;
    this.entry = options.entry ? entryFor(options.entry) : hashWorkerEntry();
  }

  /** True while a worker is up: handing it a stream then costs two messages, not a boot. */
  get warm(): boolean {
    return this.threads.some((t) => !t.dead);
  }

  /**
   * Starts a worker ahead of need. A worker takes some 40 ms to boot; started when a large package is
   * known to be coming, the boot overlaps the reading of its headers instead of delaying its first hash.
   */
  prewarm(): void {
    if (this.slots > 0 && !this.warm) this.threads.push(new HashThread(this.entry));
  }

  /** Opens a session for `jobs` on the least loaded worker, starting one while below {@link slots}. */
  session(jobs: readonly HashJob[]): HashSession {
    return new HashSession(this.pick(), this.nextSession++, this, jobs);
  }

  /** A batch buffer, reused when one is spare. @internal */
  take(): ArrayBuffer {
    return this.spare.pop() ?? new ArrayBuffer(BATCH_SIZE);
  }

  /** Gives a batch buffer back for reuse. @internal */
  give(buf: ArrayBuffer): void {
    if (buf.byteLength === BATCH_SIZE && this.spare.length < MAX_SPARE_BATCHES) this.spare.push(buf);
  }

  /**
   * Ends every worker thread and drops the spare buffers; resolves once the threads have exited.
   * Sessions still running fail with `ERR_INTERNAL`. Used again afterwards, it starts new threads.
   */
  async close(): Promise<void> {
    this.spare.length = 0;
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.terminate('the hash workers were closed')));
  }

  private pick(): HashThread {
    for (let i = this.threads.length - 1; i >= 0; i--) {
      if (this.threads[i]?.dead) this.threads.splice(i, 1);
    }
    let best = this.threads.reduce<HashThread | undefined>((a, t) => (!a || t.load < a.load ? t : a), undefined);
    if (!best || (best.load > 0 && this.threads.length < Math.max(1, this.slots))) {
      best = new HashThread(this.entry);
      this.threads.push(best);
    }
    return best;
  }
}
