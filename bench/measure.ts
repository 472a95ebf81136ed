/**
 * Shared benchmark helpers: run a command, time it and sample its peak RSS from /proc (VmHWM), and
 * summarise repeated runs. Benchmarks print ratios against a baseline measured in the same run.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface Run {
  ms: number;
  /** Peak resident set size in MiB, sampled from /proc/PID/status while the process ran. */
  peakRssMiB: number;
  code: number;
  stdout: string;
  stderr: string;
}

function vmHwmKiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Runs a command to completion; peak RSS is the process's own high-water mark, read until it exits. */
export function measure(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let peak = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setInterval(() => {
      if (child.pid) peak = Math.max(peak, vmHwmKiB(child.pid));
    }, 100);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ ms: performance.now() - start, peakRssMiB: peak / 1024, code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * How long each run waits after the previous one's files were removed (ms). On a virtual machine that
 * hands freed memory back to its host (virtio-balloon free page reporting, as on this project's 2-core
 * machine) memory freed within the last ~2 s is still backed and cheap to fill, while memory freed
 * earlier costs a host fault per page the first time it is touched again: writing 1 GiB into the page
 * cache with dd took 0.36 s of system time right after a 1 GiB file was removed and 1.3-3.3 s four
 * seconds later. A 1 s pause let every run straddle that moment, so how much of a tool's writes landed
 * on cold memory depended on its speed and luck (curl's 1 GiB ranged 1.6-4.3 s). After this pause every
 * tool starts from memory that has been handed back; where no memory is handed back, it only waits.
 * `--settle 0` measures the other regime (each run begins on memory still backed). It does not remove
 * every effect: which memory the previous tool's files occupied still changes what the next one pays
 * (rpmfetch after curl measured 4.4-5.4 s with 2.3-3.5 s of system time, after librepo 3.0 s with
 * 1.0 s, minutes apart), so the benches also rotate which tool goes first ({@link rotated}).
 */
export const SETTLE_MS = '4000';

/** The options every download bench takes besides its own: `--settle MS` and `--work DIR` (where its files go). */
export const RUN_OPTIONS = { settle: SETTLE_MS, work: tmpdir() };

/** Waits `ms` ({@link SETTLE_MS} unless a bench's `--settle` says otherwise), after removing the previous run's files and `sync`. */
export function settle(ms: string): Promise<void> {
  return new Promise((r) => setTimeout(r, Number(ms)));
}

/**
 * `items` rotated by `run` places: run after run each goes first in turn. What the previous run left in
 * memory changes what the next one pays to fill the page cache (see {@link SETTLE_MS}); a rotation
 * moves who goes first, not who follows whom within a run, which stays the same cyclic order.
 */
export function rotated<T>(items: readonly T[], run: number): T[] {
  const k = run % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export { have } from '../test/helpers/system-tools.js';

/** Debian's python3, which the librepo / libsolv baselines run under. */
export const PYTHON = '/usr/bin/python3';

/** Exits (status 2, with what to install) unless PYTHON can import every module named. */
export function requirePython(bench: string, modules: string[], packages: string): void {
  try {
    execFileSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
  } catch {
    console.error(`${bench} needs ${modules.join(' and ')} for ${PYTHON} (apt-get install ${packages})`);
    process.exit(2);
  }
}

/** `--name value` style options with defaults. */
export function options<T extends Record<string, string>>(defaults: T): T {
  const out: Record<string, string> = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]?.replace(/^--/, '') ?? '';
    if (!(key in defaults)) throw new Error(`unknown option ${argv[i]}; known: ${Object.keys(defaults).join(', ')}`);
    out[key] = argv[++i] ?? '';
  }
  return out as T;
}

/** Compiles src/ to dist/ so that the measured CLI is what users run, without a TypeScript loader. */
export function buildDist(root: string): void {
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.build.json`], { stdio: 'inherit' });
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`).join('\n');
}

/**
 * The filesystem a bench writes into, e.g. `ext4 on /dev/vda (no journal)`. On ext4 without a journal
 * the inode allocator skips every inode freed in the last minute (five, while its inode table block is
 * still dirty) and reads its inode to tell: after a bench run removed its hundreds of files, creating
 * a file took 0.3-0.4 ms on this project's machine against 0.04-0.07 ms on a journaled ext4.
 */
export function describeFs(dir: string): string {
  let fields: string[];
  try {
    fields = execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', dir]).toString().trim().split(/\s+/);
  } catch {
    return 'unknown filesystem';
  }
  const [type = '?', source = '?'] = fields;
  if (!type.startsWith('ext')) return `${type} on ${source}`;
  let journal = false;
  try {
    // jbd2 names a journal by the kernel's device name (dm-0 for /dev/mapper/…), hence the realpath.
    const dev = realpathSync(source).split('/').at(-1) ?? '';
    journal = readdirSync('/proc/fs/jbd2').some((d) => d.startsWith(`${dev}-`));
  } catch {
    // No jbd2 directory: no journal on any filesystem.
  }
  return `${type} on ${source} (${journal ? 'journaled' : 'no journal'})`;
}
