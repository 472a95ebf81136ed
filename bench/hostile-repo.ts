/**
 * What hostile primary files cost a resolve: wall and CPU time and peak RSS of the whole process (Node
 * and tsx starting take about a second and 100 MB of it), the resolve's own time, and the outcome, each
 * case in a child process of its own under /usr/bin/time and a time limit. Not a test (nothing is asserted);
 * the figures are the ones README.md quotes. Run:
 *
 *   node --import tsx bench/hostile-repo.ts [--limit SECONDS] [case…]
 *
 * Cases: bomb-gz, bomb-xz, bomb-zstd, bomb-bz2 (64 MiB units of spaces, 8 GiB in all, repomd.xml without
 * open-size), bomb-*-open (the same, open-size stated truthfully), text48 and comment48 (a 48 MiB text
 * node, a 48 MiB comment, gzipped; -plain: not compressed), million (a million packages of one name).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { bigTextPrimary, bomb, BOMB_UNIT, oneNamePrimary, PRIMARY_HEAD, repoWith, type BombFormat } from '../test/helpers/hostile-primary.js';

const run = promisify(execFile);
const CACHE = join(tmpdir(), 'rpmfetch-hostile');

interface Case {
  query: string;
  files: () => Map<string, Buffer>;
}

const BOMB_UNITS = 128; // 8 GiB
const cases: Record<string, Case> = {
  text48: { query: 'hostile-text', files: () => repoWith(gzipSync(bigTextPrimary(48 << 20))) },
  comment48: { query: 'hostile-text', files: () => repoWith(gzipSync(bigTextPrimary(48 << 20, 'comment'))) },
  'text48-plain': { query: 'hostile-text', files: () => repoWith(bigTextPrimary(48 << 20)) },
  'comment48-plain': { query: 'hostile-text', files: () => repoWith(bigTextPrimary(48 << 20, 'comment')) },
  million: { query: 'same', files: () => repoWith(gzipSync(Buffer.concat([...oneNamePrimary('same', 1_000_000)]), { level: 1 })) },
};
for (const format of ['gz', 'xz', 'zstd', 'bz2'] as const satisfies readonly BombFormat[]) {
  const open = PRIMARY_HEAD.length + BOMB_UNITS * BOMB_UNIT;
  cases[`bomb-${format}`] = { query: 'anything', files: () => repoWith(bomb(format, BOMB_UNITS)) };
  cases[`bomb-${format}-open`] = { query: 'anything', files: () => repoWith(bomb(format, BOMB_UNITS), { openSize: open }) };
}

async function child(dir: string, query: string): Promise<void> {
  const { FaultMirror } = await import('../test/helpers/fault-mirror.js');
  const { resolvePackages, RpmfetchError, DownloadError } = await import('../src/index.js');
  const mirror = await new FaultMirror().start();
  for (const name of await readdir(dir, { recursive: true })) {
    const full = join(dir, name);
    if (name.endsWith('.bin')) mirror.files.set(name.slice(0, -4), await readFile(full));
  }
  const started = performance.now();
  let outcome: string;
  try {
    const r = await resolvePackages([query], { mirrors: [mirror.url], dest: '.' });
    const item = r.items[0];
    outcome = item?.ok ? `ok ${item.package.nevra}` : `item ${item?.error.code}`;
  } catch (err) {
    const first = (err as Error).message.split('\n');
    outcome = err instanceof RpmfetchError ? `${err.code}: ${err instanceof DownloadError ? first.slice(1).map((l) => l.trim()).join(' | ') : first[0]}` : String(err);
  }
  const usage = process.resourceUsage();
  process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - started) / 1000, cpu: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssMiB: usage.maxRSS / 1024, outcome: outcome.slice(0, 300) })}\n`);
  await mirror.close();
  process.exit(0);
}

async function prepare(name: string, c: Case): Promise<string> {
  const dir = join(CACHE, name);
  try {
    if ((await readdir(dir, { recursive: true })).some((f) => f.endsWith('.bin'))) return dir;
  } catch {
    // not there yet
  }
  for (const [path, bytes] of c.files()) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, `${path}.bin`), bytes);
  }
  return dir;
}

async function parent(args: string[]): Promise<void> {
  let limit = 120;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--limit') limit = Number(args[++i]);
    else names.push(args[i] as string);
  }
  const self = fileURLToPath(import.meta.url);
  for (const name of names.length > 0 ? names : Object.keys(cases)) {
    const c = cases[name];
    if (!c) throw new Error(`no case ${name}`);
    const dir = await prepare(name, c);
    // /usr/bin/time sees the child's peak RSS and CPU even when the time limit stops it (SIGTERM: the
    // child has no handler for it, and timeout, unlike with SIGKILL, outlives it to collect its usage).
    const r = await run('/usr/bin/time', ['-f', 'TIME %e %U %S %M', 'timeout', String(limit), process.execPath, '--import', 'tsx', self, '--child', dir, c.query], { maxBuffer: 1 << 24 }).catch((e: { stdout: string; stderr: string }) => e);
    const time = /TIME (\S+) (\S+) (\S+) (\d+)/.exec(r.stderr);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const wall = Number(time?.[1]);
    const killed = !line.startsWith('{');
    const reported = killed ? undefined : (JSON.parse(line) as { seconds: number; outcome: string });
    const summary = {
      case: name,
      wall,
      cpu: Number(time?.[2]) + Number(time?.[3]),
      maxRssMiB: Math.round(Number(time?.[4]) / 1024),
      ...(reported && { resolveSeconds: Math.round(reported.seconds * 100) / 100 }),
      outcome: reported ? reported.outcome : `killed after ${limit} s`,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] as string, process.argv[4] as string);
else await parent(process.argv.slice(2));
