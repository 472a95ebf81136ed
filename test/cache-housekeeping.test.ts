/**
 * The package store's housekeeping: `rpmfetch cache ls | verify | prune | clear` and `openCache`, the
 * size limit with least-recently-used pruning, a byte flipped behind the store's back, housekeeping
 * racing with builds in other processes, and a full disk under the store.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { download, downloadAll, InvalidOptionError, openCache, verifyFile, type DownloadOptions } from '../src/index.js';
import { startBuild } from './helpers/cache-child.js';
import { cli } from './helpers/cli.js';
import { FaultMirror } from './helpers/fault-mirror.js';
import { makeSigningKey, missingRpmTools } from './helpers/rpm-tools.js';
import { writePackage } from './helpers/rpm-writer.js';

const FAST: Partial<DownloadOptions> = { retries: 1, timeouts: { connect: 500, response: 1000, stall: 1000 }, backoff: { min: 10, max: 40 }, reuse: false };

const mirrors: FaultMirror[] = [];
const mounts: string[] = [];
after(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
  for (const dir of mounts) execFileSync('umount', ['-l', dir]);
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** n packages of `payload` random bytes each (random: no file system compresses them away). */
function packages(n: number, prefix: string, payload = 2000): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < n; i++) {
    const p = writePackage({ name: `${prefix}${i}`, payload: randomBytes(payload + i * 7) });
    out.set(`Packages/${p.fileName}`, p.bytes);
  }
  return out;
}

async function setup(pkgs: Map<string, Buffer>): Promise<{ m: FaultMirror; root: string; cache: string }> {
  const m = await new FaultMirror().start();
  for (const [path, bytes] of pkgs) m.files.set(path, bytes);
  mirrors.push(m);
  const root = await mkdtemp(join(tmpdir(), 'rpmfetch-housekeeping-'));
  return { m, root, cache: join(root, 'cache') };
}

const jsonLines = (out: string[]): Array<Record<string, unknown>> => out.map((l) => JSON.parse(l) as Record<string, unknown>);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every file under `dir` verifies and holds the bytes the mirror serves under its name. */
async function assertDestinationsWhole(dir: string, pkgs: Map<string, Buffer>): Promise<number> {
  const byName = new Map([...pkgs].map(([path, bytes]) => [path.slice('Packages/'.length), bytes]));
  let n = 0;
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const want = byName.get(e.name);
        assert.ok(want, `only package names in a destination, not ${p}`);
        assert.ok((await readFile(p)).equals(want), `${p} holds the whole package`);
        assert.equal((await verifyFile(p)).ok, true, `${p} verifies`);
        n++;
      }
    }
  }
  await walk(dir);
  return n;
}

