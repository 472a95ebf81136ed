/** Messages between the decode worker (`decode-worker.ts`) and its host (`decompress-worker.ts`). */
import type { ZstdLimits } from './zstd-steps.js';

export type DecodeFormat = 'zstd' | 'xz' | 'bzip2';

/** The worker's `workerData`. */
export interface DecodeInit {
  readonly format: DecodeFormat;
  /** Decoded bytes allowed to wait unacknowledged before decoding pauses. */
  readonly maxAhead: number;
  readonly zstdLimits: ZstdLimits;
}

/** To the worker: compressed input (transferred), acknowledged output, the end of the input. */
export type ToDecoder = { op: 'data'; buf: ArrayBuffer } | { op: 'ack'; n: number } | { op: 'end' };

/** From the worker, each with the compressed bytes its decoder has taken so far (`used`). */
export type FromDecoder = { op: 'data'; buf: ArrayBuffer; used: number } | { op: 'more' | 'end'; used: number } | { op: 'error'; message: string };
