/**
 * How long a mirror rests after a failure: exponential from `min` to `max` with "equal jitter" (half
 * fixed, half random), so that retries from many builders do not arrive in step, but never longer than
 * the schedule allows. A server's Retry-After stretches it.
 */

/** Backoff bounds in milliseconds. */
export interface BackoffOptions {
  /** Delay after the first failure (before jitter). Default 500 ms. */
  min: number;
  /** Cap on the delay (before Retry-After). Default 10 s. */
  max: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { min: 500, max: 10_000 };

/** Delay after the `failures`-th consecutive failure on one mirror (1 = first). */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.max, options.min * 2 ** Math.max(0, failures - 1));
  return base / 2 + random() * (base / 2);
}

/**
 * Parses a Retry-After header (delay-seconds or an HTTP-date) into milliseconds from `now`, or
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
