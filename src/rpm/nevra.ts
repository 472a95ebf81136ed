/**
 * Package identity: name, epoch, version, release, arch and whether it is a source package, read from
 * the main header the way rpm reads them, plus the file-name and NEVRA comparisons that catch a mirror
 * serving one package under another's name.
 */
import type { Header } from './header.js';
import { HeaderTag } from './tags.js';
import { extend } from '../extend.js';

/** Who a package says it is. */
export interface PackageIdentity {
  /** The header's NAME. */
  readonly name: string;
  /** Absent when the header has no EPOCH tag (rpm then treats it as 0). */
  readonly epoch?: number;
  /** The header's VERSION. */
  readonly version: string;
  /** The header's RELEASE. */
  readonly release: string;
  /**
   * `src` for a source package (`nosrc` for one built without some of its sources), as its file name,
   * koji and repositories say; else the header's ARCH.
   */
  readonly arch: string;
  /** The header's ARCH: for a source package, the arch it was built on (`x86_64`, `noarch`). */
  readonly buildArch: string;
  /** Source package, decided as rpm does (SOURCERPM absent ⇒ source, with rpm's retrofit heuristic). */
  readonly source: boolean;
  /**
   * `name-[epoch:]version-release.arch` with {@link arch}: `.src` for a source package, where
   * `rpm -q --qf '%{NEVRA}'` prints the build arch.
   */
  readonly nevra: string;
  /** PAYLOADCOMPRESSOR; rpm assumes gzip when the tag is absent. */
  readonly payloadCompressor: string;
  /** Package format: 6 when RPMFORMAT says so, else 4 (3 for a legacy header without a region). */
  readonly format: 3 | 4 | 6;
}

/**
 * rpm's `headerIsSource` after `applyRetrofits`: a header with SOURCERPM is binary; without it, one with
 * SOURCEPACKAGE is source; with neither, a file list made of one directory with an empty name means source.
 */
function isSource(header: Header): boolean {
  if (header.find(HeaderTag.SOURCERPM)) return false;
  if (header.find(HeaderTag.SOURCEPACKAGE)) return true;
  const dirEntry = header.find(HeaderTag.DIRNAMES);
  if (dirEntry) {
    const dirs = header.strings(dirEntry);
    return dirEntry.count === 1 && dirs[0] === '';
  }
  const oldEntry = header.find(HeaderTag.OLDFILENAMES);
  if (oldEntry) {
    // rpm first compresses the old flat file list; files without a directory give one empty dirname.
    const dirs = new Set(header.strings(oldEntry).map((f) => f.slice(0, f.lastIndexOf('/') + 1)));
    return dirs.size === 1 && dirs.has('');
  }
  return false;
}

/** Formats `name-[epoch:]version-release.arch`. */
export function formatNevra(p: { name: string; epoch?: number | undefined; version: string; release: string; arch: string }): string {
  return `${p.name}-${p.epoch !== undefined ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch}`;
}

/** How people name a package: its NEVRA, `.src` for a source package. */
export function displayName(pkg: Pick<PackageIdentity, 'name' | 'epoch' | 'version' | 'release' | 'arch'>): string {
  return formatNevra(pkg);
}

/** rpmbuild's rule for a source package's arch: `nosrc` when NoSource/NoPatch left files out. */
function sourceArch(header: Header): string {
  return header.find(HeaderTag.NOSOURCE) || header.find(HeaderTag.NOPATCH) ? 'nosrc' : 'src';
}

