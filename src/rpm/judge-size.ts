/**
 * The package size check: the bytes received against the package's own size tags and the bound its
 * main header sets. rpm never checks SIZE; a short package is truncated, a long one has trailing data.
 */
import type { Judged } from './judged.js';
import type { SizeClaims } from './size-claims.js';
import { extend } from '../extend.js';

/** Judges `received` bytes against the package's claims. */
export function judgeSize(received: number, claims: SizeClaims): Judged {
  const base = { id: 'size', label: 'Package size' };
  if (claims.problem) return { code: 'ERR_RPM_SIZE_INVALID', check: extend(base, { status: 'BAD', message: claims.problem }) };
  if (claims.bound !== undefined && received > claims.bound) {
    return { code: 'ERR_RPM_SIZE_INVALID', check: extend(base, { status: 'BAD', message: `${received} bytes, more than the ${claims.bound} the files its main header lists could take` }) };
  }
  if (claims.expected === undefined) return { check: extend(base, { status: 'MISSING', message: 'the package carries no SIZE, LONGSIZE or PAYLOADSIZE tag' }) };
  const common = extend(base, { expected: String(claims.expected), actual: String(received) });
  if (received === claims.expected || received === claims.max) return { check: extend(common, { status: 'OK' }) };
  if (received < claims.expected) {
    return { code: 'ERR_RPM_TRUNCATED', check: extend(common, { status: 'BAD', message: `${received} of ${claims.expected} bytes: the package is cut short` }) };
  }
  return { code: 'ERR_TRAILING_DATA', check: extend(common, { status: 'BAD', message: `${received - claims.expected} bytes after the end of the package` }) };
}
