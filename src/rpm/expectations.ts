/**
 * What a caller may say about a package before its bytes arrive (size, SRI integrity, a checksum,
 * koji's sigmd5, the NEVRA, the file name), checked for sanity up front so that a typo fails at once
 * rather than as a verification failure after a long download.
 */
import { createRequire } from 'node:module';
import type ssri from 'ssri';
import { InvalidOptionError } from '../errors.js';
import { parseNevra } from './nevra.js';
import { extend } from '../extend.js';

// ssri is loaded on first use: most verifications carry no SRI string, and the CLI starts faster.
let ssriModule: typeof ssri | undefined;
function loadSsri(): typeof ssri {
  ssriModule ??= createRequire(import.meta.url)('ssri') as typeof ssri;
  return ssriModule;
}

/** Checksum algorithms accepted in `checksum.type` (repository metadata names them this way). */
const CHECKSUM_ALGORITHMS: Record<string, string> = {
  md5: 'md5',
  sha: 'sha1',
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};
const HEX_LENGTH: Record<string, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/** The Node hash algorithm of a repository checksum type (`sha` is SHA-1), with its hex length; undefined if unknown. */
export function checksumAlgorithm(type: string): { algorithm: string; hexLength: number } | undefined {
  const algorithm = CHECKSUM_ALGORITHMS[type.toLowerCase()];
  return algorithm ? { algorithm, hexLength: HEX_LENGTH[algorithm] as number } : undefined;
}

/** What the caller expects of a package. Every field is optional; each given one becomes a check. */
export interface Expectations {
  /** Exact file size in bytes. */
  size?: number;
  /** Subresource Integrity string, e.g. `sha256-…`; the strongest algorithm in it is checked. */
  integrity?: string;
  /** A checksum of the whole file, as repository metadata gives it. `type` `sha` means SHA-1. */
  checksum?: {
    /** Type as repository metadata names it, case-insensitive: `md5`, `sha` (SHA-1), `sha1`, `sha224`, `sha256`, `sha384` or `sha512`. */
    type: string;
    /** The digest in hex (either case), as many digits as the type implies. */
    hex: string;
  };
  /** Koji's `payloadhash`: the hex MD5 (tag 1004) the package's signature header must carry. */
  sigmd5?: string;
  /** Expected `name-[epoch:]version-release.arch` (`.src` for source packages). */
  nevra?: string;
}

/** What is used of a parsed SRI string (ssri's Integrity), without its type in our declarations. */
interface ParsedIntegrity {
  pickAlgorithm(): string;
  match(integrity: string): unknown;
}

/** Expectations after validation, with the whole-file hashes they need. */
export interface NormalizedExpectations {
  readonly size?: number;
  readonly integrity?: { readonly parsed: ParsedIntegrity; readonly algorithm: string; readonly text: string };
  readonly checksum?: { readonly algorithm: string; readonly hex: string; readonly type: string };
  readonly sigmd5?: string;
  readonly nevra?: string;
  /** Algorithms to run over the whole file. */
  readonly fileAlgorithms: readonly string[];
}

/** Validates expectations; throws {@link InvalidOptionError} naming the bad field. */
export function normalizeExpectations(e: Expectations): NormalizedExpectations {
  const out: {
    size?: number;
    integrity?: { parsed: ParsedIntegrity; algorithm: string; text: string };
    checksum?: { algorithm: string; hex: string; type: string };
    sigmd5?: string;
    nevra?: string;
  } = {};
  const algorithms = new Set<string>();
  if (e.size !== undefined) {
    if (!Number.isSafeInteger(e.size) || e.size < 0) throw new InvalidOptionError(`size must be a non-negative integer, got ${e.size}`);
    out.size = e.size;
  }
  if (e.integrity !== undefined) {
    const parsed = loadSsri().parse(e.integrity);
    const algorithm = parsed && Object.keys(parsed).length > 0 ? parsed.pickAlgorithm() : undefined;
    if (!parsed || !algorithm || !(algorithm in HEX_LENGTH)) {
      throw new InvalidOptionError(`integrity "${e.integrity}" is not an SRI string with a sha1/sha256/sha384/sha512 hash`);
    }
    out.integrity = { parsed, algorithm, text: e.integrity };
    algorithms.add(algorithm);
  }
  if (e.checksum !== undefined) {
    const algorithm = CHECKSUM_ALGORITHMS[e.checksum.type.toLowerCase()];
    if (!algorithm) throw new InvalidOptionError(`checksum type "${e.checksum.type}" is not one of ${Object.keys(CHECKSUM_ALGORITHMS).join(', ')}`);
    const hex = e.checksum.hex.toLowerCase();
    if (hex.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(hex)) {
      throw new InvalidOptionError(`checksum "${e.checksum.hex}" is not a ${HEX_LENGTH[algorithm]}-digit hex ${e.checksum.type} digest`);
    }
    out.checksum = { algorithm, hex, type: e.checksum.type };
    algorithms.add(algorithm);
  }
  if (e.sigmd5 !== undefined) {
    if (!/^[0-9a-fA-F]{32}$/.test(e.sigmd5)) throw new InvalidOptionError(`sigmd5 "${e.sigmd5}" is not 32 hex digits`);
    out.sigmd5 = e.sigmd5.toLowerCase();
  }
  if (e.nevra !== undefined) {
    if (!parseNevra(e.nevra)) throw new InvalidOptionError(`nevra "${e.nevra}" is not of the form name-[epoch:]version-release.arch`);
    out.nevra = e.nevra;
  }
  return extend(out, { fileAlgorithms: [...algorithms] });
}

/** Whether the SRI expectation matches a computed hex digest of its algorithm. */
export function integrityMatches(expected: NormalizedExpectations['integrity'] & object, hex: string): boolean {
  const actual = loadSsri().fromHex(hex, expected.algorithm);
  return expected.parsed.match(actual.toString()) !== false;
}
