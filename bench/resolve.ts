/**
 * bench/resolve: resolving names through repository metadata. A primary file of 50 000 packages is
 * generated (Fedora-like: provides, requires, files; about 93 MB of XML), compressed as createrepo_c
 * would (zstd is its default), and served by nginx with its repomd.xml. Each run resolves 50 names
 * from a fresh process:
 *
 * - rpmfetch: `resolvePackages` from dist/ (repomd.xml, then the primary file checked against it,
 *   decompressed and parsed as it streams).
 * - baseline, what dnf does: librepo (Debian's python3-librepo) downloads repomd.xml and the primary
 *   file and checks it, libsolv (python3-solv) parses it and picks the best of each name.
 *
 * Prints wall time and peak RSS (from /proc, VmHWM) of each, and the ratio. Options: --packages N
 * --names N --runs N --formats zstd,gz,xz
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generatedPrimaryChunks } from '../test/helpers/primary-xml.js';
import { nginxMissing, startNginx } from '../test/helpers/nginx.js';
import { primaryRecordXml } from '../test/helpers/repo.js';
import { buildDist, have, measure, median, options, PYTHON, requirePython, type Run, table } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = options({ packages: '50000', names: '50', runs: '3', formats: 'zstd,gz,xz' });
const count = Number(opts.packages);
const formats = opts.formats.split(',') as Array<'zstd' | 'gz' | 'xz'>;

if (nginxMissing()) {
  console.error('bench/resolve needs nginx (apt-get install nginx-light)');
  process.exit(2);
}
requirePython('bench/resolve', ['librepo', 'solv'], 'python3-librepo python3-solv');
for (const f of formats) {
  const tool = { zstd: 'zstd', xz: 'xz', gz: undefined }[f];
  if (tool && !have(tool)) {
    console.error(`bench/resolve needs ${tool} to write the ${f} primary file`);
    process.exit(2);
  }
}

const work = join(ROOT, '.bench', `resolve-${count}`);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The generated primary.xml (written once, kept in .bench/). */
async function primaryXml(): Promise<Buffer> {
  const path = join(work, 'primary.xml');
  if (!existsSync(path)) {
    await mkdir(work, { recursive: true });
    const out = createWriteStream(`${path}.tmp`);
    for (const chunk of generatedPrimaryChunks(count)) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((r) => out.end(() => r()));
    execFileSync('mv', [`${path}.tmp`, path]);
  }
  return readFile(path);
}

/** A repository directory with the primary file in `format` and its repomd.xml. */
async function repository(xml: Buffer, format: 'zstd' | 'gz' | 'xz'): Promise<{ dir: string; size: number }> {
  const dir = join(work, format);
  const repomdPath = join(dir, 'repodata/repomd.xml');
  if (existsSync(repomdPath)) {
    const href = /href="([^"]+primary[^"]+)"/.exec(await readFile(repomdPath, 'utf8'))?.[1] ?? '';
    return { dir, size: (await readFile(join(dir, href))).length };
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'repodata'), { recursive: true });
  const packed = format === 'gz' ? gzipSync(xml) : execFileSync(format === 'zstd' ? 'zstd' : 'xz', format === 'zstd' ? ['-c', '-q', '-T2'] : ['-c', '-T2'], { input: xml, maxBuffer: 1 << 30 });
  const ext = { zstd: 'zst', gz: 'gz', xz: 'xz' }[format];
  const href = `repodata/${sha256(packed)}-primary.xml.${ext}`;
  await writeFile(join(dir, href), packed);
  await writeFile(
    repomdPath,
    `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  ${primaryRecordXml(href, packed, xml)}
</repomd>
`,
  );
  return { dir, size: packed.length };
}

const names = Array.from({ length: Number(opts.names) }, (_, i) => `pkg-${String(Math.floor((i * count) / Number(opts.names))).padStart(5, '0')}`);

const ours = join(work, 'rpmfetch-resolve.mjs');
const theirs = join(work, 'librepo-libsolv.py');

