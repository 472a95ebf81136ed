/**
 * dnf's repo_gpgcheck: repomd.xml signed by the repository's key, as `repodata/repomd.xml.asc` (a
 * detached OpenPGP signature). With it, a mirror cannot serve stale or altered metadata (withholding
 * updates, offering an old signed package as the latest) without the signature failing: every other
 * metadata file is bound to repomd.xml by its checksum.
 *
 * Each signature is judged like a package's, with one difference: its key must be valid now, not when
 * it signed (librepo with gpgme refuses a key expired now). repomd.xml vouches for the repository's
 * present state; a key that expired or was revoked can no longer vouch for anything present.
 */
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { ErrorCode } from '../errors.js';
import type { Keyring } from '../rpm/keyring.js';
import { OPENPGP_CONFIG } from '../rpm/openpgp-keys.js';
import { parseSignaturePacket, type SignaturePacketInfo } from '../rpm/openpgp-packet.js';
import { gravestProblem, judgeSignature, nodeHashName, type SignatureJudgement } from '../rpm/signature-check.js';

/** Why repomd.xml's signature does not hold: a stable code and what happened. */
export interface RepomdSignatureProblem {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Each signature packet of an armored or binary signature file, as one binary packet. */
async function signaturePackets(signature: Uint8Array): Promise<Uint8Array[]> {
  const text = Buffer.from(signature).toString('latin1');
  const parsed = text.includes('-----BEGIN PGP SIGNATURE')
    ? await openpgp.readSignature({ armoredSignature: text, config: OPENPGP_CONFIG })
    : await openpgp.readSignature({ binarySignature: signature, config: OPENPGP_CONFIG });
  return parsed.packets.map((p) => {
    const one = new openpgp.PacketList<openpgp.SignaturePacket>();
    one.push(p);
    return one.write();
  });
}

/** A text signature signs the data with every line ending made CR LF (RFC 9580 §5.2.1). */
function canonicalText(data: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(data).toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

type Judged = SignatureJudgement & { readonly keyId: string };

async function judge(packet: Uint8Array, repomd: Uint8Array, keys: Keyring, now: Date): Promise<Judged> {
  let parsed: SignaturePacketInfo;
  try {
    parsed = parseSignaturePacket(packet);
  } catch (err) {
    return { status: 'BAD', message: `invalid OpenPGP signature: ${(err as Error).message}`, keyId: 'unknown' };
  }
  const algorithm = nodeHashName(parsed.hashAlgorithm);
  const data = parsed.signatureType === 1 ? canonicalText(repomd) : repomd;
  const digest = algorithm ? createHash(algorithm).update(parsed.prefix).update(data).update(parsed.suffix).digest() : undefined;
  return { ...(await judgeSignature(packet, parsed, digest, keys, { moment: 'now', now, text: true })), keyId: parsed.keyId ?? 'unknown' };
}

/**
 * Why repomd.xml's signature does not hold, or undefined when one signature in it was made over these
 * bytes by a given key that is valid now. One valid signature suffices, as in librepo: a repository
 * rotating keys signs with both.
 */
export async function checkRepomdSignature(repomd: Uint8Array, signature: Uint8Array, keys: Keyring, now = new Date()): Promise<RepomdSignatureProblem | undefined> {
  let packets: Uint8Array[];
  try {
    packets = await signaturePackets(signature);
  } catch (err) {
    return { code: 'ERR_SIGNATURE_BAD', message: `repomd.xml.asc is not an OpenPGP signature (${(err as Error).message})` };
  }
  const judged: Judged[] = [];
  for (const packet of packets) {
    const j = await judge(packet, repomd, keys, now);
    if (j.status === 'OK') return undefined;
    judged.push(j);
  }
  const gravest = gravestProblem(judged);
  if (!gravest) return { code: 'ERR_SIGNATURE_BAD', message: 'repomd.xml.asc holds no signature' };
  const s = gravest.signature;
  return { code: gravest.code, message: `repomd.xml's signature is ${s.status}: ${s.message ?? `key ${s.keyId}`}` };
}
