/**
 * Progress of one request, a few times per second: a display needs no more, and an event per chunk
 * would cost more than the chunk. `flush()` reports the last bytes whatever the time, so a display
 * reaches the total before the file is done.
 */

/** Milliseconds between two progress reports of one request. */
const INTERVAL = 200;

export class ProgressReporter {
  private lastEmit = 0;
  private lastHeld = 0;
  private rate = 0;
  private held = 0;
  private total: number | undefined;

  constructor(private readonly emit: (held: number, total: number | undefined, rate: number) => void) {}

  /** `held` bytes of the file are held now, of `total` when known. */
  report(held: number, total: number | undefined): void {
    this.held = held;
    this.total = total;
    const now = performance.now();
    if (now - this.lastEmit < INTERVAL) return;
    this.send(now);
  }

  /** Reports the last state now. */
  flush(): void {
    this.send(performance.now());
  }

  private send(now: number): void {
    if (this.lastEmit > 0) this.rate = ((this.held - this.lastHeld) * 1000) / Math.max(1, now - this.lastEmit);
    this.lastEmit = now;
    this.lastHeld = this.held;
    this.emit(this.held, this.total, this.rate);
  }
}
