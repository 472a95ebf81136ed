/**
 * dnf's repo_gpgcheck: repomd.xml signed by the repository's key, as `repodata/repomd.xml.asc` (a
 * detached OpenPGP signature). With it, a mirror cannot serve stale or altered metadata (withholding
 * updates, offering an old signed package as the latest) without the signature failing: every other
 * metadata file is bound to repomd.xml by its checksum.
 */
import * as openpgp from 'openpgp';
import { keyStore, OPENPGP_CONFIG } from '../rpm/openpgp-keys.js';
import type { Keyring } from '../rpm/keyring.js';

/** Why repomd.xml's signature does not hold, or undefined when a given key made it over these bytes. */
export async function repomdSignatureProblem(repomd: Uint8Array, signature: Uint8Array, keys: Keyring): Promise<string | undefined> {
  let parsed: openpgp.Signature;
  try {
    const text = Buffer.from(signature).toString('latin1');
    parsed = text.includes('-----BEGIN PGP SIGNATURE')
      ? await openpgp.readSignature({ armoredSignature: text, config: OPENPGP_CONFIG })
      : await openpgp.readSignature({ binarySignature: signature, config: OPENPGP_CONFIG });
  } catch (err) {
    return `repomd.xml.asc is not an OpenPGP signature (${(err as Error).message})`;
  }
  const message = await openpgp.createMessage({ binary: repomd });
  const result = await openpgp.verify({ message, signature: parsed, verificationKeys: [...(keyStore.get(keys) ?? [])], format: 'binary', config: OPENPGP_CONFIG });
  const problems: string[] = [];
  for (const s of result.signatures) {
    try {
      await s.verified;
      return undefined;
    } catch (err) {
      problems.push(`key ${s.keyID.toHex()}: ${(err as Error).message}`);
    }
  }
  return problems.length > 0 ? `repomd.xml's signature does not verify by a given key (${problems.join('; ')})` : 'repomd.xml.asc holds no signature';
}
