/**
 * RPM header structures: the 16-byte intro, the index and the data store, validated by the same rules
 * rpm applies when it reads a package (`lib/header.c`: hdrblobVerifyLengths, hdrblobInit,
 * hdrblobVerifyRegion, hdrblobVerifyInfo). Agreement with rpm matters more than elegance here: every
 * rule below is one rpm enforces, in rpm's order, so that we refuse exactly what it refuses.
 */
import { VerifyError } from '../errors.js';
import { REGISTERED_TAG_TYPES } from './tag-types.js';
import { TagType, isStringType, typeAlign, typeSize } from './tag-type.js';
import { FIRST_DATA_TAG, RegionTag } from './tags.js';

/** `8e ad e8 01` then four reserved zero bytes; rpm compares all eight. */
export const HEADER_MAGIC: Buffer = Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
/** Size of the header intro: magic (8) + index length (4) + data length (4). */
export const HEADER_INTRO_SIZE = 16;
/** Size of one index entry: tag, type, offset, count. */
export const INDEX_ENTRY_SIZE = 16;

/** Which of a package's two headers is meant; they have different limits and region tags. */
export type HeaderKind = 'signature' | 'main';

/** rpm's limits, checked right after the intro and before the rest is read. */
export const HEADER_LIMITS: Readonly<Record<HeaderKind, { maxEntries: number; maxData: number }>> = {
  signature: { maxEntries: 32, maxData: 64 * 1024 * 1024 },
  main: { maxEntries: 0xffff, maxData: 0x0fffffff },
};
/** `headerMaxbytes`: 8 + 16·il + dl must stay below this. */
const HEADER_MAX_BYTES = 256 * 1024 * 1024;
/** `HEADER_ARRAY_MAX`: element count cap for everything but BIN. */
const ARRAY_MAX = 0x000fffff;

/** One index entry, as stored (offset is signed, as in rpm). */
export interface HeaderEntry {
  readonly tag: number;
  readonly type: number;
  readonly offset: number;
  readonly count: number;
}

/** Index and data lengths read from a header intro. */
export interface HeaderIntro {
  readonly il: number;
  readonly dl: number;
  /** Total bytes of the header: intro + index + data. */
  readonly length: number;
}

function label(kind: HeaderKind): string {
  return kind === 'signature' ? 'signature header' : 'main header';
}

/**
 * Reads and checks a header intro: magic, then rpm's entry and data limits. Throws before the caller
 * allocates anything for a header that claims too much.
 */
export function parseHeaderIntro(intro: Uint8Array, kind: HeaderKind): HeaderIntro {
  const buf = Buffer.from(intro.buffer, intro.byteOffset, intro.byteLength);
  if (buf.length < HEADER_INTRO_SIZE) {
    throw new VerifyError('ERR_RPM_TRUNCATED', `${label(kind)}: intro is ${buf.length} of 16 bytes`, 'structure');
  }
  if (!buf.subarray(0, 8).equals(HEADER_MAGIC)) {
    throw new VerifyError(
      'ERR_RPM_BAD_MAGIC',
      `${label(kind)}: bad magic ${buf.subarray(0, 8).toString('hex')} (expected 8eade80100000000)`,
      'structure',
    );
  }
  const il = buf.readUInt32BE(8);
  const dl = buf.readUInt32BE(12);
  const limits = HEADER_LIMITS[kind];
  if (il > limits.maxEntries) {
    throw new VerifyError(
      'ERR_RPM_HEADER_TOO_LARGE',
      `${label(kind)}: ${il} index entries, rpm allows at most ${limits.maxEntries}`,
      'structure',
    );
  }
  if (dl > limits.maxData) {
    throw new VerifyError(
      'ERR_RPM_HEADER_TOO_LARGE',
      `${label(kind)}: ${dl} bytes of data, rpm allows at most ${limits.maxData}`,
      'structure',
    );
  }
  if (8 + INDEX_ENTRY_SIZE * il + dl >= HEADER_MAX_BYTES) {
    throw new VerifyError(
      'ERR_RPM_HEADER_TOO_LARGE',
      `${label(kind)}: ${il} entries and ${dl} data bytes exceed rpm's 256 MiB header limit`,
      'structure',
    );
  }
  return { il, dl, length: HEADER_INTRO_SIZE + INDEX_ENTRY_SIZE * il + dl };
}

function invalid(kind: HeaderKind, message: string): VerifyError {
  return new VerifyError('ERR_RPM_HEADER_INVALID', `${label(kind)}: ${message}`, 'structure');
}

/**
 * Length of an entry's data as rpm's `dataLength()` computes it for on-disk data, or -1 when it does not
 * fit before `end` (strings must find all their NULs inside the data store).
 */
