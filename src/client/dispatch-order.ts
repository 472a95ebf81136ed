/**
 * The order in which a batch's targets take the Downloader's slots. A batch ends when its last download
 * does, so a large package started late leaves the other slots idle while it alone finishes: with sizes
 * known (a manifest, repository metadata), the largest start first and the small ones fill in around
 * them (longest-processing-time first; docs/architecture.md, "Performance"). Results keep the order
 * given; only the start order changes.
 */
import type { NormalizedTarget } from '../fetch/target.js';

/**
 * Indices of `targets` in start order: targets without a known size first, in the order given (they may
 * be the largest), then the rest by size, largest first, ties in the order given.
 */
export function dispatchOrder(targets: readonly NormalizedTarget[]): number[] {
  const order = targets.map((_, i) => i);
  const size = (i: number): number => targets[i]?.expectations.size ?? Number.POSITIVE_INFINITY;
  // Array.prototype.sort is stable, so equal sizes (and every unknown one) keep the order given.
  return order.sort((a, b) => {
    const sa = size(a);
    const sb = size(b);
    return sa === sb ? 0 : sa > sb ? -1 : 1;
  });
}
