/**
 * The check of a metadata file against what repomd.xml says of it, as its bytes stream: a byte past
 * the stated size fails at once (a lying size is not read to the end); at the end the size must be
 * reached and the checksum must match. Whatever was parsed from the bytes is only used after this
 * stage has ended cleanly.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { RpmfetchError } from '../errors.js';
import { AttemptFailure } from '../fetch/attempt-failure.js';
import { checksumAlgorithm } from '../rpm/expectations.js';

export interface BodyExpectations {
  /** Exact size in bytes. */
  readonly size?: number;
  readonly checksum?: { readonly type: string; readonly hex: string };
  /** A hard limit when no size is known. */
  readonly maxBytes: number;
}

export class BodyCheck extends Transform {
  bytes = 0;
  private readonly hash: Hash | undefined;

  constructor(
    private readonly what: string,
    private readonly expect: BodyExpectations,
    /** Each chunk that passed (within the size limit), as it passes. */
    private readonly onChunk: (chunk: Buffer) => void,
  ) {
    super();
    const algorithm = expect.checksum && checksumAlgorithm(expect.checksum.type);
    if (expect.checksum && !algorithm) throw new RpmfetchError('ERR_REPO_METADATA', `${what}: unknown checksum type ${expect.checksum.type}`);
    this.hash = algorithm ? createHash(algorithm.algorithm) : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const limit = this.expect.size ?? this.expect.maxBytes;
    if (this.bytes > limit) {
      const why = this.expect.size !== undefined ? `is larger than the ${limit} bytes repomd.xml says` : `is larger than ${limit} bytes`;
      done(new RpmfetchError('ERR_REPO_METADATA', `${this.what} ${why}`));
      return;
    }
    this.hash?.update(chunk);
    this.onChunk(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { size, checksum } = this.expect;
    if (size !== undefined && this.bytes < size) {
      done(new AttemptFailure('ERR_BODY_TRUNCATED', 'body', 'retry', `${this.what} ended at ${this.bytes} of the ${size} bytes repomd.xml says`));
      return;
    }
    if (checksum && this.hash) {
      const actual = this.hash.digest('hex');
      if (actual !== checksum.hex.toLowerCase()) {
        done(new RpmfetchError('ERR_REPO_METADATA', `${this.what} does not match repomd.xml: ${checksum.type} ${actual}, expected ${checksum.hex}`));
        return;
      }
    }
    done();
  }
}
