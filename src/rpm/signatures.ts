/**
 * Finds the OpenPGP signatures in a signature header and describes them. rpm keeps header-only
 * signatures (RSA 268, DSA 267 — the latter also carries ECDSA and EdDSA — and rpm 6's OPENPGP array
 * 278) and legacy header+payload ones (PGP 1002, GPG 1005).
 */
import type { Header } from './header.js';
import { hashAlgorithmName, parseSignaturePacket, publicKeyAlgorithmName } from './openpgp-packet.js';
import { TagType } from './tag-type.js';
import { SigTag } from './tags.js';

/** How a signature was judged. Until keys are given, signatures are reported and not judged. */
export type SignatureStatus = 'SKIPPED';

/** One signature found in a package. */
export interface SignatureInfo {
  /** Signature-header tag holding it: 267, 268, 278 (header only) or 1002, 1005 (header + payload). */
  readonly tag: number;
  /** Index within rpm 6's OPENPGP array (tag 278); 0 otherwise. */
  readonly index: number;
  /** What the signature covers. */
  readonly range: 'header' | 'header+payload';
  /** rpmkeys-style description, e.g. "Header V4 RSA/SHA256 Signature, key ID 1964c5fc". */
  readonly label: string;
  readonly version?: number;
  readonly publicKeyAlgorithm?: string;
  readonly hashAlgorithm?: string;
  /** Issuer key ID, 16 lower-case hex digits. */
  readonly keyId?: string;
  readonly fingerprint?: string;
  /** Creation time, ISO 8601. */
  readonly created?: string;
  readonly status: SignatureStatus;
  /** Why the packet could not be read, when it could not. */
  readonly error?: string;
}

const SIGNATURE_TAGS: ReadonlyArray<{ tag: number; range: 'header' | 'header+payload'; name: string }> = [
  { tag: SigTag.RSAHEADER, range: 'header', name: 'RSA' },
  { tag: SigTag.DSAHEADER, range: 'header', name: 'DSA' },
  { tag: SigTag.OPENPGP, range: 'header', name: 'OpenPGP' },
  { tag: SigTag.PGP, range: 'header+payload', name: 'PGP' },
  { tag: SigTag.GPG, range: 'header+payload', name: 'GPG' },
];

function describe(tag: number, index: number, range: 'header' | 'header+payload', name: string, packet: Uint8Array): SignatureInfo {
  const prefix = range === 'header' ? 'Header ' : '';
  try {
    const p = parseSignaturePacket(packet);
    const algos = `${publicKeyAlgorithmName(p.publicKeyAlgorithm)}/${hashAlgorithmName(p.hashAlgorithm)}`;
    const shortId = p.keyId ? `, key ID ${p.keyId.slice(-8)}` : '';
    return {
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
  } catch (err) {
    return {
      tag,
      index,
      range,
      label: `${prefix}${name} signature`,
      status: 'SKIPPED',
      error: `tag ${tag}: invalid OpenPGP signature: ${(err as Error).message}`,
    };
  }
}

/** Lists the signatures of a signature header, each described as far as its packet can be read. */
export function collectSignatures(signature: Header): SignatureInfo[] {
  const out: SignatureInfo[] = [];
  for (const { tag, range, name } of SIGNATURE_TAGS) {
    const entry = signature.find(tag);
    if (!entry) continue;
    if (tag === SigTag.OPENPGP) {
      if (entry.type !== TagType.STRING_ARRAY) {
        out.push({ tag, index: 0, range, label: 'Header OpenPGP signature', status: 'SKIPPED', error: `tag ${tag}: invalid type ${entry.type}` });
        continue;
      }
      signature.strings(entry, 'latin1').forEach((b64, index) => {
        out.push(describe(tag, index, range, name, Buffer.from(b64, 'base64')));
      });
    } else if (entry.type !== TagType.BIN) {
      out.push({ tag, index: 0, range, label: `${name} signature`, status: 'SKIPPED', error: `tag ${tag}: invalid type ${entry.type}` });
    } else {
      out.push(describe(tag, 0, range, name, signature.raw(entry)));
    }
  }
  return out;
}