function dataLength(data: Buffer, type: number, offset: number, count: number): number {
  if (type === TagType.STRING || type === TagType.STRING_ARRAY || type === TagType.I18NSTRING) {
    if (type === TagType.STRING && count !== 1) return -1;
    let pos = offset;
    for (let left = count; left > 0; left--) {
      if (pos >= data.length) return -1;
      const nul = data.indexOf(0, pos);
      if (nul < 0) return -1;
      pos = nul + 1;
    }
    return pos - offset;
  }
  const size = typeSize(type);
  if (size <= 0) return -1;
  const length = size * count;
  return data.length - offset < length ? -1 : length;
}

/** A validated header: its exact bytes, its index and typed access to entry data. */
export class Header {
  /** The header exactly as stored in the file: intro, index, data. Digests cover these bytes. */
  readonly bytes: Buffer;
  readonly kind: HeaderKind;
  readonly entries: readonly HeaderEntry[];
  /** The region tag when entry 0 seals a region (62 or 63); undefined for a legacy (v3) header. */
  readonly regionTag: number | undefined;
  private readonly data: Buffer;

  private constructor(bytes: Buffer, kind: HeaderKind, entries: HeaderEntry[], regionTag: number | undefined) {
    this.bytes = bytes;
    this.kind = kind;
    this.entries = entries;
    this.regionTag = regionTag;
    this.data = bytes.subarray(HEADER_INTRO_SIZE + INDEX_ENTRY_SIZE * entries.length);
  }

  /**
   * Validates a complete header (intro + index + data) with rpm's rules and returns it. `exactRegion`
   * is rpm's `exact_size`: the main header of a package file must be one region covering everything.
   */
  static parse(bytes: Buffer, kind: HeaderKind): Header {
    const intro = parseHeaderIntro(bytes, kind);
    if (bytes.length !== intro.length) {
      throw new VerifyError(
        'ERR_RPM_TRUNCATED',
        `${label(kind)}: ${bytes.length} of ${intro.length} bytes`,
        'structure',
      );
    }
    const entries: HeaderEntry[] = [];
    for (let i = 0; i < intro.il; i++) {
      const at = HEADER_INTRO_SIZE + INDEX_ENTRY_SIZE * i;
      entries.push({
        tag: bytes.readInt32BE(at),
        type: bytes.readUInt32BE(at + 4),
        offset: bytes.readInt32BE(at + 8),
        count: bytes.readUInt32BE(at + 12),
      });
    }
    const data = bytes.subarray(HEADER_INTRO_SIZE + INDEX_ENTRY_SIZE * intro.il);
    const region = verifyRegion(kind, entries, bytes, HEADER_INTRO_SIZE + INDEX_ENTRY_SIZE * intro.il);
    verifyIndex(kind, entries, data, region);
    return new Header(bytes, kind, entries, region?.tag);
  }

  /** The first entry with this tag (rpm looks tags up linearly, first match wins). */
  find(tag: number): HeaderEntry | undefined {
    for (const entry of this.entries) {
      if (entry.tag === tag) return entry;
    }
    return undefined;
  }

  /** The entry's data bytes. Only meaningful for validated entries (every entry but the region's). */
  raw(entry: HeaderEntry): Buffer {
    const length = dataLength(this.data, entry.type, entry.offset, entry.count);
    return this.data.subarray(entry.offset, entry.offset + Math.max(0, length));
  }

  /** The entry's strings (one for STRING, `count` for the array types), decoded with `encoding`. */
  strings(entry: HeaderEntry, encoding: BufferEncoding = 'utf8'): string[] {
    const out: string[] = [];
    let pos = entry.offset;
    for (let i = 0; i < entry.count; i++) {
      const nul = this.data.indexOf(0, pos);
      if (nul < 0) break;
      out.push(this.data.toString(encoding, pos, nul));
      pos = nul + 1;
    }
    return out;
  }

  /** The entry's unsigned integers (INT8/16/32/64, CHAR), or undefined for other types. */
  numbers(entry: HeaderEntry): number[] | undefined {
    const size = typeSize(entry.type);
    if (entry.type === TagType.BIN || size <= 0) return undefined;
    const out: number[] = [];
    for (let i = 0; i < entry.count; i++) {
      const at = entry.offset + i * size;
      if (size === 1) out.push(this.data.readUInt8(at));
      else if (size === 2) out.push(this.data.readUInt16BE(at));
      else if (size === 4) out.push(this.data.readUInt32BE(at));
      else out.push(Number(this.data.readBigUInt64BE(at)));
    }
    return out;
  }

  /** First string of a string-typed tag, or undefined when the tag is absent or not a string. */
  string(tag: number): string | undefined {
    const entry = this.find(tag);
    if (!entry || !isStringType(entry.type)) return undefined;
    return this.strings(entry)[0];
  }

  /** First number of an integer-typed tag, or undefined when the tag is absent or not an integer. */
  number(tag: number): number | undefined {
    const entry = this.find(tag);
    return entry ? this.numbers(entry)?.[0] : undefined;
  }
}

