/**
 * Time limits of a download, in milliseconds (the CLI takes seconds). Stalls are judged by progress,
 * never by a deadline on the whole transfer; `total` is opt-in.
 */
import { InvalidOptionError } from '../errors.js';

/** Limits a caller may set; every field is optional. */
export interface DownloadTimeouts {
  /** DNS lookup plus TCP (and TLS) connect. Default 10 000 ms. */
  connect?: number;
  /** From the request to the response headers. Default 30 000 ms. */
  response?: number;
  /** A body stalls after this long without a byte, or below `minRate` over this long. Default 30 000 ms. */
  stall?: number;
  /** Bytes per second a body must keep up over the stall window. Default 1000; 0 turns the rate check off. */
  minRate?: number;
  /** A deadline for the whole download, every attempt included. Default none. */
  total?: number;
}

/** Limits with every default applied. */
export interface ResolvedTimeouts {
  readonly connect: number;
  readonly response: number;
  readonly stall: number;
  readonly minRate: number;
  readonly total: number | undefined;
}

export const DEFAULT_TIMEOUTS: ResolvedTimeouts = { connect: 10_000, response: 30_000, stall: 30_000, minRate: 1000, total: undefined };

/** Applies defaults and checks values; throws {@link InvalidOptionError}. */
export function resolveTimeouts(t: DownloadTimeouts = {}): ResolvedTimeouts {
  const out = { ...DEFAULT_TIMEOUTS };
  for (const key of ['connect', 'response', 'stall', 'minRate', 'total'] as const) {
    const value = t[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (key !== 'minRate' && value === 0)) {
      throw new InvalidOptionError(`timeouts.${key} must be a ${key === 'minRate' ? 'non-negative' : 'positive'} number, got ${value}`);
    }
    out[key] = value;
  }
  return out;
}
