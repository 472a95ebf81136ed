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
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { bzip2Steps } from './bzip2-steps.js';
import { ZSTD_LIMITS, zstdSteps } from './zstd-steps.js';

/** Decoded bytes allowed to wait for the parser before decoding pauses. */
const MAX_AHEAD = 4 * 1024 * 1024;
/** Compressed bytes allowed to wait in the worker before feeding pauses. */
const MAX_INPUT_AHEAD = 4 * 1024 * 1024;

/**
 * Kept as source text (run with `eval: true`) so that it works the same from `dist/`, under tsx and in
 * bundles; the step decoders are self-contained functions whose text it includes. The decoders' own
 * libraries are loaded by the absolute paths the main thread resolved.
 */
function workerSource(): string {
  return `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
// esbuild (tsx, bundlers) may name functions through this helper in the text included below.
const __name = (f) => f;
const zstdSteps = ${zstdSteps.toString()};
const bzip2Steps = ${bzip2Steps.toString()};
const { format, modules, maxAhead, zstdLimits } = workerData;
let produced = 0;
let acked = 0;
let used = 0;
let ended = false;
const send = (u8) => {
  // Always a copy: a decoder may still read the block it handed out.
  const copy = u8.slice();
  produced += copy.length;
  parentPort.postMessage({ op: 'data', buf: copy.buffer, used }, [copy.buffer]);
};
const fail = (e) => parentPort.postMessage({ op: 'error', message: String((e && e.message) || e) });
let onInput;
let onCredit;
if (format === 'xz') {
  const { XzReadableStream } = require(modules.xz);
  const input = [];
  let inputWaiter;
  let creditWaiter;
  const source = new ReadableStream({
    async pull(controller) {
      while (input.length === 0 && !ended) {
        parentPort.postMessage({ op: 'more', used });
        await new Promise((r) => (inputWaiter = r));
      }
      const chunk = input.shift();
      if (!chunk) return controller.close();
      used += chunk.length;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  onInput = (chunk) => {
    if (chunk) input.push(chunk);
    const w = inputWaiter;
    inputWaiter = undefined;
    if (w) w();
  };
  onCredit = () => {
    const w = creditWaiter;
    creditWaiter = undefined;
    if (w) w();
  };
  (async () => {
    const reader = new XzReadableStream(source).getReader();
    for (;;) {
      while (produced - acked >= maxAhead) await new Promise((r) => (creditWaiter = r));
      const { done, value } = await reader.read();
      if (done) break;
      send(value);
    }
    parentPort.postMessage({ op: 'end', used });
  })().catch(fail);
} else {
  const decoder = format === 'zstd' ? zstdSteps(require(modules.fzstd).Decompress, zstdLimits) : bzip2Steps(require(modules.bzip2));
  let over = false;
  const pump = () => {
    try {
      while (!over && produced - acked < maxAhead) {
        const out = decoder.step();
        used = decoder.consumed;
        if (out === null) {
          if (ended) {
            over = true;
            parentPort.postMessage({ op: 'end', used });
          } else parentPort.postMessage({ op: 'more', used });
          return;
        }
        for (const o of out) send(o);
      }
    } catch (e) {
      over = true;
      fail(e);
    }
  };
  onInput = (chunk) => {
    if (chunk) decoder.write(chunk);
    else decoder.end();
    pump();
  };
  onCredit = pump;
}
parentPort.on('message', (msg) => {
  if (msg.op === 'data') onInput(new Uint8Array(msg.buf));
  else if (msg.op === 'ack') {
    acked += msg.n;
    onCredit();
  } else if (msg.op === 'end') {
    ended = true;
    onInput(undefined);
  }
});
`;
}

type Message = { op: 'data'; buf: ArrayBuffer; used: number } | { op: 'more' | 'end'; used: number } | { op: 'error'; message: string };

let source: string | undefined;
let modules: Record<string, string> | undefined;
function modulePaths(): Record<string, string> {
  const require = createRequire(import.meta.url);
  modules ??= { fzstd: require.resolve('fzstd'), xz: require.resolve('xz-decompress'), bzip2: require.resolve('unbzip2-stream/lib/bzip2') };
  return modules;
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
export async function* decodeInWorker(input: AsyncIterable<Uint8Array>, format: 'zstd' | 'xz' | 'bzip2', signal?: AbortSignal, meter?: { consumed: number }): AsyncGenerator<Uint8Array> {
  signal?.throwIfAborted();
  source ??= workerSource();
  const worker = new Worker(source, { eval: true, execArgv: [], workerData: { format, modules: modulePaths(), maxAhead: MAX_AHEAD, zstdLimits: ZSTD_LIMITS } });
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
  worker.on('message', (m: Message) => {
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
      worker.postMessage({ op: 'data', buf: copy.buffer }, [copy.buffer]);
      sent += copy.length;
      while (!stop && !failure && sent - used > MAX_INPUT_AHEAD) await new Promise<void>((r) => (wakeFeeder = r));
    }
    if (!stop && !failure) worker.postMessage({ op: 'end' });
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
        worker.postMessage({ op: 'ack', n: chunk.length });
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
