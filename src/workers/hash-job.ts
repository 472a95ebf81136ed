/**
 * A digest over part of a byte stream, and the code that computes it. The main thread and the hash
 * workers run this same code, so a verdict cannot depend on where a job ran.
 */
import { createHash, type Hash } from 'node:crypto';

/**
 * A digest to compute: `algorithm` over `prefix`, every byte from absolute offset `start` to the end,
 * then `suffix` (the prefix and suffix are how OpenPGP signatures hash their salt and trailer).
 */
export interface HashJob {
  /** Names the digest among the results, e.g. `payload:sha256`. */
  readonly key: string;
  /** Node's name of the hash algorithm. */
  readonly algorithm: string;
  /** Absolute offset in the stream of the first byte hashed. */
  readonly start: number;
  /** Hashed before the stream's bytes. */
  readonly prefix?: Uint8Array;
  /** Hashed after the stream's bytes. */
  readonly suffix?: Uint8Array;
}

/** Runs a fixed set of jobs over one stream fed in order. */
export class HashJobRunner {
  private readonly running: ReadonlyArray<{ readonly job: HashJob; readonly hash: Hash }>;

  /** Throws if an algorithm is unknown to Node. */
  constructor(jobs: readonly HashJob[]) {
    this.running = jobs.map((job) => {
      const hash = createHash(job.algorithm);
      if (job.prefix) hash.update(job.prefix);
      return { job, hash };
    });
  }

  /** Feeds bytes that begin at absolute offset `offset`; calls must be contiguous. */
  update(bytes: Uint8Array, offset: number): void {
    for (const { job, hash } of this.running) {
      const skip = job.start - offset;
      if (skip <= 0) hash.update(bytes);
      else if (skip < bytes.length) hash.update(bytes.subarray(skip));
    }
  }

  /** Each job's hex digest, keyed by job key. The runner is spent afterwards. */
  digests(): Array<[string, string]> {
    return this.running.map(({ job, hash }) => {
      if (job.suffix) hash.update(job.suffix);
      return [job.key, hash.digest('hex')];
    });
  }
}
