/**
 * The signature policy with keys given: at least one signature by a given key verifies, made while its
 * key was valid, and none is bad. A signature by a key not given (NOKEY) or by a given key that had
 * expired or was revoked (NOTTRUSTED) is not bad: rpm 6 accepts a package with such a signature next to
 * a valid one (it refuses NOKEY ones; we do not).
 */
import { VerifyError } from '../errors.js';
import type { Judged } from './judged.js';
import { gravestProblem } from './signature-status.js';
import type { SignatureInfo } from './signatures.js';
import { extend } from '../extend.js';

const describe = (s: SignatureInfo): string => `${s.label}: ${s.status}${s.error ? ` (${s.error})` : ''}`;

/** The signatures check over every judged signature. */
export function judgeSignaturePolicy(signatures: readonly SignatureInfo[]): Judged {
  const base = { id: 'signatures', label: 'Signatures' };
  if (signatures.length === 0) return { code: 'ERR_UNSIGNED', check: extend(base, { status: 'MISSING', message: 'the package is not signed' }) };
  const gravest = gravestProblem(signatures);
  if (gravest?.code === 'ERR_SIGNATURE_BAD') return { code: gravest.code, check: extend(base, { status: 'BAD', message: describe(gravest.signature) }) };
  const ok = signatures.filter((s) => s.status === 'OK');
  if (ok.length > 0) return { check: extend(base, { status: 'OK', message: `verified by ${[...new Set(ok.map((s) => s.verifiedBy))].join(', ')}` }) };
  if (gravest && gravest.code !== 'ERR_SIGNATURE_NOKEY') {
    const status = gravest.signature.status === 'NOTTRUSTED' ? 'BAD' : 'MISSING';
    return { code: gravest.code, check: extend(base, { status, message: describe(gravest.signature) }) };
  }
  const ids = [...new Set(signatures.map((s) => s.keyId).filter(Boolean))].join(', ');
  return { code: 'ERR_SIGNATURE_NOKEY', check: extend(base, { status: 'MISSING', message: `signed by ${ids || 'unnamed keys'}, none of them given` }) };
}

/**
 * The policy as far as the headers decide it: `known` are the signatures judged (or found hopeless)
 * before the payload; `pending` says whether one over header and payload could still verify. A BAD
 * signature fails the package at once; otherwise it fails only when nothing can still turn out OK.
 */
export function signaturesRefusedEarly(known: readonly SignatureInfo[], pending: boolean): VerifyError | undefined {
  const gravest = gravestProblem(known);
  if (!gravest) return undefined;
  const anyOk = known.some((s) => s.status === 'OK');
  if (gravest.code !== 'ERR_SIGNATURE_BAD' && (anyOk || pending)) return undefined;
  return new VerifyError(gravest.code, `Signatures: ${describe(gravest.signature)}`, 'signatures');
}
