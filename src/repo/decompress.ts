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
import { decodeInWorker } from './decompress-worker.js';

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

/**
 * Runs chunks through a Node stream stage (zlib's, or an old-style one like unbzip2-stream's), yielding
 * its output; the PassThrough gives any stage an async iterator.
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

function nativeZstd(): (() => Transform) | undefined {
  return (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
}

/** zstd: Node's own decoder where it has one (22.15+), else fzstd. */
async function* zstd(source: Chunks): AsyncGenerator<Uint8Array> {
  const native = nativeZstd();
  if (native) {
    yield* through(source, native());
    return;
  }
  const { Decompress } = createRequire(import.meta.url)('fzstd') as typeof import('fzstd');
  const out: Uint8Array[] = [];
  const decoder = new Decompress((chunk) => {
    if (chunk.length > 0) out.push(chunk);
  });
  for await (const chunk of source) {
    decoder.push(chunk);
    yield* out.splice(0);
  }
  decoder.push(new Uint8Array(0), true);
  yield* out.splice(0);
}

/** xz: a WebAssembly build of xz-embedded, which speaks web streams. */
async function* xz(source: Chunks): AsyncGenerator<Uint8Array> {
  const { XzReadableStream } = createRequire(import.meta.url)('xz-decompress') as typeof import('xz-decompress');
  const web = Readable.toWeb(Readable.from(source, { objectMode: false })) as unknown as ReadableStream<Uint8Array>;
  yield* new XzReadableStream(web) as unknown as AsyncIterable<Uint8Array>;
}

async function* bzip2(source: Chunks): AsyncGenerator<Uint8Array> {
  const unbzip2 = createRequire(import.meta.url)('unbzip2-stream') as () => NodeJS.ReadWriteStream;
  yield* through(source, unbzip2());
}

/**
 * A pipeline stage: compressed chunks in, decompressed chunks out, the format sniffed from the first
 * bytes. `what` names the file in errors. `worker`: decode JavaScript/WebAssembly formats on another
 * core (worth it for files of a megabyte or more).
 */
export function decompressor(what: string, options: { worker?: boolean } = {}): (source: Chunks) => AsyncGenerator<Uint8Array> {
  return async function* decompress(source) {
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
    try {
      switch (format) {
        case 'none':
          yield* all;
          return;
        case 'gzip':
          yield* through(all, zlib.createGunzip());
          return;
        case 'zstd':
          yield* options.worker && !nativeZstd() ? decodeInWorker(all, 'zstd') : zstd(all);
          return;
        case 'xz':
          yield* options.worker ? decodeInWorker(all, 'xz') : xz(all);
          return;
        case 'bzip2':
          yield* options.worker ? decodeInWorker(all, 'bzip2') : bzip2(all);
          return;
        case 'zchunk':
          throw new RpmfetchError('ERR_REPO_METADATA', `${what} is zchunk-compressed, which is not supported (use the primary, not primary_zck)`);
      }
    } catch (err) {
      if (err instanceof RpmfetchError || upstream.has(err)) throw err;
      throw new RpmfetchError('ERR_REPO_METADATA', `${what}: ${format} data is corrupt or cut off: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
  };
}
