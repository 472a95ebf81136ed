/**
 * The digests a package carries, read the way rpm's `rpmsinfoInit()` (lib/rpmvs.c) reads them, and the
 * decision rpm's `rpmvsVerify()` takes over them at its `digest` level. rpm's quirks are kept on purpose:
 * a digest tag of an integer type counts as absent, a malformed one counts as BAD, and a failed payload
 * digest is forgiven when its ALT twin (the digest of the uncompressed payload) matched.
 */
import type { Header, HeaderEntry } from './header.js';
import { TagType, typeSize } from './tag-type.js';
import { HeaderTag, SigTag } from './tags.js';
import { extend } from '../extend.js';

/** Which bytes a digest covers: the main header, the payload, or both in a row. */
export type DigestRange = 'header' | 'payload' | 'header+payload';
/** Hash algorithms rpm uses for package digests (Node's names). */
export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512' | 'sha3-256';

interface DigestTagSpec {
  tag: number;
  /** The header the tag lives in. */
  where: 'signature' | 'main';
  /** Required entry type, element count (0 = any) and data size (0 = any), as rpm's `rpmvfytags`. */
  type: number;
  count: number;
  size: number;
  range: DigestRange;
  algorithm: DigestAlgorithm;
  /** rpm's disabler flag: items sharing one are alternatives of each other. */
  group: string;
  alt: boolean;
  id: string;
  label: string;
}

/**
 * Every digest rpm 4.18 or 6 verifies. rpm 4.18 does not know the SHA3-256 and SHA-512 ones; we check
 * them whenever present, as rpm 6 does.
 */
const DIGEST_TAGS: readonly DigestTagSpec[] = [
  spec(SigTag.SHA256HEADER, 'signature', TagType.STRING, 1, 65, 'header', 'sha256', 'hdr-sha256', false, 'header-sha256', 'Header SHA256 digest'),
  spec(SigTag.SHA1HEADER, 'signature', TagType.STRING, 1, 41, 'header', 'sha1', 'hdr-sha1', false, 'header-sha1', 'Header SHA1 digest'),
  spec(SigTag.SHA3_256HEADER, 'signature', TagType.STRING, 1, 65, 'header', 'sha3-256', 'hdr-sha3-256', false, 'header-sha3-256', 'Header SHA3-256 digest'),
  spec(HeaderTag.PAYLOADSHA256, 'main', TagType.STRING_ARRAY, 0, 0, 'payload', 'sha256', 'payload-sha256', false, 'payload-sha256', 'Payload SHA256 digest'),
  spec(HeaderTag.PAYLOADSHA256ALT, 'main', TagType.STRING_ARRAY, 0, 0, 'payload', 'sha256', 'payload-sha256', true, 'payload-sha256-alt', 'Payload SHA256 ALT digest'),
  spec(HeaderTag.PAYLOADSHA512, 'main', TagType.STRING, 0, 0, 'payload', 'sha512', 'payload-sha512', false, 'payload-sha512', 'Payload SHA512 digest'),
  spec(HeaderTag.PAYLOADSHA512ALT, 'main', TagType.STRING, 0, 0, 'payload', 'sha512', 'payload-sha512', true, 'payload-sha512-alt', 'Payload SHA512 ALT digest'),
  spec(HeaderTag.PAYLOADSHA3_256, 'main', TagType.STRING, 0, 0, 'payload', 'sha3-256', 'payload-sha3-256', false, 'payload-sha3-256', 'Payload SHA3-256 digest'),
  spec(HeaderTag.PAYLOADSHA3_256ALT, 'main', TagType.STRING, 0, 0, 'payload', 'sha3-256', 'payload-sha3-256', true, 'payload-sha3-256-alt', 'Payload SHA3-256 ALT digest'),
  spec(SigTag.MD5, 'signature', TagType.BIN, 0, 16, 'header+payload', 'md5', 'md5', false, 'md5', 'MD5 digest'),
];

function spec(
  tag: number,
  where: 'signature' | 'main',
  type: number,
  count: number,
  size: number,
  range: DigestRange,
  algorithm: DigestAlgorithm,
  group: string,
  alt: boolean,
  id: string,
  label: string,
): DigestTagSpec {
  return { tag, where, type, count, size, range, algorithm, group, alt, id, label };
}

/** One digest as found in the package (or the placeholder rpm keeps for an absent tag). */
export interface DigestItem {
  /** Stable check id: `header-sha256`, `payload-sha256-alt`, `md5`; array elements after the first get `[i]`. */
  readonly id: string;
  /** rpmkeys's wording, e.g. "Header SHA256 digest". */
  readonly label: string;
  readonly tag: number;
  readonly range: DigestRange;
  readonly algorithm: DigestAlgorithm;
  readonly group: string;
  readonly alt: boolean;
  /** Present in the package. A placeholder for an absent tag is not. */
  readonly present: boolean;
  /** Lower-case hex the package claims, when it is well formed. */
  readonly expected?: string;
  /** Why rpm would call this item BAD before hashing anything (bad type, count, size, hex). */
  readonly invalid?: string;
  /** rpm's item id (`tag << 16 | index`, 0 for placeholders and malformed items); orders alternatives. */
  readonly rpmId: number;
}

