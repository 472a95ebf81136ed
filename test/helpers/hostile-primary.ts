/**
 * Hostile primary files, as an outside tester aimed them at rpmfetch: decompression bombs (a compressed
 * unit of whitespace repeated: gzip, xz, zstd and bzip2 all decode concatenated streams as one), a text
 * node of many MiB, one name repeated a million times, an endless body; and the repomd.xml that
 * describes a primary file with or without its sizes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Fault } from './fault-mirror.js';

export type BombFormat = 'gz' | 'xz' | 'zstd' | 'bz2';

export const PRIMARY_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">\n';
const MIB = 1024 * 1024;
/** Whitespace decoded per repeated unit of a bomb. */
export const BOMB_UNIT = 64 * MIB;

/** `data` compressed as `format`. */
export function pack(format: BombFormat, data: Buffer): Buffer {
  switch (format) {
    case 'gz':
      return gzipSync(data, { level: 9 });
    case 'xz':
      return execFileSync('xz', ['-c', '-0'], { input: data, maxBuffer: 1 << 30 });
    case 'zstd':
      return execFileSync('zstd', ['-c', '-q'], { input: data, maxBuffer: 1 << 30 });
    case 'bz2':
      return execFileSync('bzip2', ['-c'], { input: data, maxBuffer: 1 << 30 });
  }
}

const units = new Map<BombFormat, Buffer>();

/** 64 MiB of spaces, compressed as `format` (a few KB, but for gzip's 65 KB). */
export function bombUnit(format: BombFormat): Buffer {
  let unit = units.get(format);
  if (!unit) units.set(format, (unit = pack(format, Buffer.alloc(BOMB_UNIT, 0x20))));
  return unit;
}

/**
 * A primary file that opens `<metadata>` and then decodes to `units` × 64 MiB of spaces, never closing
 * it: a well-formed start that only a limit stops.
 */
export function bomb(format: BombFormat, unitCount: number): Buffer {
  return Buffer.concat([pack(format, Buffer.from(PRIMARY_HEAD)), ...new Array<Buffer>(unitCount).fill(bombUnit(format))]);
}

/** One package's XML with the fields rpmfetch reads (its checksum made up), and `extra` inside it. */
export function minimalPackage(name: string, arch: string, version: string, release: string, extra = ''): string {
  const hex = `${name.length}${arch}${release}`.replace(/[^0-9a-f]/g, 'a').padStart(64, '0').slice(-64);
  return `<package type="rpm"><name>${name}</name><arch>${arch}</arch><version epoch="0" ver="${version}" rel="${release}"/><checksum type="sha256" pkgid="YES">${hex}</checksum><size package="1000"/><location href="Packages/${name}-${version}-${release}.${arch}.rpm"/>${extra}</package>\n`;
}

/** A valid primary file whose one package carries a `<description>` of `bytes` characters and no `<`. */
export function bigTextPrimary(bytes: number, where: 'text' | 'comment' | 'cdata' = 'text'): Buffer {
  const filler = 'x'.repeat(bytes);
  const extra = where === 'text' ? `<description>${filler}</description>` : where === 'comment' ? `<!--${filler}-->` : `<description><![CDATA[${filler}]]></description>`;
  return Buffer.from(`${PRIMARY_HEAD}${minimalPackage('hostile-text', 'noarch', '1.0', '1', extra)}</metadata>\n`);
}

/**
 * A primary file of `count` packages all named `name` (releases 1…count/arches.length, each in every
 * arch), as chunks: a million of them is a few hundred MB of XML.
 */
export function* oneNamePrimary(name: string, count: number, arches: readonly string[] = ['x86_64', 'noarch']): Generator<Buffer> {
  yield Buffer.from(PRIMARY_HEAD.replace('packages="1"', `packages="${count}"`));
  let batch = '';
  for (let i = 0; i < count; i++) {
    batch += minimalPackage(name, arches[i % arches.length] as string, '1.0', String(1 + Math.floor(i / arches.length)));
    if (batch.length > 1 << 20) {
      yield Buffer.from(batch);
      batch = '';
    }
  }
  yield Buffer.from(`${batch}</metadata>\n`);
}

/**
 * A repository holding `primary` at `href`, its repomd.xml stating the size and open-size given
 * (`undefined` leaves the element out; the true values by default).
 */
export function repoWith(primary: Buffer, options: { href?: string; size?: number | undefined; openSize?: number | undefined } = {}): Map<string, Buffer> {
  const href = options.href ?? `repodata/${createHash('sha256').update(primary).digest('hex')}-primary.xml`;
  const size = 'size' in options ? options.size : primary.length;
  const openSize = 'openSize' in options ? options.openSize : undefined;
  const record = `<data type="primary">
    <checksum type="sha256">${createHash('sha256').update(primary).digest('hex')}</checksum>
    <location href="${href}"/>
    <timestamp>1700000000</timestamp>${size !== undefined ? `\n    <size>${size}</size>` : ''}${openSize !== undefined ? `\n    <open-size>${openSize}</open-size>` : ''}
  </data>`;
  const repomd = `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n  <revision>1</revision>\n  ${record}\n</repomd>\n`;
  return new Map([
    ['repodata/repomd.xml', Buffer.from(repomd)],
    [href, primary],
  ]);
}

/** What an endless body has sent, and whether its client has gone. */
export interface EndlessProgress {
  bytes: number;
  closed: boolean;
}

/**
 * A body that starts with `head` and then sends `filler` forever, as fast as the client reads, until it
 * goes away; `progress` follows it, and `onBytes` is told of each write.
 */
export function endless(head: Buffer, filler: Buffer, progress: EndlessProgress = { bytes: 0, closed: false }, onBytes?: (bytes: number) => void): Fault {
  return (ctx) => {
    const { res } = ctx;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const write = (b: Buffer): boolean => {
      progress.bytes += b.length;
      onBytes?.(progress.bytes);
      return res.write(b);
    };
    write(head);
    const more = (): void => {
      while (!res.destroyed && write(filler));
      if (!res.destroyed) res.once('drain', more);
    };
    res.once('close', () => {
      progress.closed = true;
      res.removeAllListeners('drain');
    });
    more();
  };
}

/** `count` packages of one name, compressed as `format`: a stretch of a valid primary file. */
export function packedPackages(format: BombFormat | 'none', name: string, count: number): Buffer {
  let xml = '';
  for (let i = 0; i < count; i++) xml += minimalPackage(name, 'x86_64', '1.0', String(i));
  return format === 'none' ? Buffer.from(xml) : pack(format, Buffer.from(xml));
}

/** The start of a primary file, compressed as `format` (concatenated with more streams of it). */
export function packedHead(format: BombFormat | 'none', packages = 1): Buffer {
  const head = Buffer.from(PRIMARY_HEAD.replace('packages="1"', `packages="${packages}"`));
  return format === 'none' ? head : pack(format, head);
}
