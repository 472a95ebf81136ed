/**
 * How big a primary file may be, received and decompressed. A mirror controls both repomd.xml and the
 * bytes, so neither is trusted to be small: every byte is counted against a limit as it streams, and a
 * file past one fails on that mirror like any other bad metadata (`ERR_REPO_METADATA`).
 *
 * - **Absolute**: `maxPrimarySize` (default 2 GiB) for the bytes received and for the bytes decoded.
 *   Fedora's Everything primary.xml is a few hundred MB decoded (tens of MB compressed); 2 GiB leaves
 *   several times that, and bounds what a hostile file costs. A plain primary.xml is as big received as
 *   decoded, so the same figure serves both.
 * - **Stated**: repomd.xml's `size` and `open-size`, when given, are exact; a repomd.xml stating more
 *   than the limit, or an expansion no metadata has, is not used (another mirror's is tried).
 * - **Ratio**: decoded bytes may not pass {@link MAX_RATIO} times the compressed bytes the decoder has
 *   taken, plus {@link RATIO_SLACK}: 1000 for xz, zstd and bzip2, 250 for gzip. Real primary files
 *   expand 10–20 times; a repository of thousands of builds of one package with long file lists reaches
 *   about 360 (xz, zstd), 150 (bzip2) and 90 (gzip, whose matches are at most 258 bytes long); bombs
 *   expand thousands to millions of times (gzip's, at most 1032). The check runs as the bytes stream,
 *   so a bomb of a few KB stops after a few tens of MB decoded, in well under a second.
 */
import { RpmfetchError } from '../errors.js';

const MIB = 1024 * 1024;
/** Default most bytes a primary file may take, received or decoded: 2 GiB. */
export const DEFAULT_PRIMARY_MAX_SIZE = 2 * 1024 * MIB;
/** Decoded bytes allowed per compressed byte taken by the decoder (beyond the slack), by format. */
export const MAX_RATIO: Readonly<Record<string, number>> = { gzip: 250, xz: 1000, zstd: 1000, bzip2: 1000 };
/** The ratio for a repomd.xml's stated sizes (the format is only known from the bytes). */
const STATED_RATIO = 1000;
/** Decoded bytes allowed on top of the ratio: the start of a stream may decode ahead of its input. */
export const RATIO_SLACK = 16 * MIB;

/** The decoder's side of the ratio: the format it decodes and the compressed bytes it has taken. */
export interface DecoderInput {
  readonly format: string;
  readonly consumed: number;
}

/** What repomd.xml says of the primary file's sizes. */
export interface StatedSizes {
  readonly size?: number;
  readonly openSize?: number;
}

/** Why the sizes repomd.xml states for the primary file are unacceptable, or undefined. */
export function statedSizeProblem(stated: StatedSizes, max: number): string | undefined {
  const { size, openSize } = stated;
  if (size !== undefined && size > max) return `it says the primary file is ${size} bytes, more than the ${max} allowed`;
  if (openSize !== undefined && openSize > max) return `it says the primary file decompresses to ${openSize} bytes, more than the ${max} allowed`;
  if (size !== undefined && openSize !== undefined && openSize > RATIO_SLACK + STATED_RATIO * size) {
    return `it says the primary file decompresses from ${size} to ${openSize} bytes, more than ${STATED_RATIO} times (a decompression bomb)`;
  }
  return undefined;
}

/** Counts a file's decoded bytes against its limits as they stream. */
export class DecodedSize {
  /** Bytes decoded so far. */
  bytes = 0;
  private readonly cap: number;

  constructor(
    private readonly what: string,
    private readonly openSize: number | undefined,
    private readonly max: number,
  ) {
    this.cap = Math.min(openSize ?? max, max);
  }

  /** Adds `n` decoded bytes, `input` saying how much compressed data made them; throws past a limit. */
  add(n: number, input?: DecoderInput): void {
    this.bytes += n;
    if (this.bytes > this.cap) {
      const why = this.openSize !== undefined && this.openSize <= this.max ? `the ${this.openSize} bytes repomd.xml says` : `${this.max} bytes`;
      throw new RpmfetchError('ERR_REPO_METADATA', `${this.what} decompresses to more than ${why}`);
    }
    const ratio = input && MAX_RATIO[input.format];
    if (input && ratio !== undefined && this.bytes > RATIO_SLACK + ratio * input.consumed) {
      throw new RpmfetchError('ERR_REPO_METADATA', `${this.what} decompresses to more than ${ratio} times its ${input.consumed} ${input.format} bytes decoded so far (a decompression bomb)`);
    }
  }

  /** At the end: the decoded size must be the one repomd.xml states. */
  end(): void {
    if (this.openSize !== undefined && this.bytes !== this.openSize) {
      throw new RpmfetchError('ERR_REPO_METADATA', `${this.what} decompresses to ${this.bytes} bytes, repomd.xml says ${this.openSize}`);
    }
  }
}