/** Reads every digest the signature and main header carry. */
export function collectDigestItems(signature: Header, main: Header): DigestItem[] {
  const items: DigestItem[] = [];
  for (const s of DIGEST_TAGS) {
    items.push(...itemsFor(s, s.where === 'signature' ? signature : main));
  }
  return items;
}

/** The MD5 over header and payload (tag 1004) as the signature header carries it. */
export function md5Item(signature: Header): DigestItem {
  return itemsFor(DIGEST_TAGS.find((s) => s.tag === SigTag.MD5) as DigestTagSpec, signature)[0] as DigestItem;
}

/** Digest items of the signature header alone (known before the main header arrives). */
export function hasHeaderPayloadDigest(signature: Header): boolean {
  return signature.find(SigTag.MD5) !== undefined;
}

function itemsFor(s: DigestTagSpec, header: Header): DigestItem[] {
  const base = { label: s.label, tag: s.tag, range: s.range, algorithm: s.algorithm, group: s.group, alt: s.alt };
  const placeholder: DigestItem = extend(base, { id: s.id, present: false, rpmId: 0 });
  const entry = header.find(s.tag);
  if (!entry) return [placeholder];
  // rpm's hdrblobGet cannot hand out byte-swappable data: a digest tag of an integer type is "not found".
  const size = typeSize(entry.type);
  if (size !== 1 && size !== -1) return [placeholder];
  const n = entry.type === TagType.BIN ? 1 : entry.count;
  const strings = entry.type === TagType.STRING || entry.type === TagType.STRING_ARRAY ? header.strings(entry, 'latin1') : [];
  const out: DigestItem[] = [];
  for (let index = 0; index < n; index++) {
    const id = index === 0 ? s.id : `${s.id}[${index}]`;
    const problem = validate(s, entry, header, strings[index]);
    if (typeof problem === 'string') {
      out.push(extend(base, { id, present: true, invalid: problem, rpmId: 0 }));
    } else {
      out.push(extend(base, { id, present: true, expected: problem.hex, rpmId: s.tag * 65536 + index }));
    }
  }
  return out;
}

function validate(s: DigestTagSpec, entry: HeaderEntry, header: Header, str: string | undefined): string | { hex: string } {
  if (entry.type !== s.type) return `tag ${s.tag}: invalid type ${entry.type}`;
  if (s.count && entry.count !== s.count) return `tag ${s.tag}: invalid count ${entry.count}`;
  let data: Buffer | string | undefined;
  let length = 0;
  if (entry.type === TagType.BIN) {
    data = header.raw(entry);
    length = data.length;
  } else if (str !== undefined) {
    data = str;
    length = str.length;
  }
  // MD5 has 16 bytes of data; everything else is (much) longer.
  if (data === undefined || length < 16) return `tag ${s.tag}: invalid data (${length})`;
  const size = entry.type === TagType.BIN ? length : length + 1;
  if (s.size && size !== s.size) return `tag ${s.tag}: invalid size ${size}`;
  if (typeof data !== 'string') return { hex: data.toString('hex') };
  if (length % 2 !== 0 || length < 40 || !/^[0-9a-fA-F]*$/.test(data)) return `tag ${s.tag}: invalid hex`;
  return { hex: data.toLowerCase() };
}

/** The outcome of one digest item. */
export type DigestStatus = 'OK' | 'BAD' | 'NOTFOUND';

/** rpm's decision at its `digest` verification level over computed items. */
export interface DigestDecision {
  /** Final status per item; a BAD forgiven because its ALT matched becomes NOTFOUND, as in rpm. */
  readonly status: ReadonlyMap<DigestItem, DigestStatus>;
  /** Items forgiven because an alternative in their group verified. */
  readonly superseded: ReadonlySet<DigestItem>;
  readonly headerCovered: boolean;
  readonly payloadCovered: boolean;
}

const RANGE_BITS: Record<DigestRange, number> = { header: 1, payload: 2, 'header+payload': 3 };

/**
 * rpmvsVerify at level `digest`: every present item must be OK unless an alternative of its group
 * verified, and OK digests must cover both the header and the payload.
 */
export function decideDigests(items: readonly DigestItem[], computed: (item: DigestItem) => DigestStatus): DigestDecision {
  // rpm sorts by range, then by id (descending); getAlt takes the first other item of the same group.
  const sorted = [...items].sort((a, b) => RANGE_BITS[a.range] - RANGE_BITS[b.range] || b.rpmId - a.rpmId);
  const status = new Map<DigestItem, DigestStatus>();
  for (const item of sorted) status.set(item, item.present ? computed(item) : 'NOTFOUND');
  const superseded = new Set<DigestItem>();
  let verified = 0;
  for (const item of sorted) {
    if (status.get(item) === 'OK') verified |= RANGE_BITS[item.range];
  }
  for (const item of sorted) {
    if (status.get(item) !== 'BAD') continue;
    const alt = sorted.find((other) => other.rpmId !== item.rpmId && other.group === item.group);
    if (alt && status.get(alt) === 'OK') superseded.add(item);
  }
  for (const item of superseded) status.set(item, 'NOTFOUND');
  return { status, superseded, headerCovered: (verified & 1) !== 0, payloadCovered: (verified & 2) !== 0 };
}
