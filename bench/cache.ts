/**
 * bench/cache: the package store (`--cache`) on the 400-package batch of bench/batch (reused, with
 * its loopback nginx mirror), medians of alternating runs:
 *
 * 1. Warm: the batch placed into a fresh destination from a warm cache, against downloading it again
 *    with librepo (Debian's python3-librepo, download_packages with sha256 and size) in the same run.
 *    Target: at most 0.2x.
 * 2. Cold: filling an empty cache while downloading, against the same batch without a cache.
 *    Target: at most 1.1x.
 *
 *   npm run bench:cache -- [--count 400] [--total-mib 450] [--runs 3] [--settle 4000] [--work DIR]
 *
 * `--work DIR`: where the destination and the caches are made (default: the system's temporary
 * directory). The cold run makes an inode per package more than the run without a cache, so its ratio
 * depends on what creating a file costs there (measure.ts, describeFs).
 *
 * Before each run: the previous output removed, `sync`, and a pause of `--settle` ms (measure.ts, SETTLE_MS).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../test/helpers/nginx.js';
import { batchEntries, writeLibrepoScript, writeManifest } from './librepo-batch.js';
import { buildDist, describeFs, have, measure, median, options, PYTHON, requirePython, rotated, RUN_OPTIONS, type Run, settle, table } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = options({ count: '400', 'total-mib': '450', runs: '3', ...RUN_OPTIONS });

if (!have('rpmbuild') || !(have('nginx') || have('/usr/sbin/nginx'))) {
  console.error('bench/cache needs rpmbuild and nginx (apt-get install rpm nginx-light python3-librepo)');
  process.exit(2);
}
requirePython('bench/cache', ['librepo'], 'python3-librepo');

const { files, entries, totalBytes } = await batchEntries(ROOT, Number(opts.count), Number(opts['total-mib']));
buildDist(ROOT);

const work = await mkdtemp(join(opts.work, 'rpmfetch-bench-cache-'));
const dest = join(work, 'dest');
const warmCache = join(work, 'warm-cache');
const coldCache = join(work, 'cold-cache');
const manifest = join(work, 'manifest.jsonl');
writeManifest(manifest, entries);
const script = writeLibrepoScript(work);

function clean(...dirs: string[]): void {
  for (const d of [dest, ...dirs]) rmSync(d, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dest]);
  execFileSync('sync');
}
const get = (url: string, cache: string[]) =>
  measure(process.execPath, [join(ROOT, 'dist/cli/bin.js'), 'get', '--quiet', '--no-reuse', '--concurrency', '3', '--mirror', url, ...cache, '--dest', dest, '--manifest', manifest]);

const nginx = await startNginx(dirname(files[0] as string));
try {
  // The warm cache, filled once before the runs.
  clean(warmCache);
  const fill = await get(nginx.url, ['--cache', warmCache]);
  if (fill.code !== 0) throw new Error(`filling the cache failed: ${fill.stderr.slice(0, 2000)}`);
  const tools: Array<[string, () => Promise<Run>, string[]]> = [
    ['librepo', () => measure(PYTHON, [script, JSON.stringify([nginx.url]), manifest, dest, '3']), []],
    ['rpmfetch, warm cache', () => get(nginx.url, ['--cache', warmCache]), []],
    ['rpmfetch, no cache', () => get(nginx.url, ['--no-cache']), []],
    ['rpmfetch, cold cache', () => get(nginx.url, ['--cache', coldCache]), [coldCache]],
  ];
  const results = new Map<string, Run[]>(tools.map(([t]) => [t, []]));
  for (let i = 0; i < Number(opts.runs); i++) {
    const line: string[] = [];
    for (const [tool, fn, extra] of rotated(tools, i)) {
      clean(...extra);
      await settle(opts.settle);
      const r = await fn();
      if (r.code !== 0) throw new Error(`${tool} failed: ${r.stderr.slice(0, 2000)}`);
      const count = execFileSync('ls', [dest]).toString().trim().split('\n').length;
      if (count !== entries.length) throw new Error(`${tool} left ${count} files, expected ${entries.length}`);
      results.get(tool)?.push(r);
      line.push(`${tool} ${(r.ms / 1000).toFixed(2)} s`);
    }
    console.error(`run ${i + 1}: ${line.join(', ')}`);
  }
  const ms = (tool: string) => median((results.get(tool) ?? []).map((r) => r.ms));
  console.log(`\nbench/cache: ${entries.length} packages, ${(totalBytes / 1e6).toFixed(0)} MB, loopback nginx, 3 in parallel, medians of ${opts.runs}; files on ${describeFs(work)}\n`);
  console.log(
    table([
      ['run', 'wall time', 'peak RSS'],
      ...[...results].map(([tool, runs]) => [tool, `${(ms(tool) / 1000).toFixed(2)} s`, `${Math.max(...runs.map((r) => r.peakRssMiB)).toFixed(0)} MiB`]),
    ]),
  );
  const warm = ms('rpmfetch, warm cache') / ms('librepo');
  const cold = ms('rpmfetch, cold cache') / ms('rpmfetch, no cache');
  console.log(`\nwarm cache vs librepo downloading again: ${warm.toFixed(2)}x (target <= 0.2x: ${warm <= 0.2 ? 'met' : 'MISSED'})`);
  console.log(`cold cache vs no cache: ${cold.toFixed(2)}x (target <= 1.1x: ${cold <= 1.1 ? 'met' : 'MISSED'})`);
} finally {
  clean(warmCache, coldCache);
  rmSync(work, { recursive: true, force: true });
  await nginx.stop();
}
