/**
 * A FIFO counting semaphore: the Downloader's limit on targets in flight, with waiting callers served
 * in order and an abort taking a waiter out of the queue.
 */
export class Slots {
  private free: number;
  private readonly queue: Array<() => void> = [];
  constructor(count: number) {
    this.free = count;
  }
  async take(signal?: AbortSignal): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(grant);
    });
  }
  give(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}