async function scripts(): Promise<void> {
  await mkdir(work, { recursive: true });
  await writeFile(
    ours,
    `import { resolvePackages } from ${JSON.stringify(join(ROOT, 'dist/index.js'))};
const [url, ...names] = process.argv.slice(2);
const r = await resolvePackages(names, { mirrors: [url], dest: '.', arch: 'x86_64' });
const found = r.items.filter((i) => i.ok).length;
if (found !== names.length) { console.error(r.items.filter((i) => !i.ok).map((i) => i.error.message).join('\\n')); process.exit(1); }
console.log(found);
`,
  );
  await writeFile(
    theirs,
    `import functools, json, librepo, solv, sys, tempfile
url, names = sys.argv[1], sys.argv[2:]
dest = tempfile.mkdtemp(prefix="librepo-bench-")
h = librepo.Handle()
h.urls = [url]
h.repotype = librepo.YUMREPO
h.destdir = dest
h.yumdlist = ["primary"]
h.checksum = True
r = h.perform()
primary = r.getinfo(librepo.LRR_YUM_REPO)["primary"]
pool = solv.Pool()
pool.setarch("x86_64")
repo = pool.add_repo("bench")
repo.add_rpmmd(solv.xfopen(primary), None, 0)
pool.createwhatprovides()
found = 0
for name in names:
    sel = pool.select(name, solv.Selection.SELECTION_NAME)
    cands = [s for s in sel.solvables() if s.arch in ("x86_64", "noarch")]
    if cands:
        max(cands, key=functools.cmp_to_key(lambda a, b: a.evrcmp(b)))
        found += 1
if found != len(names):
    sys.exit("libsolv found %d of %d" % (found, len(names)))
print(found)
`,
  );
}

async function main(): Promise<void> {
  buildDist(ROOT);
  const xml = await primaryXml();
  await scripts();
  const nginx = await startNginx(work);
  const rows: string[][] = [['primary file', 'tool', 'wall time (median)', 'peak RSS', 'vs librepo+libsolv']];
  const summary: string[] = [];
  try {
    for (const format of formats) {
      const { size } = await repository(xml, format);
      const url = `${nginx.url}${format}/`;
      const runs = new Map<string, Run[]>([['librepo+libsolv', []], ['rpmfetch', []]]);
      for (let i = 0; i < Number(opts.runs); i++) {
        for (const [tool, run] of [
          ['librepo+libsolv', () => measure(PYTHON, [theirs, url, ...names])],
          ['rpmfetch', () => measure(process.execPath, [ours, url, ...names])],
        ] as const) {
          const r = await run();
          if (r.code !== 0 || r.stdout.trim() !== String(names.length)) throw new Error(`${tool} failed: ${r.stderr || r.stdout}`);
          runs.get(tool)?.push(r);
        }
      }
      const base = median((runs.get('librepo+libsolv') ?? []).map((r) => r.ms));
      for (const [tool, list] of runs) {
        const ms = median(list.map((r) => r.ms));
        const rss = Math.max(...list.map((r) => r.peakRssMiB));
        rows.push([`${format} ${(size / 1e6).toFixed(1)} MB`, tool, `${(ms / 1000).toFixed(2)} s`, `${rss.toFixed(0)} MiB`, `${(ms / base).toFixed(2)}x`]);
      }
      const ourMs = median((runs.get('rpmfetch') ?? []).map((r) => r.ms));
      summary.push(`${format}: ${(ourMs / base).toFixed(2)}x`);
    }
  } finally {
    await nginx.stop();
  }
  console.log(`\nresolve ${names.length} names from a primary of ${count} packages (${(xml.length / 1e6).toFixed(0)} MB of XML), ${opts.runs} runs each, fresh processes, nginx on loopback\n`);
  console.log(table(rows));
  console.log(`\nrpmfetch vs librepo+libsolv: ${summary.join(', ')}`);
}

await main();
