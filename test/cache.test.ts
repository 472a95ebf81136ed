/**
 * The package store (`cache` option): what enters it, what a later target finds by what it knows,
 * how a hit is placed, and what happens when a stored file was changed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, link, mkdtemp, rm, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, downloadAll, DownloadError, InvalidOptionError, kojiTarget, verifyFile, type DownloadOptions } from '../src/index.js';
import { readKey, writeEntry } from '../src/cache/index-file.js';
import { contentFile, keyFile } from '../src/cache/layout.js';
import { contentKeyOf } from '../src/cache/keys.js';
import { place } from '../src/cache/placement.js';
import { cli } from './helpers/cli.js';
import { FaultMirror } from './helpers/fault-mirror.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const PATH = `Packages/${NAME}`;
const bytes = readFileSync(join(FIXTURES, NAME));
const sha256 = createHash('sha256').update(bytes).digest();
const SRI = `sha256-${sha256.toString('base64')}`;

const FAST: Partial<DownloadOptions> = { retries: 1, timeouts: { connect: 500, response: 500, stall: 300 }, backoff: { min: 10, max: 40 }, reuse: false };

const mirrors: FaultMirror[] = [];
after(async () => Promise.all(mirrors.map((m) => m.close())));

async function setup(): Promise<{ m: FaultMirror; cache: string; dir: (n: string) => string }> {
  const m = await new FaultMirror().start();
  m.files.set(PATH, bytes);
  m.files.set(`other/${NAME}`, bytes);
  mirrors.push(m);
  const root = await mkdtemp(join(tmpdir(), 'rpmfetch-cache-'));
  return { m, cache: join(root, 'cache'), dir: (n) => join(root, n) };
}

async function storeFiles(cache: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  }
  await walk(join(cache, 'content'));
  return out;
}

describe('package store', () => {
  test('a verified package enters the store read-only; a second destination gets a hard link, no request', async () => {
    const { m, cache, dir } = await setup();
    const first = await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('a'), cache });
    assert.equal(first.cached, false);
    const content = await storeFiles(cache);
    assert.equal(content.length, 1);
    assert.ok((await readFile(content[0] as string)).equals(bytes));
    assert.equal((await stat(content[0] as string)).mode & 0o777, 0o444);
    // The verified download itself became the content (a hard link, no copy), named by its SHA-256.
    assert.equal((await stat(join(dir('a'), NAME))).ino, (await stat(content[0] as string)).ino);
    assert.equal(contentFile(cache, sha256.toString('hex')), content[0]);
    // One facts file, reached by every key (its content key, sigmd5 and path are links to it).
    const index = await readdir(join(cache, 'index'));
    assert.equal(index.length, 3);
    const inodes = new Set(await Promise.all(index.map(async (n) => (await stat(join(cache, 'index', n))).ino)));
    assert.equal(inodes.size, 1, 'one inode for every key');
    assert.equal((await stat(keyFile(cache, contentKeyOf(sha256.toString('hex'))))).nlink, 3);
    const second = await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('b'), cache });
    assert.equal(second.cached, 'store');
    assert.equal(second.placement, 'link');
    assert.equal(second.mirror, 'store');
    assert.equal(second.rpm.nevra, 'rpmfetch-hello-1.0-1.noarch');
    assert.deepEqual(second.attempts, []);
    assert.ok((await readFile(join(dir('b'), NAME))).equals(bytes));
    assert.equal((await stat(join(dir('b'), NAME))).ino, (await stat(content[0] as string)).ino);
    assert.deepEqual(await readdir(dir('b')), [NAME], 'no temporary file left');
    assert.equal(m.requestsFor(PATH).length, 1);
  });

  test('a later target finds it by SRI, by sigmd5 (koji), by path and size', async () => {
    const { m, cache, dir } = await setup();
    const first = await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('a'), cache });
    const sigmd5 = first.verdict.checks.find((c) => c.id === 'md5')?.expected ?? '';
    // Another path on the mirror: only the store can answer without a request to it.
    const bySri = await download({ path: `other/${NAME}`, integrity: SRI }, { ...FAST, mirrors: [m.url], dest: dir('sri'), cache });
    assert.equal(bySri.cached, 'store');
    const koji = { ...kojiTarget({ name: 'rpmfetch-hello', version: '1.0', release: '1', arch: 'noarch', payloadhash: sigmd5 }), path: `other/${NAME}` };
    const bySigmd5 = await download(koji, { ...FAST, mirrors: [m.url], dest: dir('koji'), cache });
    assert.equal(bySigmd5.cached, 'store');
    const byPath = await download({ path: PATH, size: bytes.length }, { ...FAST, mirrors: [m.url], dest: dir('path'), cache });
    assert.equal(byPath.cached, 'store');
    assert.equal(m.requestsFor(`other/${NAME}`).length, 0);
    assert.equal(m.requestsFor(PATH).length, 1);
  });

  test('a target the stored package does not satisfy downloads (and does not evict it)', async () => {
    const { m, cache, dir } = await setup();
    await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('a'), cache });
    const wrongSize = download({ path: PATH, size: bytes.length + 1 }, { ...FAST, mirrors: [m.url], dest: dir('b'), cache });
    await assert.rejects(wrongSize, DownloadError);
    assert.equal(m.requestsFor(PATH).length, 2, 'the wrong size was asked of the mirror, not taken from the store');
    const again = await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('c'), cache });
    assert.equal(again.cached, 'store');
  });

  test('a byte flipped in a stored file is caught at the next hit, evicted and downloaded again', async () => {
    const { m, cache, dir } = await setup();
    await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('a'), cache });
    const [content] = await storeFiles(cache);
    // Changed in place, as someone writing through a hard-linked destination would.
    await chmod(content as string, 0o644);
    const damaged = Buffer.from(bytes);
    damaged.writeUInt8((damaged.readUInt8(damaged.length - 10) ^ 0xff), damaged.length - 10);
    await writeFile(content as string, damaged);
    const r = await download({ path: PATH, integrity: SRI }, { ...FAST, mirrors: [m.url], dest: dir('b'), cache });
    assert.equal(r.cached, false, 'downloaded again');
    assert.ok((await readFile(r.file)).equals(bytes));
    assert.equal(m.requestsFor(PATH).length, 2);
    const [stored] = await storeFiles(cache);
    assert.ok((await readFile(stored as string)).equals(bytes), 'the store holds good bytes again');
  });

  test('a stored file touched but unchanged is verified again and used', async () => {
    const { m, cache, dir } = await setup();
    await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('a'), cache });
    const [content] = await storeFiles(cache);
    await utimes(content as string, new Date(), new Date(Date.now() + 5000));
    const r = await download({ path: PATH, integrity: SRI }, { ...FAST, mirrors: [m.url], dest: dir('b'), cache });
    assert.equal(r.cached, 'store');
    assert.equal(m.requestsFor(PATH).length, 1);
  });

  test('a batch fills the store; a second batch is placed from it', async () => {
    const { m, cache, dir } = await setup();
    const a = await downloadAll([PATH, `other/${NAME}`], { ...FAST, mirrors: [m.url], dest: dir('a'), cache, concurrency: 1 });
    assert.equal(a.items.filter((i) => i.ok).length, 2);
    const b = await downloadAll([PATH], { ...FAST, mirrors: [m.url], dest: dir('b'), cache });
    assert.equal(b.items[0]?.ok && b.items[0].result.cached, 'store');
  });

  test('without cache nothing changes: no store, cached false', async () => {
    const { m, dir } = await setup();
    const r = await download(PATH, { ...FAST, mirrors: [m.url], dest: dir('a') });
    assert.equal(r.cached, false);
    assert.equal(r.placement, undefined);
  });

  test('rpmfetch get --cache, RPMFETCH_CACHE and --no-cache', async () => {
    const { m, cache, dir } = await setup();
    const first = await cli('get', '--json', '--no-reuse', '--mirror', m.url, '--dest', dir('a'), '--cache', cache, PATH);
    assert.equal(first.code, 0, first.err.join('\n'));
    assert.equal(JSON.parse(first.out[0] as string).cached, false);
    const second = await cli('get', '--json', '--mirror', m.url, '--dest', dir('b'), '--cache', cache, PATH);
    const line = JSON.parse(second.out[0] as string) as { cached: unknown; placement: unknown };
    assert.deepEqual([line.cached, line.placement], ['store', 'link']);
    process.env['RPMFETCH_CACHE'] = cache;
    try {
      const fromEnv = await cli('get', '--json', '--mirror', m.url, '--dest', dir('c'), PATH);
      assert.equal(JSON.parse(fromEnv.out[0] as string).cached, 'store');
      const off = await cli('get', '--json', '--no-cache', '--mirror', m.url, '--dest', dir('d'), PATH);
      assert.equal(JSON.parse(off.out[0] as string).cached, false);
    } finally {
      delete process.env['RPMFETCH_CACHE'];
    }
    assert.equal(m.requestsFor(PATH).length, 2);
  });

  test('verifyFile computes the whole-file digests asked for (fileDigests)', async () => {
    const v = await verifyFile(join(FIXTURES, NAME), { fileDigests: ['sha256', 'sha512'] });
    assert.equal(v.ok, true);
    assert.equal(v.digests['file:sha256'], sha256.toString('hex'));
    assert.equal(v.digests['file:sha512'], createHash('sha512').update(bytes).digest('hex'));
    await assert.rejects(verifyFile(join(FIXTURES, NAME), { fileDigests: ['crc32'] }), InvalidOptionError);
  });
});

describe("the store's index (index-file.ts)", () => {
  const facts = (sha: string, note: string) =>
    ({ version: 1, sha256: sha, size: 1, stat: { dev: 1, ino: 1, size: 1, mtimeMs: 1 }, verdict: { ok: true, note }, digestLevel: 'all', stored: Date.now() }) as never;
  const A = 'a'.repeat(64);
  const B = 'b'.repeat(64);

  test('every key leads to one facts file; a key written again for other bytes is re-pointed, the others stay', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'rpmfetch-index-'));
    await writeEntry(cache, [contentKeyOf(A), 'sigmd5:1', 'path:p'], facts(A, 'first'));
    for (const key of [contentKeyOf(A), 'sigmd5:1', 'path:p']) assert.equal((await readKey(cache, key))?.sha256, A, key);
    await writeEntry(cache, [contentKeyOf(B), 'path:p'], facts(B, 'second'));
    assert.equal((await readKey(cache, 'path:p'))?.sha256, B, 'the path now leads to the newer package');
    assert.equal((await readKey(cache, 'sigmd5:1'))?.sha256, A);
    assert.equal((await stat(keyFile(cache, contentKeyOf(A)))).nlink, 2, 'A keeps its content key and sigmd5');
    assert.deepEqual(await readdir(join(cache, 'tmp')), [], 'no temporary name left');
  });

  test('a name that is not a facts file of that key leads nowhere', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'rpmfetch-index-'));
    assert.equal(await readKey(cache, 'never'), undefined);
    await writeEntry(cache, [contentKeyOf(A)], facts(A, 'x'));
    // A file put at another key's name (a collision, a foreign file) is not taken for that key's entry.
    await link(keyFile(cache, contentKeyOf(A)), keyFile(cache, 'other'));
    assert.equal(await readKey(cache, 'other'), undefined);
    await writeFile(keyFile(cache, 'torn'), '{"version":1,"sha256":"');
    assert.equal(await readKey(cache, 'torn'), undefined);
  });
});

describe('placement (placement.ts)', () => {
  test('a link straight at a free name; over an existing file by a temporary link renamed over it; a copy when links are not wanted', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rpmfetch-place-'));
    const source = join(root, 'stored');
    await writeFile(source, 'verified bytes');
    assert.equal(await place(source, join(root, 'dest', 'a.rpm')), 'link', 'a missing destination directory is made');
    assert.equal((await stat(join(root, 'dest', 'a.rpm'))).ino, (await stat(source)).ino);
    await writeFile(join(root, 'dest', 'b.rpm'), 'an older file');
    assert.equal(await place(source, join(root, 'dest', 'b.rpm')), 'link');
    assert.equal((await stat(join(root, 'dest', 'b.rpm'))).ino, (await stat(source)).ino, 'replaced by the stored file');
    const how = await place(source, join(root, 'dest', 'c.rpm'), false);
    assert.ok(how === 'copy' || how === 'clone');
    assert.notEqual((await stat(join(root, 'dest', 'c.rpm'))).ino, (await stat(source)).ino);
    assert.equal(await readFile(join(root, 'dest', 'c.rpm'), 'utf8'), 'verified bytes');
    assert.deepEqual((await readdir(join(root, 'dest'))).sort(), ['a.rpm', 'b.rpm', 'c.rpm'], 'no temporary name left');
  });
});

describe('a store on another file system than the destination', () => {
  const shm = '/dev/shm';
  const skip = !existsSync(shm) || statSync(shm).dev === statSync(tmpdir()).dev ? `${shm} is missing or on the same file system as ${tmpdir()}` : false;
  test('the package is copied in through a hash on the first insert, when the store has no tmp/ yet', { skip }, async () => {
    const { m, cache } = await setup();
    const dest = await mkdtemp(join(shm, 'rpmfetch-cross-'));
    try {
      const first = await download(PATH, { ...FAST, mirrors: [m.url], dest, cache });
      assert.equal(first.cached, false);
      const content = await storeFiles(cache);
      assert.equal(content.length, 1, 'stored by copy');
      assert.ok((await readFile(content[0] as string)).equals(bytes));
      assert.notEqual((await stat(content[0] as string)).dev, (await stat(join(dest, NAME))).dev);
      assert.deepEqual(await readdir(join(cache, 'tmp')), [], 'no temporary copy left');
      const second = await download(PATH, { ...FAST, mirrors: [m.url], dest: join(dest, 'again'), cache });
      assert.equal(second.cached, 'store');
      assert.notEqual(second.placement, 'link');
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });
});
