/**
 * The fixture packages as mirrors lay them out, without any tool but Node: a yum repository
 * (`Packages/` plus `repodata/` written here, gzip-compressed, checksums included) and koji's
 * `packages/N/V/R/ARCH/` tree. Used by the demo and the examples' tests, which must run on a machine
 * with nothing but Node.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { verifyFile } from '../../src/index.js';
import { kojiRpmPath } from '../../src/repo/koji.js';
import { primaryXml, type PrimaryPackage } from './primary-xml.js';
import { primaryRecordXml } from './repo.js';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/packages');

export interface FixturePackage {
  file: string;
  bytes: Buffer;
  name: string;
  version: string;
  release: string;
  /** `src` for source packages. */
  arch: string;
  epoch?: number;
  /** koji's payloadhash: the header+payload MD5. */
  payloadhash: string;
  /** Path in the repository layout. */
  repoPath: string;
  /** Path in koji's layout. */
  kojiPath: string;
}

export async function fixturePackages(): Promise<FixturePackage[]> {
  const out: FixturePackage[] = [];
  for (const file of (await readdir(FIXTURE_DIR)).filter((f) => f.endsWith('.rpm')).sort()) {
    const v = await verifyFile(join(FIXTURE_DIR, file));
    if (!v.ok || !v.rpm) throw new Error(`fixture ${file} does not verify`);
    const arch = v.rpm.source ? 'src' : v.rpm.arch;
    const info = { name: v.rpm.name, version: v.rpm.version, release: v.rpm.release, arch };
    out.push({
      file,
      bytes: await readFile(join(FIXTURE_DIR, file)),
      ...info,
      ...(v.rpm.epoch !== undefined && { epoch: v.rpm.epoch }),
      payloadhash: v.digests['header+payload:md5'] as string,
      repoPath: `Packages/${file[0]}/${file}`,
      kojiPath: kojiRpmPath(info),
    });
  }
  return out;
}

/** Every file of a mirror holding the fixtures in both layouts, by path. */
export function mirrorTree(packages: readonly FixturePackage[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const entries: PrimaryPackage[] = [];
  for (const p of packages) {
    files.set(p.repoPath, p.bytes);
    files.set(p.kojiPath, p.bytes);
    entries.push({
      name: p.name,
      arch: p.arch,
      version: p.version,
      release: p.release,
      ...(p.epoch !== undefined && { epoch: p.epoch }),
      checksum: { type: 'sha256', hex: createHash('sha256').update(p.bytes).digest('hex') },
      size: p.bytes.length,
      href: p.repoPath,
    });
  }
  const xml = Buffer.from(primaryXml(entries));
  const packed = gzipSync(xml);
  const href = `repodata/${createHash('sha256').update(packed).digest('hex')}-primary.xml.gz`;
  files.set(href, packed);
  files.set(
    'repodata/repomd.xml',
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n  <revision>1</revision>\n  ${primaryRecordXml(href, packed, xml)}\n</repomd>\n`),
  );
  return files;
}
