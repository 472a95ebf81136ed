/**
 * Runs hash jobs over one byte stream in lanes: the first on the caller's thread, each other on a hash
 * worker (see hash-placement.ts for which job goes where).
 */
import { HashJobRunner, type HashJob } from '../workers/hash-job.js';
import type { HashSession } from '../workers/hash-session.js';
import type { HashWorkers } from '../workers/hash-workers.js';

/**
 * Whether to hash on worker threads: `auto` does so for packages of 8 MiB and more when the machine
 * has a spare core (256 KiB and more once a worker is up, as in a batch); `true` always (tests),
 * `false` never.
 */
export type OffloadMode = 'auto' | boolean;

/** Hashes one stream with a fixed set of jobs. Feed with {@link update}, then {@link finish}. */
export class StreamHasher {
  private readonly inline: HashJobRunner;
  private readonly sessions: HashSession[];

  /** `lanes[0]` runs here; every other non-empty lane on its own session of `workers`. */
  constructor(lanes: readonly (readonly HashJob[])[], workers?: HashWorkers) {
    this.inline = new HashJobRunner(lanes[0] ?? []);
    const remote = lanes.slice(1).filter((lane) => lane.length > 0);
    this.sessions = workers ? remote.map((lane) => workers.session(lane)) : [];
  }

  /** Feeds bytes that begin at absolute offset `offset`. Calls must be contiguous. */
  update(bytes: Uint8Array, offset: number): void {
    this.inline.update(bytes, offset);
    for (const s of this.sessions) s.update(bytes, offset);
  }

  /** True when some job runs on a worker. */
  get offloaded(): boolean {
    return this.sessions.length > 0;
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
    const out = new Map(this.inline.digests());
    const remote = await Promise.all(this.sessions.map((s) => s.finish()));
    for (const m of remote) for (const [k, v] of m) out.set(k, v);
    return out;
  }

  /** Abandons the work (stream destroyed). */
  close(): void {
    for (const s of this.sessions) s.close();
  }
}
