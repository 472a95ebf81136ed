/**
 * The order in which a batch's targets take the Downloader's slots. A batch ends when its last download
 * does, so a large package started late leaves the other slots idle while it alone finishes: when every
 * size is known (a manifest, repository metadata), the largest start first and the small ones fill in
 * around them (longest-processing-time first; docs/architecture.md, "Performance"). A batch with a target
 * of unknown size keeps the order given, as a caller who orders by hand expects. Results keep the order
 * given either way; only the start order changes.
 */
import type { NormalizedTarget } from '../fetch/target.js';

/** Indices of `targets` in start order: by size, largest first (ties in the order given), when all are known. */
export function dispatchOrder(targets: readonly NormalizedTarget[]): number[] {
  const sizes = targets.map((t) => t.expectations.size);
  const order = targets.map((_, i) => i);
  if (sizes.some((s) => s === undefined)) return order;
  // Array.prototype.sort is stable: equal sizes keep the order given.
  return order.sort((a, b) => (sizes[b] as number) - (sizes[a] as number));
}
