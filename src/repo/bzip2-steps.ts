/**
 * bzip2 in bounded steps: unbzip2-stream's block decoder (`lib/bzip2`), called one block per step by a
 * driver of our own. (unbzip2-stream's stream decodes every block it holds input for in one go, and at
 * the end of its input all that remain: a few KB of bzip2 is gigabytes, all at once, a byte at a time
 * into an array.) A block is at most 900 kB before its final run-length stage, about 46 MB after it;
 * each step is one block, its output handed on in 256 KiB pieces.
 *
 * Blocks carry no length: a block is tried once input is there, and if the input runs out inside it
 * the step is undone (a block's output only starts once all its bits are read) and tried again when
 * twice as much is there, so a block is read a bounded number of times. A block costs microseconds
 * whatever it holds, so blocks that decode to almost nothing (1 KiB on average, past the first 16384;
 * real ones hold 100–900 kB) are refused: a file of them would cost time out of all proportion.
 *
 * Shared by the main thread and the decode worker (decode-worker.ts).
 */
import type { StepDecoder } from './step-decoder.js';

/** Reads `n` bits (most significant first), or with null skips to the next byte boundary. */
export type BitReader = (n: number | null) => number;

/** unbzip2-stream's `lib/bzip2`: a stream header, then one block (or the end-of-stream marker) per call. */
export interface Bzip2Blocks {
  header(bits: BitReader): number;
  decompress(bits: BitReader, stream: (byte: number) => void, buf: Int32Array, bufsize: number, streamCRC: number): number | null;
}

export function bzip2Steps(lib: Bzip2Blocks): StepDecoder {
  const PIECE = 256 * 1024;
  const FREE_BLOCKS = 16384;
  const MIN_AVERAGE = 1024;
  const NEED_MORE = { needMore: true };
  const chunks: Uint8Array[] = [];
  let queued = 0;
  // Read position: chunk, byte in it, bit in that byte.
  let ci = 0;
  let bi = 0;
  let bit = 0;
  let dropped = 0;
  let level = 0; // 0 between streams: a stream header comes next
  let crc = 0;
  let buf: Int32Array | undefined;
  let triedWith = 0;
  let ended = false;
  let done = false;
  let blocks = 0;
  let decoded = 0;

  const next = (): void => {
    bit = 0;
    if (++bi >= (chunks[ci] as Uint8Array).length) {
      ci++;
      bi = 0;
    }
  };
  const bits: BitReader = (n) => {
    if (n === null) {
      if (bit !== 0) next();
      return 0;
    }
    let value = 0;
    while (n > 0) {
      const chunk = chunks[ci];
      if (!chunk) throw NEED_MORE;
      const left = 8 - bit;
      const take = Math.min(n, left);
      value = value * 2 ** take + (((chunk[bi] as number) >> (left - take)) & ((1 << take) - 1));
      n -= take;
      bit += take;
      if (bit === 8) next();
    }
    return value;
  };
  /** Bytes queued beyond the read position. */
  const available = (): number => {
    let before = bi;
    for (let i = 0; i < ci; i++) before += (chunks[i] as Uint8Array).length;
    return queued - before;
  };
  /** What has been read is done with. */
  const commit = (): void => {
    for (const c of chunks.splice(0, ci)) {
      dropped += c.length;
      queued -= c.length;
    }
    ci = 0;
    triedWith = 0;
  };

  return {
    get consumed() {
      return dropped + bi;
    },
    write(chunk) {
      if (chunk.length === 0) return;
      chunks.push(chunk);
      queued += chunk.length;
    },
    end() {
      ended = true;
    },
    step() {
      if (done) return null;
      const have = available();
      if (have === 0) {
        if (!ended) return null;
        if (level !== 0) throw new Error('bzip2 data cut off (no end-of-stream marker)');
        done = true;
        return null;
      }
      if (!ended && have <= 2 * triedWith) return null;
      const at = { ci, bi, bit };
      const pieces: Uint8Array[] = [];
      let piece: Uint8Array | undefined;
      let n = 0;
      const emit = (byte: number): void => {
        piece ??= new Uint8Array(PIECE);
        piece[n++] = byte;
        if (n === PIECE) {
          pieces.push(piece);
          piece = undefined;
          n = 0;
        }
      };
      try {
        if (level === 0) {
          level = lib.header(bits);
          if (buf?.length !== 100000 * level) buf = new Int32Array(100000 * level);
          crc = 0;
        } else {
          const result = lib.decompress(bits, emit, buf as Int32Array, (buf as Int32Array).length, crc);
          if (result === null) level = 0;
          else crc = result;
        }
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        ({ ci, bi, bit } = at);
        if (ended) throw new Error('bzip2 data cut off');
        triedWith = have;
        return null;
      }
      commit();
      if (piece && n > 0) pieces.push(piece.subarray(0, n));
      for (const p of pieces) decoded += p.length;
      if (++blocks > FREE_BLOCKS + decoded / MIN_AVERAGE) throw new Error(`${blocks} bzip2 blocks decode to only ${decoded} bytes`);
      return pieces;
    },
  };
}
