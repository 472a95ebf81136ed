/**
 * Real repositories for tests: createrepo_c (Debian's createrepo-c) run over rpmbuild-built packages,
 * loaded into memory so that a fault mirror can serve them, and rewritten where a test needs metadata
 * createrepo_c would never write (zstd, which Debian's 0.17 lacks; plain XML; hostile locations; lies).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { have, missing } from './system-tools.js';

const run = promisify(execFile);

/** Why createrepo_c tests cannot run here (they must in CI), or undefined. */
export function createrepoMissing(): string | undefined {
  return missing(have('createrepo_c'), 'createrepo_c', 'package createrepo-c');
}

/** Why a compressor is missing, or undefined. */
export function compressorMissing(format: Compression): string | undefined {
  const tool = { gz: undefined, none: undefined, xz: ['xz', 'xz-utils'], bz2: ['bzip2', 'bzip2'], zstd: ['zstd', 'zstd'] }[format];
  return tool ? missing(have(tool[0] as string), tool[0] as string, `package ${tool[1]}`) : undefined;
}

export type Compression = 'gz' | 'xz' | 'bz2' | 'zstd' | 'none';
const EXT: Record<Compression, string> = { gz: '.gz', xz: '.xz', bz2: '.bz2', zstd: '.zst', none: '' };

/** Runs createrepo_c over `dir` (in place). */
export async function createrepo(dir: string, options: { compress?: 'gz' | 'xz' | 'bz2'; baseurl?: string } = {}): Promise<void> {
  const args = ['--no-database', '--general-compress-type', options.compress ?? 'gz', ...(options.baseurl ? ['--baseurl', options.baseurl] : []), dir];
  await run('createrepo_c', args);
}

/** Every file under `dir`, by path relative to it. */
export async function loadTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    files.set(relative(dir, full), await readFile(full));
  }
  return files;
}

function compress(data: Buffer, format: Compression): Buffer {
  switch (format) {
    case 'gz':
      return gzipSync(data);
    case 'none':
      return data;
    case 'xz':
      return execFileSync('xz', ['-c'], { input: data });
    case 'bz2':
      return execFileSync('bzip2', ['-c'], { input: data });
    case 'zstd':
      return execFileSync('zstd', ['-c', '-q'], { input: data });
  }
}

function decompress(data: Buffer): Buffer {
  if (data[0] === 0x1f && data[1] === 0x8b) return gunzipSync(data);
  if (data[0] === 0xfd) return execFileSync('xz', ['-dc'], { input: data });
  if (data[0] === 0x42 && data[1] === 0x5a) return execFileSync('bzip2', ['-dc'], { input: data });
  if (data[0] === 0x28) return execFileSync('zstd', ['-dc', '-q'], { input: data });
  return data;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The `<data type="primary">` block of repomd.xml and the primary file's path. */
export function primaryOf(files: Map<string, Buffer>): { block: string; href: string } {
  const repomd = (files.get('repodata/repomd.xml') as Buffer).toString();
  const block = /<data type="primary">[\s\S]*?<\/data>/.exec(repomd)?.[0];
  const href = block && /<location[^>]*href="([^"]+)"/.exec(block)?.[1];
  if (!block || !href) throw new Error('repomd.xml has no primary');
  return { block, href };
}

/**
 * Rewrites the primary file: its XML through `edit`, compressed as `format`, and repomd.xml updated to
 * describe it truthfully (checksums, sizes, location), as a repository tool would.
 */
export function rewritePrimary(files: Map<string, Buffer>, format: Compression, edit: (xml: string) => string = (x) => x): void {
  const { block, href } = primaryOf(files);
  const xml = Buffer.from(edit(decompress(files.get(href) as Buffer).toString()));
  const packed = compress(xml, format);
  const newHref = `repodata/${sha256(packed)}-primary.xml${EXT[format]}`;
  files.delete(href);
  files.set(newHref, packed);
  editRepomd(files, (r) => r.replace(block, primaryRecordXml(newHref, packed, xml)));
}

/** repomd.xml's `<data type="primary">` record describing a primary file truthfully. */
export function primaryRecordXml(href: string, packed: Buffer, xml: Buffer): string {
  return `<data type="primary">
    <checksum type="sha256">${sha256(packed)}</checksum>
    <open-checksum type="sha256">${sha256(xml)}</open-checksum>
    <location href="${href}"/>
    <timestamp>1700000000</timestamp>
    <size>${packed.length}</size>
    <open-size>${xml.length}</open-size>
  </data>`;
}

/** Edits repomd.xml's text. */
export function editRepomd(files: Map<string, Buffer>, edit: (xml: string) => string): void {
  files.set('repodata/repomd.xml', Buffer.from(edit((files.get('repodata/repomd.xml') as Buffer).toString())));
}

/** Edits one field of the primary record in repomd.xml (a lie about the primary file). */
export function patchPrimaryRecord(files: Map<string, Buffer>, field: 'checksum' | 'size' | 'open-size', value: string): void {
  const { block } = primaryOf(files);
  const re = field === 'checksum' ? /(<checksum type="[^"]+">)[^<]*(<\/checksum>)/ : new RegExp(`(<${field}>)[^<]*(</${field}>)`);
  editRepomd(files, (r) => r.replace(block, block.replace(re, `$1${value}$2`)));
}

/** A copy of a file map. */
export function copyTree(files: Map<string, Buffer>): Map<string, Buffer> {
  return new Map([...files].map(([k, v]) => [k, Buffer.from(v)]));
}
