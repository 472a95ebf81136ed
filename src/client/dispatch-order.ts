/**
 * The order in which a batch's targets take the Downloader's slots. A batch ends when its last download
 * does, so a large package started late leaves the other slots idle while it alone finishes: when every
 * size is known (a manifest, repository metadata), the largest start first and the small ones fill in
 * around them (longest-processing-time first). With two slots or more, one of them works from the small
 * end instead: a small package costs the main thread per package (request, temporary file, verdict),
 * a large one costs the hash worker per byte, and running both kinds side by side keeps both threads
 * busy instead of leaving every small package to a tail in which the worker idles (docs/architecture.md,
 * "Performance"). A batch with a target of unknown size keeps the order given, as a caller who orders by
 * hand expects. Results keep the order given either way; only the start order changes.
 */
import type { NormalizedTarget } from '../fetch/target.js';

/** Which target each slot's runner starts next. */
export class DispatchQueue {
  private front = 0;
  private back: number;

  private constructor(
    private readonly order: readonly number[],
    /** The runner that takes from the small end, or -1 when every runner takes from the front. */
    private readonly smallRunner: number,
  ) {
    this.back = order.length - 1;
  }

  /** The queue for `targets` taken by `runners` runners (one per slot). */
  static of(targets: readonly NormalizedTarget[], runners: number): DispatchQueue {
    const sizes = targets.map((t) => t.expectations.size);
    const order = targets.map((_, i) => i);
    if (sizes.some((s) => s === undefined)) return new DispatchQueue(order, -1);
    // Array.prototype.sort is stable: equal sizes keep the order given.
    order.sort((a, b) => (sizes[b] as number) - (sizes[a] as number));
    return new DispatchQueue(order, runners >= 2 ? runners - 1 : -1);
  }

  /** The index (into the targets given) of the next target for runner `runner`; undefined when none is left. */
  take(runner: number): number | undefined {
    if (this.front > this.back) return undefined;
    return runner === this.smallRunner ? this.order[this.back--] : this.order[this.front++];
  }
}
