/**
 * Writes RPM packages from scratch: lead, signature header, main header and payload, each laid out as
 * rpmbuild lays them out (region tags and trailers, aligned data, sorted index). Tests use it to make
 * packages of any size and shape without rpmbuild; the tests that have rpm check that rpmkeys accepts
 * what it writes.
 */
import { createHash } from 'node:crypto';

export const T = { CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

export interface Entry {
  tag: number;
  type: number;
  count: number;
  data: Buffer;
}

export const str = (tag: number, s: string): Entry => ({ tag, type: T.STRING, count: 1, data: Buffer.from(`${s}\0`) });
export const strArray = (tag: number, a: string[], type: number = T.STRING_ARRAY): Entry => ({
  tag,
  type,
  count: a.length,
  data: Buffer.from(a.map((s) => `${s}\0`).join('')),
});
export const int32 = (tag: number, nums: number[]): Entry => {
  const data = Buffer.alloc(4 * nums.length);
  nums.forEach((n, i) => data.writeUInt32BE(n, 4 * i));
  return { tag, type: T.INT32, count: nums.length, data };
};
export const int64 = (tag: number, nums: number[]): Entry => {
  const data = Buffer.alloc(8 * nums.length);
  nums.forEach((n, i) => data.writeBigUInt64BE(BigInt(n), 8 * i));
  return { tag, type: T.INT64, count: nums.length, data };
};
export const bin = (tag: number, data: Buffer): Entry => ({ tag, type: T.BIN, count: data.length, data });

const ALIGN: Record<number, number> = { [T.INT16]: 2, [T.INT32]: 4, [T.INT64]: 8 };
const MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);

/** A header with a region entry (`regionTag` 62 or 63) sealing every entry; `region: false` for v3. */
export function writeHeader(entries: Entry[], regionTag: number | false): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const il = sorted.length + (regionTag ? 1 : 0);
  const index: Buffer[] = [];
  const data: Buffer[] = [];
  let dl = 0;
  const entryBytes = (tag: number, type: number, offset: number, count: number): Buffer => {
    const b = Buffer.alloc(16);
    b.writeInt32BE(tag, 0);
    b.writeUInt32BE(type, 4);
    b.writeInt32BE(offset, 8);
    b.writeUInt32BE(count, 12);
    return b;
  };
  for (const e of sorted) {
    const align = ALIGN[e.type] ?? 1;
    const pad = (align - (dl % align)) % align;
    if (pad) data.push(Buffer.alloc(pad));
    dl += pad;
    index.push(entryBytes(e.tag, e.type, dl, e.count));
    data.push(e.data);
    dl += e.data.length;
  }
  if (regionTag) {
    index.unshift(entryBytes(regionTag, T.BIN, dl, 16));
    data.push(entryBytes(regionTag, T.BIN, -16 * il, 16));
    dl += 16;
  }
  const intro = Buffer.alloc(16);
  MAGIC.copy(intro);
  intro.writeUInt32BE(il, 8);
  intro.writeUInt32BE(dl, 12);
  return Buffer.concat([intro, ...index, ...data]);
}

export interface PackageSpec {
  name?: string;
  version?: string;
  release?: string;
  epoch?: number;
  arch?: string;
  source?: boolean;
  /** Stored payload bytes (compressed or not: -K never looks inside). */
  payload?: Buffer;
  compressor?: string;
  /** Which digests to write. Default: everything rpmbuild 4.18 writes. */
  digests?: { sha1?: boolean; sha256?: boolean; md5?: boolean; payloadSha256?: boolean; size?: boolean };
  /** Extra entries for the main or signature header. */
  extraMain?: Entry[];
  extraSig?: Entry[];
  /** Write a v3 package (no region tags, only SIZE + MD5 in the signature). */
  legacy?: boolean;
  /**
   * FILESIZES (1028) for the file list, which bounds what the payload may take. Default: one file as
   * long as the payload; `false` writes none.
   */
  fileSizes?: number[] | false;
}

/** Parts of a written package, for tests that mutate specific regions. */
export interface WrittenPackage {
  bytes: Buffer;
  lead: Buffer;
  signature: Buffer;
  pad: Buffer;
  header: Buffer;
  payload: Buffer;
  fileName: string;
}

/** Writes a complete package that rpmkeys -K accepts. */
export function writePackage(spec: PackageSpec = {}): WrittenPackage {
  const name = spec.name ?? 'synthetic';
  const version = spec.version ?? '1.0';
  const release = spec.release ?? '1';
  const arch = spec.arch ?? 'noarch';
  const payload = spec.payload ?? Buffer.from('synthetic payload bytes\n'.repeat(40));
  const d = { sha1: true, sha256: true, md5: true, payloadSha256: true, size: true, ...spec.digests };
  const main: Entry[] = [
    strArray(100, ['C']),
    str(1000, name),
    str(1001, version),
    str(1002, release),
    str(1022, arch),
    str(1124, 'cpio'),
    str(1125, spec.compressor ?? 'gzip'),
    ...(spec.epoch !== undefined ? [int32(1003, [spec.epoch])] : []),
    ...(spec.source ? [int32(1106, [1])] : [str(1044, `${name}-${version}-${release}.src.rpm`)]),
    ...(d.payloadSha256 && !spec.legacy
      ? [strArray(5092, [createHash('sha256').update(payload).digest('hex')]), int32(5093, [8])]
      : []),
    ...(spec.fileSizes === false ? [] : [int32(1028, spec.fileSizes ?? [payload.length])]),
    ...(spec.extraMain ?? []),
  ];
  const header = writeHeader(main, spec.legacy ? false : 63);
  const sig: Entry[] = [
    ...(d.sha1 && !spec.legacy ? [str(269, createHash('sha1').update(header).digest('hex'))] : []),
    ...(d.sha256 && !spec.legacy ? [str(273, createHash('sha256').update(header).digest('hex'))] : []),
    ...(d.size ? [int32(1000, [header.length + payload.length])] : []),
    ...(d.md5 ? [bin(1004, createHash('md5').update(header).update(payload).digest())] : []),
    ...(spec.extraSig ?? []),
  ];
  const signature = writeHeader(sig, spec.legacy ? false : 62);
  const pad = Buffer.alloc((8 - (signature.length % 8)) % 8);
  const lead = Buffer.alloc(96);
  Buffer.from([0xed, 0xab, 0xee, 0xdb, 3, 0]).copy(lead);
  lead.writeUInt16BE(spec.source ? 1 : 0, 6);
  lead.writeUInt16BE(1, 8);
  lead.write(`${name}-${version}-${release}`.slice(0, 65), 10, 'latin1');
  lead.writeUInt16BE(1, 76);
  lead.writeUInt16BE(5, 78);
  const fileName = `${name}-${version}-${release}.${spec.source ? 'src' : arch}.rpm`;
  return { bytes: Buffer.concat([lead, signature, pad, header, payload]), lead, signature, pad, header, payload, fileName };
}
