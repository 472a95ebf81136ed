/**
 * Writes primary.xml in createrepo_c's shape, for tests of odd metadata and for the resolve benchmark
 * (a Fedora-sized primary, generated: each package carries provides, requires and files like real ones).
 */
import { seeded } from './layout.js';

export interface PrimaryPackage {
  name: string;
  arch: string;
  epoch?: number;
  version: string;
  release: string;
  checksum: { type: string; hex: string };
  size: number;
  href: string;
  base?: string;
  /** Extra raw XML inside <format>. */
  format?: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function packageXml(p: PrimaryPackage): string {
  const base = p.base !== undefined ? ` xml:base="${esc(p.base)}"` : '';
  return `<package type="rpm">
  <name>${esc(p.name)}</name>
  <arch>${esc(p.arch)}</arch>
  <version epoch="${p.epoch ?? 0}" ver="${esc(p.version)}" rel="${esc(p.release)}"/>
  <checksum type="${p.checksum.type}" pkgid="YES">${p.checksum.hex}</checksum>
  <summary>${esc(p.name)} summary</summary>
  <description>${esc(p.name)} does things &amp; more.</description>
  <packager>Fedora Project</packager>
  <url>https://example.org/${esc(p.name)}</url>
  <time file="1700000000" build="1690000000"/>
  <size package="${p.size}" installed="${p.size * 3}" archive="${p.size * 3 + 512}"/>
  <location${base} href="${esc(p.href)}"/>
  <format>
    <rpm:license>MIT</rpm:license>
    <rpm:vendor>Fedora Project</rpm:vendor>
    <rpm:group>Unspecified</rpm:group>
    <rpm:buildhost>buildhw-x86-01.iad2.fedoraproject.org</rpm:buildhost>
    <rpm:sourcerpm>${esc(p.name)}-${esc(p.version)}-${esc(p.release)}.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="21345"/>${p.format ?? ''}
  </format>
</package>
`;
}

export function primaryXml(packages: readonly PrimaryPackage[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${packages.length}">
${packages.map(packageXml).join('')}</metadata>
`;
}

/** The Fedora-like <format> body of a generated package: provides, requires and a few files. */
function formatBody(name: string, version: string, release: string, rand: () => number): string {
  const provides = [`<rpm:entry name="${name}" flags="EQ" epoch="0" ver="${version}" rel="${release}"/>`];
  for (let i = 0; i < 2 + Math.floor(rand() * 6); i++) provides.push(`<rpm:entry name="lib${name}-${i}.so.${i}()(64bit)"/>`);
  const requires: string[] = [];
  for (let i = 0; i < 4 + Math.floor(rand() * 16); i++) {
    requires.push(i % 3 === 0 ? `<rpm:entry name="libc.so.6(GLIBC_2.${i + 2})(64bit)"/>` : `<rpm:entry name="dep-${Math.floor(rand() * 50_000)}" flags="GE" epoch="0" ver="1.${i}"/>`);
  }
  const files: string[] = [];
  for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) files.push(`<file>/usr/bin/${name}-${i}</file>`);
  return `
    <rpm:provides>
      ${provides.join('\n      ')}
    </rpm:provides>
    <rpm:requires>
      ${requires.join('\n      ')}
    </rpm:requires>
    ${files.join('\n    ')}`;
}

/**
 * Generates `count` packages named `pkg-00000`…, each in one or two versions and for x86_64, noarch or
 * i686, with a Fedora-like amount of dependency data.
 */
export function* generatedPackages(count: number, seed = 1): Generator<PrimaryPackage> {
  const rand = seeded(seed);
  const arches = ['x86_64', 'x86_64', 'noarch', 'i686'];
  for (let i = 0; i < count; i++) {
    const name = `pkg-${String(i).padStart(5, '0')}`;
    const arch = arches[i % arches.length] as string;
    const version = `${1 + Math.floor(rand() * 9)}.${Math.floor(rand() * 20)}.${Math.floor(rand() * 100)}`;
    const release = `${1 + Math.floor(rand() * 5)}.fc41`;
    const hex = Array.from({ length: 8 }, () => Math.floor(rand() * 0xffffffff).toString(16).padStart(8, '0')).join('');
    yield {
      name,
      arch,
      version,
      release,
      checksum: { type: 'sha256', hex },
      size: 10_000 + Math.floor(rand() * 5_000_000),
      href: `Packages/${name[0]}/${name}-${version}-${release}.${arch}.rpm`,
      format: formatBody(name, version, release, rand),
    };
  }
}

/** The XML of a generated primary, as chunks (a Fedora-sized one is too big to want as one string). */
export function* generatedPrimaryChunks(count: number, seed = 1): Generator<string> {
  yield `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${count}">
`;
  for (const p of generatedPackages(count, seed)) yield packageXml(p);
  yield '</metadata>\n';
}
