/**
 * zstd in bounded steps, where Node has no zstd decoder of its own (before 22.15): fzstd, handed one
 * block at a time by a walk over the frame structure (RFC 8878), so that a step decodes at most one
 * block (128 KiB out). The walk only cuts the input; fzstd still decodes and checks every byte.
 *
 * fzstd keeps a frame's whole window and shifts it by each block, so a block costs as much as its
 * window: frames with a window over `maxWindow` are refused (zstd's levels 1–19 use at most 8 MiB),
 * and so is data whose blocks are too small for their window (more than `workPerByte` bytes of window
 * moved per byte decoded, beyond `workSlack`): no encoder writes that, and it would make decoding crawl.
 * Each block also costs its own bookkeeping, so blocks that decode to almost nothing (1 KiB on average,
 * past the first 16384; encoders write 128 KiB ones) are refused too.
 *
 * Shared by the main thread and the decode worker (decode-worker.ts).
 */
import type { StepDecoder } from './step-decoder.js';

/** What zstd data may cost fzstd. */
export interface ZstdLimits {
  readonly maxWindow: number;
  readonly workPerByte: number;
  readonly workSlack: number;
}

/** 8 MiB windows (zstd -19's); full 128 KiB blocks move 64 bytes of window per byte decoded. */
export const ZSTD_LIMITS: ZstdLimits = { maxWindow: 8 * 1024 * 1024, workPerByte: 128, workSlack: 1024 * 1024 * 1024 };

/** fzstd's streaming decoder. */
export type FzstdDecompress = new (ondata: (chunk: Uint8Array, final?: boolean) => unknown) => { push(chunk: Uint8Array, final?: boolean): unknown };

export function zstdSteps(Decompress: FzstdDecompress, limits: ZstdLimits): StepDecoder {
  const FRAME_MAGIC = 0xfd2fb528;
  const BLOCK_MAX = 128 * 1024;
  const FREE_BLOCKS = 16384;
  const MIN_AVERAGE = 1024;
  const out: Uint8Array[] = [];
  const decoder = new Decompress((chunk) => {
    if (chunk.length > 0) out.push(chunk);
  });
  const queue: Uint8Array[] = [];
  let head = 0;
  // The walk: the field being read (its bytes so far, its length) or the payload bytes left to pass.
  let state: 'magic' | 'descriptor' | 'header' | 'block' | 'payload' | 'trailer' | 'skippable' = 'magic';
  let field: number[] = [];
  let need = 4;
  let skip = 0;
  let descriptor = 0;
  let window = 0;
  let last = false;
  let work = 0;
  let blocks = 0;
  let decoded = 0;
  let consumed = 0;
  let ended = false;
  let done = false;

  const little = (bytes: number[], from: number, length: number): number => {
    let value = 0;
    for (let i = length - 1; i >= 0; i--) value = value * 256 + (bytes[from + i] as number);
    return value;
  };
  const expect = (next: typeof state, bytes: number): void => {
    state = next;
    need = bytes;
    field = [];
  };
  /** Reads a complete field; true when it completes a block. */
  const parse = (): boolean => {
    if (state === 'magic') {
      const magic = little(field, 0, 4);
      if (magic === FRAME_MAGIC) expect('descriptor', 1);
      else if (magic >>> 4 === 0x184d2a5) expect('skippable', 4);
      else throw new Error('not zstd data (no frame magic)');
    } else if (state === 'descriptor') {
      descriptor = field[0] as number;
      if (descriptor & 8) throw new Error('a zstd frame header with its reserved bit set');
      const single = (descriptor & 0x20) !== 0;
      const fcs = descriptor >> 6;
      expect('header', (single ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]! + (fcs === 0 ? (single ? 1 : 0) : 1 << fcs));
    } else if (state === 'header') {
      const single = (descriptor & 0x20) !== 0;
      const fcsBytes = descriptor >> 6 === 0 ? (single ? 1 : 0) : 1 << (descriptor >> 6);
      if (single) {
        window = little(field, field.length - fcsBytes, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
      } else {
        const w = field[0] as number;
        const base = 2 ** (10 + (w >> 3));
        window = base + (base / 8) * (w & 7);
      }
      if (window > limits.maxWindow) throw new Error(`a zstd window of ${window} bytes, more than the ${limits.maxWindow} this decoder handles`);
      expect('block', 3);
    } else if (state === 'block') {
      const h = little(field, 0, 3);
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw new Error('a zstd block of the reserved type');
      if (size > BLOCK_MAX) throw new Error(`a zstd block of ${size} bytes, more than ${BLOCK_MAX}`);
      last = (h & 1) === 1;
      state = 'payload';
      skip = type === 1 ? 1 : size;
      return skip === 0 && endBlock();
    } else {
      state = 'payload';
      skip = little(field, 0, 4);
      last = false;
      window = -1; // a skippable frame: its payload is not a block
      if (skip === 0) expect('magic', 4);
    }
    return false;
  };
  /** The payload of a block (or skippable frame) has passed; true for a block. */
  const endBlock = (): boolean => {
    const block = window >= 0;
    if (!block) expect('magic', 4);
    else if (!last) expect('block', 3);
    else if (descriptor & 4) {
      state = 'trailer';
      skip = 4;
    } else expect('magic', 4);
    if (block) {
      work += window;
      blocks++;
    }
    return block;
  };
  /** Walks `bytes` from `at` to the end of the next block, or to the end; returns where it stopped. */
  const walk = (bytes: Uint8Array, at: number): { end: number; block: boolean } => {
    while (at < bytes.length) {
      if (state === 'payload' || state === 'trailer') {
        const n = Math.min(skip, bytes.length - at);
        skip -= n;
        at += n;
        if (skip > 0) break;
        if (state === 'trailer') expect('magic', 4);
        else if (endBlock()) return { end: at, block: true };
        continue;
      }
      field.push(bytes[at++] as number);
      if (field.length === need && parse()) return { end: at, block: true };
    }
    return { end: at, block: false };
  };

  return {
    get consumed() {
      return consumed;
    },
    write(chunk) {
      if (chunk.length > 0) queue.push(chunk);
    },
    end() {
      ended = true;
    },
    step() {
      if (done) return null;
      if (queue.length === 0) {
        if (!ended) return null;
        done = true;
        if (state !== 'magic' || field.length > 0) throw new Error('zstd data cut off');
        decoder.push(new Uint8Array(0), true);
        return out.splice(0);
      }
      for (;;) {
        const chunk = queue[0] as Uint8Array;
        const { end, block } = walk(chunk, head);
        const piece = chunk.subarray(head, end);
        if (end >= chunk.length) {
          queue.shift();
          head = 0;
        } else head = end;
        consumed += piece.length;
        if (piece.length > 0) decoder.push(piece);
        if (block || queue.length === 0) break;
      }
      const produced = out.splice(0);
      for (const o of produced) decoded += o.length;
      if (work > limits.workSlack + limits.workPerByte * decoded) throw new Error(`zstd blocks too small for their ${window}-byte window (${work} bytes of window moved for ${decoded} decoded)`);
      if (blocks > FREE_BLOCKS + decoded / MIN_AVERAGE) throw new Error(`${blocks} zstd blocks decode to only ${decoded} bytes`);
      return produced;
    },
  };
}
