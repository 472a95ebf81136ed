/**
 * What repomd.xml must be when a metalink described it: its bytes must match the strongest hash of the
 * current version or of one of the alternates (and that version's size, when stated). Mirrors lag
 * behind MirrorManager; one serving a repomd.xml that matches nothing is out of date (or altered) and
 * is not used for the repository (README, "Metalink and mirrorlist").
 */
import { createHash } from 'node:crypto';
import { METALINK_HASH_TYPES, type MetalinkHashType, type RepomdVersion } from './metalink.js';

/** The versions of repomd.xml a repository's mirrors may serve, and who said so. */
export interface RepomdExpectation {
  /** The metalink's URL (credentials masked), for messages. */
  readonly source: string;
  /** The current version first, then the alternates. */
  readonly versions: readonly RepomdVersion[];
}

/** The strongest hash a version states, as librepo picks it. */
export function strongestHash(version: RepomdVersion): { type: MetalinkHashType; hex: string } | undefined {
  for (let i = METALINK_HASH_TYPES.length - 1; i >= 0; i--) {
    const type = METALINK_HASH_TYPES[i] as MetalinkHashType;
    const hex = version.hashes[type];
    if (hex !== undefined) return { type, hex };
  }
  return undefined;
}

/** Why `bytes` is none of the expected versions, or undefined when it is one of them. */
export function repomdMismatch(bytes: Uint8Array, expectation: RepomdExpectation): string | undefined {
  const digests = new Map<MetalinkHashType, string>();
  const digest = (type: MetalinkHashType): string => {
    let d = digests.get(type);
    if (d === undefined) digests.set(type, (d = createHash(type).update(bytes).digest('hex')));
    return d;
  };
  for (const version of expectation.versions) {
    const hash = strongestHash(version);
    if (!hash) continue;
    if (version.size !== undefined && version.size !== bytes.length) continue;
    if (digest(hash.type) === hash.hex) return undefined;
  }
  const main = expectation.versions[0];
  const hash = main && strongestHash(main);
  const mine = hash ? `its ${hash.type} is ${digest(hash.type)} (${bytes.length} bytes), the metalink's is ${hash.hex}${main?.size !== undefined ? ` (${main.size} bytes)` : ''}` : '';
  const others = expectation.versions.length - 1;
  return `repomd.xml is out of date against the metalink ${expectation.source}: ${mine}${others > 0 ? `, and it matches none of the ${others} alternate${others === 1 ? '' : 's'}` : ''}`;
}
