/**
 * An opened source as a Node Readable, for consumers built on streams (repository metadata runs
 * through a checking, decompressing and parsing pipeline). Each chunk is copied out of the source's
 * reused buffer; the source waits while the stream's buffer is full.
 */
import { Readable } from 'node:stream';
import type { OpenedSource } from './transfer.js';

export function readableOf(source: OpenedSource): Readable {
  let wake: (() => void) | undefined;
  let done = false;
  const readable = new Readable({
    highWaterMark: 1024 * 1024,
    read: () => {
      const w = wake;
      wake = undefined;
      w?.();
    },
    destroy: (err, callback) => {
      if (!done) source.discard(err ?? undefined);
      wake?.();
      callback(err);
    },
  });
  source
    .read((chunk) => {
      if (readable.destroyed) throw readable.errored ?? new Error('the stream was destroyed');
      if (!readable.push(Buffer.from(chunk))) return new Promise<void>((resolve) => (wake = resolve));
      return undefined;
    })
    .then(
      () => {
        done = true;
        readable.push(null);
      },
      (err: unknown) => {
        done = true;
        readable.destroy(err as Error);
      },
    );
  return readable;
}
