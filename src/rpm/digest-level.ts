/**
 * How many of a package's digests are checked. `all` (the default): every one it carries, as rpm 4.18
 * does. `rpm6`: like rpm 6, MD5 (1004) and the header SHA-1 (269) are left out when the package has a
 * well-formed SHA-256 (or stronger) digest over its header and one over its payload; MD5 over a
 * gigabyte costs twice what SHA-256 does and, on two cores, is the whole wall time. A package without
 * such digests (built before rpm 4.14) is checked with MD5 and SHA-1 as usual, where rpm 6 refuses it.
 */
import type { DigestItem } from './digest-items.js';

/** Which digests to check: `all` or rpm 6's choice (see digest-level.ts). */
export type DigestLevel = 'all' | 'rpm6';

const LEGACY = new Set(['md5', 'sha1']);

/** The digests `level` leaves unchecked among `items`. */
export function digestsSkipped(items: readonly DigestItem[], level: DigestLevel): ReadonlySet<DigestItem> {
  if (level === 'all') return new Set();
  const strong = (range: DigestItem['range']): boolean => items.some((i) => i.range === range && i.expected !== undefined && !LEGACY.has(i.algorithm));
  if (!strong('header') || !strong('payload')) return new Set();
  return new Set(items.filter((i) => LEGACY.has(i.algorithm)));
}
