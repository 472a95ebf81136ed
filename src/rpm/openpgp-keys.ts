/**
 * The OpenPGP.js side of a Keyring, kept out of the Keyring's public type so that a consumer's
 * TypeScript never has to load OpenPGP.js's declarations: the settings signatures are judged with,
 * and the keys behind each Keyring.
 */
import * as openpgp from 'openpgp';

/**
 * OpenPGP.js settings for package signatures: rpm accepts SHA-1 signatures and 1024-bit RSA keys
 * (older distributions still ship them), so we do too; MD5 and RIPEMD-160 stay refused.
 */
export const OPENPGP_CONFIG: openpgp.Config = {
  ...openpgp.config,
  rejectMessageHashAlgorithms: new Set([openpgp.enums.hash.md5, openpgp.enums.hash.ripemd]),
  rejectHashAlgorithms: new Set([openpgp.enums.hash.md5, openpgp.enums.hash.ripemd]),
  minRSABits: 1024,
};

/** The public keys of each Keyring. */
export const keyStore = new WeakMap<object, readonly openpgp.PublicKey[]>();

/**
 * Keys of a Keyring holding a primary key or subkey with this key ID (16 hex digits; IDs can
 * collide), each with the KeyID object OpenPGP.js wants back.
 */
export function keysWithId(keyring: object, keyId: string): Array<{ key: openpgp.PublicKey; id: openpgp.KeyID }> {
  const out: Array<{ key: openpgp.PublicKey; id: openpgp.KeyID }> = [];
  for (const key of keyStore.get(keyring) ?? []) {
    const match = key.getKeys().find((k) => k.getKeyID().toHex() === keyId.toLowerCase());
    if (match) out.push({ key, id: match.getKeyID() });
  }
  return out;
}
