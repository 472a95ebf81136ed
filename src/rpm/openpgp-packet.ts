/**
 * Just enough of RFC 4880 / RFC 9580 to describe an OpenPGP signature packet: version, signature
 * type, algorithms, issuer and creation time. Judging a signature needs a key and real cryptography;
 * this only reads what the packet says about itself, so the verdict can report it.
 */
import { getHashes } from 'node:crypto';

/** What a signature packet says about itself. */
export interface SignaturePacketInfo {
  /** Packet version: 3, 4 or 6. */
  readonly version: number;
  /** Signature type; rpm accepts only 0x00 (binary document). */
  readonly signatureType: number;
  readonly publicKeyAlgorithm: number;
  readonly hashAlgorithm: number;
  /** Issuer key ID, 16 lower-case hex digits, when the packet names one. */
  readonly keyId?: string;
  /** Issuer fingerprint (v4: 40 hex digits, v6: 64), when the packet carries one. */
  readonly fingerprint?: string;
  /** Creation time, when present. */
  readonly created?: Date;
  /** Bytes hashed before the data: the salt of a v6 signature; empty otherwise. */
  readonly prefix: Uint8Array;
  /**
   * Bytes hashed after the data: v3 `type ‖ ctime`; v4/v6 the hashed part of the packet followed by
   * `version ‖ 0xFF ‖ length32` (RFC 4880 §5.2.4, RFC 9580 §5.2.4).
   */
  readonly suffix: Uint8Array;
  /** The left 16 bits of the signed hash, which a correct digest must start with. */
  readonly left16: Uint8Array;
  /** A v3 signature's MPIs as raw bytes (OpenPGP.js cannot read v3 packets; we verify v3 RSA ourselves). */
  readonly mpis: readonly Uint8Array[];
}

/** OpenPGP public-key algorithm names (RFC 9580 §9.1, plus rpm's post-quantum composites). */
export function publicKeyAlgorithmName(id: number): string {
  const names: Record<number, string> = {
    1: 'RSA', 2: 'RSA', 3: 'RSA', 16: 'ElGamal', 17: 'DSA', 18: 'ECDH', 19: 'ECDSA', 22: 'EdDSA',
    25: 'X25519', 26: 'X448', 27: 'Ed25519', 28: 'Ed448', 30: 'ML-DSA-65+Ed25519', 31: 'ML-DSA-87+Ed448',
    32: 'SLH-DSA-SHAKE-128s', 33: 'SLH-DSA-SHAKE-128f', 34: 'SLH-DSA-SHAKE-256s',
  };
  return names[id] ?? `algorithm ${id}`;
}

const NODE_HASHES: Record<number, string> = {
  1: 'md5', 2: 'sha1', 3: 'ripemd160', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224', 12: 'sha3-256', 14: 'sha3-512',
};
const AVAILABLE = new Set(getHashes());

/** Node's name for an OpenPGP hash algorithm, or undefined when Node cannot compute it. */
export function nodeHashName(openpgpId: number): string | undefined {
  const name = NODE_HASHES[openpgpId];
  return name && AVAILABLE.has(name) ? name : undefined;
}

/** OpenPGP hash algorithm names (same numbers as rpm's `pgpHashAlgo`). */
export function hashAlgorithmName(id: number): string {
  const names: Record<number, string> = {
    1: 'MD5', 2: 'SHA1', 3: 'RIPEMD160', 5: 'MD2', 6: 'TIGER192', 7: 'HAVAL-5-160', 8: 'SHA256', 9: 'SHA384',
    10: 'SHA512', 11: 'SHA224', 12: 'SHA3-256', 14: 'SHA3-512',
  };
  return names[id] ?? `hash ${id}`;
}

class PacketReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new Error('signature packet is truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    return ((this.u8() << 24) >>> 0) + (this.u8() << 16) + (this.u8() << 8) + this.u8();
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function readMpis(r: PacketReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (r.pos < r.buf.length) {
    const bits = r.u16();
    out.push(r.bytes(Math.ceil(bits / 8)));
  }
  return out;
}

function trailer(version: number, hashed: Uint8Array): Uint8Array {
  const out = Buffer.alloc(hashed.length + 6);
  out.set(hashed, 0);
  out[hashed.length] = version;
  out[hashed.length + 1] = 0xff;
  out.writeUInt32BE(hashed.length, hashed.length + 2);
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Reads the packet header and returns the body of a signature packet (tag 2). */
function signatureBody(packet: Uint8Array): Uint8Array {
  const r = new PacketReader(packet);
  const ctb = r.u8();
  if ((ctb & 0x80) === 0) throw new Error('not an OpenPGP packet');
  let tag: number;
  let length: number;
  if (ctb & 0x40) {
    tag = ctb & 0x3f;
    const first = r.u8();
    if (first < 192) length = first;
    else if (first < 224) length = ((first - 192) << 8) + r.u8() + 192;
    else if (first === 255) length = r.u32();
    else throw new Error('partial-length signature packets are not allowed');
  } else {
    tag = (ctb >> 2) & 0x0f;
    const lengthType = ctb & 0x03;
    if (lengthType === 0) length = r.u8();
    else if (lengthType === 1) length = r.u16();
    else if (lengthType === 2) length = r.u32();
    else length = packet.length - r.pos;
  }
  if (tag !== 2) throw new Error(`OpenPGP packet tag ${tag} is not a signature`);
  return r.bytes(length);
}

interface Subpackets {
  keyId?: string;
  fingerprint?: string;
  created?: Date;
}

function readSubpackets(area: Uint8Array, into: Subpackets, hashed: boolean): void {
  const r = new PacketReader(area);
  while (r.pos < area.length) {
    const first = r.u8();
    let length: number;
    if (first < 192) length = first;
    else if (first < 255) length = ((first - 192) << 8) + r.u8() + 192;
    else length = r.u32();
    if (length < 1) throw new Error('empty signature subpacket');
    const body = new PacketReader(r.bytes(length));
    const type = body.u8() & 0x7f;
    if (type === 2 && hashed) into.created = new Date(body.u32() * 1000);
    else if (type === 16) into.keyId ??= hex(body.bytes(8));
    else if (type === 33) {
      const version = body.u8();
      into.fingerprint ??= hex(body.bytes(version === 6 ? 32 : 20));
    }
  }
}

/** Parses one binary OpenPGP signature packet. Throws a plain Error describing what is malformed. */
export function parseSignaturePacket(packet: Uint8Array): SignaturePacketInfo {
  const body = signatureBody(packet);
  const r = new PacketReader(body);
  const version = r.u8();
  if (version === 3) {
    if (r.u8() !== 5) throw new Error('v3 signature: hashed length must be 5');
    const suffix = r.bytes(5);
    const signatureType = suffix[0] as number;
    const created = new Date(Buffer.from(suffix).readUInt32BE(1) * 1000);
    const keyId = hex(r.bytes(8));
    const publicKeyAlgorithm = r.u8();
    const hashAlgorithm = r.u8();
    const left16 = r.bytes(2);
    const mpis = readMpis(r);
    return { version, signatureType, publicKeyAlgorithm, hashAlgorithm, keyId, created, prefix: new Uint8Array(0), suffix, left16, mpis };
  }
  if (version !== 4 && version !== 6) throw new Error(`unsupported signature packet version ${version}`);
  const signatureType = r.u8();
  const publicKeyAlgorithm = r.u8();
  const hashAlgorithm = r.u8();
  const sub: Subpackets = {};
  const hashedLength = version === 6 ? r.u32() : r.u16();
  readSubpackets(r.bytes(hashedLength), sub, true);
  const hashedPart = body.subarray(0, r.pos);
  const unhashedLength = version === 6 ? r.u32() : r.u16();
  readSubpackets(r.bytes(unhashedLength), sub, false);
  const left16 = r.bytes(2);
  const prefix = version === 6 ? r.bytes(r.u8()) : new Uint8Array(0);
  // v4/v6 signatures are verified by OpenPGP.js, which reads their values itself.
  const mpis: Uint8Array[] = [];
  // A v4 key ID is the low 64 bits of its fingerprint; a v6 key ID the high 64 bits.
  const keyId =
    sub.keyId ?? (sub.fingerprint ? (version === 6 ? sub.fingerprint.slice(0, 16) : sub.fingerprint.slice(-16)) : undefined);
  return {
    version,
    signatureType,
    publicKeyAlgorithm,
    hashAlgorithm,
    prefix,
    suffix: trailer(version, hashedPart),
    left16,
    mpis,
    ...(keyId !== undefined && { keyId }),
    ...(sub.fingerprint !== undefined && { fingerprint: sub.fingerprint }),
    ...(sub.created !== undefined && { created: sub.created }),
  };
}
