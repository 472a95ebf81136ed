/**
 * What decides a package before its payload has arrived, so that a download can stop early: size
 * limits passed, size claims that contradict the caller, the signature header's MD5 against koji's
 * sigmd5, a package unsigned when keys were given, header digests, and another package than the one
 * asked for. Each returns the first failure it finds, or undefined. (Signatures judged from the headers
 * are in judge-signatures.ts.)
 */
import { VerifyError } from '../errors.js';
import { md5Item, type DigestItem } from './digest-items.js';
import type { Header } from './header.js';
import { matchFileName, matchNevra, type PackageIdentity } from './nevra.js';
import type { SizeClaims } from './size-claims.js';
import type { Demands } from './verify-options.js';

/**
 * The first limit `received` bytes have passed: the caller's size, `maxSize`, and once the payload is
 * streaming (inside the headers, their own declared lengths bound what is read), the package's size
 * tags or what the files its main header lists could take.
 */
export function limitPassed(received: number, inPayload: boolean, claims: SizeClaims, demands: Demands): VerifyError | undefined {
  const expected = demands.expect.size;
  if (expected !== undefined && received > expected) return new VerifyError('ERR_SIZE_MISMATCH', `more than the ${expected} bytes expected`, 'expected-size');
  if (demands.maxSize !== undefined && received > demands.maxSize) return new VerifyError('ERR_TOO_LARGE', `more than the ${demands.maxSize} bytes allowed (maxSize)`, 'max-size');
  if (!inPayload) return undefined;
  if (claims.max !== undefined && received > claims.max) return new VerifyError('ERR_TRAILING_DATA', `more bytes than the package's size tags allow (${claims.max})`, 'size');
  if (claims.bound !== undefined && received > claims.bound) return new VerifyError('ERR_RPM_SIZE_INVALID', `more bytes than the files its main header lists could take (${claims.bound})`, 'size');
  return undefined;
}

/** What the package says of its own length, against the caller's size and `maxSize`. */
export function claimedSizeRefused(claims: SizeClaims, demands: Demands): VerifyError | undefined {
  if (claims.problem !== undefined) return new VerifyError('ERR_RPM_SIZE_INVALID', claims.problem, 'size');
  const total = claims.expected;
  if (total === undefined) return undefined;
  const expected = demands.expect.size;
  if (expected !== undefined && total !== expected && claims.max !== expected) {
    return new VerifyError('ERR_SIZE_MISMATCH', `the package says it is ${total} bytes, ${expected} expected`, 'expected-size');
  }
  if (demands.maxSize !== undefined && total > demands.maxSize) {
    return new VerifyError('ERR_TOO_LARGE', `the package says it is ${total} bytes, more than the ${demands.maxSize} allowed (maxSize)`, 'max-size');
  }
  return undefined;
}

/** What the signature header alone decides: koji's sigmd5, and with keys, whether it is signed at all. */
export function signatureHeaderRefused(signature: Header, signatureCount: number, demands: Demands): VerifyError | undefined {
  const wanted = demands.expect.sigmd5;
  if (wanted !== undefined) {
    const md5 = md5Item(signature).expected;
    if (md5 === undefined) return new VerifyError('ERR_SIGMD5_MISMATCH', 'the package carries no valid MD5 (tag 1004) to compare with', 'sigmd5');
    if (md5 !== wanted) return new VerifyError('ERR_SIGMD5_MISMATCH', `expected ${wanted} != ${md5}`, 'sigmd5');
  }
  if (demands.keys && signatureCount === 0) return new VerifyError('ERR_UNSIGNED', 'the package is not signed', 'signatures');
  return undefined;
}

/** What the main header decides: a malformed digest, header digests, size claims, NEVRA and file name. */
export function mainHeaderRefused(items: readonly DigestItem[], headerDigests: ReadonlyMap<string, string>, identity: PackageIdentity, claims: SizeClaims, demands: Demands): VerifyError | undefined {
  for (const item of items) {
    if (!item.present) continue;
    const twin = items.some((o) => o !== item && o.present && o.group === item.group);
    if (item.invalid !== undefined && !twin) return new VerifyError('ERR_RPM_DIGEST_INVALID', `${item.label}: ${item.invalid}`, item.id);
    if (item.range === 'header' && item.expected !== undefined) {
      const actual = headerDigests.get(`header:${item.algorithm}`);
      if (actual !== item.expected) return new VerifyError('ERR_RPM_DIGEST_MISMATCH', `${item.label}: expected ${item.expected} != ${actual}`, item.id);
    }
  }
  const claimed = claimedSizeRefused(claims, demands);
  if (claimed) return claimed;
  if (demands.expect.nevra !== undefined) {
    const problem = matchNevra(demands.expect.nevra, identity);
    if (problem) return new VerifyError('ERR_NEVRA_MISMATCH', `NEVRA: ${problem}`, 'nevra');
  }
  if (demands.fileName !== undefined) {
    const problem = matchFileName(demands.fileName, identity);
    if (problem) return new VerifyError('ERR_NEVRA_MISMATCH', `File name: ${problem}`, 'file-name');
  }
  return undefined;
}
