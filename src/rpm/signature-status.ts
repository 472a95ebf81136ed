/**
 * What a signature's judgement can be, and which of several problems refuses a package. Apart from
 * signature-check.ts, which needs OpenPGP.js, so that reporting and policy do not load it.
 */
import type { ErrorCode } from '../errors.js';

/**
 * `SKIPPED`: not judged (no keys given); `OK`: made by a given key over exactly these bytes, while that
 * key was valid for it; `BAD`: does not verify, is malformed, claims a time its key cannot have signed
 * at, or its key cannot sign; `NOTTRUSTED`: made by a given key over these bytes, but the key was
 * expired or revoked (rpm's word for the same); `NOKEY`: made by a key that was not given;
 * `UNSUPPORTED`: by a given key, with an algorithm we cannot check.
 */
export type SignatureStatus = 'SKIPPED' | 'OK' | 'BAD' | 'NOTTRUSTED' | 'NOKEY' | 'UNSUPPORTED';

/** Why a NOTTRUSTED signature's key was not valid for it. */
export type KeyProblem = 'expired' | 'revoked';

/** A refusal among judged signatures: the error code and the judgement it comes from. */
export interface SignatureRefusal<T> {
  /** The code the package is refused with. */
  readonly code: ErrorCode;
  /** The signature that decided it. */
  readonly signature: T;
}

/**
 * The gravest problem among signatures, when none is OK (or to find a BAD one next to OK ones): a
 * forgery first, then a revoked key, an expired key, an algorithm we cannot check, an unknown key.
 */
export function gravestProblem<T extends { readonly status: SignatureStatus; readonly keyProblem?: KeyProblem }>(signatures: readonly T[]): SignatureRefusal<T> | undefined {
  const ranked: Array<[ErrorCode, (s: T) => boolean]> = [
    ['ERR_SIGNATURE_BAD', (s) => s.status === 'BAD'],
    ['ERR_KEY_REVOKED', (s) => s.status === 'NOTTRUSTED' && s.keyProblem === 'revoked'],
    ['ERR_KEY_EXPIRED', (s) => s.status === 'NOTTRUSTED'],
    ['ERR_SIGNATURE_UNSUPPORTED', (s) => s.status === 'UNSUPPORTED'],
    ['ERR_SIGNATURE_NOKEY', (s) => s.status === 'NOKEY'],
  ];
  for (const [code, matches] of ranked) {
    const signature = signatures.find(matches);
    if (signature) return { code, signature };
  }
  return undefined;
}
