/**
 * rpmfetch: download `.rpm` and `.src.rpm` files from an ordered list of mirrors and return only
 * packages proven whole and genuine.
 *
 * @packageDocumentation
 */
export { createVerifier, RpmVerifier, type VerifyOptions } from './rpm/verifier.js';
export { verifyFile } from './rpm/verify-file.js';
export type { Check, CheckStatus, Verdict, VerdictError } from './rpm/verdict.js';
export type { Expectations } from './rpm/expectations.js';
export type { PackageIdentity, Nevra } from './rpm/nevra.js';
export { formatNevra, parseNevra } from './rpm/nevra.js';
export type { SignatureInfo, SignatureStatus } from './rpm/signatures.js';
export type { OffloadMode } from './rpm/stream-hasher.js';
export {
  RpmfetchError,
  VerifyError,
  InvalidOptionError,
  FileReadError,
  type ErrorCode,
} from './errors.js';
