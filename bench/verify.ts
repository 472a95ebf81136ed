/**
 * bench/verify: verify a 1 GiB package built by rpmbuild, against `rpmkeys -K --nosignature` on the same
 * file in the same run. Reports median wall time of each (whole process, as a script would run it),
 * the ratio, and peak RSS.
 *
 *   npm run bench:verify -- [--size-mib 1024] [--payload zstd|gzip|xz|none] [--runs 5]
 *
 * Needs rpmbuild and rpmkeys (Debian package rpm). The package is cached in .bench/packages/.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PayloadKind } from '../test/helpers/rpm-tools.js';
import { benchPackage } from './bench-package.js';
import { buildDist, have, measure, median, options, table, type Run } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = options({ 'size-mib': '1024', payload: 'zstd', runs: '7' });

for (const tool of ['rpmbuild', 'rpmkeys']) {
  if (!have(tool)) {
    console.error(`bench/verify needs ${tool} (apt-get install rpm)`);
    process.exit(2);
  }
}

const sizeMiB = Number(opts['size-mib']);
const payload = opts.payload as PayloadKind;
const file = await benchPackage(ROOT, sizeMiB, payload);
buildDist(ROOT);
readFileSync(file); // into the page cache: both tools read it from memory
const db = await mkdtemp(join(tmpdir(), 'rpmfetch-bench-db-'));
const bin = join(ROOT, 'dist/cli/bin.js');

const ours: Run[] = [];
const theirs: Run[] = [];
for (let i = 0; i < Number(opts.runs); i++) {
  // Alternate so that background load hits both alike.
  const r = await measure('rpmkeys', ['--dbpath', db, '-K', '--nosignature', file]);
  if (r.code !== 0) throw new Error(`rpmkeys failed: ${r.stdout}${r.stderr}`);
  theirs.push(r);
  const o = await measure(process.execPath, [bin, 'verify', file]);
  if (o.code !== 0) throw new Error(`rpmfetch verify failed: ${o.stderr}`);
  ours.push(o);
  console.error(`run ${i + 1}: rpmkeys ${(r.ms / 1000).toFixed(2)} s, rpmfetch ${(o.ms / 1000).toFixed(2)} s`);
}

const size = readFileSync(file).length;
const t = median(theirs.map((r) => r.ms));
const o = median(ours.map((r) => r.ms));
console.log(`\nbench/verify: ${file.split('/').pop()} (${(size / 2 ** 20).toFixed(0)} MiB, ${payload} payload), ${opts.runs} runs, medians\n`);
console.log(
  table([
    ['tool', 'wall time', 'throughput', 'peak RSS', 'ratio to rpmkeys'],
    ['rpmkeys -K --nosignature', `${(t / 1000).toFixed(2)} s`, `${(size / 1e6 / (t / 1000)).toFixed(0)} MB/s`, `${Math.max(...theirs.map((r) => r.peakRssMiB)).toFixed(0)} MiB`, '1.00'],
    ['rpmfetch verify', `${(o / 1000).toFixed(2)} s`, `${(size / 1e6 / (o / 1000)).toFixed(0)} MB/s`, `${Math.max(...ours.map((r) => r.peakRssMiB)).toFixed(0)} MiB`, (o / t).toFixed(2)],
  ]),
);
console.log(`\ntarget: ratio <= 0.60, peak RSS < 100 MB. ${o / t <= 0.6 ? 'ratio met' : 'RATIO MISSED'}; ${Math.max(...ours.map((r) => r.peakRssMiB)) * 1.048576 < 100 ? 'RSS met' : 'RSS MISSED'}`);
