/**
 * The messages between a verifier's thread and a hash worker. Each stream hashed is a session, named by
 * a number unique within its {@link HashWorkers}; a worker runs several sessions at once.
 */
import type { HashJob } from './hash-job.js';

/** From the verifier's thread to a worker. */
export type HashRequest =
  /** Start a session with these jobs. */
  | { readonly op: 'open'; readonly sid: number; readonly jobs: readonly HashJob[] }
  /** `len` bytes of `buf` (transferred), starting at absolute stream offset `offset`. */
  | { readonly op: 'data'; readonly sid: number; readonly buf: ArrayBuffer; readonly len: number; readonly offset: number }
  /** The stream has ended: reply with the digests. */
  | { readonly op: 'end'; readonly sid: number }
  /** Forget the session; no reply. */
  | { readonly op: 'close'; readonly sid: number };

/** From a worker to the verifier's thread. */
export type HashReply =
  /** A batch was hashed; its buffer comes back (transferred) for reuse. */
  | { readonly op: 'ack'; readonly sid: number; readonly buf: ArrayBuffer }
  /** The session's digests, and the worker thread that computed them. */
  | { readonly op: 'digests'; readonly sid: number; readonly digests: ReadonlyArray<readonly [string, string]>; readonly threadId: number }
  /** The session cannot go on (an unknown algorithm): its digests will never come. */
  | { readonly op: 'failed'; readonly sid: number; readonly message: string };
