/**
 * One stream's jobs on one hash worker. Bytes are copied into 1 MiB batches that are transferred (not
 * cloned) to the worker and handed back for reuse, so a gigabyte costs one memcpy and a thousand
 * messages; at most {@link MAX_IN_FLIGHT} batches wait in the worker before the producer must.
 */
import type { HashJob } from './hash-job.js';
import type { HashThread } from './hash-thread.js';

/** Batches a session may have queued in its worker before the producer has to wait. */
const MAX_IN_FLIGHT = 4;

/** Where a session takes its batch buffers from and gives them back to. */
export interface BatchSource {
  /** A batch buffer to fill, spare or new. */
  take(): ArrayBuffer;
  /** A batch buffer the worker has handed back, for reuse. */
  give(buf: ArrayBuffer): void;
}

/** A stream hashed on a worker: feed with {@link update}, then {@link finish}. */
export class HashSession {
  private batch: Uint8Array | undefined;
  private batchOffset = 0;
  private batchLength = 0;
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];
  private failure: Error | undefined;
  private readonly result: Promise<Map<string, string>>;
  private settle!: { resolve: (m: Map<string, string>) => void; reject: (e: Error) => void };

  /** Opens session `sid` for `jobs` on `thread`, its batches taken from `batches`. */
  constructor(
    private readonly thread: HashThread,
    private readonly sid: number,
    private readonly batches: BatchSource,
    jobs: readonly HashJob[],
  ) {
    this.result = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.result.catch(() => {});
    thread.open(sid, jobs, {
      ack: (buf) => {
        this.inFlight--;
        batches.give(buf);
        this.wake();
      },
      digests: (entries) => this.settle.resolve(new Map(entries)),
      fail: (err) => {
        this.failure = err;
        this.settle.reject(err);
        this.wake();
      },
    });
  }

  /** True while the worker has as much queued as it may; wait with {@link drained}. */
  get backlogged(): boolean {
    return this.inFlight >= MAX_IN_FLIGHT && !this.failure;
  }

  /** Resolves once the worker has room again (or has failed). */
  drained(): Promise<void> {
    if (!this.backlogged) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Queues bytes that start at absolute stream offset `offset`; offsets must be contiguous. */
  update(bytes: Uint8Array, offset: number): void {
    if (this.failure) return;
    let pos = 0;
    while (pos < bytes.length) {
      if (!this.batch) {
        this.batch = new Uint8Array(this.batches.take());
        this.batchOffset = offset + pos;
        this.batchLength = 0;
      }
      const n = Math.min(bytes.length - pos, this.batch.length - this.batchLength);
      this.batch.set(bytes.subarray(pos, pos + n), this.batchLength);
      this.batchLength += n;
      pos += n;
      if (this.batchLength === this.batch.length) this.flush();
    }
  }

  /** Sends what is left and resolves with each job's hex digest; rejects if the worker failed. */
  finish(): Promise<Map<string, string>> {
    if (!this.failure) {
      this.flush();
      this.thread.end(this.sid);
    }
    return this.result;
  }

  /** Drops the session; its digests will never be asked for. */
  close(): void {
    this.thread.close(this.sid);
    if (this.batch) this.batches.give(this.batch.buffer as ArrayBuffer);
    this.batch = undefined;
    this.wake();
  }

  private flush(): void {
    if (!this.batch || this.batchLength === 0) return;
    this.inFlight++;
    this.thread.send(this.sid, this.batch.buffer as ArrayBuffer, this.batchLength, this.batchOffset);
    this.batch = undefined;
  }

  private wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
