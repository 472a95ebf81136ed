/**
 * Stall detection by progress, not by deadline: a body stalls when no byte has arrived for `stall` ms,
 * or when fewer than `minRate` bytes per second arrived over the last `stall` ms (curl's low-speed
 * limit, as librepo sets it). A slow transfer that keeps above the rate is never killed. Bytes held up
 * on our side (a slow disk or verifier) do not count against the mirror.
 */

/** A stall: the body stopped, or crawled below the minimum rate for a whole window. */
export class StallError extends Error {
  readonly code = 'ERR_STALL';
}

export class StallMonitor {
  /** (time, total bytes) at each check; a window's worth is kept. */
  private readonly samples: Array<[number, number]> = [];
  private total = 0;
  private lastByte: number;
  private windowStart: number;
  private readonly timer: NodeJS.Timeout;
  /** The stall, once detected. */
  error: StallError | undefined;

  /**
   * Calls `onStall` after `stall` ms without progress, or below `minRate` bytes/s over that window
   * (0 disables the rate check). `heldUp()` says when bytes wait on our side: the mirror is not
   * stalling then.
   */
  constructor(
    private readonly stall: number,
    private readonly minRate: number,
    private readonly onStall: (err: StallError) => void,
    private readonly heldUp: () => boolean = () => false,
  ) {
    this.windowStart = Date.now();
    this.lastByte = this.windowStart;
    this.samples.push([this.windowStart, 0]);
    // Checking a few times per window keeps detection within a quarter window of the truth.
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(1000, Math.floor(stall / 4))));
  }

  /** `n` bytes arrived. */
  bytes(n: number): void {
    this.total += n;
    this.lastByte = Date.now();
  }

  /** Stops watching (the body ended or failed). */
  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    if (this.heldUp()) {
      this.lastByte = now;
      this.samples.length = 0;
      this.samples.push([now, this.total]);
      this.windowStart = now;
      return;
    }
    if (now - this.lastByte >= this.stall) {
      this.fail(`no data for ${((now - this.lastByte) / 1000).toFixed(1)} s`);
      return;
    }
    this.samples.push([now, this.total]);
    if (this.minRate <= 0 || now - this.windowStart < this.stall) return;
    const cutoff = now - this.stall;
    while (this.samples.length > 1 && (this.samples[1] as [number, number])[0] <= cutoff) this.samples.shift();
    const [since, before] = this.samples[0] as [number, number];
    const rate = ((this.total - before) * 1000) / Math.max(1, now - since);
    if (rate < this.minRate) {
      this.fail(`${Math.round(rate)} B/s over the last ${(this.stall / 1000).toFixed(1)} s, below the minimum of ${this.minRate} B/s`);
    }
  }

  private fail(why: string): void {
    this.stop();
    this.error = new StallError(`stalled: ${why}`);
    this.onStall(this.error);
  }
}
