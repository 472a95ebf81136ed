/**
 * Stall detection by progress, not by deadline: a body stalls when no byte has arrived for `stall` ms,
 * or when fewer than `minRate` bytes per second arrived over the last `stall` ms (curl's low-speed
 * limit, as librepo sets it). A slow transfer that keeps above the rate is never killed.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** A stall: the body stopped, or crawled below the minimum rate for a whole window. */
export class StallError extends Error {
  readonly code = 'ERR_STALL';
}

export class StallMonitor extends Transform {
  /** (time, total bytes) at each check; a window's worth is kept. */
  private readonly samples: Array<[number, number]> = [];
  private total = 0;
  private lastByte: number;
  private windowStart: number;
  private readonly timer: NodeJS.Timeout;

  /** `stall` ms without progress or below `minRate` bytes/s over the same window (0 disables the rate check). */
  constructor(
    private readonly stall: number,
    private readonly minRate: number,
  ) {
    super();
    this.windowStart = Date.now();
    this.lastByte = this.windowStart;
    this.samples.push([this.windowStart, 0]);
    // Checking a few times per window keeps detection within a quarter window of the truth.
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(1000, Math.floor(stall / 4))));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const now = Date.now();
    this.total += chunk.length;
    this.lastByte = now;
    callback(null, chunk);
  }

  private check(): void {
    const now = Date.now();
    if (this.writableLength > 0 || this.readableLength > 0) {
      // Bytes are waiting on our side (the disk or the verifier is slower than the network): the
      // mirror is not stalling, and the rate window starts again once we catch up.
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
    clearInterval(this.timer);
    this.destroy(new StallError(`stalled: ${why}`));
  }

  override _flush(callback: TransformCallback): void {
    clearInterval(this.timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.timer);
    callback(error);
  }
}
