/**
 * bench/verify: verify a 1 GiB package built by rpmbuild, against `rpmkeys -K --nosignature` on the same
 * file in the same run. Reports, per payload compression, the median wall time of each (whole process,
 * as a script would run it), the ratio, median CPU time and peak RSS.
 *
 *   npm run bench:verify -- [--size-mib 1024] [--payload zstd|gzip|xz|none|all] [--runs 7]
 *                           [--digest-level all|rpm6]
 *
 * `--digest-level rpm6` measures `verifyFile(file, { digestLevel: 'rpm6' })` from the build instead of
 * the CLI (which has no such flag): MD5 and SHA-1 left out where SHA-256 covers header and payload.
 *
 * rpmfetch uses two cores, rpmkeys one: on a shared machine, other processes cost rpmfetch more. Each
 * row therefore also says how much CPU other processes took during its runs; trust a ratio only when
 * that is small. Needs rpmbuild and rpmkeys (Debian package rpm). Packages are cached in .bench/packages/.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PayloadKind } from '../test/helpers/rpm-tools.js';
import { benchPackage } from './bench-package.js';
import { buildDist, have, measure, median, options, table, type Run } from './measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = options({ 'size-mib': '1024', payload: 'zstd', runs: '7', 'digest-level': 'all' });
const PAYLOADS: readonly PayloadKind[] = ['zstd', 'gzip', 'xz', 'none'];

for (const tool of ['rpmbuild', 'rpmkeys']) {
  if (!have(tool)) {
    console.error(`bench/verify needs ${tool} (apt-get install rpm)`);
    process.exit(2);
  }
}
const payloads = opts.payload === 'all' ? PAYLOADS : [opts.payload as PayloadKind];
if (!payloads.every((p) => PAYLOADS.includes(p))) throw new Error(`--payload is one of ${PAYLOADS.join(', ')} or all`);
const level = opts['digest-level'];
if (level !== 'all' && level !== 'rpm6') throw new Error('--digest-level is all or rpm6');

/** A run with the CPU it used and the CPU every other process used meanwhile, in seconds. */
interface Timed extends Run {
  cpu: number;
  others: number;
}

const TICK = 100; // USER_HZ: /proc reports CPU time in hundredths of a second on Linux
/** CPU used so far by this process's waited-for children, and by the whole machine. */
function cpuNow(): { children: number; machine: number } {
  // Fields after the parenthesised command name: cutime and cstime are the 14th and 15th.
  const own = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const children = (Number(own[13]) + Number(own[14])) / TICK;
  const [, user, nice, system, , , irq, softirq] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  return { children, machine: ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)) / TICK };
}

async function timed(command: string, args: string[]): Promise<Timed> {
  const before = cpuNow();
  const run = await measure(command, args);
  const after = cpuNow();
  const cpu = after.children - before.children;
  return { ...run, cpu, others: Math.max(0, after.machine - before.machine - cpu) };
}

buildDist(ROOT);
const db = await mkdtemp(join(tmpdir(), 'rpmfetch-bench-db-'));
const cli = join(ROOT, 'dist/cli/bin.js');
const library = `const { verifyFile } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/rpm/verify-file.js')).href)});
const v = await verifyFile(process.argv[1], { digestLevel: 'rpm6' });
if (!v.ok) { console.error(v.error.message); process.exitCode = 1; }`;
const ours = (file: string): Promise<Timed> => (level === 'rpm6' ? timed(process.execPath, ['--input-type=module', '-e', library, file]) : timed(process.execPath, [cli, 'verify', file]));
const oursLabel = level === 'rpm6' ? "verifyFile, digestLevel 'rpm6'" : 'rpmfetch verify';

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
for (const payload of payloads) {
  const file = await benchPackage(ROOT, Number(opts['size-mib']), payload);
  const size = readFileSync(file).length; // and into the page cache: both tools read it from memory
  const theirs: Timed[] = [];
  const mine: Timed[] = [];
  for (let i = 0; i < Number(opts.runs); i++) {
    // Alternate so that background load hits both alike.
    const r = await timed('rpmkeys', ['--dbpath', db, '-K', '--nosignature', file]);
    if (r.code !== 0) throw new Error(`rpmkeys failed: ${r.stdout}${r.stderr}`);
    theirs.push(r);
    const o = await ours(file);
    if (o.code !== 0) throw new Error(`${oursLabel} failed: ${o.stderr}`);
    mine.push(o);
    console.error(`${payload} run ${i + 1}: rpmkeys ${s(r.ms)}, rpmfetch ${s(o.ms)} (other processes: ${r.others.toFixed(1)} / ${o.others.toFixed(1)} s of CPU)`);
  }
  const t = median(theirs.map((r) => r.ms));
  const row = (label: string, runs: Timed[]): string[] => {
    const wall = median(runs.map((r) => r.ms));
    return [label, s(wall), `${(size / 1e6 / (wall / 1000)).toFixed(0)} MB/s`, `${median(runs.map((r) => r.cpu)).toFixed(2)} s`, `${Math.max(...runs.map((r) => r.peakRssMiB)).toFixed(0)} MiB`, (wall / t).toFixed(2), `${median(runs.map((r) => r.others)).toFixed(1)} s`];
  };
  const ratio = median(mine.map((r) => r.ms)) / t;
  const rss = Math.max(...mine.map((r) => r.peakRssMiB));
  console.log(`\nbench/verify: ${file.split('/').pop()} (${(size / 2 ** 20).toFixed(0)} MiB, ${payload} payload), ${opts.runs} runs, medians\n`);
  console.log(
    table([
      ['tool', 'wall time', 'throughput', 'CPU time', 'peak RSS', 'ratio to rpmkeys', 'CPU of other processes'],
      row('rpmkeys -K --nosignature', theirs),
      row(oursLabel, mine),
    ]),
  );
  console.log(`\ntarget: ratio <= 0.60, peak RSS < 100 MiB. ${ratio <= 0.6 ? 'ratio met' : 'RATIO MISSED'}; ${rss < 100 ? 'RSS met' : 'RSS MISSED'}`);
}
