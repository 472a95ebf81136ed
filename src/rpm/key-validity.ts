/**
 * Whether a given key (or subkey) was in a state to make a signature: not expired, not revoked, and not
 * younger than the signature. When that state is taken depends on what the signature vouches for:
 *
 * - a package signature says "this build was signed then": the key is judged as it stood at the
 *   signature's creation time, as rpm 6 does (rpm-sequoia judges the certificate "as of the signature's
 *   creation time"). A key that expired since does not undo the packages it signed.
 * - repomd.xml's signature says "this is the repository now": the key must be valid now, as librepo's
 *   gpgme backend demands (gpg reports a signature by a key expired now as EXPKEYSIG, which librepo
 *   refuses). An expired key vouching for today's metadata would let a mirror replay old metadata forever.
 *
 * Revocations follow RFC 9580 §5.2.3.31 as OpenPGP.js and sequoia read them: a hard revocation (key
 * compromised, or no reason given) voids every signature whatever its date; a soft one (key superseded
 * or retired) only those made after it.
 */
import * as openpgp from 'openpgp';
import type { KeyMoment } from './key-moment.js';
import { OPENPGP_CONFIG } from './openpgp-keys.js';


/** How far a signature's creation time may lie ahead of our clock: build hosts' clocks drift (rpm-sequoia allows five minutes too). */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** What the key's state means for a signature that verifies cryptographically. */
export type KeyState =
  | { readonly status: 'OK'; readonly signing: openpgp.PublicKey | openpgp.Subkey }
  /** rpm's NOTTRUSTED: the signature is the key's, but the key was not valid for it. */
  | { readonly status: 'NOTTRUSTED'; readonly state: 'expired' | 'revoked'; readonly message: string }
  | { readonly status: 'BAD'; readonly message: string };

type Component = openpgp.PublicKey | openpgp.Subkey;

/** OpenPGP.js has this at run time but leaves it out of its declarations. */
interface WithSelfSignature {
  getPrimarySelfSignature(date: Date, userID: undefined, config: openpgp.Config): Promise<openpgp.SignaturePacket>;
}

const SOFT_REVOCATIONS = new Set<number | null>([openpgp.enums.reasonForRevocation.keySuperseded, openpgp.enums.reasonForRevocation.keyRetired]);

const REASONS: Record<number, string> = {
  [openpgp.enums.reasonForRevocation.noReason]: 'no reason given',
  [openpgp.enums.reasonForRevocation.keySuperseded]: 'key superseded',
  [openpgp.enums.reasonForRevocation.keyCompromised]: 'key compromised',
  [openpgp.enums.reasonForRevocation.keyRetired]: 'key retired',
};

/** ISO 8601 to the second, as key dates are stored. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const isSubkey = (c: Component): c is openpgp.Subkey => c instanceof openpgp.Subkey;

function nameOf(key: openpgp.PublicKey, c: Component): string {
  return isSubkey(c) ? `subkey ${c.getKeyID().toHex()} of key ${key.getKeyID().toHex()}` : `key ${key.getKeyID().toHex()}`;
}

function primarySelfSignature(key: openpgp.PublicKey, at: Date): Promise<openpgp.SignaturePacket | undefined> {
  return (key as unknown as WithSelfSignature).getPrimarySelfSignature(at, undefined, OPENPGP_CONFIG).catch(() => undefined);
}

/**
 * Whether the key was certified at `at`. Distributions refresh self-signatures and drop the old ones;
 * a package signed before the refresh then meets a key with no self-signature from its time. rpm-sequoia
 * judges such a key as of now rather than refuse it, and so do we.
 */
async function certifiedAt(key: openpgp.PublicKey, c: Component, at: Date): Promise<boolean> {
  if (!(await primarySelfSignature(key, at))) return false;
  return !isSubkey(c) || (await c.getExpirationTime(at, OPENPGP_CONFIG)) !== null;
}

