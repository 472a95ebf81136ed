/**
 * Signatures judged with the caller's keys, in two steps: what the headers decide (header-only
 * signatures, judged as soon as the main header is read; signatures whose key was not given or that
 * cannot be read), then, once the payload has streamed past, the ones over header and payload.
 */
import type { Keyring } from './keyring.js';
import { keysWithId } from './key-store.js';
import type { FoundSignature, SignatureInfo } from './signatures.js';
import { extend } from '../extend.js';

let checking: Promise<typeof import('./signature-check.js')> | undefined;

/**
 * Loads the code that judges signatures (and OpenPGP.js with it), once. A verifier given keys starts
 * this when it is created, so that the judging is ready by the time the headers are.
 */
export function loadSignatureCheck(): Promise<typeof import('./signature-check.js')> {
  checking ??= import('./signature-check.js');
  return checking;
}

/** Signatures as far as the headers decide them. */
export interface EarlyJudgement {
  /** Header-only signatures judged, by index; kept for the verdict. */
  readonly judged: ReadonlyMap<number, Promise<SignatureInfo>>;
  /** Every signature whose outcome is known now. */
  readonly known: Promise<SignatureInfo[]>;
  /** True when a signature over header and payload by a given key's ID is still to be judged. */
  readonly pending: boolean;
}

/** One signature judged with `keys`, from the digest of what it signs. */
export async function judgeFound(found: FoundSignature, digest: Buffer | undefined, keys: Keyring): Promise<SignatureInfo> {
  const { judgeSignature } = await loadSignatureCheck();
  const j = await judgeSignature(found.packet, found.parsed, digest, keys).catch((err: unknown) => ({ status: 'BAD' as const, message: `cannot check: ${(err as Error).message}` }));
  const { error: _error, ...info } = found.info;
  return extend(info, {
    status: j.status,
    ...(j.message !== undefined && { error: j.message }),
    ...('keyFingerprint' in j && j.keyFingerprint !== undefined && { verifiedBy: j.keyFingerprint }),
    ...('keyProblem' in j && j.keyProblem !== undefined && { keyProblem: j.keyProblem }),
  });
}

/**
 * Judges what the headers decide: header-only signatures from `digests` (what each signs, see
 * hash-plan.ts); unreadable ones are BAD; one over header and payload is NOKEY when no given key has
 * its ID, else pending.
 */
export function judgeBeforePayload(found: readonly FoundSignature[], digests: ReadonlyMap<number, Buffer | undefined>, keys: Keyring): EarlyJudgement {
  const judged = new Map<number, Promise<SignatureInfo>>();
  const known: Array<Promise<SignatureInfo>> = [];
  let pending = false;
  found.forEach((s, i) => {
    if (s.info.range === 'header' && typeof s.parsed !== 'string') {
      const j = judgeFound(s, digests.get(i), keys);
      judged.set(i, j);
      known.push(j);
    } else if (typeof s.parsed === 'string') {
      known.push(Promise.resolve(extend(s.info, { status: 'BAD' as const, error: s.parsed })));
    } else if (s.parsed.keyId === undefined || keysWithId(keys, s.parsed.keyId).length === 0) {
      known.push(Promise.resolve(extend(s.info, { status: 'NOKEY' as const })));
    } else {
      pending = true;
    }
  });
  return { judged, known: Promise.all(known), pending };
}

/**
 * Every signature judged: those judged before the payload (`early`) as they were, the others from their streamed
 * digest (hex, keyed `signature:<index>`) or the one computed from the header.
 */
export function judgeAll(found: readonly FoundSignature[], early: EarlyJudgement['judged'], streamed: ReadonlyMap<string, string>, digests: ReadonlyMap<number, Buffer | undefined>, keys: Keyring): Promise<SignatureInfo[]> {
  return Promise.all(
    found.map((s, i) => {
      const hex = streamed.get(`signature:${i}`);
      return early.get(i) ?? judgeFound(s, hex !== undefined ? Buffer.from(hex, 'hex') : digests.get(i), keys);
    }),
  );
}
