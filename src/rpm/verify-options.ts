/**
 * What a caller may ask of a verification, and the same validated: {@link Demands} is what the checks
 * and the judge read.
 */
import { InvalidOptionError } from '../errors.js';
import type { DigestLevel } from './digest-level.js';
import { checksumAlgorithm, normalizeExpectations, type Expectations, type NormalizedExpectations } from './expectations.js';
import type { Keyring } from './keyring.js';
import type { OffloadMode } from './stream-hasher.js';
import { extend } from '../extend.js';

/** Options of {@link createVerifier} and {@link verifyFile}. */
export interface VerifyOptions extends Expectations {
  /**
   * The file name the package is expected to carry (a basename such as `bash-5.2.26-3.fc40.x86_64.rpm`):
   * its N-V-R.A (or N-V-R.src) must match the header. `verifyFile` uses the file's own name unless this
   * is `false`; `createVerifier` checks a name only when one is given.
   */
  fileName?: string | false;
  /**
   * Hash on worker threads: `'auto'` (default) for packages of 8 MiB and more when a spare core exists,
   * `true` always, `false` never.
   */
  offload?: OffloadMode;
  /**
   * Trusted public keys (see {@link Keyring.load}). With keys, signatures are judged: the package must
   * carry at least one valid signature by one of them and no bad one. Without, they are only reported.
   */
  keys?: Keyring;
  /**
   * The most bytes to accept, whatever the package says of itself (`ERR_TOO_LARGE`). Unset for
   * {@link verifyFile} and {@link createVerifier}; downloads default to 16 GiB.
   */
  maxSize?: number;
  /**
   * Which digests to check: `'all'` (default) every digest the package carries; `'rpm6'` leaves out
   * MD5 and the header SHA-1, as rpm 6 does, when SHA-256 (or stronger) digests cover the header and
   * the payload (they are then listed `SKIPPED`). MD5 is the slowest digest by far: `'rpm6'` verifies a
   * large package in about half the time.
   */
  digestLevel?: DigestLevel;
  /**
   * Whole-file digests to compute besides those `integrity` and `checksum` need (`sha256`, `sha512`,
   * any `checksum` type), reported in the verdict's `digests` as `file:<algorithm>`. A package cache
   * keys what it stores by them.
   */
  fileDigests?: readonly string[];
}

/** What the caller demands of a package, validated. */
export interface Demands {
  /** Size, integrity, checksum, sigmd5, NEVRA. */
  readonly expect: NormalizedExpectations;
  /** The most bytes to accept. */
  readonly maxSize: number | undefined;
  /** The name the package must carry. */
  readonly fileName: string | undefined;
  /** Keys to judge signatures with; undefined when none were given (signatures are then only reported). */
  readonly keys: Keyring | undefined;
  /** Which digests to check. */
  readonly digestLevel: DigestLevel;
}

/** Validates `options`; throws {@link InvalidOptionError} naming the bad one. */
export function demandsOf(options: VerifyOptions): Demands {
  const expect = withFileDigests(normalizeExpectations(options), options.fileDigests);
  if (options.maxSize !== undefined && !(Number.isSafeInteger(options.maxSize) && options.maxSize > 0)) {
    throw new InvalidOptionError(`maxSize must be a positive integer, got ${options.maxSize}`);
  }
  const digestLevel = options.digestLevel ?? 'all';
  if (digestLevel !== 'all' && digestLevel !== 'rpm6') throw new InvalidOptionError(`digestLevel must be 'all' or 'rpm6', got ${String(digestLevel)}`);
  return {
    expect,
    maxSize: options.maxSize,
    fileName: typeof options.fileName === 'string' ? options.fileName : undefined,
    keys: options.keys && options.keys.size > 0 ? options.keys : undefined,
    digestLevel,
  };
}

/** The expectations with the extra whole-file digests asked for; throws for an unknown algorithm. */
function withFileDigests(expect: NormalizedExpectations, extra: readonly string[] | undefined): NormalizedExpectations {
  if (extra === undefined || extra.length === 0) return expect;
  if (!Array.isArray(extra)) throw new InvalidOptionError('fileDigests must be an array of algorithm names');
  const algorithms = new Set(expect.fileAlgorithms);
  for (const name of extra) {
    const known = typeof name === 'string' ? checksumAlgorithm(name) : undefined;
    if (!known) throw new InvalidOptionError(`fileDigests: "${String(name)}" is not one of md5, sha1, sha224, sha256, sha384, sha512`);
    algorithms.add(known.algorithm);
  }
  return extend(expect, { fileAlgorithms: [...algorithms] });
}
