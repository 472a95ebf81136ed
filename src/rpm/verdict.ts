/**
 * The verifier's answer: every check with its status, who the package says it is, the signatures it
 * carries and, on failure, one stable error code.
 */
import type { ErrorCode } from '../errors.js';
import type { PackageIdentity } from './nevra.js';
import type { SignatureInfo } from './signatures.js';

/**
 * `OK` passed; `BAD` failed; `MISSING` the package lacks what the check needs (a tag, a digest);
 * `SKIPPED` not performed (nothing to compare with, or an earlier failure made it moot).
 */
export type CheckStatus = 'OK' | 'BAD' | 'MISSING' | 'SKIPPED';

/** One check of a verdict. */
export interface Check {
  /**
   * Stable identifier: `structure`, `header-sha256`, `header-sha1`, `header-sha3-256`, `payload-sha256`,
   * `payload-sha256-alt`, `payload-sha512[-alt]`, `payload-sha3-256[-alt]`, `md5`, `digests` (coverage),
   * `size`, and for the caller's expectations `expected-size`, `integrity`, `checksum`, `sigmd5`,
   * `nevra`, `file-name`.
   */
  readonly id: string;
  /** Human wording, rpmkeys-style where rpmkeys has one ("Header SHA256 digest"). */
  readonly label: string;
  /** Outcome of the check; see {@link CheckStatus}. */
  readonly status: CheckStatus;
  /** What the package or the caller says. */
  readonly expected?: string;
  /** What the bytes say. */
  readonly actual?: string;
  /** Detail, always present for BAD and MISSING. */
  readonly message?: string;
}

/** The first failure of a verdict. */
export interface VerdictError {
  /** Stable code of the failure; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** What went wrong, for humans. */
  readonly message: string;
  /** The failing check's id. */
  readonly check?: string;
}

/** The result of verifying one package. */
export interface Verdict {
  /** True only when every check passed: the package is whole and what the caller expected. */
  readonly ok: boolean;
  /** Why not, when `ok` is false. */
  readonly error?: VerdictError;
  /** Every check, in the order rpmkeys lists them, then the caller's expectations. */
  readonly checks: readonly Check[];
  /** Identity from the main header, when it could be read. */
  readonly rpm?: PackageIdentity;
  /** Signatures found. Reported, not judged, until keys are given. */
  readonly signatures: readonly SignatureInfo[];
  /** Bytes received. */
  readonly size: number;
  /** The file size the package's own SIZE/LONGSIZE (or v6 PAYLOADSIZE) tag implies. */
  readonly expectedSize?: number;
  /**
   * Digests computed, hex, keyed `range:algorithm`: `header:sha256`, `payload:sha256`,
   * `header+payload:md5`, `file:sha256` (whole file, when an expectation asked for it), …
   */
  readonly digests: Readonly<Record<string, string>>;
}
