/**
 * Judging one signature: its digest is computed by the verifier (natively, as the bytes stream, with
 * the packet's salt before and its hashed trailer after the data), then the quick check, the issuer
 * lookup, the public-key check and the signing key's state (see key-validity.ts). OpenPGP.js does the
 * public-key math for v4 and v6 packets, given the digest; v3 packets (which OpenPGP.js cannot read) are
 * verified here for RSA.
 */
import { constants, createPublicKey, publicDecrypt } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { Keyring } from './keyring.js';
import type { KeyMoment } from './key-moment.js';
import { CLOCK_SKEW_MS, keyState } from './key-validity.js';
import { keysWithId } from './key-store.js';
import { OPENPGP_CONFIG } from './openpgp-keys.js';
import type { SignaturePacketInfo } from './openpgp-packet.js';
import { hashAlgorithmName, nodeHashName } from './openpgp-packet.js';
import type { KeyProblem, SignatureStatus } from './signature-status.js';

// Offered here too: repository metadata checks and the index take them from this module.
export { nodeHashName } from './openpgp-packet.js';
export { gravestProblem, type KeyProblem, type SignatureRefusal, type SignatureStatus } from './signature-status.js';

/** A judgement. */
export interface SignatureJudgement {
  readonly status: SignatureStatus;
  readonly message?: string;
  /** Fingerprint of the key (or subkey) that made an OK or NOTTRUSTED signature. */
  readonly keyFingerprint?: string;
  /** With NOTTRUSTED: what was wrong with the key. */
  readonly keyProblem?: KeyProblem;
}

/** How a signature is judged besides its bytes and keys. */
export interface JudgeOptions {
  /** When the key's state is taken (default `signature`: packages, as rpm does). */
  readonly moment?: KeyMoment;
  /** The clock (default: the time of the call). */
  readonly now?: Date;
  /** Accept text-document signatures (0x01) too, their digest computed over canonical text; rpm accepts binary ones only. */
  readonly text?: boolean;
}

/** Public-key algorithms OpenPGP.js 6 does not implement (post-quantum composites, SLH-DSA). */
const UNSUPPORTED_ALGORITHMS = new Set([30, 31, 32, 33, 34]);

/** DER DigestInfo prefixes of EMSA-PKCS1-v1_5 (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<string, string> = {
  md5: '3020300c06082a864886f70d020505000410',
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

const bad = (message: string): SignatureJudgement => ({ status: 'BAD', message });

/** A v3 RSA signature: s^e mod n must be the PKCS#1 v1.5 encoding of our digest. */
function verifyV3Rsa(sig: SignaturePacketInfo, digest: Buffer, key: openpgp.PublicKey | openpgp.Subkey): boolean {
  const params = (key.keyPacket as unknown as { publicParams: { n?: Uint8Array; e?: Uint8Array } }).publicParams;
  const hash = nodeHashName(sig.hashAlgorithm);
  const prefix = hash ? DIGEST_INFO[hash] : undefined;
  const s = sig.mpis[0];
  if (!params.n || !params.e || !prefix || !s) return false;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: b64(params.n), e: b64(params.e) }, format: 'jwk' });
  const padded = Buffer.alloc(params.n.length);
  padded.set(s, Math.max(0, padded.length - s.length));
  try {
    const encoded = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, padded);
    return encoded.equals(Buffer.concat([Buffer.from(prefix, 'hex'), digest]));
  } catch {
    return false;
  }
}

/** The public-key check of a v3, v4 or v6 packet with one key: true, or why not. */
async function verifiesWith(packet: Uint8Array, sig: SignaturePacketInfo, digest: Buffer, key: openpgp.PublicKey | openpgp.Subkey, now: Date): Promise<true | string> {
  if (sig.version === 3) return verifyV3Rsa(sig, digest, key) || 'RSA signature does not verify';
  let packetObject: openpgp.SignaturePacket;
  try {
    const signature = await openpgp.readSignature({ binarySignature: packet, config: OPENPGP_CONFIG });
    packetObject = signature.packets[0] as openpgp.SignaturePacket;
  } catch (err) {
    return `invalid OpenPGP signature: ${(err as Error).message}`;
  }
  // OpenPGP.js verifies from a precomputed digest when `hashed` is set (its own streaming path);
  // our digest was computed natively, once, as the package streamed past.
  (packetObject as unknown as { hashed: Uint8Array }).hashed = digest;
  try {
    // The date only bounds the signature's own lifetime here; the key's state is judged apart.
    await packetObject.verify(key.keyPacket, sig.signatureType, undefined as unknown as Uint8Array, new Date(now.getTime() + CLOCK_SKEW_MS), true, OPENPGP_CONFIG);
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Judges a signature packet whose signed digest is `digest` (undefined when the hash algorithm is not
 * available). `parsed` is our reading of the packet, or the reason it could not be read.
 */
export async function judgeSignature(packet: Uint8Array, parsed: SignaturePacketInfo | string, digest: Buffer | undefined, keyring: Keyring, options: JudgeOptions = {}): Promise<SignatureJudgement> {
  if (typeof parsed === 'string') return bad(parsed);
  const sig = parsed;
  const types = options.text ? [0, 1] : [0];
  if (!types.includes(sig.signatureType)) return bad(`signature type 0x${sig.signatureType.toString(16).padStart(2, '0')} is not a ${options.text ? 'document' : 'binary-document'} signature`);
  if (!digest) return { status: 'UNSUPPORTED', message: `hash algorithm ${hashAlgorithmName(sig.hashAlgorithm)} is not available` };
  // The left 16 bits of the signed hash: a mismatch means the data changed, whoever holds the key.
  if (digest[0] !== sig.left16[0] || digest[1] !== sig.left16[1]) return bad('the signed data does not match this signature (digest quick check failed)');
  if (!sig.keyId) return { status: 'NOKEY', message: 'the signature names no issuer' };
  const keys = keysWithId(keyring, sig.keyId);
  if (keys.length === 0) return { status: 'NOKEY', message: `no given key has ID ${sig.keyId}` };
  if (UNSUPPORTED_ALGORITHMS.has(sig.publicKeyAlgorithm)) return { status: 'UNSUPPORTED', message: `public-key algorithm ${sig.publicKeyAlgorithm} is not supported` };
  if (sig.version === 3 && sig.publicKeyAlgorithm !== 1 && sig.publicKeyAlgorithm !== 3) return { status: 'UNSUPPORTED', message: 'only RSA v3 signatures are supported' };
  const now = options.now ?? new Date();
  let problem = 'no key with this ID made it';
  for (const { key, id } of keys) {
    const component = key.getKeys(id)[0];
    if (!component) continue;
    // The key's state matters only for a signature it really made: first the mathematics.
    const verified = await verifiesWith(packet, sig, digest, component, now);
    if (verified !== true) {
      problem = verified;
      continue;
    }
    const state = await keyState(key, component, sig.created, options.moment ?? 'signature', now);
    if (state.status === 'OK') return { status: 'OK', keyFingerprint: state.signing.getFingerprint() };
    if (state.status === 'BAD') return bad(state.message);
    return { status: 'NOTTRUSTED', message: state.message, keyFingerprint: component.getFingerprint(), keyProblem: state.state };
  }
  return bad(problem);
}
