/**
 * The OpenPGP.js keys behind each Keyring, kept out of the Keyring's public type so that a consumer's
 * TypeScript never has to load OpenPGP.js's declarations. Only types of OpenPGP.js are named here:
 * looking keys up needs the key objects, not the library, so a verification without keys never loads it.
 */
import type { KeyID, PublicKey } from 'openpgp';

/** The public keys of each Keyring. */
export const keyStore = new WeakMap<object, readonly PublicKey[]>();

/**
 * Keys of a Keyring holding a primary key or subkey with this key ID (16 hex digits; IDs can
 * collide), each with the KeyID object OpenPGP.js wants back.
 */
export function keysWithId(keyring: object, keyId: string): Array<{ key: PublicKey; id: KeyID }> {
  const out: Array<{ key: PublicKey; id: KeyID }> = [];
  for (const key of keyStore.get(keyring) ?? []) {
    const match = key.getKeys().find((k) => k.getKeyID().toHex() === keyId.toLowerCase());
    if (match) out.push({ key, id: match.getKeyID() });
  }
  return out;
}

/** A Keyring's keys as binary OpenPGP data, to read the same keys again elsewhere (another thread). */
export function keyringBytes(keyring: object): Uint8Array[] {
  return (keyStore.get(keyring) ?? []).map((key) => key.write());
}
