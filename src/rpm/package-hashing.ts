/**
 * The hashing of one package: its jobs placed (hash-placement.ts) and run over the stream
 * (stream-hasher.ts), on hash workers lent by their owner or started for this package alone, and ended
 * with it.
 */
import { defaultHashThreads, HashWorkers } from '../workers/hash-workers.js';
import type { HashJob } from '../workers/hash-job.js';
import type { Piece } from './framing.js';
import { OFFLOAD_MIN_BYTES, placeJobs, type WorkerCapacity } from './hash-placement.js';
import { StreamHasher, type OffloadMode } from './stream-hasher.js';

/**
 * How a verifier runs, besides what it checks.
 * @internal
 */
export interface VerifierTuning {
  /** What else the thread feeding the verifier does per byte (see `MAIN_THREAD_OVERHEAD`). */
  readonly mainThreadOverhead?: number;
  /**
   * Hash workers to use (a Downloader's, shared by its downloads). Without, the verifier starts its own
   * when offloading pays and closes them once its verdict is out.
   */
  readonly hashWorkers?: HashWorkers;
}

/** One package's hashing: {@link start}, feed with {@link update}, then {@link finish} or {@link stop}. */
export class PackageHashing {
  private hasher: StreamHasher | undefined;
  private own: HashWorkers | undefined;

  /** Hashes as `offload` says, on `tuning.hashWorkers` when lent. */
  constructor(
    private readonly offload: OffloadMode,
    private readonly tuning: VerifierTuning,
  ) {}

  /** A package of `expectedTotal` bytes is coming: boots a worker now if it will want one. */
  prewarm(expectedTotal: number | undefined): void {
    if (this.offload === false || expectedTotal === undefined || expectedTotal < OFFLOAD_MIN_BYTES || this.capacity().slots === 0) return;
    this.workers().prewarm();
  }

  /**
   * Places `jobs` for a stream with `expectedBytes` still to come and hashes what came before:
   * `pieces`, at their offsets.
   */
  start(jobs: readonly HashJob[], expectedBytes: number, pieces: readonly Piece[]): void {
    const lanes = placeJobs(jobs, expectedBytes, this.offload, this.capacity(), this.tuning.mainThreadOverhead);
    this.hasher = new StreamHasher(lanes, lanes.length > 1 ? this.workers() : undefined);
    for (const piece of pieces) this.hasher.update(piece.bytes, piece.offset);
  }

  /** Feeds bytes that begin at absolute offset `offset` (nothing before {@link start}). */
  update(bytes: Uint8Array, offset: number): void {
    this.hasher?.update(bytes, offset);
  }

  /** True when some job runs on a worker. */
  get offloaded(): boolean {
    return this.hasher?.offloaded ?? false;
  }

  /** True when a worker has all it may queue; the producer should await {@link drained}. */
  get backlogged(): boolean {
    return this.hasher?.backlogged ?? false;
  }

  /** Resolves when every worker has room again. */
  drained(): Promise<void> {
    return this.hasher?.drained() ?? Promise.resolve();
  }

  /** Every job's hex digest by key; rejects if a worker failed. Stops the hashing either way. */
  async finish(): Promise<Map<string, string>> {
    try {
      return await (this.hasher as StreamHasher).finish();
    } finally {
      this.stop();
    }
  }

  /** Drops the hashing, and the workers started for it. */
  stop(): void {
    this.hasher?.close();
    this.hasher = undefined;
    void this.own?.close();
    this.own = undefined;
  }

  /** The lent workers, or this package's own, started on first use. */
  private workers(): HashWorkers {
    if (this.tuning.hashWorkers) return this.tuning.hashWorkers;
    this.own ??= new HashWorkers();
    return this.own;
  }

  private capacity(): WorkerCapacity {
    const workers = this.tuning.hashWorkers ?? this.own;
    if (!workers) return { slots: defaultHashThreads(), warm: false };
    return { slots: workers.slots, warm: workers.warm && workers.offloadWhenWarm };
  }
}