interface Region {
  tag: number;
  /** Entries sealed by the region (ril) and data bytes it covers (rdl). */
  ril: number;
  rdl: number;
}

/** rpm's hdrblobVerifyRegion. Returns undefined for a legacy header without a region entry. */
function verifyRegion(kind: HeaderKind, entries: HeaderEntry[], bytes: Buffer, dataStart: number): Region | undefined {
  const dl = bytes.length - dataStart;
  const first = entries[0];
  if (!first) throw invalid(kind, 'region: no tags');
  const regionTag = kind === 'signature' ? RegionTag.HEADERSIGNATURES : RegionTag.HEADERIMMUTABLE;
  if (first.tag !== regionTag) return undefined;
  const describe = (e: HeaderEntry): string => `tag ${e.tag} type ${e.type} offset ${e.offset} count ${e.count}`;
  if (first.type !== TagType.BIN || first.count !== INDEX_ENTRY_SIZE) {
    throw invalid(kind, `region tag: BAD, ${describe(first)}`);
  }
  const rdl = first.offset + INDEX_ENTRY_SIZE;
  if (rdl < 0 || rdl > dl) {
    throw invalid(kind, `region offset: BAD, ${describe(first)}`);
  }
  // rpm reads the trailer at dataStart + offset even when the offset is slightly negative (it then
  // lands in the index); reading the same bytes keeps our verdict identical to rpm's.
  const at = dataStart + first.offset;
  let trailerTag = bytes.readInt32BE(at);
  // Some old packages carry HEADERIMAGE in the signature region trailer; rpm accepts it.
  if (kind === 'signature' && trailerTag === RegionTag.HEADERIMAGE) trailerTag = RegionTag.HEADERSIGNATURES;
  const trailer: HeaderEntry = {
    tag: trailerTag,
    type: bytes.readUInt32BE(at + 4),
    offset: -bytes.readInt32BE(at + 8),
    count: bytes.readUInt32BE(at + 12),
  };
  if (trailer.tag !== regionTag || trailer.type !== TagType.BIN || trailer.count !== INDEX_ENTRY_SIZE) {
    throw invalid(kind, `region trailer: BAD, ${describe(trailer)}`);
  }
  const ril = trailer.offset / INDEX_ENTRY_SIZE;
  if (trailer.offset % INDEX_ENTRY_SIZE !== 0 || ril < 0 || ril > entries.length) {
    throw invalid(kind, `region ${regionTag} size: BAD, ril ${ril} il ${entries.length} rdl ${rdl} dl ${dl}`);
  }
  // In a package file the main header must be exactly one region; the signature header may have
  // entries appended after its region (rpmsign adds IMA signatures that way).
  if (kind === 'main' && (ril !== entries.length || rdl !== dl)) {
    throw invalid(
      kind,
      `region ${regionTag}: tag number mismatch il ${entries.length} ril ${ril} dl ${dl} rdl ${rdl}`,
    );
  }
  return { tag: regionTag, ril, rdl };
}

/** rpm's hdrblobVerifyInfo: every entry but the region's, in index order. */
function verifyIndex(kind: HeaderKind, entries: HeaderEntry[], data: Buffer, region: Region | undefined): void {
  // rpm cannot type-check signature tags (their numbers collide with main-header tags).
  const typecheck = region !== undefined && kind === 'main';
  const dl = data.length;
  let end = 0;
  // Like rpm, the reported length is the last one computed, which for an early rejection is the
  // previous entry's: it keeps our messages identical to rpm's.
  let length = 0;
  for (let i = region ? 1 : 0, n = 0; i < entries.length; i++, n++) {
    const e = entries[i] as HeaderEntry;
    const bad = (): VerifyError =>
      invalid(kind, `tag[${n}]: BAD, tag ${e.tag} type ${e.type} offset ${e.offset} count ${e.count} len ${length}`);
    if (end > e.offset) throw bad(); // data must not overlap the previous entry's
    if (e.tag < FIRST_DATA_TAG) throw bad();
    if (e.type < TagType.CHAR || e.type > TagType.I18NSTRING) throw bad();
    if (e.count < 1 || e.count > dl) throw bad();
    if (e.offset % typeAlign(e.type) !== 0) throw bad();
    if (e.offset < 0 || e.offset > dl) throw bad();
    if (e.type !== TagType.BIN && e.count > ARRAY_MAX) throw bad();
    if (typecheck) {
      const registered = REGISTERED_TAG_TYPES.get(e.tag);
      if (registered !== undefined && registered !== e.type && !(isStringType(registered) && isStringType(e.type))) {
        throw bad();
      }
    }
    length = dataLength(data, e.type, e.offset, e.count);
    end = e.offset + length;
    if (length <= 0 || end > dl) throw bad();
    // The region trailer is skipped by this loop, so overlap with it needs its own check.
    if (region && end > region.rdl - INDEX_ENTRY_SIZE && e.offset < region.rdl) throw bad();
  }
}
