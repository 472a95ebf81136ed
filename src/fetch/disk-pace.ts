/**
 * Whether this process runs its temporary-file operations (open, write, stat, close, rename) on the
 * main thread or through the thread pool.
 *
 * Synchronous while the disk keeps up: an operation on the page cache takes microseconds, while a trip
 * through the thread pool costs the main thread the hand-off and, on a machine whose cores are all busy,
 * the wake-up of a pool thread that preempts it (docs/architecture.md, "Performance"). The first
 * operation that blocks longer than {@link SLOW_MS} (dirty-page throttling, a network filesystem) turns
 * every later one asynchronous, so that one slow disk cannot hold every other download's timers and
 * sockets.
 */

/** An operation slower than this (ms) makes every later one asynchronous. */
export const SLOW_MS = 20;

let sync = true;

/** Runs `fast` on this thread while the disk keeps up, else `slow` through the thread pool. */
export function onDisk<T>(fast: () => T, slow: () => Promise<T>): Promise<T> {
  if (!sync) return slow();
  const start = performance.now();
  try {
    return Promise.resolve(fast());
  } catch (err) {
    return Promise.reject(err as Error);
  } finally {
    if (performance.now() - start > SLOW_MS) sync = false;
  }
}

/** Whether operations still run synchronously (for tests). @internal */
export function diskIsFast(): boolean {
  return sync;
}

/** Makes every later operation asynchronous, as a slow one would (for tests). @internal */
export function markDiskSlow(): void {
  sync = false;
}
