/**
 * The decode worker's module (started by `decompress-worker.ts`): decodes one zstd, xz or bzip2 stream
 * with the same step decoders the main thread uses, under the flow control both ways that the host
 * describes. Messages are typed in `decode-protocol.ts`.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { bzip2Steps, type Bzip2Blocks } from './bzip2-steps.js';
import type { DecodeInit, FromDecoder, ToDecoder } from './decode-protocol.js';
import { zstdSteps } from './zstd-steps.js';

const require = createRequire(import.meta.url);
const port = parentPort;
if (!port) throw new Error('decode-worker.ts runs as a worker thread');
const { format, maxAhead, zstdLimits } = workerData as DecodeInit;

let produced = 0;
let acked = 0;
let used = 0;
let ended = false;
const post = (m: FromDecoder, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
const send = (u8: Uint8Array) => {
  // Always a copy: a decoder may still read the block it handed out.
  const copy = u8.slice();
  produced += copy.length;
  post({ op: 'data', buf: copy.buffer, used }, [copy.buffer]);
};
const fail = (e: unknown) => post({ op: 'error', message: String((e as Error | undefined)?.message ?? e) });

/** Input arrived (undefined: the end of it). */
let onInput: (chunk: Uint8Array | undefined) => void;
/** The parser acknowledged output: decoding may go on. */
let onCredit: () => void;

if (format === 'xz') {
  const { XzReadableStream } = require('xz-decompress') as typeof import('xz-decompress');
  const input: Uint8Array[] = [];
  let inputWaiter: (() => void) | undefined;
  let creditWaiter: (() => void) | undefined;
  const source = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (input.length === 0 && !ended) {
          post({ op: 'more', used });
          await new Promise<void>((r) => (inputWaiter = r));
        }
        const chunk = input.shift();
        if (!chunk) return controller.close();
        used += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  const wake = (waiter: (() => void) | undefined) => waiter?.();
  onInput = (chunk) => {
    if (chunk) input.push(chunk);
    const w = inputWaiter;
    inputWaiter = undefined;
    wake(w);
  };
  onCredit = () => {
    const w = creditWaiter;
    creditWaiter = undefined;
    wake(w);
  };
  (async () => {
    const reader = new XzReadableStream(source).getReader();
    for (;;) {
      while (produced - acked >= maxAhead) await new Promise<void>((r) => (creditWaiter = r));
      const { done, value } = await reader.read();
      if (done) break;
      send(value);
    }
    post({ op: 'end', used });
  })().catch(fail);
} else {
  const decoder =
    format === 'zstd'
      ? zstdSteps((require('fzstd') as typeof import('fzstd')).Decompress, zstdLimits)
      : bzip2Steps(require('unbzip2-stream/lib/bzip2') as Bzip2Blocks);
  let over = false;
  const pump = () => {
    try {
      while (!over && produced - acked < maxAhead) {
        const out = decoder.step();
        used = decoder.consumed;
        if (out === null) {
          if (ended) {
            over = true;
            post({ op: 'end', used });
          } else post({ op: 'more', used });
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

port.on('message', (msg: ToDecoder) => {
  if (msg.op === 'data') onInput(new Uint8Array(msg.buf));
  else if (msg.op === 'ack') {
    acked += msg.n;
    onCredit();
  } else {
    ended = true;
    onInput(undefined);
  }
});
