/**
 * Runs a set of hash jobs over one byte stream, each from its own start offset (the whole file, the
 * header onwards, the payload onwards), placing the expensive ones on worker threads when the stream is
 * long enough to repay the copy.
 */
import { createHash, type Hash } from 'node:crypto';
import { hashWorkersRunning, WorkerHashSession, workerSlots, type WorkerHashJob } from './hash-worker-pool.js';

/**
 * A digest to compute: `algorithm` over `prefix`, every byte from absolute offset `start` to the end,
 * then `suffix`.
 */
export interface HashJob {
  readonly key: string;
  readonly algorithm: string;
  readonly start: number;
  readonly prefix?: Uint8Array;
  readonly suffix?: Uint8Array;
}

/**
 * Whether to hash on worker threads: `auto` does so for packages of 8 MiB and more when the machine
 * has a spare core (256 KiB and more once a worker is up, as in a batch); `true` always (tests),
 * `false` never.
 */
export type OffloadMode = 'auto' | boolean;

/** Below this many bytes a worker's start-up and the copy cost more than they save. */
export const OFFLOAD_MIN_BYTES = 8 * 1024 * 1024;
/** With a worker already up (a batch), only the copy and two messages are left to repay. */
export const WARM_OFFLOAD_MIN_BYTES = 256 * 1024;

/**
 * Nanoseconds per byte on one core, measured with Node 20 / OpenSSL 3 on the project's 2-core test
 * machine. Only the ratios matter: they decide which job goes where.
 */
const COST: Record<string, number> = {
  md5: 1.35,
  sha1: 0.55,
  sha224: 0.65,
  sha256: 0.65,
  sha384: 1.2,
  sha512: 1.2,
  'sha3-256': 2.0,
  'sha3-384': 2.6,
  'sha3-512': 3.7,
};
/**
 * What the main thread spends per byte besides hashing, in the same units: reading a file and copying
 * to workers costs about 0.35 ns; receiving over HTTP (parser, streams, garbage) about 1.0 ns.
 */
export const MAIN_THREAD_OVERHEAD = { file: 0.35, network: 1.0 } as const;
/**
 * What a download costs the main thread once per package, whatever its size (request, temporary file,
 * rename, verdict): about 2 ms here. Spread over a small package it outweighs the hashing, so in a
 * batch of small packages every hash goes to the worker.
 */
export const PER_PACKAGE_MAIN_THREAD_NS = 2_000_000;

/**
 * Splits jobs between the main thread (lane 0) and `lanes - 1` workers, largest first onto the least
 * loaded lane (longest-processing-time scheduling; optimal enough for three or four jobs).
 */
export function planLanes(jobs: readonly HashJob[], lanes: number, mainThreadOverhead: number = MAIN_THREAD_OVERHEAD.file): HashJob[][] {
  const plan: HashJob[][] = Array.from({ length: Math.max(1, lanes) }, () => []);
  const load: number[] = plan.map((_, i) => (i === 0 ? mainThreadOverhead : 0));
  const sorted = [...jobs].sort((a, b) => (COST[b.algorithm] ?? 1) - (COST[a.algorithm] ?? 1));
  for (const job of sorted) {
    let lane = 0;
    for (let i = 1; i < load.length; i++) if ((load[i] as number) < (load[lane] as number)) lane = i;
    plan[lane]?.push(job);
    load[lane] = (load[lane] as number) + (COST[job.algorithm] ?? 1);
  }
  return plan;
}

/** Hashes one stream with a fixed set of jobs. Feed with {@link update}, then {@link finish}. */
export class StreamHasher {
  private readonly inline: Array<{ key: string; start: number; hash: Hash; suffix: Uint8Array | undefined }>;
  private readonly sessions: WorkerHashSession[];

  /**
   * `expectedBytes` is how much of the stream is still to come; it decides, with `offload`, whether
   * workers are worth it. `mainThreadOverhead` is what else the main thread does per byte.
   */
  constructor(jobs: readonly HashJob[], expectedBytes: number, offload: OffloadMode, mainThreadOverhead?: number) {
    const threshold = hashWorkersRunning() ? WARM_OFFLOAD_MIN_BYTES : OFFLOAD_MIN_BYTES;
    const useWorkers = offload === true || (offload === 'auto' && expectedBytes >= threshold && workerSlots() > 0);
    const overhead = mainThreadOverhead === undefined ? undefined : mainThreadOverhead + PER_PACKAGE_MAIN_THREAD_NS / Math.max(1, expectedBytes);
    const lanes = useWorkers ? planLanes(jobs, 1 + Math.max(1, workerSlots()), overhead) : [[...jobs]];
    this.inline = (lanes[0] ?? []).map((j) => {
      const hash = createHash(j.algorithm);
      if (j.prefix) hash.update(j.prefix);
      return { key: j.key, start: j.start, hash, suffix: j.suffix };
    });
    this.sessions = lanes
      .slice(1)
      .filter((lane) => lane.length > 0)
      .map((lane) => new WorkerHashSession(lane as WorkerHashJob[]));
  }

  /** Feeds bytes that begin at absolute offset `offset`. Calls must be contiguous. */
  update(bytes: Uint8Array, offset: number): void {
    for (const j of this.inline) {
      const skip = j.start - offset;
      if (skip <= 0) j.hash.update(bytes);
      else if (skip < bytes.length) j.hash.update(bytes.subarray(skip));
    }
    for (const s of this.sessions) s.update(bytes, offset);
  }

  /** True when a worker has all it may queue; the producer should await {@link drained}. */
  get backlogged(): boolean {
    return this.sessions.some((s) => s.backlogged);
  }

  /** Resolves when every worker has room again. */
  async drained(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.drained()));
  }

  /** Hex digest of every job, keyed by job key. Rejects if a worker failed. */
  async finish(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const j of this.inline) {
      if (j.suffix) j.hash.update(j.suffix);
      out.set(j.key, j.hash.digest('hex'));
    }
    const remote = await Promise.all(this.sessions.map((s) => s.finish()));
    for (const m of remote) for (const [k, v] of m) out.set(k, v);
    return out;
  }

  /** Abandons the work (stream destroyed). */
  close(): void {
    for (const s of this.sessions) s.close();
  }
}
