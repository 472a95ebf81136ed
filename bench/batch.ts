/**
 * bench/batch, two measurements, each against librepo (Debian's python3-librepo, download_packages with
 * sha256 and size, run by /usr/bin/python3) in the same run:
 *
 * 1. Throughput: 400 rpmbuild-built packages (about 450 MB, sizes spread like a buildroot) from two
 *    loopback nginx mirrors at 3 in parallel; rpmfetch verifies every digest plus sha256 and size.
 * 2. A hanging mirror: 20 packages when the first mirror accepts connections and never answers; both
 *    with their defaults (librepo as dnf sets it: 30 s timeout, 1000 B/s over 30 s, 3 in parallel).
 *
 *   npm run bench:batch -- [--count 400] [--total-mib 450] [--runs 3] [--settle 4000] [--work DIR]
 *
 * `--work DIR`: where the destinations are made (default: the system's temporary directory; see
 * measure.ts, describeFs, for what the filesystem changes).
 *
 * Before each run: the previous output removed, `sync`, and a pause of `--settle` ms (measure.ts, SETTLE_MS).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blackHole } from '../test/helpers/fault-mirror.js';
import { startNginx } from '../test/helpers/nginx.js';
import { batchEntries, writeLibrepoScript, writeManifest } from './librepo-batch.js';
import { buildDist, describeFs, have, measure, median, options, PYTHON, requirePython, rotated, RUN_OPTIONS, type Run, settle, table } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = options({ count: '400', 'total-mib': '450', runs: '3', 'hang-count': '20', ...RUN_OPTIONS });

if (!have('rpmbuild') || !(have('nginx') || have('/usr/sbin/nginx'))) {
  console.error('bench/batch needs rpmbuild and nginx (apt-get install rpm nginx-light python3-librepo)');
  process.exit(2);
}
requirePython('bench/batch', ['librepo'], 'python3-librepo');

const { files, entries, totalBytes } = await batchEntries(ROOT, Number(opts.count), Number(opts['total-mib']));
buildDist(ROOT);

const work = await mkdtemp(join(opts.work, 'rpmfetch-bench-batch-'));
const dest = join(work, 'dest');
const script = writeLibrepoScript(work);

function manifest(list: typeof entries): string {
  return writeManifest(join(work, `manifest-${list.length}.jsonl`), list);
}
function clean(): void {
  rmSync(dest, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dest]);
  execFileSync('sync');
}
const librepo = (urls: string[], m: string) => measure(PYTHON, [script, JSON.stringify(urls), m, dest, '3']);
const rpmfetch = (urls: string[], m: string) =>
  measure(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'get', '--quiet', '--no-reuse', '--concurrency', '3', ...urls.flatMap((u) => ['--mirror', u]), '--dest', dest, '--manifest', m]);

async function compare(label: string, runs: number, urls: string[], m: string, expected: number): Promise<Map<string, Run[]>> {
  const results = new Map<string, Run[]>([['librepo', []], ['rpmfetch', []]]);
  for (let i = 0; i < runs; i++) {
    const line: string[] = [];
    for (const [tool, fn] of rotated([['librepo', librepo], ['rpmfetch', rpmfetch]] as const, i)) {
      clean();
      await settle(opts.settle);
      const r = await fn(urls, m);
      if (r.code !== 0) throw new Error(`${tool} failed: ${r.stderr.slice(0, 2000)}`);
      const count = execFileSync('ls', [dest]).toString().trim().split('\n').length;
      if (count !== expected) throw new Error(`${tool} left ${count} files, expected ${expected}`);
      results.get(tool)?.push(r);
      line.push(`${tool} ${(r.ms / 1000).toFixed(2)} s`);
    }
    console.error(`${label} run ${i + 1}: ${line.join(', ')}`);
  }
  return results;
}

function report(title: string, results: Map<string, Run[]>, bytes: number): number {
  const base = median((results.get('librepo') ?? []).map((r) => r.ms));
  console.log(`\n${title}\n`);
  console.log(
    table([
      ['tool', 'wall time', 'throughput', 'peak RSS', 'vs librepo'],
      ...[...results].map(([tool, runs]) => {
        const ms = median(runs.map((r) => r.ms));
        return [tool, `${(ms / 1000).toFixed(2)} s`, `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`, `${Math.max(...runs.map((r) => r.peakRssMiB)).toFixed(0)} MiB`, (ms / base).toFixed(2)];
      }),
    ]),
  );
  return median((results.get('rpmfetch') ?? []).map((r) => r.ms)) / base;
}

const dir = dirname(files[0] as string);
const a = await startNginx(dir);
const b = await startNginx(dir);
const hole = await blackHole();
try {
  const all = manifest(entries);
  const throughput = await compare('batch', Number(opts.runs), [a.url, b.url], all, entries.length);
  const ratio = report(`bench/batch: ${entries.length} packages, ${(totalBytes / 1e6).toFixed(0)} MB, two loopback nginx mirrors, 3 in parallel, medians of ${opts.runs}; files on ${describeFs(work)}`, throughput, totalBytes);
  const some = entries.slice(0, Number(opts['hang-count']));
  const hang = await compare('hang', 1, [hole.url, a.url], manifest(some), some.length);
  const hangBytes = some.reduce((n, e) => n + e.size, 0);
  report(`bench/batch, hanging first mirror: ${some.length} packages, first mirror accepts and never answers, defaults`, hang, hangBytes);
  const ours = median((hang.get('rpmfetch') ?? []).map((r) => r.ms));
  console.log(`\ntargets: batch <= 1.00x librepo (${ratio <= 1 ? 'met' : 'MISSED'}: ${ratio.toFixed(2)}); hang < 10 s (${ours < 10_000 ? 'met' : 'MISSED'}: ${(ours / 1000).toFixed(1)} s)`);
} finally {
  clean();
  rmSync(work, { recursive: true, force: true });
  await a.stop();
  await b.stop();
  await hole.close();
}
