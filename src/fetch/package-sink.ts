/**
 * Where the bytes of a package go as they arrive: copied out of the transport's reused read buffer into
 * a batch, and each full batch written to the temporary file and fed to the verifier. Batches matter:
 * on Linux (ext4 here) a pwritev of eight 64 KiB pieces costs ten times the kernel time of one 512 KiB
 * pwrite (measured: 3.1 s against 0.3 s of system time per GiB), and one verifier write per batch
 * instead of per chunk saves the stream machinery as well. A batch that does not fill within
 * {@link BATCH_DELAY} ms is written as it is, so a slow mirror's bytes still reach the verifier (which
 * may refuse the package from its first bytes) and the progress display. Two batches may be in flight;
 * a third makes `push` return a promise, and the transport waits for it (backpressure from the disk or
 * the verifier).
 */
import type { RpmVerifier } from '../rpm/verifier.js';
import type { TempFile } from './temp-file.js';

/** A batch is written once it holds this much. */
const BATCH_BYTES = 1024 * 1024;
/** Batches written at once before the producer waits. */
const MAX_IN_FLIGHT = 2;
/** Longest a partial batch waits for more bytes before it is written. */
const BATCH_DELAY = 50;

/** Spare batch buffers, reused by the next sink (a batch of packages opens one sink per package). */
export class BatchBuffers {
  private readonly spare: Buffer[] = [];

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
  }

  give(buffer: Buffer): void {
    if (this.spare.length < 8) this.spare.push(buffer);
  }
}

export class PackageSink {
  /** Bytes written to the file and fed to the verifier by this sink. */
  written = 0;
  private batch: Buffer | undefined;
  private length = 0;
  /** Writes on their way, oldest first. */
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Writes from file offset `position` on; `onWritten(n)` hears each batch once both took it. */
  constructor(
    private readonly temp: TempFile,
    private readonly verifier: RpmVerifier,
    private readonly position: number,
    private readonly buffers: BatchBuffers,
    private readonly onWritten: (n: number) => void,
  ) {}

  /** True while a write is on its way: bytes wait on our side, not on the mirror. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /**
   * Takes a chunk (copied at once: the caller may reuse it). Returns a promise when the producer
   * should wait before the next chunk; rejects once a write has failed.
   */
  push(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    let at = 0;
    while (at < chunk.length) {
      this.batch ??= this.buffers.take();
      const n = Math.min(chunk.length - at, this.batch.length - this.length);
      this.batch.set(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n), this.length);
      this.length += n;
      at += n;
      if (this.length === this.batch.length) this.flush();
    }
    if (this.length > 0) this.timer ??= setTimeout(() => this.flush(), BATCH_DELAY);
    if (this.inFlight.size >= MAX_IN_FLIGHT) return this.inFlight.values().next().value;
    return undefined;
  }

  /** Writes what is left and waits for every write; rejects if one failed. */
  async end(): Promise<void> {
    this.flush();
    await Promise.all([...this.inFlight]);
    if (this.failure) throw this.failure;
  }

  /**
   * Writes what is left and waits for every write, whatever their outcome: after a cut body, the bytes
   * that arrived are kept for the resume.
   */
  async settled(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  /** The error a write failed with, if one did. */
  get error(): Error | undefined {
    return this.failure;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    if (!batch || this.length === 0) return;
    const data = batch.subarray(0, this.length);
    this.batch = undefined;
    this.length = 0;
    const at = this.position + this.written;
    this.written += data.length;
    const verified = new Promise<void>((resolve) => this.verifier.write(data, () => resolve()));
    const done = Promise.all([this.temp.write(data, at), verified]).then(
      () => {
        this.onWritten(data.length);
      },
      (err: unknown) => {
        this.failure ??= err as Error;
      },
    );
    const tracked: Promise<void> = done.finally(() => {
      this.inFlight.delete(tracked);
      this.buffers.give(batch);
    });
    this.inFlight.add(tracked);
  }
}
