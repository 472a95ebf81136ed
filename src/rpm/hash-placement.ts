/**
 * Where each hash job runs: on the verifier's thread (lane 0) or on a worker. Workers pay off for large
 * packages only, and then the jobs are spread so that the busiest lane (the verifier's thread counting
 * what else it does per byte) is as light as it can be.
 */
import type { HashJob } from '../workers/hash-job.js';
import type { OffloadMode } from './stream-hasher.js';

/** Below this many bytes a worker's start-up and the copy cost more than they save. */
export const OFFLOAD_MIN_BYTES = 8 * 1024 * 1024;
/** With a worker already up (a batch), only the copy and two messages are left to repay. */
export const WARM_OFFLOAD_MIN_BYTES = 256 * 1024;

/**
 * Nanoseconds per byte on one core, measured with Node 20 / OpenSSL 3 on the project's 2-core test
 * machine (SHA-1 and SHA-256 with the CPU's SHA extensions). Only the ratios matter: they decide which
 * job goes where.
 */
const COST: Record<string, number> = {
  md5: 1.55,
  sha1: 0.65,
  sha224: 0.68,
  sha256: 0.68,
  sha384: 1.2,
  sha512: 1.2,
  'sha3-256': 2.0,
  'sha3-384': 2.6,
  'sha3-512': 3.7,
};
/**
 * What the main thread spends per byte besides hashing, in the same units: reading a file and copying
 * to workers costs about 0.35 ns; receiving over HTTP through the transport (a socket read into a
 * reused buffer, a copy into a write batch, the file write, the copy to the worker) about 1.0-1.2 ns,
 * most of it kernel time (measured on a 1 GiB download: 2.9 s of main-thread CPU, of which 1.45 s the
 * two SHA-256s and 0.25 s start-up). With that figure a download with the caller's checksum keeps one
 * SHA-256 on the main thread and gives MD5 and the other to the worker (2.84-3.05 s against 3.05-3.5 s
 * with both SHA-256s on the main thread, alternating runs).
 */
export const MAIN_THREAD_OVERHEAD = { file: 0.35, network: 1.0 } as const;
/**
 * What a download costs the main thread once per package, whatever its size (request, temporary file,
 * rename, verdict): about 1.6 ms here. Spread over a small package it outweighs some hashing, so in a
 * batch of small packages most hashes go to the worker.
 */
export const PER_PACKAGE_MAIN_THREAD_NS = 1_600_000;

/** The hash workers as far as placement cares. */
export interface WorkerCapacity {
  /** Threads that may run; 0 means none. */
  readonly slots: number;
  /** A worker is up already. */
  readonly warm: boolean;
}

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

/**
 * The lanes for a stream of which `expectedBytes` are still to come: one lane (everything on the
 * verifier's thread) unless `offload` and the workers say otherwise. `mainThreadOverhead` is what else
 * the main thread does per byte; undefined when it only verifies.
 */
export function placeJobs(jobs: readonly HashJob[], expectedBytes: number, offload: OffloadMode, workers: WorkerCapacity, mainThreadOverhead?: number): HashJob[][] {
  const threshold = workers.warm ? WARM_OFFLOAD_MIN_BYTES : OFFLOAD_MIN_BYTES;
  const useWorkers = offload === true || (offload === 'auto' && expectedBytes >= threshold && workers.slots > 0);
  if (!useWorkers) return [[...jobs]];
  const overhead = mainThreadOverhead === undefined ? undefined : mainThreadOverhead + PER_PACKAGE_MAIN_THREAD_NS / Math.max(1, expectedBytes);
  return planLanes(jobs, 1 + Math.max(1, workers.slots), overhead);
}
