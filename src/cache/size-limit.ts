/**
 * The size limit as a Downloader keeps it: after each package it adds to the store, it prunes when the
 * store may be over the limit. Measuring the store means a stat per entry, too much to do at every
 * insert of a batch of hundreds, so the size is measured at the first insert and at most every
 * {@link REMEASURE} ms, and between measurements estimated as the last measure plus this Downloader's
 * own inserts. Other processes' inserts are seen at the next measurement; a store can therefore stay
 * over its limit by what others added for up to that long, until one of them prunes it. One Downloader's
 * checks run one after another: a check that found a prune of its own running would skip it, and the
 * batch's last inserts could be left over the limit.
 */
import { listStore } from './entries.js';
import { pruneStore, type PruneReport } from './prune.js';

/** How long a measured size is trusted (ms). */
export const REMEASURE = 30_000;

export class SizeLimit {
  private estimate: number | undefined;
  private measuredAt = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly maxSize: number,
  ) {}

  /** Called after `bytes` entered the store; prunes when over the limit. */
  afterInsert(bytes: number): Promise<PruneReport | undefined> {
    const check = this.queue.then(() => this.check(bytes));
    this.queue = check.catch(() => undefined);
    return check;
  }

  private async check(bytes: number): Promise<PruneReport | undefined> {
    if (this.estimate === undefined || Date.now() - this.measuredAt > REMEASURE) {
      const { entries } = await listStore(this.dir);
      this.estimate = entries.reduce((n, e) => n + e.size, 0);
      this.measuredAt = Date.now();
    } else {
      this.estimate += bytes;
    }
    if (this.estimate <= this.maxSize) return undefined;
    const report = await pruneStore(this.dir, this.maxSize, { wait: false });
    // Another process is pruning: measure again next time rather than trust an estimate over the limit.
    if (!report) this.estimate = undefined;
    else {
      this.estimate = report.after;
      this.measuredAt = Date.now();
    }
    return report;
  }
}
