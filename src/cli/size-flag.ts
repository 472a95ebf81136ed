/** Sizes on the command line: a whole number of bytes, or with a `k`, `M`, `G` or `T` suffix (1024-based, as dnf reads sizes). */
import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `500M` → 524288000; throws commander's usage error for anything else. */
export function sizeFlag(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?B)?$/.exec(value.trim());
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  const n = m?.[1] !== undefined && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a size: bytes, or a number with k, M, G or T (1024-based)');
  return n;
}
