/**
 * Decompression on another core for the decoders that are JavaScript or WebAssembly (zstd before Node
 * 22.15, xz, bzip2): the primary file is parsed on this thread while the next megabytes are decoded on
 * that one. (gzip, and zstd where Node has it, already run in libuv's thread pool.)
 *
 * Flow control both ways, so that memory stays bounded whatever the data: the worker decodes only
 * while less than {@link MAX_AHEAD} bytes of its output are unacknowledged by the parser, in bounded
 * steps (one block at a time), and it is sent compressed input only while less than
 * {@link MAX_INPUT_AHEAD} bytes of it wait undecoded. An abort terminates the worker at once, even in
 * the middle of a step.
 */
import { Worker } from 'node:worker_threads';
import createDebug from 'debug';
import { workerModule, type WorkerEntry } from '../workers/worker-entry.js';
import type { DecodeFormat, DecodeInit, FromDecoder, ToDecoder } from './decode-protocol.js';
import { ZSTD_LIMITS } from './zstd-steps.js';

const debug = createDebug('rpmfetch:http');

/** Decoded bytes allowed to wait for the parser before decoding pauses. */
const MAX_AHEAD = 4 * 1024 * 1024;
/** Compressed bytes allowed to wait in the worker before feeding pauses. */
const MAX_INPUT_AHEAD = 4 * 1024 * 1024;

/** The decode worker module next to this one, compiled or not (see workers/worker-entry.ts). */
function decodeWorkerEntry(): WorkerEntry {
  return workerModule(new URL('./decode-worker.js', import.meta.url), import.meta.url);
}

let running = 0;

/** Decode workers alive now: each ends with its decode, however that ends. */
export function decodeWorkersRunning(): number {
  return running;
}

/**
 * Decodes `input` on a worker thread. Errors of `input` itself are rethrown as they are; an abort of
 * `signal` terminates the worker and rejects with the signal's reason. `meter.consumed` follows the
 * input bytes the decoder has taken (not those sent ahead to it).
 */
export async function* decodeInWorker(input: AsyncIterable<Uint8Array>, format: DecodeFormat, signal?: AbortSignal, meter?: { consumed: number }): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  const entry = decodeWorkerEntry();
  const init: DecodeInit = { format, maxAhead: MAX_AHEAD, zstdLimits: ZSTD_LIMITS };
  const worker = new Worker(entry.url, { name: 'rpmfetch-decode', execArgv: [...entry.execArgv], workerData: init });
  debug('decoding %s on a worker thread (%s)', format, entry.url.href);
  const post = (m: ToDecoder, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);
  running++;
  worker.once('exit', () => running--);
  const out: Uint8Array[] = [];
  let finished = false;
  let stop = false;
  let failure: { error: unknown } | undefined;
  let sent = 0;
  let used = 0;
  let wakeReader: (() => void) | undefined;
  let wakeFeeder: (() => void) | undefined;
  const notify = () => {
    const [r, f] = [wakeReader, wakeFeeder];
    wakeReader = wakeFeeder = undefined;
    r?.();
    f?.();
  };
  const onAbort = () => {
    failure ??= { error: signal?.reason };
    void worker.terminate();
    notify();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  worker.on('message', (m: FromDecoder) => {
    if (m.op === 'error') failure ??= { error: new Error(m.message) };
    else {
      used = m.used;
      if (meter) meter.consumed = used;
      if (m.op === 'data') out.push(new Uint8Array(m.buf));
      else if (m.op === 'end') finished = true;
    }
    notify();
  });
  worker.on('error', (error) => {
    failure ??= { error };
    notify();
  });
  worker.on('exit', () => {
    failure ??= { error: new Error('the decode worker stopped') };
    notify();
  });
  const feeding = (async () => {
    for await (const chunk of input) {
      if (stop || failure) return;
      // A copy of its own to transfer (a Buffer's slice() is a view on a shared pool).
      const copy = new Uint8Array(chunk);
      post({ op: 'data', buf: copy.buffer }, [copy.buffer]);
      sent += copy.length;
      while (!stop && !failure && sent - used > MAX_INPUT_AHEAD) await new Promise<void>((r) => (wakeFeeder = r));
    }
    if (!stop && !failure) post({ op: 'end' });
  })().catch((error: unknown) => {
    failure ??= { error };
    notify();
  });
  try {
    for (;;) {
      // A failure ends the decode at once: what the worker had sent is not wanted any more.
      if (failure) throw failure.error;
      const chunk = out.shift();
      if (chunk) {
        post({ op: 'ack', n: chunk.length });
        yield chunk;
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wakeReader = r));
    }
    await feeding;
  } finally {
    stop = true;
    notify();
    signal?.removeEventListener('abort', onAbort);
    void worker.terminate();
  }
}