/** The first revocation of `c` in force at `at` (hard ones whatever their date), if any. */
async function revocation(key: openpgp.PublicKey, c: Component, at: Date): Promise<openpgp.SignaturePacket | undefined> {
  const primary = key.keyPacket;
  const [type, data] = isSubkey(c)
    ? [openpgp.enums.signature.subkeyRevocation, { key: primary, bind: c.keyPacket }]
    : [openpgp.enums.signature.keyRevocation, { key: primary }];
  for (const rev of c.revocationSignatures) {
    // OpenPGP.js's own rule: a null date skips the "made before `at`" test, which a hard revocation ignores.
    const when = SOFT_REVOCATIONS.has(rev.reasonForRevocationFlag) ? at : (null as unknown as Date);
    try {
      await rev.verify(primary, type, data, when, false, OPENPGP_CONFIG);
      return rev;
    } catch {
      // not made by the key's owner, or not yet in force: no revocation
    }
  }
  return undefined;
}

/** When `c` expired, if it had by `at` (per the self-signature or binding in force at `at`). */
async function expiry(key: openpgp.PublicKey, c: Component, at: Date): Promise<Date | undefined> {
  let expires: Date | number | null;
  if (isSubkey(c)) {
    expires = await c.getExpirationTime(at, OPENPGP_CONFIG);
  } else {
    const self = await primarySelfSignature(key, at);
    expires = self?.keyNeverExpires === false && self.keyExpirationTime ? new Date(key.getCreationTime().getTime() + self.keyExpirationTime * 1000) : Infinity;
  }
  return expires instanceof Date && at.getTime() >= expires.getTime() ? expires : undefined;
}

function revokedMessage(name: string, rev: openpgp.SignaturePacket): string {
  const reason = REASONS[rev.reasonForRevocationFlag ?? 0] ?? `reason ${rev.reasonForRevocationFlag}`;
  const text = rev.reasonForRevocationString ? ` (${JSON.stringify(rev.reasonForRevocationString)})` : '';
  return `${name} was revoked${rev.created ? ` on ${isoSeconds(rev.created)}` : ''}: ${reason}${text}`;
}

/**
 * The state of `key`'s component `c` (its primary key or one of its subkeys) for a signature made at
 * `created`, taken at `moment`. Call it only for a signature that verifies with `c`: NOTTRUSTED means
 * "made by this key, which was not valid for it".
 */
export async function keyState(key: openpgp.PublicKey, c: Component, created: Date | undefined, moment: KeyMoment, now: Date): Promise<KeyState> {
  const bad = (message: string): KeyState => ({ status: 'BAD', message });
  if (!created || Number.isNaN(created.getTime())) return bad('the signature carries no creation time');
  if (created.getTime() > now.getTime() + CLOCK_SKEW_MS) return bad(`the signature claims to be made in the future (${isoSeconds(created)})`);
  const name = nameOf(key, c);
  for (const k of isSubkey(c) ? [key, c] : [key]) {
    // No key can sign before it exists: the signature's date, or the key's, is false.
    if (created < k.getCreationTime()) {
      return bad(`the signature (${isoSeconds(created)}) is older than ${nameOf(key, k)} (created ${isoSeconds(k.getCreationTime())})`);
    }
  }
  let at = moment === 'signature' ? created : now;
  if (moment === 'signature' && !(await certifiedAt(key, c, at))) at = now;
  const asOf = at === created ? `, before the signature was made (${isoSeconds(created)})` : '';
  for (const k of isSubkey(c) ? [key, c] : [key]) {
    const rev = await revocation(key, k, at);
    if (rev) return { status: 'NOTTRUSTED', state: 'revoked', message: revokedMessage(nameOf(key, k), rev) };
  }
  for (const k of isSubkey(c) ? [key, c] : [key]) {
    const expired = await expiry(key, k, at);
    if (expired) return { status: 'NOTTRUSTED', state: 'expired', message: `${nameOf(key, k)} expired on ${isoSeconds(expired)}${asOf}` };
  }
  try {
    // Everything else OpenPGP.js checks: binding and back signatures, signing capability, key strength.
    return { status: 'OK', signing: await key.getSigningKey(c.getKeyID(), at, undefined, OPENPGP_CONFIG) };
  } catch (err) {
    return bad(`${name} cannot make signatures${at === created ? ` at ${isoSeconds(created)}` : ''}: ${(err as Error).message}`);
  }
}
