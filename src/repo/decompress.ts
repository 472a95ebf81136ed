/**
 * Decompression of metadata files, chosen by their magic bytes (a mirror's file name says what the
 * repository meant; the bytes say what arrived): gzip, xz, zstd, bzip2 or plain XML. Each decoder
 * fails on a stream that ends early, so a cut-off file never parses as a shorter valid one.
 */
import { PassThrough, Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { RpmfetchError } from '../errors.js';
import { bzip2Steps, type Bzip2Blocks } from './bzip2-steps.js';
import { decodeInWorker } from './decompress-worker.js';
import { Pacer, runSteps } from './step-decoder.js';
import { ZSTD_LIMITS, zstdSteps } from './zstd-steps.js';

export type Compression = 'gzip' | 'xz' | 'zstd' | 'bzip2' | 'zchunk' | 'none';

const MAGIC: ReadonlyArray<[Compression, readonly number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['zchunk', [0x00, 0x5a, 0x43, 0x4b, 0x31]],
];
const SNIFF_BYTES = 6;

/** The compression of a file from its first bytes. */
export function sniffCompression(head: Uint8Array): Compression {
  for (const [format, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return format;
  }
  return 'none';
}

type Chunks = AsyncIterable<Uint8Array>;

/** What a decompressor found and how far its decoder has got: the format, and the compressed bytes taken. */
export interface InputMeter {
  format: Compression;
  consumed: number;
}

/** zlib's output piece: 16 KiB by default, which costs a thread-pool round trip per 16 KiB decoded. */
const ZLIB_CHUNK = 256 * 1024;

/**
 * Runs chunks through a zlib stream (gzip, Node's zstd), yielding its output; the PassThrough gives it
 * an async iterator. zlib decodes in its thread pool in 16 KiB pieces, held back by the stream's
 * backpressure: it never runs ahead of the parser.
 */
async function* through(source: Chunks, stage: NodeJS.ReadWriteStream): AsyncGenerator<Uint8Array> {
  const out = new PassThrough();
  const feeding = pipeline(Readable.from(source, { objectMode: false }), stage, out);
  feeding.catch(() => {}); // surfaces through the iteration below
  try {
    for await (const chunk of out) yield chunk as Uint8Array;
    await feeding;
  } finally {
    out.destroy();
  }
}

function nativeZstd(): ((options: { chunkSize: number }) => Transform) | undefined {
  return (zlib as { createZstdDecompress?: (options: { chunkSize: number }) => Transform }).createZstdDecompress;
}

const require = createRequire(import.meta.url);

/** xz: a WebAssembly build of xz-embedded, which speaks web streams and decodes one buffer per read. */
async function* xz(source: Chunks): AsyncGenerator<Uint8Array> {
  const { XzReadableStream } = require('xz-decompress') as typeof import('xz-decompress');
  const web = Readable.toWeb(Readable.from(source, { objectMode: false })) as unknown as ReadableStream<Uint8Array>;
  // Leaving early cancels the stream, which frees xz-decompress's context (and its lock on the next one).
  yield* new XzReadableStream(web) as unknown as AsyncIterable<Uint8Array>;
}

/** The decoded chunks of `source` in `format`, on this thread or (`worker`) on another. */
function decode(format: Exclude<Compression, 'none' | 'zchunk'>, source: Chunks, worker: boolean, meter: InputMeter, pacer: Pacer, signal: AbortSignal | undefined): AsyncIterable<Uint8Array> {
  switch (format) {
    case 'gzip':
      return through(metered(source, meter), zlib.createGunzip({ chunkSize: ZLIB_CHUNK }));
    case 'zstd': {
      // Node's own decoder where it has one (22.15+), else fzstd.
      const native = nativeZstd();
      if (native) return through(metered(source, meter), native({ chunkSize: ZLIB_CHUNK }));
      if (worker) return decodeInWorker(source, 'zstd', signal, meter);
      return runSteps(metered(source, meter), zstdSteps((require('fzstd') as typeof import('fzstd')).Decompress, ZSTD_LIMITS), pacer);
    }
    case 'xz':
      return worker ? decodeInWorker(source, 'xz', signal, meter) : xz(metered(source, meter));
    case 'bzip2':
      return worker ? decodeInWorker(source, 'bzip2', signal, meter) : runSteps(metered(source, meter), bzip2Steps(require('unbzip2-stream/lib/bzip2') as Bzip2Blocks), pacer);
  }
}

/** Counts the bytes a decoder on this thread takes (it takes them as it needs them, a chunk ahead at most). */
async function* metered(source: Chunks, meter: InputMeter): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    meter.consumed += chunk.length;
    yield chunk;
  }
}

/**
 * A pipeline stage: compressed chunks in, decompressed chunks out, the format sniffed from the first
 * bytes. `what` names the file in errors. `worker`: decode JavaScript/WebAssembly formats on another
 * core (worth it for files of a megabyte or more). `meter` follows the format and the compressed bytes
 * the decoder has taken (for the ratio limit). Decoding goes in bounded steps with breaks for the event
 * loop, and stops at once when the pipeline is aborted or destroyed (its signal).
 */
export function decompressor(what: string, options: { worker?: boolean; meter?: InputMeter } = {}): (source: Chunks, stage?: { signal?: AbortSignal }) => AsyncGenerator<Uint8Array> {
  return async function* decompress(source, stage) {
    const signal = stage?.signal;
    const meter = options.meter ?? { format: 'none', consumed: 0 };
    const pacer = new Pacer(signal);
    const it = source[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let have = 0;
    while (have < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) break;
      head.push(r.value);
      have += r.value.length;
    }
    const first = Buffer.concat(head);
    const format = sniffCompression(first);
    meter.format = format;
    // Errors from upstream (a cut-off body, a checksum that does not match) pass through as they are.
    const upstream = new Set<unknown>();
    const all: Chunks = {
      async *[Symbol.asyncIterator]() {
        if (first.length > 0) yield first;
        for (;;) {
          let r: IteratorResult<Uint8Array>;
          try {
            r = await it.next();
          } catch (err) {
            upstream.add(err);
            throw err;
          }
          if (r.done) return;
          yield r.value;
        }
      },
    };
    if (format === 'zchunk') throw new RpmfetchError('ERR_REPO_METADATA', `${what} is zchunk-compressed, which is not supported (use the primary, not primary_zck)`);
    try {
      for await (const chunk of format === 'none' ? metered(all, meter) : decode(format, all, options.worker === true, meter, pacer, signal)) {
        yield chunk;
        await pacer.tick();
      }
    } catch (err) {
      if (signal?.aborted || err instanceof RpmfetchError || upstream.has(err)) throw err;
      throw new RpmfetchError('ERR_REPO_METADATA', `${what}: ${format} data is corrupt or cut off: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
  };
}
