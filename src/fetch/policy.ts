/**
 * How the fetch layer retries, waits and hedges: the resolved settings one fetch runs under (the client
 * layer builds them from the public options and their defaults).
 */
import type { BackoffOptions } from './backoff.js';
import type { ResolvedTimeouts } from './timeouts.js';

export interface FetchPolicy {
  /** Attempts each mirror gets per file (`retries + 1`). */
  readonly attemptsPerMirror: number;
  readonly backoff: BackoffOptions;
  readonly timeouts: ResolvedTimeouts;
  /** Longest Retry-After (ms) waited for; a mirror asking more is done for the file. */
  readonly maxRetryAfter: number;
  /** Hedge delay in ms, or undefined when hedging is off. */
  readonly hedgeDelay: number | undefined;
  /** Order healthy mirrors by observed success and throughput instead of the caller's order. */
  readonly adaptive: boolean;
}
