/**
 * The most bytes a package's stored payload can take, derived from its main header: the payload is a
 * cpio archive of the files the header lists, compressed. The signature header's SIZE, LONGSIZE and
 * archive-size tags are covered by no digest and can say anything; the main header is covered by the
 * header digests (and signatures), so once those match, this bound is the package's own word that a
 * mirror cannot rewrite. A SIZE claim above it is a lie, and bytes beyond it are not the package.
 */
import type { Header } from './header.js';
import { HeaderTag } from './tags.js';

/**
 * cpio "newc" per-file overhead: a 110-byte header, "./" before the path, its NUL, and up to three
 * bytes of padding after the name and after the data. rpm's stripped format for large files is smaller.
 */
const PER_FILE = 110 + 2 + 1 + 3 + 3;
/** The closing `TRAILER!!!` entry, padded. */
const TRAILER = 124;
/**
 * Room for compression on incompressible data. Worst cases: deflate ~0.03 %, xz ~0.2 %, zstd ~0.4 %,
 * bzip2 ~1 %, legacy lzma ~2 %, each plus a small header; 1/16 and a mebibyte cover all of them.
 */
const EXPANSION_DIVISOR = 16;
const SLACK = 1024 * 1024;
/** Path length assumed per file when the header lists sizes but no names (PATH_MAX). */
const UNNAMED_PATH = 4096;

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Bytes of every path the header lists, as the archive spells them (without "./"). */
function pathBytes(main: Header, files: number): number {
  const basenames = main.find(HeaderTag.BASENAMES);
  const dirnames = main.find(HeaderTag.DIRNAMES);
  const dirindexes = main.find(HeaderTag.DIRINDEXES);
  if (basenames && dirnames && dirindexes) {
    const dirs = main.strings(dirnames, 'latin1').map((d) => d.length);
    const bases = main.strings(basenames, 'latin1');
    const indexes = main.numbers(dirindexes) ?? [];
    let total = 0;
    bases.forEach((b, i) => {
      total += b.length + (dirs[indexes[i] ?? -1] ?? UNNAMED_PATH);
    });
    return total + Math.max(0, files - bases.length) * UNNAMED_PATH;
  }
  const old = main.find(HeaderTag.OLDFILENAMES);
  if (old) {
    const names = main.strings(old, 'latin1');
    return sum(names.map((n) => n.length)) + Math.max(0, files - names.length) * UNNAMED_PATH;
  }
  return files * UNNAMED_PATH;
}

/** The largest stored payload the main header allows, in bytes. */
export function payloadBound(main: Header): number {
  const long = main.find(HeaderTag.LONGFILESIZES);
  const short = main.find(HeaderTag.FILESIZES);
  const sizes = (long && main.numbers(long)) || (short && main.numbers(short)) || [];
  const archive = sum(sizes) + pathBytes(main, sizes.length) + sizes.length * PER_FILE + TRAILER;
  return archive + Math.ceil(archive / EXPANSION_DIVISOR) + SLACK;
}
