/**
 * Decompression on another core for the decoders that are JavaScript or WebAssembly (zstd before Node
 * 22, xz, bzip2): the primary file is parsed on this thread while the next megabytes are decoded on
 * that one. (gzip, and zstd where Node has it, already run in libuv's thread pool.)
 *
 * Flow control: the worker decodes only while less than {@link MAX_AHEAD} bytes of its output are
 * unacknowledged by the parser, so a slow parse never lets decoded data pile up; compressed input
 * (bounded by the size repomd.xml states) waits in the worker instead.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Decoded bytes allowed to wait for the parser before input is held back. */
const MAX_AHEAD = 4 * 1024 * 1024;

/**
 * Kept as source text (run with `eval: true`) so that it works the same from `dist/`, under tsx and in
 * bundles. The decoders are loaded by the absolute paths the main thread resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let produced = 0;
let acked = 0;
const send = (u8) => {
  // Always a copy: a decoder may still read the block it handed out.
  const copy = u8.slice();
  produced += copy.length;
  parentPort.postMessage({ op: 'data', buf: copy.buffer }, [copy.buffer]);
};
const fail = (e) => parentPort.postMessage({ op: 'error', message: String((e && e.message) || e) });
let push;
let end;
const m = workerData.modules;
if (workerData.format === 'zstd') {
  const { Decompress } = require(m.fzstd);
  const d = new Decompress((chunk) => { if (chunk.length) send(chunk); });
  push = (c) => d.push(c);
  end = async () => d.push(new Uint8Array(0), true);
} else if (workerData.format === 'xz') {
  const { XzReadableStream } = require(m.xz);
  let input;
  const stream = new ReadableStream({ start(c) { input = c; } });
  const reading = (async () => {
    const reader = new XzReadableStream(stream).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      send(value);
    }
  })();
  reading.catch(fail);
  push = (c) => input.enqueue(c);
  end = async () => { input.close(); await reading; };
} else {
  const s = require(m.bzip2)();
  let error;
  s.on('data', send);
  s.on('error', (e) => { error = e; fail(e); });
  push = (c) => { if (!error) s.write(Buffer.from(c.buffer, c.byteOffset, c.length)); };
  end = () => new Promise((resolve, reject) => {
    if (error) return reject(error);
    s.on('end', resolve);
    s.on('error', reject);
    s.end();
  });
}
const queue = [];
let ending = false;
let ended = false;
async function pump() {
  try {
    while (queue.length > 0 && produced - acked < workerData.maxAhead) push(queue.shift());
    if (ending && queue.length === 0 && !ended) {
      ended = true;
      await end();
      parentPort.postMessage({ op: 'end' });
    }
  } catch (e) {
    fail(e);
  }
}
parentPort.on('message', (msg) => {
  if (msg.op === 'data') queue.push(new Uint8Array(msg.buf));
  else if (msg.op === 'ack') acked += msg.n;
  else if (msg.op === 'end') ending = true;
  pump();
});
`;

type Message = { op: 'data'; buf: ArrayBuffer } | { op: 'end' } | { op: 'error'; message: string };

let modules: Record<string, string> | undefined;
function modulePaths(): Record<string, string> {
  const require = createRequire(import.meta.url);
  modules ??= { fzstd: require.resolve('fzstd'), xz: require.resolve('xz-decompress'), bzip2: require.resolve('unbzip2-stream') };
  return modules;
}

/** Decodes `source` on a worker thread. Errors of `source` itself are rethrown as they are. */
export async function* decodeInWorker(source: AsyncIterable<Uint8Array>, format: 'zstd' | 'xz' | 'bzip2'): AsyncGenerator<Uint8Array> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { format, modules: modulePaths(), maxAhead: MAX_AHEAD } });
  const out: Uint8Array[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: Message) => {
    if (m.op === 'data') out.push(new Uint8Array(m.buf));
    else if (m.op === 'end') finished = true;
    else failure ??= { error: new Error(m.message) };
    notify();
  });
  worker.on('error', (error) => {
    failure ??= { error };
    notify();
  });
  let stop = false;
  const feeding = (async () => {
    for await (const chunk of source) {
      if (stop) return;
      const copy = chunk.slice();
      worker.postMessage({ op: 'data', buf: copy.buffer }, [copy.buffer]);
    }
    worker.postMessage({ op: 'end' });
  })().catch((error: unknown) => {
    failure ??= { error };
    notify();
  });
  try {
    for (;;) {
      const chunk = out.shift();
      if (chunk) {
        worker.postMessage({ op: 'ack', n: chunk.length });
        yield chunk;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
    }
    await feeding;
  } finally {
    stop = true;
    void worker.terminate();
  }
}
