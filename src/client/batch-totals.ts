/**
 * Running totals of a batch for displays: targets done, failed and in flight, bytes and rate, emitted
 * after every finished target and a few times per second.
 */
import type { DownloadEvent } from './events.js';

/** Follows a batch's targets and emits running totals. */
export class BatchTotals {
  private done = 0;
  private failed = 0;
  private readonly inFlight = new Map<string, { bytes: number; total?: number }>();
  private finishedBytes = 0;
  private knownBytes = 0;
  private lastEmit = 0;
  private rate = 0;
  private lastRateAt: number;
  private lastRateBytes = 0;

  constructor(
    private readonly total: number,
    private readonly out: (event: DownloadEvent) => void,
    private readonly started: number,
  ) {
    this.lastRateAt = started;
  }

  readonly emit = (event: DownloadEvent): void => {
    this.out(event);
    switch (event.type) {
      case 'started':
        if (!this.inFlight.has(event.target)) this.inFlight.set(event.target, { bytes: event.offset });
        break;
      case 'progress': {
        const entry = this.inFlight.get(event.target);
        if (entry) {
          entry.bytes = event.bytes;
          if (event.total !== undefined) entry.total = event.total;
        }
        break;
      }
      case 'done':
      case 'failed': {
        const entry = this.inFlight.get(event.target);
        this.inFlight.delete(event.target);
        if (event.type === 'done') {
          this.done++;
          this.finishedBytes += event.result.size;
          this.knownBytes += event.result.size;
        } else {
          this.failed++;
          this.finishedBytes += entry?.bytes ?? 0;
        }
        this.tick(true);
        return;
      }
      default:
        return;
    }
    this.tick(false);
  };

  private tick(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastEmit < 250) return;
    this.lastEmit = now;
    let bytes = this.finishedBytes;
    let known = this.knownBytes;
    for (const e of this.inFlight.values()) {
      bytes += e.bytes;
      known += e.total ?? 0;
    }
    if (now - this.lastRateAt >= 500) {
      const instant = ((bytes - this.lastRateBytes) * 1000) / (now - this.lastRateAt);
      this.rate = this.rate ? this.rate * 0.6 + instant * 0.4 : instant;
      this.lastRateAt = now;
      this.lastRateBytes = bytes;
    }
    this.out({ type: 'batch', total: this.total, done: this.done, failed: this.failed, inFlight: this.inFlight.size, bytes, bytesKnown: known, rate: this.rate, elapsed: now - this.started });
  }

  flush(): void {
    this.tick(true);
  }
}
