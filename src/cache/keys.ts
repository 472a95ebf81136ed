/**
 * The index keys of a package in the store. A later target finds a stored package by whatever it
 * knows: a whole-file digest (an SRI or a checksum), koji's sigmd5, or only its path (its size, when
 * known, is checked by the full verification a path hit gets). The strength of the key decides how
 * much a hit must be checked (see hit-check.ts).
 */
import type { Verdict } from '../rpm/verdict.js';

/** How a key identifies a package. */
export type KeyKind = 'digest' | 'sigmd5' | 'path';

export interface StoreKey {
  readonly kind: KeyKind;
  /** The index key (its SHA-256 names its index file, layout.ts). */
  readonly key: string;
}

/** What a target knows of its package, as far as finding it in the store goes. */
export interface TargetKnowledge {
  /** The repository-relative path, or the URL (credentials masked). */
  readonly path: string;
  readonly size?: number;
  readonly integrity?: string;
  readonly checksum?: { readonly type: string; readonly hex: string };
  readonly sigmd5?: string;
}

const PREFIX = 'rpmfetch:v1:';

/** Node's name of a checksum type as repository metadata names it. */
function algorithmOf(type: string): string {
  const t = type.toLowerCase();
  return t === 'sha' ? 'sha1' : t;
}

const digestKey = (algorithm: string, hex: string): StoreKey => ({ kind: 'digest', key: `${PREFIX}file:${algorithm}:${hex.toLowerCase()}` });
const sigmd5Key = (hex: string): StoreKey => ({ kind: 'sigmd5', key: `${PREFIX}sigmd5:${hex.toLowerCase()}` });
const pathKey = (path: string, size: number | undefined): StoreKey => ({ kind: 'path', key: `${PREFIX}path:${size ?? '*'}:${path}` });

/** Hex digests of an SRI string, by algorithm (`sha256-<base64>` → sha256, hex). */
export function sriDigests(sri: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of sri.trim().split(/\s+/)) {
    const m = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(part);
    if (m?.[1] && m[2]) out.push([m[1], Buffer.from(m[2], 'base64').toString('hex')]);
  }
  return out;
}

/** The keys to look a target up by, strongest first. */
export function lookupKeys(t: TargetKnowledge): StoreKey[] {
  const keys: StoreKey[] = [];
  if (t.integrity !== undefined) for (const [algorithm, hex] of sriDigests(t.integrity)) keys.push(digestKey(algorithm, hex));
  if (t.checksum !== undefined) keys.push(digestKey(algorithmOf(t.checksum.type), t.checksum.hex));
  // Every stored package has its SHA-256 key: a target that knows its SHA-256 and misses by it cannot
  // be served by another key (those bytes are not stored), so those lookups are saved.
  if (keys.some((k) => k.key.startsWith(`${PREFIX}file:sha256:`))) return keys;
  if (t.sigmd5 !== undefined) keys.push(sigmd5Key(t.sigmd5));
  // By path alone (a stored package there is verified in full, the target's size included).
  keys.push(pathKey(t.path, undefined));
  return keys;
}

/** The MD5 koji's sigmd5 names: the signature header's MD5 (tag 1004), when the package has a valid one. */
export function sigmd5Of(verdict: Verdict): string | undefined {
  const md5 = verdict.checks.find((c) => c.id === 'md5');
  return md5?.status === 'OK' ? md5.expected : undefined;
}

/** The key of a package's content: its whole-file SHA-256, which names the content file. */
export function contentKeyOf(sha256: string): string {
  return digestKey('sha256', sha256).key;
}

/**
 * Every key a verified package is stored under, its content key first: its whole-file digests, its
 * sigmd5, its path.
 */
export function storeKeys(verdict: Verdict, path: string): StoreKey[] {
  const keys: StoreKey[] = [];
  const sha256 = verdict.digests['file:sha256'];
  if (sha256 !== undefined) keys.push(digestKey('sha256', sha256));
  for (const [name, hex] of Object.entries(verdict.digests)) {
    if (name.startsWith('file:') && name !== 'file:sha256') keys.push(digestKey(name.slice('file:'.length), hex));
  }
  const sigmd5 = sigmd5Of(verdict);
  if (sigmd5 !== undefined) keys.push(sigmd5Key(sigmd5));
  keys.push(pathKey(path, undefined));
  return keys;
}

/** The key a lock is taken on for a target: its strongest (every process knowing the same takes the same). */
export function lockKey(t: TargetKnowledge): string {
  return (lookupKeys(t)[0] as StoreKey).key;
}
