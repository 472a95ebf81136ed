/**
 * Repository metadata in the cache directory: reused within metadataExpire, kept when repomd.xml comes
 * back unchanged, replaced when it changed, a damaged primary file dropped and fetched again, checked
 * against a metalink, and cacheOnly resolving and placing with no request at all.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDownloader, DownloadError, InvalidOptionError, NotCachedError, type DownloaderOptions } from '../src/index.js';
import { cli } from './helpers/cli.js';
import { FaultMirror, refusedUrl } from './helpers/fault-mirror.js';
import { fixturePackages, mirrorTree, type FixturePackage } from './helpers/fixture-repo.js';
import { metalinkXml } from './helpers/metalink.js';

const FAST: Partial<DownloaderOptions> = { retries: 0, timeouts: { connect: 500, response: 500, stall: 300 }, backoff: { min: 10, max: 40 }, hedge: false };
const mirrors: FaultMirror[] = [];
let packages: FixturePackage[];
before(async () => void (packages = await fixturePackages()));
after(async () => Promise.all(mirrors.map((m) => m.close())));

async function setup(subset?: (p: FixturePackage) => boolean): Promise<{ m: FaultMirror; cache: string; dir: (n: string) => string; primaryPath: () => string }> {
  const m = await new FaultMirror().start();
  for (const [k, v] of mirrorTree(packages.filter(subset ?? (() => true)))) m.files.set(k, v);
  mirrors.push(m);
  const root = await mkdtemp(join(tmpdir(), 'rpmfetch-mdcache-'));
  const primaryPath = (): string => [...m.files.keys()].find((k) => k.endsWith('-primary.xml.gz')) as string;
  return { m, cache: join(root, 'cache'), dir: (n) => join(root, n), primaryPath };
}

async function resolveWith(options: DownloaderOptions, names: string[], extra: { metalink?: string } = {}) {
  const d = createDownloader({ ...FAST, metadataCache: false, ...options });
  try {
    const r = await d.resolve(names, { arch: ['x86_64', 'noarch'], ...extra });
    const batch = await d.downloadAll(r.targets);
    return { r, batch };
  } finally {
    d.close();
  }
}

async function storedRepos(cache: string): Promise<string[]> {
  const root = join(cache, 'repodata');
  return (await readdir(root)).map((d) => join(root, d));
}

describe('repository metadata in the cache', () => {
  test('a second resolve within metadataExpire asks nothing: repomd.xml and the primary file come from the cache', async () => {
    const { m, cache, dir, primaryPath } = await setup();
    const first = await resolveWith({ mirrors: [m.url], dest: dir('a'), cache }, ['rpmfetch-hello']);
    assert.equal(first.r.repomd.cached, false);
    assert.equal(first.r.primary.cached, false);
    const [repo] = await storedRepos(cache);
    const files = (await readdir(repo as string)).sort();
    assert.ok(files.includes('repomd.xml') && files.some((f) => f.startsWith('primary-sha256-')), files.join(' '));
    const before = m.log.length;
    const second = await resolveWith({ mirrors: [m.url], dest: dir('b'), cache }, ['rpmfetch-hello', 'rpmfetch-tools']);
    assert.equal(second.r.repomd.cached, true);
    assert.equal(second.r.primary.cached, true);
    assert.equal(second.r.repomd.mirror, 'store');
    assert.ok(second.r.items.every((i) => i.ok));
    // Only the package the first run did not fetch is requested: no metadata at all.
    assert.deepEqual(m.log.slice(before).map((r) => r.path).filter((p) => p.startsWith('repodata/')), []);
    assert.equal(m.requestsFor(primaryPath()).length, 1);
    assert.equal(second.batch.failed, 0);
  });

  test('after expiry an unchanged repomd.xml keeps the stored primary file; a changed one brings the new primary file', async () => {
    const { m, cache, dir, primaryPath } = await setup((p) => p.name !== 'rpmfetch-data');
    const options = { mirrors: [m.url], cache, metadataExpire: 0 };
    await resolveWith({ ...options, dest: dir('a') }, ['rpmfetch-hello']);
    const oldPrimary = primaryPath();
    const again = await resolveWith({ ...options, dest: dir('b') }, ['rpmfetch-hello']);
    assert.equal(again.r.repomd.cached, false, 'expired: repomd.xml asked again');
    assert.equal(again.r.primary.cached, true, 'the same repomd.xml: the stored primary file');
    assert.equal(m.requestsFor('repodata/repomd.xml').length, 2);
    assert.equal(m.requestsFor(oldPrimary).length, 1);
    // The repository changes: a new package, a new primary file, a new repomd.xml.
    for (const k of [...m.files.keys()]) if (k.startsWith('repodata/')) m.files.delete(k);
    for (const [k, v] of mirrorTree(packages)) m.files.set(k, v);
    assert.notEqual(primaryPath(), oldPrimary);
    const changed = await resolveWith({ ...options, dest: dir('c') }, ['rpmfetch-data']);
    assert.equal(changed.r.primary.cached, false);
    assert.ok(changed.r.items[0]?.ok, 'the new package resolves');
    assert.equal(m.requestsFor(primaryPath()).length, 1);
    const [repo] = await storedRepos(cache);
    const primaries = (await readdir(repo as string)).filter((f) => f.startsWith('primary-'));
    assert.equal(primaries.length, 1, 'the old primary file is gone');
  });

  test('a damaged stored primary file is dropped and fetched again', async () => {
    const { m, cache, dir, primaryPath } = await setup();
    await resolveWith({ mirrors: [m.url], dest: dir('a'), cache }, ['rpmfetch-hello']);
    const [repo] = await storedRepos(cache);
    const name = (await readdir(repo as string)).find((f) => f.startsWith('primary-')) as string;
    const bytes = await readFile(join(repo as string, name));
    bytes.writeUInt8((bytes[bytes.length >> 1] as number) ^ 0xff, bytes.length >> 1);
    await writeFile(join(repo as string, name), bytes);
    const again = await resolveWith({ mirrors: [m.url], dest: dir('b'), cache }, ['rpmfetch-hello']);
    assert.ok(again.r.items[0]?.ok);
    assert.equal(again.r.primary.cached, false);
    assert.equal(m.requestsFor(primaryPath()).length, 2);
    assert.ok((await readFile(join(repo as string, name))).equals(m.files.get(primaryPath()) as Buffer), 'stored again, whole');
  });

  test('with a metalink, a stored repomd.xml the current metalink no longer lists is not used', async () => {
    const { m, cache, dir } = await setup((p) => p.name !== 'rpmfetch-data');
    const root = await mkdtemp(join(tmpdir(), 'rpmfetch-ml-'));
    const metalinkFile = join(root, 'metalink.xml');
    const writeMetalink = () => writeFile(metalinkFile, metalinkXml({ bytes: m.files.get('repodata/repomd.xml') as Buffer }, [{ url: `${m.url}repodata/repomd.xml` }]));
    await writeMetalink();
    const metalink = `file://${metalinkFile}`;
    await resolveWith({ mirrors: [], dest: dir('a'), cache }, ['rpmfetch-hello'], { metalink });
    const fresh = await resolveWith({ mirrors: [], dest: dir('b'), cache }, ['rpmfetch-hello'], { metalink });
    assert.equal(fresh.r.repomd.cached, true, 'matches the metalink: used');
    for (const k of [...m.files.keys()]) if (k.startsWith('repodata/')) m.files.delete(k);
    for (const [k, v] of mirrorTree(packages)) m.files.set(k, v);
    await writeMetalink();
    const moved = await resolveWith({ mirrors: [], dest: dir('c'), cache }, ['rpmfetch-data'], { metalink });
    assert.equal(moved.r.repomd.cached, false, 'the metalink moved on: fetched again within metadataExpire');
    assert.ok(moved.r.items[0]?.ok);
  });

  test('two Downloaders filling the same cache at once both resolve, and the stored files are whole', async () => {
    const { m, cache, dir } = await setup();
    const [a, b] = await Promise.all([resolveWith({ mirrors: [m.url], dest: dir('a'), cache }, ['rpmfetch-hello']), resolveWith({ mirrors: [m.url], dest: dir('b'), cache }, ['rpmfetch-hello'])]);
    assert.ok(a.r.items[0]?.ok && b.r.items[0]?.ok);
    const [repo] = await storedRepos(cache);
    assert.deepEqual((await readdir(repo as string)).filter((f) => f.includes('.tmp-')), []);
    const third = await resolveWith({ mirrors: [m.url], dest: dir('c'), cache }, ['rpmfetch-hello']);
    assert.equal(third.r.primary.cached, true);
  });
});

describe('cacheOnly', () => {
  test('resolves and places from the cache with no request; what is missing is ERR_NOT_CACHED', async () => {
    const { m, cache, dir } = await setup();
    await resolveWith({ mirrors: [m.url], dest: dir('a'), cache }, ['rpmfetch-hello']);
    const before = m.log.length;
    // Expired long ago, and the mirror named would refuse: cacheOnly asks nobody.
    const dead = await refusedUrl();
    const d = createDownloader({ ...FAST, mirrors: [m.url], dest: dir('b'), cache, cacheOnly: true, metadataExpire: 0 });
    try {
      const r = await d.resolve(['rpmfetch-hello', 'rpmfetch-tools'], { arch: ['x86_64', 'noarch'] });
      assert.equal(r.repomd.cached, true);
      const batch = await d.downloadAll(r.targets);
      const [hello, tools] = batch.items;
      assert.ok(hello?.ok && hello.result.cached === 'store');
      assert.ok(tools && !tools.ok);
      assert.ok(tools.error instanceof NotCachedError && tools.error.code === 'ERR_NOT_CACHED', tools.error.message);
    } finally {
      d.close();
    }
    assert.equal(m.log.length, before, 'no request');
    const empty = createDownloader({ ...FAST, mirrors: [dead], dest: dir('c'), cache: dir('empty'), cacheOnly: true });
    try {
      await assert.rejects(empty.resolve(['rpmfetch-hello']), (err: unknown) => err instanceof DownloadError && err.code === 'ERR_NOT_CACHED' && /no repomd\.xml/.test(err.message));
    } finally {
      empty.close();
    }
  });

  test('needs a cache; metadataExpire is checked', () => {
    assert.throws(() => createDownloader({ mirrors: [], cacheOnly: true }), InvalidOptionError);
    assert.throws(() => createDownloader({ mirrors: [], cache: '/tmp/x', metadataExpire: -5 }), InvalidOptionError);
  });

  test('rpmfetch get --cacheonly and --metadata-expire', async () => {
    const { m, cache, dir } = await setup();
    const warm = await cli('get', '--repo', '--mirror', m.url, '--cache', cache, '--metadata-expire', '2h', '--dest', dir('a'), '--json', '--quiet', 'rpmfetch-hello');
    assert.equal(warm.code, 0, warm.err.join('\n'));
    const before = m.log.length;
    const cold = await cli('get', '--repo', '--mirror', m.url, '--cache', cache, '--cacheonly', '--dest', dir('b'), '--json', 'rpmfetch-hello', 'rpmfetch-tools');
    assert.equal(cold.code, 1);
    const lines = cold.out.map((l) => JSON.parse(l) as { ok: boolean; error?: { code: string } });
    assert.deepEqual(lines.map((l) => l.ok).sort(), [false, true]);
    assert.equal(lines.find((l) => !l.ok)?.error?.code, 'ERR_NOT_CACHED');
    assert.equal(m.log.length, before);
    const bad = await cli('get', '--repo', '--mirror', m.url, '--cache', cache, '--metadata-expire', '3w', 'rpmfetch-hello');
    assert.equal(bad.code, 2);
    const noCache = await cli('get', '--repo', '--mirror', m.url, '--no-cache', '--cacheonly', 'rpmfetch-hello');
    assert.equal(noCache.code, 2);
  });
});