describe('cache housekeeping', () => {
  test('cache ls lists each package once with nevra, size, sha256, its keys, stored time and last use', async () => {
    const pkgs = packages(2, 'ls');
    const { m, root, cache } = await setup(pkgs);
    const before = Date.now();
    await downloadAll([...pkgs.keys()], { ...FAST, mirrors: [m.url], dest: join(root, 'a'), cache });
    const r = await cli('cache', 'ls', '--json', '--cache', cache);
    assert.equal(r.code, 0, r.err.join('\n'));
    const lines = jsonLines(r.out);
    const summary = lines.pop();
    assert.deepEqual(summary, { summary: true, entries: 2, bytes: [...pkgs.values()].reduce((n, b) => n + b.length, 0) });
    for (const line of lines) {
      const [path, bytes] = [...pkgs].find(([, b]) => sha256(b) === line['sha256']) ?? assert.fail('an entry per package');
      assert.equal(line['size'], bytes.length);
      assert.equal(line['nevra'], `${path.slice('Packages/'.length, -'.rpm'.length)}`);
      const keys = line['keys'] as string[];
      assert.ok(keys.some((k) => k.includes(`file:sha256:${sha256(bytes)}`)) && keys.some((k) => k.includes(`path:*:${path}`)), keys.join(' '));
      assert.ok(Date.parse(line['stored'] as string) >= before - 1000 && Date.parse(line['lastUse'] as string) >= Date.parse(line['stored'] as string));
    }
    const text = await cli('cache', 'ls', '--cache', cache);
    assert.equal(text.out.length, 2);
    assert.match(text.err.join('\n'), /2 packages/);
    const api = await openCache(cache).list();
    assert.deepEqual(api.map((e) => e.sha256).sort(), lines.map((l) => l['sha256']).sort());
  });

  test('usage errors: no store named, a malformed size, prune without a limit, cacheMaxSize without cache', async () => {
    const saved = process.env['RPMFETCH_CACHE'];
    delete process.env['RPMFETCH_CACHE'];
    try {
      assert.equal((await cli('cache', 'ls')).code, 2);
      assert.equal((await cli('cache', 'prune', '--cache', '/nonexistent-x', '--cache-max-size', '5X')).code, 2);
      assert.equal((await cli('cache', 'prune', '--cache', '/nonexistent-x')).code, 2);
      assert.equal((await cli('get', '--cache-max-size', 'lots', '--mirror', 'http://127.0.0.1:1/', 'a.rpm')).code, 2);
    } finally {
      if (saved !== undefined) process.env['RPMFETCH_CACHE'] = saved;
    }
    await assert.rejects(download('a.rpm', { mirrors: ['http://127.0.0.1:1/'], cacheMaxSize: 1000 }), InvalidOptionError);
  });

  test('a byte flipped with size and mtime restored: a hit by digest does not see it, cache verify does and evicts it', async () => {
    const pkgs = packages(1, 'flip', 4000);
    const [[path, bytes]] = [...pkgs] as [[string, Buffer]];
    const { m, root, cache } = await setup(pkgs);
    await download(path, { ...FAST, mirrors: [m.url], dest: join(root, 'a'), cache });
    const [entry] = await openCache(cache).list();
    assert.ok(entry);
    const before = await stat(entry.file, { bigint: true });
    await chmod(entry.file, 0o644);
    const fd = await open(entry.file, 'r+');
    const at = bytes.length - 100;
    await fd.write(Buffer.from([(bytes[at] as number) ^ 0x01]), 0, 1, at);
    await fd.close();
    await chmod(entry.file, 0o444);
    // To the nanosecond, as `touch -r` would (utimes through a Date keeps only milliseconds).
    const at_ = (ns: bigint): string => `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
    execFileSync('touch', ['-m', '-d', at_(before.mtimeNs), entry.file]);
    assert.equal((await stat(entry.file, { bigint: true })).mtimeNs, before.mtimeNs);
    // As the README says: a hit by digest with size and mtime unchanged trusts the record.
    const sri = `sha256-${Buffer.from(sha256(bytes), 'hex').toString('base64')}`;
    const hit = await download({ path, integrity: sri }, { ...FAST, mirrors: [m.url], dest: join(root, 'b'), cache });
    assert.equal(hit.cached, 'store');
    const r = await cli('cache', 'verify', '--json', '--cache', cache);
    assert.equal(r.code, 1, 'a bad entry makes verify exit 1');
    const lines = jsonLines(r.out);
    assert.equal(lines[0]?.['status'], 'bad');
    assert.equal(lines[0]?.['sha256'], sha256(bytes));
    assert.match(String(lines[0]?.['code']), /^ERR_/);
    assert.deepEqual(lines.at(-1), { summary: true, checked: 1, bad: 1, gone: 0, dangling: 0 });
    assert.deepEqual(await openCache(cache).list(), [], 'evicted');
    const again = await download({ path, integrity: sri }, { ...FAST, mirrors: [m.url], dest: join(root, 'c'), cache });
    assert.equal(again.cached, false, 'downloaded again, never placed from the damaged entry');
    assert.ok((await readFile(again.file)).equals(bytes));
    const clean = await cli('cache', 'verify', '--cache', cache);
    assert.equal(clean.code, 0, clean.err.join('\n'));
    assert.match(clean.err.join('\n'), /1 packages checked, 0 bad/);
  });

  test('cache verify --key: a package not signed by the key is bad and removed', { skip: missingRpmTools('gpg') }, async () => {
    const pkgs = packages(1, 'unsigned');
    const { m, root, cache } = await setup(pkgs);
    await downloadAll([...pkgs.keys()], { ...FAST, mirrors: [m.url], dest: join(root, 'a'), cache });
    const key = await makeSigningKey('eddsa');
    assert.equal((await cli('cache', 'verify', '--cache', cache)).code, 0, 'without keys it verifies');
    const r = await cli('cache', 'verify', '--json', '--key', key.publicKey, '--cache', cache);
    assert.equal(r.code, 1, r.out.join('\n'));
    assert.equal(jsonLines(r.out)[0]?.['status'], 'bad');
    assert.deepEqual(await openCache(cache).list(), []);
  });

  test('cache prune removes the least recently used first; a hit counts as a use', async () => {
    const pkgs = packages(3, 'lru', 3000);
    const { m, root, cache } = await setup(pkgs);
    const [a, b, c] = [...pkgs.keys()] as [string, string, string];
    for (const p of [a, b, c]) {
      await download(p, { ...FAST, mirrors: [m.url], dest: join(root, 'fill'), cache });
      await sleep(20);
    }
    // a, the oldest insert, is used again: b is now the least recently used.
    assert.equal((await download(a, { ...FAST, mirrors: [m.url], dest: join(root, 'use'), cache })).cached, 'store');
    const size = (p: string): number => (pkgs.get(p) as Buffer).length;
    const limit = size(a) + size(c) + 10;
    const r = await cli('cache', 'prune', '--json', '--cache', cache, '--cache-max-size', String(limit));
    assert.equal(r.code, 0, r.err.join('\n'));
    const lines = jsonLines(r.out);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.['action'], 'removed');
    assert.equal(lines[0]?.['sha256'], sha256(pkgs.get(b) as Buffer));
    assert.deepEqual(lines[1], { summary: true, maxSize: limit, before: size(a) + size(b) + size(c), after: size(a) + size(c), removed: 1 });
    assert.deepEqual((await openCache(cache).list()).map((e) => e.sha256).sort(), [sha256(pkgs.get(a) as Buffer), sha256(pkgs.get(c) as Buffer)].sort());
    // Suffixes: 1k is 1024 bytes, less than any package here.
    const all = await cli('cache', 'prune', '--cache', cache, '--cache-max-size', '1k');
    assert.equal(all.code, 0);
    assert.deepEqual(await openCache(cache).list(), []);
    assert.deepEqual(await readdir(join(cache, 'index')), [], 'every index name goes with its entry');
    // A pruned package is fetched again, whole.
    const back = await download(b, { ...FAST, mirrors: [m.url], dest: join(root, 'back'), cache });
    assert.equal(back.cached, false);
  });

  test('cacheMaxSize keeps the store under its limit as a batch fills it; --cache-max-size on get', async () => {
    const pkgs = packages(6, 'limit', 3000);
    const { m, root, cache } = await setup(pkgs);
    const one = Math.max(...[...pkgs.values()].map((b) => b.length));
    const batch = await downloadAll([...pkgs.keys()], { ...FAST, mirrors: [m.url], dest: join(root, 'a'), cache, cacheMaxSize: 2 * one, concurrency: 1 });
    assert.equal(batch.items.filter((i) => i.ok).length, 6, 'every package in the destination');
    const left = await openCache(cache).list();
    assert.ok(left.reduce((n, e) => n + e.size, 0) <= 2 * one);
    assert.ok(left.length >= 1, 'the most recent stay');
    const last = [...pkgs.values()].at(-1) as Buffer;
    assert.ok(left.some((e) => e.sha256 === sha256(last)), 'the last one added is the most recently used');
    const viaCli = await cli('get', '--json', '--no-reuse', '--mirror', m.url, '--dest', join(root, 'b'), '--cache', join(root, 'cache2'), '--cache-max-size', `${Math.ceil(one / 1024)}k`, ...pkgs.keys());
    assert.equal(viaCli.code, 0, viaCli.err.join('\n'));
    assert.equal((await openCache(join(root, 'cache2')).list()).length, 1);
  });

  test('cache clear removes everything; the store works afterwards', async () => {
    const pkgs = packages(2, 'clear');
    const { m, root, cache } = await setup(pkgs);
    await downloadAll([...pkgs.keys()], { ...FAST, mirrors: [m.url], dest: join(root, 'a'), cache });
    const r = await cli('cache', 'clear', '--json', '--cache', cache);
    assert.equal(r.code, 0);
    const lines = jsonLines(r.out);
    assert.equal(lines.filter((l) => l['action'] === 'removed').length, 2);
    assert.equal(lines.at(-1)?.['entries'], 2);
    assert.deepEqual(await openCache(cache).list(), []);
    assert.ok(!(await readdir(cache)).some((n) => n.startsWith('.trash-') || n.startsWith('content-') || n.startsWith('index-')));
    const b = await downloadAll([...pkgs.keys()], { ...FAST, mirrors: [m.url], dest: join(root, 'b'), cache });
    assert.ok(b.items.every((i) => i.ok && i.result.cached === false));
    assert.equal((await openCache(cache).list()).length, 2);
  });

  test('clear, prune and verify racing with 4 processes placing packages: every destination file whole and verified', async (t) => {
    const pkgs = packages(10, 'race', 200_000);
    const { m, root, cache } = await setup(pkgs);
    // As root, two of the readers place onto another file system: copies (or clones), not links, are
    // then in flight while the store's files are removed.
    const other = await tmpfs(join(root, 'other-fs'), '64m');
    const dests = [0, 1, 2, 3].map((i) => (other && i >= 2 ? join(other, `dest${i}`) : join(root, `dest${i}`)));
    const rounds = 5;
    const readers = dests.map((dest) => startBuild({ mirror: m.url, dest, cache, paths: [...pkgs.keys()], rounds, concurrency: 2 }).done);
    let finished = false;
    const all = Promise.all(readers).finally(() => (finished = true));
    let sweeps = 0;
    while (!finished) {
      for (const argv of [['clear'], ['prune', '--cache-max-size', '600k'], ['verify']]) {
        const r = await cli('cache', ...argv, '--cache', cache);
        assert.equal(r.code, 0, `cache ${argv.join(' ')}: ${r.err.join('\n')}`);
      }
      sweeps++;
      await sleep(30);
    }
    const counts = await all;
    for (const c of counts) assert.equal(c.failed, 0, c.errors.join('\n'));
    t.diagnostic(`${sweeps} sweeps; placed from the store ${counts.map((c) => c.store).join('/')}, downloaded ${counts.map((c) => c.downloaded).join('/')}; copies across file systems: ${other ? 'yes' : 'no (not root)'}`);
    assert.ok(sweeps >= 2, `housekeeping ran while they placed (${sweeps} sweeps)`);
    assert.ok(counts.some((c) => c.store > 0), 'some packages came from the store between sweeps');
    let files = 0;
    for (const dest of dests) files += await assertDestinationsWhole(dest, pkgs);
    assert.equal(files, 4 * rounds * pkgs.size, 'every package of every round in place, nothing else');
    const verify = await cli('cache', 'verify', '--cache', cache);
    assert.equal(verify.code, 0, verify.err.join('\n'));
  });

  test('a full disk under the store: downloads land in the destination, the store stays consistent', { skip: rootSkip() }, async () => {
    const pkgs = packages(6, 'full', 600_000);
    const { m, root } = await setup(pkgs);
    const small = (await tmpfs(join(root, 'small-fs'), '2m')) as string;
    const cache = join(small, 'cache');
    const first = await downloadAll([...pkgs.keys()], { ...FAST, mirrors: [m.url], dest: join(root, 'a'), cache, concurrency: 2 });
    assert.ok(first.items.every((i) => i.ok), first.items.map((i) => (i.ok ? '' : i.error.message)).join('\n'));
    assert.equal(await assertDestinationsWhole(join(root, 'a'), pkgs), 6);
    const stored = await openCache(cache).list();
    assert.ok(stored.length >= 1 && stored.length < 6, `some fit, not all (${stored.length})`);
    for (const e of stored) assert.equal(sha256(await readFile(e.file)), e.sha256, 'no partial content visible');
    const verify = await cli('cache', 'verify', '--json', '--cache', cache);
    assert.equal(verify.code, 0, verify.out.join('\n'));
    assert.deepEqual(await readdir(join(cache, 'tmp')).catch(() => []), [], 'no partial write left behind');
    // A second build: what fit is placed from the store, the rest downloaded again, all whole.
    const second = await downloadAll([...pkgs.keys()], { ...FAST, mirrors: [m.url], dest: join(root, 'b'), cache, concurrency: 2 });
    assert.ok(second.items.every((i) => i.ok));
    assert.ok(second.items.filter((i) => i.ok && i.result.cached === 'store').length >= 1);
    assert.equal(await assertDestinationsWhole(join(root, 'b'), pkgs), 6);
  });
});

/** Why a test needing a tmpfs of its own cannot run (mounting needs root; CI runs as root). */
function rootSkip(): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  if (process.env.CI === 'true') throw new Error('CI runs as root: the tmpfs tests must run there');
  return 'needs root to mount a small tmpfs under the store';
}

/** A tmpfs of `size` mounted at `dir` (unmounted in `after`); undefined when not root. */
async function tmpfs(dir: string, size: string): Promise<string | undefined> {
  if (rootSkip() !== undefined) return undefined;
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}
