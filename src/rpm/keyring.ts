/**
 * Public keys to judge signatures with: OpenPGP keys (v4 and v6, subkeys included) read from armored
 * files such as /etc/pki/rpm-gpg/RPM-GPG-KEY-* or from binary key data.
 */
import { readFile } from 'node:fs/promises';
import type { Key, PublicKey } from 'openpgp';
import { InvalidOptionError } from '../errors.js';
import { keyStore } from './key-store.js';

/** A set of trusted public keys. */
export class Keyring {
  private constructor(keys: readonly PublicKey[]) {
    keyStore.set(this, keys);
  }

  /** Reads keys from armored text or binary key data; every source may hold several keys. */
  static async read(sources: ReadonlyArray<string | Uint8Array>, names: readonly string[] = []): Promise<Keyring> {
    // OpenPGP.js costs some 16 MiB and tens of milliseconds to load: only when keys are read.
    const [openpgp, { OPENPGP_CONFIG }] = await Promise.all([import('openpgp'), import('./openpgp-keys.js')]);
    const keys: PublicKey[] = [];
    for (const [i, source] of sources.entries()) {
      const name = names[i] ?? `key source ${i + 1}`;
      let read: Key[];
      try {
        const text = typeof source === 'string' ? source : Buffer.from(source).toString('latin1');
        read = text.includes('-----BEGIN PGP')
          ? await openpgp.readKeys({ armoredKeys: text, config: OPENPGP_CONFIG })
          : await openpgp.readKeys({ binaryKeys: typeof source === 'string' ? Buffer.from(source, 'latin1') : source, config: OPENPGP_CONFIG });
      } catch (err) {
        throw new InvalidOptionError(`${name}: not an OpenPGP public key (${(err as Error).message})`);
      }
      for (const key of read) keys.push(key.isPrivate() ? key.toPublic() : (key as PublicKey));
    }
    return new Keyring(keys);
  }

  /** Reads key files (armored or binary). */
  static async load(paths: readonly string[]): Promise<Keyring> {
    const sources: Uint8Array[] = [];
    for (const path of paths) {
      try {
        sources.push(await readFile(path));
      } catch (err) {
        throw new InvalidOptionError(`cannot read key file ${path}: ${(err as Error).message}`);
      }
    }
    return Keyring.read(sources, paths);
  }

  /** Number of (primary) keys. */
  get size(): number {
    return keyStore.get(this)?.length ?? 0;
  }

  /** Primary fingerprints, lower-case hex. */
  get fingerprints(): string[] {
    return (keyStore.get(this) ?? []).map((k) => k.getFingerprint());
  }
}
