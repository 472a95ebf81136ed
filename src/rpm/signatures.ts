/**
 * Finds the OpenPGP signatures in a signature header and describes them. rpm keeps header-only
 * signatures (RSA 268, DSA 267 — the latter also carries ECDSA and EdDSA — and rpm 6's OPENPGP array
 * 278) and legacy header+payload ones (PGP 1002, GPG 1005).
 */
import type { Header } from './header.js';
import { hashAlgorithmName, parseSignaturePacket, publicKeyAlgorithmName, type SignaturePacketInfo } from './openpgp-packet.js';
import type { SignatureStatus } from './signature-status.js';
import { TagType } from './tag-type.js';
import { SigTag } from './tags.js';

/** One signature found in a package, and, when keys were given, how it was judged. */
export interface SignatureInfo {
  /** Signature-header tag holding it: 267, 268, 278 (header only) or 1002, 1005 (header + payload). */
  readonly tag: number;
  /** Index within rpm 6's OPENPGP array (tag 278); 0 otherwise. */
  readonly index: number;
  /** What the signature covers. */
  readonly range: 'header' | 'header+payload';
  /** rpmkeys-style description, e.g. "Header V4 RSA/SHA256 Signature, key ID 1964c5fc". */
  readonly label: string;
  /** OpenPGP signature packet version (3, 4 or 6); absent when the packet could not be read. */
  readonly version?: number;
  /** Public-key algorithm name, e.g. `RSA`, `EdDSA`; absent when the packet could not be read. */
  readonly publicKeyAlgorithm?: string;
  /** Hash algorithm name, e.g. `SHA256`; absent when the packet could not be read. */
  readonly hashAlgorithm?: string;
  /** Issuer key ID, 16 lower-case hex digits. */
  readonly keyId?: string;
  /** Issuer fingerprint, lower-case hex (40 digits for v4, 64 for v6), when the packet carries one. */
  readonly fingerprint?: string;
  /** Creation time, ISO 8601. */
  readonly created?: string;
  /** `SKIPPED` when no keys were given; else `OK`, `BAD`, `NOTTRUSTED`, `NOKEY` or `UNSUPPORTED`. */
  readonly status: SignatureStatus;
  /** Why it is not OK (or could not be read). */
  readonly error?: string;
  /** Fingerprint of the given key (or subkey) it verified with: OK, or NOTTRUSTED (the key's, but the key was not valid for it). */
  readonly verifiedBy?: string;
  /** With status `NOTTRUSTED`: `expired` or `revoked` (see "Signatures and keys" in the README). */
  readonly keyProblem?: 'expired' | 'revoked';
}

/** A signature with its raw packet, ready to be judged. */
export interface FoundSignature {
  readonly info: SignatureInfo;
  readonly packet: Uint8Array;
  /** Our reading of the packet, or why it could not be read. */
  readonly parsed: SignaturePacketInfo | string;
}

const SIGNATURE_TAGS: ReadonlyArray<{ tag: number; range: 'header' | 'header+payload'; name: string }> = [
  { tag: SigTag.RSAHEADER, range: 'header', name: 'RSA' },
  { tag: SigTag.DSAHEADER, range: 'header', name: 'DSA' },
  { tag: SigTag.OPENPGP, range: 'header', name: 'OpenPGP' },
  { tag: SigTag.PGP, range: 'header+payload', name: 'PGP' },
  { tag: SigTag.GPG, range: 'header+payload', name: 'GPG' },
];

function found(tag: number, index: number, range: 'header' | 'header+payload', name: string, packet: Uint8Array): FoundSignature {
  const prefix = range === 'header' ? 'Header ' : '';
  try {
    const p = parseSignaturePacket(packet);
    const algos = `${publicKeyAlgorithmName(p.publicKeyAlgorithm)}/${hashAlgorithmName(p.hashAlgorithm)}`;
    const shortId = p.keyId ? `, key ID ${p.keyId.slice(-8)}` : '';
    const info: SignatureInfo = {
      tag,
      index,
      range,
      label: `${prefix}V${p.version} ${algos} Signature${shortId}`,
      version: p.version,
      publicKeyAlgorithm: publicKeyAlgorithmName(p.publicKeyAlgorithm),
      hashAlgorithm: hashAlgorithmName(p.hashAlgorithm),
      ...(p.keyId !== undefined && { keyId: p.keyId }),
      ...(p.fingerprint !== undefined && { fingerprint: p.fingerprint }),
      ...(p.created !== undefined && !Number.isNaN(p.created.getTime()) && { created: p.created.toISOString() }),
      status: 'SKIPPED',
    };
    return { info, packet, parsed: p };
  } catch (err) {
    const error = `tag ${tag}: invalid OpenPGP signature: ${(err as Error).message}`;
    return { info: { tag, index, range, label: `${prefix}${name} signature`, status: 'SKIPPED', error }, packet, parsed: error };
  }
}

function malformed(tag: number, range: 'header' | 'header+payload', name: string, type: number): FoundSignature {
  const error = `tag ${tag}: invalid type ${type}`;
  return { info: { tag, index: 0, range, label: `${range === 'header' ? 'Header ' : ''}${name} signature`, status: 'SKIPPED', error }, packet: new Uint8Array(0), parsed: error };
}

/** Lists the signatures of a signature header, each described as far as its packet can be read. */
export function collectSignatures(signature: Header): FoundSignature[] {
  const out: FoundSignature[] = [];
  for (const { tag, range, name } of SIGNATURE_TAGS) {
    const entry = signature.find(tag);
    if (!entry) continue;
    if (tag === SigTag.OPENPGP) {
      if (entry.type !== TagType.STRING_ARRAY) out.push(malformed(tag, range, name, entry.type));
      else signature.strings(entry, 'latin1').forEach((b64, index) => out.push(found(tag, index, range, name, Buffer.from(b64, 'base64'))));
    } else if (entry.type !== TagType.BIN) {
      out.push(malformed(tag, range, name, entry.type));
    } else {
      out.push(found(tag, 0, range, name, signature.raw(entry)));
    }
  }
  return out;
}