/** Reads the identity of a package from its main header. */
export function readIdentity(header: Header): PackageIdentity {
  const name = header.string(HeaderTag.NAME) ?? '';
  const epoch = header.number(HeaderTag.EPOCH);
  const version = header.string(HeaderTag.VERSION) ?? '';
  const release = header.string(HeaderTag.RELEASE) ?? '';
  const buildArch = header.string(HeaderTag.ARCH) ?? '';
  const source = isSource(header);
  const rpmFormat = header.number(HeaderTag.RPMFORMAT);
  const base = { name, version, release, arch: source ? sourceArch(header) : buildArch, ...(epoch !== undefined && { epoch }) };
  return extend(base, {
    buildArch,
    source,
    nevra: formatNevra(base),
    payloadCompressor: header.string(HeaderTag.PAYLOADCOMPRESSOR) ?? 'gzip',
    format: rpmFormat === 6 ? 6 : header.regionTag === undefined ? 3 : 4,
  });
}

/** A parsed `name-[epoch:]version-release.arch` string. */
export interface Nevra {
  /** Package name; may contain dashes. */
  readonly name: string;
  /** Present only when the string gives one (`name-1:version-release.arch`). */
  readonly epoch?: number;
  /** Version, without the epoch. */
  readonly version: string;
  /** Release. */
  readonly release: string;
  /** Everything after the last dot: `x86_64`, `noarch`, `src`, … */
  readonly arch: string;
}

/**
 * Parses `name-[epoch:]version-release.arch` from the right, as rpm's own tools do: names may contain
 * dashes, versions and releases may not. Returns undefined when the string does not have that shape.
 */
export function parseNevra(text: string): Nevra | undefined {
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const arch = text.slice(dot + 1);
  const nvr = text.slice(0, dot);
  const relDash = nvr.lastIndexOf('-');
  if (relDash <= 0) return undefined;
  const verDash = nvr.lastIndexOf('-', relDash - 1);
  if (verDash <= 0) return undefined;
  const name = nvr.slice(0, verDash);
  let version = nvr.slice(verDash + 1, relDash);
  const release = nvr.slice(relDash + 1);
  let epoch: number | undefined;
  const colon = version.indexOf(':');
  if (colon >= 0) {
    const e = version.slice(0, colon);
    if (!/^\d+$/.test(e)) return undefined;
    epoch = Number(e);
    version = version.slice(colon + 1);
  }
  if (!name || !version || !release || !arch) return undefined;
  return { name, version, release, arch, ...(epoch !== undefined && { epoch }) };
}

/**
 * Compares a caller's expected NEVRA with the package. An expectation without an epoch matches any
 * epoch (koji's N-V-R.A names omit it); with one, the package's absent epoch counts as 0. The arch of a
 * source package is `src` (or `nosrc`), as koji and repositories name it.
 */
export function matchNevra(expected: string, pkg: PackageIdentity): string | undefined {
  const want = parseNevra(expected);
  if (!want) return `expected NEVRA "${expected}" is not of the form name-[epoch:]version-release.arch`;
  const archOk = pkg.source ? want.arch === 'src' || want.arch === 'nosrc' : want.arch === pkg.arch;
  const epochOk = want.epoch === undefined || want.epoch === (pkg.epoch ?? 0);
  if (want.name === pkg.name && want.version === pkg.version && want.release === pkg.release && archOk && epochOk) {
    return undefined;
  }
  return `expected ${expected}, the package is ${pkg.nevra}`;
}

/** The file names a package may carry: `N-V-R.A.rpm`, or `N-V-R.src.rpm` / `N-V-R.nosrc.rpm` for sources. */
export function canonicalFileNames(pkg: PackageIdentity): string[] {
  const nvr = `${pkg.name}-${pkg.version}-${pkg.release}`;
  return pkg.source ? [`${nvr}.src.rpm`, `${nvr}.nosrc.rpm`] : [`${nvr}.${pkg.arch}.rpm`];
}

/** Checks a file name against the package; returns the reason when it does not match. */
export function matchFileName(fileName: string, pkg: PackageIdentity): string | undefined {
  const names = canonicalFileNames(pkg);
  if (names.includes(fileName)) return undefined;
  const kind = pkg.source ? 'source' : 'binary';
  return `${fileName} does not name the ${kind} package inside, ${pkg.nevra} (expected ${names[0]})`;
}
