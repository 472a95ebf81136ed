/**
 * bench/download: a 1 GiB rpmbuild-built package from loopback nginx, in the same run:
 *   - `curl -o` (the raw wire),
 *   - librepo (Debian's python3-librepo run by /usr/bin/python3, with sha256 and size given),
 *   - `rpmfetch get --sha256 --size` (every digest of the package plus the sha256).
 * Runs alternate; before each one the previous output is deleted, `sync` flushes the page cache's
 * dirty pages, so that no tool pays for another's writes, and the bench waits `--settle` ms so that
 * every tool finds memory in the same state (measure.ts, SETTLE_MS). Reports median wall time, ratios,
 * peak RSS.
 *
 *   npm run bench:download -- [--size-mib 1024] [--payload zstd] [--runs 5] [--settle 4000] [--work DIR]
 *
 * `--work DIR`: where the file is written (default: the system's temporary directory).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PayloadKind } from '../test/helpers/rpm-tools.js';
import { startNginx } from '../test/helpers/nginx.js';
import { benchPackage } from './bench-package.js';
import { buildDist, describeFs, have, measure, median, options, PYTHON, requirePython, rotated, RUN_OPTIONS, type Run, settle, table } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = options({ 'size-mib': '1024', payload: 'zstd', runs: '5', ...RUN_OPTIONS });

for (const tool of ['rpmbuild', 'curl', 'nginx']) {
  if (!have(tool) && !(tool === 'nginx' && have('/usr/sbin/nginx'))) {
    console.error(`bench/download needs ${tool} (apt-get install rpm curl nginx-light python3-librepo)`);
    process.exit(2);
  }
}
requirePython('bench/download', ['librepo'], 'python3-librepo');

const file = await benchPackage(ROOT, Number(opts['size-mib']), opts.payload as PayloadKind);
const name = basename(file);
const size = statSync(file).size;
const hash = createHash('sha256');
for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
const sha256 = hash.digest('hex');
buildDist(ROOT);

const nginx = await startNginx(dirname(file));
const work = await mkdtemp(join(opts.work, 'rpmfetch-bench-dl-'));
const filesystem = describeFs(work);
const dest = join(work, 'dest');
const librepoScript = join(work, 'librepo-get.py');
writeFileSync(
  librepoScript,
  `import librepo, sys
h = librepo.Handle()
h.urls = [sys.argv[1]]
h.repotype = librepo.YUMREPO
t = librepo.PackageTarget(sys.argv[2], handle=h, dest=sys.argv[3] + "/", checksum_type=librepo.SHA256, checksum=sys.argv[4], expectedsize=int(sys.argv[5]))
librepo.download_packages([t])
if t.err:
    sys.exit("librepo: " + str(t.err))
`,
);

function clean(): void {
  rmSync(dest, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dest]);
  execFileSync('sync');
}

const tools: Array<{ label: string; run: () => Promise<Run> }> = [
  { label: 'curl -o', run: () => measure('curl', ['-sS', '-o', join(dest, name), `${nginx.url}${name}`]) },
  { label: 'librepo (sha256 + size)', run: () => measure(PYTHON, [librepoScript, nginx.url, name, dest, sha256, String(size)]) },
  {
    label: 'rpmfetch get (all digests + sha256 + size)',
    run: () => measure(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'get', '--quiet', '--no-reuse', '--mirror', nginx.url, '--dest', dest, '--sha256', sha256, '--size', String(size), name]),
  },
];
const results = new Map<string, Run[]>(tools.map((t) => [t.label, []]));
try {
  for (let i = 0; i < Number(opts.runs); i++) {
    const line: string[] = [];
    for (const tool of rotated(tools, i)) {
      clean();
      await settle(opts.settle);
      const r = await tool.run();
      if (r.code !== 0) throw new Error(`${tool.label} failed: ${r.stderr}`);
      // A stat, not a read: reading the 1 GiB into this process would change the memory the next run finds.
      if (statSync(join(dest, name)).size !== size) throw new Error(`${tool.label} left a wrong file`);
      results.get(tool.label)?.push(r);
      line.push(`${tool.label.split(' ')[0]} ${(r.ms / 1000).toFixed(2)} s`);
    }
    console.error(`run ${i + 1}: ${line.join(', ')}`);
  }
} finally {
  clean();
  rmSync(work, { recursive: true, force: true });
  await nginx.stop();
}

const med = (label: string) => median((results.get(label) ?? []).map((r) => r.ms));
const curl = med('curl -o');
const librepo = med('librepo (sha256 + size)');
console.log(`\nbench/download: ${name} (${(size / 2 ** 20).toFixed(0)} MiB) from loopback nginx, ${opts.runs} runs, medians; file on ${filesystem}\n`);
console.log(
  table([
    ['tool', 'wall time', 'throughput', 'peak RSS', 'vs librepo', 'vs curl'],
    ...tools.map((t) => {
      const ms = med(t.label);
      const rss = Math.max(...(results.get(t.label) ?? []).map((r) => r.peakRssMiB));
      return [t.label, `${(ms / 1000).toFixed(2)} s`, `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`, `${rss.toFixed(0)} MiB`, (ms / librepo).toFixed(2), (ms / curl).toFixed(2)];
    }),
  ]),
);
const ours = med('rpmfetch get (all digests + sha256 + size)');
const rss = Math.max(...(results.get('rpmfetch get (all digests + sha256 + size)') ?? []).map((r) => r.peakRssMiB));
console.log(`\ntarget: <= 0.80x librepo, peak RSS < 150 MB. ${ours / librepo <= 0.8 ? 'ratio met' : 'RATIO MISSED'}; ${rss * 1.048576 < 150 ? 'RSS met' : 'RSS MISSED'}`);
