/** Feeding bytes to a verifier in a chosen chunking, with a guard against hangs. */
import { once } from 'node:events';
import { RpmVerifier, type Verdict, type VerifyOptions } from '../../src/index.js';
import type { VerifierTuning } from '../../src/rpm/verifier.js';

/**
 * Writes `bytes` cut at `cuts` (sorted or not; out-of-range values ignored), ends, returns the verdict.
 * `tuning` lends the verifier hash workers.
 */
export async function verifyChunked(bytes: Uint8Array, cuts: number[] = [], options: VerifyOptions = {}, tuning: VerifierTuning = {}): Promise<Verdict> {
  const verifier = new RpmVerifier(options, tuning);
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    if (!verifier.write(bytes.subarray(from, to))) await once(verifier, 'drain');
    from = to;
  }
  verifier.end();
  return withTimeout(verifier.verdict(), 20_000, 'verdict did not settle');
}

/** One byte per write. */
export function verifyBytewise(bytes: Uint8Array, options: VerifyOptions = {}): Promise<Verdict> {
  return verifyChunked(bytes, Array.from({ length: bytes.length }, (_, i) => i), options);
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
