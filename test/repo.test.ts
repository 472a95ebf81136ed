/**
 * Repository mode end to end: real createrepo_c output over the rpmbuild-built fixtures, served by
 * fault mirrors and nginx, in every compression (gz, xz, bz2 from createrepo_c; zstd and plain XML
 * rewritten from them), then metadata that is corrupt, lies about its size or checksum, or places
 * packages where they could escape; the CLI's `get --repo`.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDownloader, DownloadError, Keyring, resolvePackages, verifyFile, type DownloadEvent, type DownloaderOptions, type Resolution } from '../src/index.js';
import { execFileSync } from 'node:child_process';
import { cli } from './helpers/cli.js';
import { makeSigningKey, missingRpmTools } from './helpers/rpm-tools.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { nginxMissing, startNginx } from './helpers/nginx.js';
import { compressorMissing, copyTree, createrepo, createrepoMissing, editRepomd, loadTree, patchPrimaryRecord, primaryOf, rewritePrimary, type Compression } from './helpers/repo.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const skip = createrepoMissing();
const fast: Partial<DownloaderOptions> = { timeouts: { stall: 2000, response: 2000, connect: 1000 }, backoff: { min: 5, max: 20 }, hedge: false };

/** The fixtures' identities, by file name. */
interface Fixture {
  file: string;
  bytes: Buffer;
  name: string;
  source: boolean;
}

async function tmp(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

async function serve(files: Map<string, Buffer>): Promise<FaultMirror> {
  const m = await new FaultMirror().start();
  for (const [k, v] of files) m.files.set(k, v);
  return m;
}

describe('repository mode on createrepo_c output', { skip }, () => {
  const fixtures: Fixture[] = [];
  const trees = new Map<Compression, Map<string, Buffer>>();
  const mirrors: FaultMirror[] = [];
  const mirror = async (files: Map<string, Buffer>) => {
    const m = await serve(files);
    mirrors.push(m);
    return m;
  };

  before(async () => {
    const root = await tmp('rpmfetch-repo-');
    for (const file of (await readdir(FIXTURES)).filter((f) => f.endsWith('.rpm'))) {
      const v = await verifyFile(join(FIXTURES, file));
      assert.ok(v.rpm);
      fixtures.push({ file, bytes: await readFile(join(FIXTURES, file)), name: v.rpm.name, source: v.rpm.source });
    }
    for (const compress of ['gz', 'xz', 'bz2'] as const) {
      if (compressorMissing(compress)) continue;
      const dir = join(root, compress);
      await mkdir(join(dir, 'Packages/r'), { recursive: true });
      for (const f of fixtures) await copyFile(join(FIXTURES, f.file), join(dir, 'Packages/r', f.file));
      await createrepo(dir, { compress });
      trees.set(compress, await loadTree(dir));
    }
    const gz = trees.get('gz') as Map<string, Buffer>;
    for (const format of ['zstd', 'none'] as const) {
      if (compressorMissing(format)) continue;
      const t = copyTree(gz);
      rewritePrimary(t, format);
      trees.set(format, t);
    }
  });
  after(async () => {
    for (const m of mirrors) await m.close();
  });

  for (const format of ['gz', 'xz', 'bz2', 'zstd', 'none'] as const) {
    test(`${format}: names resolve to the latest packages, which download and verify against the metadata`, { skip: compressorMissing(format) }, async () => {
      const tree = trees.get(format) as Map<string, Buffer>;
      assert.match(primaryOf(tree).href, format === 'none' ? /primary\.xml$/ : new RegExp(`primary\\.xml\\.${{ gz: 'gz', xz: 'xz', bz2: 'bz2', zstd: 'zst' }[format]}$`));
      const m = await mirror(tree);
      const dest = await tmp('rpmfetch-dest-');
      const downloader = createDownloader({ ...fast, mirrors: [m.url], dest, reuse: false });
      try {
        const r = await downloader.resolve(['rpmfetch-hello', 'rpmfetch-tools', 'rpmfetch-data-0.9-7.noarch'], { arch: 'x86_64' });
        assert.deepEqual(r.items.map((i) => i.ok && i.package.nevra), ['rpmfetch-hello-0:1.0-1.noarch', 'rpmfetch-tools-1:2.1-3.fc40.x86_64', 'rpmfetch-data-0:0.9-7.noarch']);
        assert.equal(r.primary.packages, fixtures.length);
        assert.equal(r.targets.length, 3);
        const t = r.targets[1];
        assert.ok(t && t.size && t.checksum?.type === 'sha256' && t.path === 'Packages/r/rpmfetch-tools-2.1-3.fc40.x86_64.rpm');
        const batch = await downloader.downloadAll(r.targets);
        assert.equal(batch.failed, 0);
        for (const item of batch.items) {
          assert.ok(item.ok);
          const f = fixtures.find((x) => item.result.file.endsWith(`/${x.file}`));
          assert.ok(f && (await readFile(item.result.file)).equals(f.bytes));
          assert.ok(item.result.verdict.checks.some((c) => c.id === 'nevra' && c.status === 'OK'), 'the NEVRA from the metadata was checked');
        }
        const sources = await downloader.resolve(['rpmfetch-hello', 'rpmfetch-tools'], { arch: 'src' });
        assert.deepEqual(sources.items.map((i) => i.ok && i.package.href), ['Packages/r/rpmfetch-hello-1.0-1.src.rpm', 'Packages/r/rpmfetch-tools-2.1-3.fc40.src.rpm']);
        assert.equal((await downloader.downloadAll(sources.targets)).failed, 0);
      } finally {
        downloader.close();
      }
      assert.equal(m.requestsFor('repodata/repomd.xml').length, 2, 'one repomd.xml per resolve');
    });
  }

  test('events: metadata files report progress-bearing attempts and a metadata event with the package count', async () => {
    const m = await mirror(trees.get('gz') as Map<string, Buffer>);
    const events: DownloadEvent[] = [];
    const r = await resolvePackages(['rpmfetch-hello'], { ...fast, mirrors: [m.url], dest: await tmp('rpmfetch-dest-'), onEvent: (e) => events.push(e) });
    const meta = events.filter((e) => e.type === 'metadata');
    assert.deepEqual(meta.map((e) => e.target), ['repodata/repomd.xml', primaryOf(trees.get('gz') as Map<string, Buffer>).href]);
    assert.equal(meta[1]?.type === 'metadata' && meta[1].packages, fixtures.length);
    assert.equal(r.revision !== undefined, true);
    assert.equal(r.attempts.length, 2);
  });

  test('a long-lived Downloader keeps the primary file: the next resolve fetches only repomd.xml, until it changes', async () => {
    const tree = copyTree(trees.get('gz') as Map<string, Buffer>);
    const m = await mirror(tree);
    const href = primaryOf(tree).href;
    const events: DownloadEvent[] = [];
    const d = createDownloader({ ...fast, mirrors: [m.url], dest: '.', onEvent: (e) => events.push(e) });
    try {
      const first = await d.resolve(['rpmfetch-hello']);
      const second = await d.resolve(['rpmfetch-tools', 'rpmfetch-hello']);
      assert.deepEqual([first.primary.cached, second.primary.cached], [false, true]);
      assert.equal(second.items[1]?.ok && second.items[1].package.nevra, first.items[0]?.ok && first.items[0].package.nevra);
      assert.ok(second.items[0]?.ok, 'other names than the first time are found in the kept file');
      assert.equal(m.requestsFor(href).length, 1);
      assert.equal(m.requestsFor('repodata/repomd.xml').length, 2, 'repomd.xml is always fetched fresh');
      assert.ok(events.some((e) => e.type === 'metadata' && e.cached === true));
      // The repository changes: its new primary file is fetched.
      rewritePrimary(tree, 'gz', (x) => x.replace('A package built by rpmfetch tests.', 'Changed.'));
      for (const [k, v] of tree) m.files.set(k, v);
      const third = await d.resolve(['rpmfetch-hello']);
      assert.equal(third.primary.cached, false);
      assert.equal(m.requestsFor(primaryOf(tree).href).length, 1);
    } finally {
      d.close();
    }
    const off = createDownloader({ ...fast, mirrors: [m.url], dest: '.', metadataCache: false });
    try {
      await off.resolve(['rpmfetch-hello']);
      assert.equal((await off.resolve(['rpmfetch-hello'])).primary.cached, false);
    } finally {
      off.close();
    }
  });

  test('an unknown name is an ERR_NOT_IN_REPO item; the others resolve', async () => {
    const m = await mirror(trees.get('gz') as Map<string, Buffer>);
    const r = await resolvePackages(['nosuch', 'rpmfetch-hello', 'rpmfetch-hello.s390x'], { ...fast, mirrors: [m.url], dest: '.' });
    assert.deepEqual(r.items.map((i) => (i.ok ? 'ok' : i.error.code)), ['ERR_NOT_IN_REPO', 'ok', 'ERR_NOT_IN_REPO']);
    assert.match((r.items[0] as { error: Error }).error.message, /nosuch: no package in the repository matches/);
    const src = await resolvePackages(['rpmfetch-tools'], { ...fast, mirrors: [m.url], dest: '.', arch: 'aarch64' });
    assert.match((src.items[0] as { error: Error }).error.message, /it exists for (src, x86_64|x86_64, src) \(use --arch or NAME\.ARCH\)/);
  });

  test('a corrupted primary file on the first mirror: the second serves it, the attempts name the first', async () => {
    const tree = trees.get('gz') as Map<string, Buffer>;
    const bad = await mirror(tree);
    bad.always(primaryOf(tree).href, faults.flipByte(300));
    const good = await mirror(tree);
    const events: DownloadEvent[] = [];
    const r = await resolvePackages(['rpmfetch-hello'], { ...fast, mirrors: [bad.url, good.url], dest: '.', onEvent: (e) => events.push(e) });
    assert.equal(r.primary.mirror, good.url);
    assert.equal(bad.requestsFor(primaryOf(tree).href).length, 1, 'a mirror that served wrong metadata is not asked again');
    const failed = r.attempts.find((a) => a.code === 'ERR_REPO_METADATA');
    assert.ok(failed && failed.mirror === bad.url, JSON.stringify(r.attempts));
    assert.ok(events.some((e) => e.type === 'failover' && e.failed.code === 'ERR_REPO_METADATA'));
  });

  /** Runs the CLI in repo mode against one mirror; returns the outcome and what is left in dest. */
  async function cliRepo(m: FaultMirror, ...args: string[]): Promise<{ code: number; lines: Array<Record<string, unknown>>; err: string; left: string[] }> {
    const dest = await tmp('rpmfetch-dest-');
    const r = await cli('get', '--repo', '--mirror', m.url, '--dest', dest, '--retries', '0', '--json', '--response-timeout', '2', ...args);
    return { code: r.code, lines: r.out.map((l) => JSON.parse(l) as Record<string, unknown>), err: r.err.join('\n'), left: await readdir(dest) };
  }

  const lies: Array<[string, (t: Map<string, Buffer>) => void, RegExp]> = [
    ['a corrupted primary file', (t) => {
      const href = primaryOf(t).href;
      const b = Buffer.from(t.get(href) as Buffer);
      const at = Math.floor(b.length / 2);
      b[at] = (b[at] as number) ^ 0x40;
      t.set(href, b);
    }, /does not match repomd\.xml|corrupt/],
    ['a repomd.xml whose checksum does not match', (t) => patchPrimaryRecord(t, 'checksum', '0'.repeat(64)), /does not match repomd\.xml/],
    ['a repomd.xml that understates the size', (t) => patchPrimaryRecord(t, 'size', '100'), /larger than the 100 bytes/],
    ['a repomd.xml that overstates the size', (t) => patchPrimaryRecord(t, 'size', '999999'), /ended at \d+ of the 999999 bytes/],
    ['a repomd.xml that lies about the open size', (t) => patchPrimaryRecord(t, 'open-size', '10'), /more than the 10 bytes/],
    ['a primary file that does not parse', (t) => rewritePrimary(t, 'gz', (x) => x.replace('</metadata>', '</metadat>')), /primary\.xml\.gz: <\/metadat> where <\/metadata> belongs/],
    ['a repomd.xml that does not parse', (t) => editRepomd(t, (x) => x.replace('</repomd>', '')), /repomd\.xml: /],
    ['a repomd.xml without a primary file', (t) => editRepomd(t, (x) => x.replace('type="primary"', 'type="primary_old"')), /lists no primary file/],
  ];
  for (const [what, lie, message] of lies) {
    test(`${what}: the resolution fails with every attempt listed, and nothing is written`, async () => {
      const tree = copyTree(trees.get('gz') as Map<string, Buffer>);
      lie(tree);
      const m = await mirror(tree);
      await assert.rejects(resolvePackages(['rpmfetch-hello'], { ...fast, retries: 0, mirrors: [m.url], dest: '.' }), (e: unknown) => {
        assert.ok(e instanceof DownloadError);
        assert.equal(e.code, 'ERR_ALL_MIRRORS_FAILED');
        assert.match(e.message, message);
        assert.ok(e.attempts.length >= 1 && e.attempts.every((a) => a.mirror === m.url));
        return true;
      });
      const r = await cliRepo(m, 'rpmfetch-hello', 'rpmfetch-tools');
      assert.equal(r.code, 1);
      assert.deepEqual(r.left, []);
      assert.deepEqual(r.lines.map((l) => [l.query, l.ok, (l.error as { code: string }).code]), [['rpmfetch-hello', false, 'ERR_ALL_MIRRORS_FAILED'], ['rpmfetch-tools', false, 'ERR_ALL_MIRRORS_FAILED']]);
      assert.match(r.err, /FAILED/);
    });
  }

  test('a mirror whose repomd.xml describes a primary file no mirror has: another mirror\'s repomd.xml is used', async () => {
    const tree = trees.get('gz') as Map<string, Buffer>;
    const stale = copyTree(tree);
    patchPrimaryRecord(stale, 'checksum', 'f'.repeat(64));
    const a = await mirror(stale);
    const b = await mirror(tree);
    const r = await resolvePackages(['rpmfetch-tools'], { ...fast, retries: 0, mirrors: [a.url, b.url], dest: '.' });
    assert.equal(r.repomd.mirror, b.url);
    assert.ok(r.items[0]?.ok);
    assert.ok(r.attempts.filter((x) => x.code === 'ERR_REPO_METADATA').length >= 2, 'the primary failed on both mirrors against the stale repomd.xml');
  });

  test('the same corrupt primary file on every mirror: each mirror is asked once, not once per repomd.xml', async () => {
    const tree = copyTree(trees.get('gz') as Map<string, Buffer>);
    const href = primaryOf(tree).href;
    const bad = Buffer.from(tree.get(href) as Buffer);
    bad[100] = (bad[100] as number) ^ 1;
    tree.set(href, bad);
    const ms = [await mirror(tree), await mirror(tree), await mirror(tree)];
    await assert.rejects(resolvePackages(['rpmfetch-hello'], { ...fast, mirrors: ms.map((m) => m.url), dest: '.' }), (e: unknown) => e instanceof DownloadError && /no mirror serves usable metadata .*describes a primary file no mirror serves/.test(e.message));
    assert.deepEqual(ms.map((m) => m.requestsFor(href).length), [1, 1, 1]);
    assert.deepEqual(ms.map((m) => m.requestsFor('repodata/repomd.xml').length), [1, 1, 1]);
  });

  test('transient faults on metadata are retried like package downloads (503, cut-off body, reset)', async () => {
    const tree = trees.get('xz') ?? (trees.get('gz') as Map<string, Buffer>);
    const m = await mirror(tree);
    m.fault('repodata/repomd.xml', faults.status(503, '0'), faults.closeEarly(0.5));
    m.fault(primaryOf(tree).href, faults.closeEarly(0.3), faults.reset(0.5));
    const r = await resolvePackages(['rpmfetch-hello'], { ...fast, mirrors: [m.url], dest: '.' });
    assert.ok(r.items[0]?.ok);
    const codes = r.attempts.map((a) => a.code);
    assert.deepEqual(codes.slice(0, 3), ['ERR_HTTP_STATUS', 'ERR_BODY_TRUNCATED', 'OK']);
    // A reset mid-body reads as a reset or a cut-off body depending on when the client notices.
    assert.equal(codes.length, 6);
    for (const c of codes.slice(3, 5)) assert.ok(['ERR_BODY_TRUNCATED', 'ERR_CONNECTION_RESET'].includes(c), c);
    assert.equal(codes[5], 'OK');
  });

  test('a package whose bytes do not match the metadata on one mirror comes from the next', async () => {
    const tree = trees.get('gz') as Map<string, Buffer>;
    const a = await mirror(tree);
    const other = fixtures.find((f) => f.file === 'rpmfetch-hello-1.0-1.noarch.rpm') as Fixture;
    a.always('Packages/r/rpmfetch-data-0.9-7.noarch.rpm', faults.otherBytes(other.bytes));
    const b = await mirror(tree);
    const dest = await tmp('rpmfetch-dest-');
    const downloader = createDownloader({ ...fast, mirrors: [a.url, b.url], dest });
    try {
      const r = await downloader.resolve(['rpmfetch-data']);
      const result = await downloader.download(r.targets[0] as never);
      assert.equal(result.mirror, b.url);
      assert.match(result.attempts[0]?.code ?? '', /ERR_SIZE_MISMATCH|ERR_INTEGRITY_MISMATCH|ERR_NEVRA_MISMATCH|ERR_TRAILING_DATA/);
    } finally {
      downloader.close();
    }
  });

  test('unsafe locations are refused per package with ERR_UNSAFE_LOCATION; nothing is fetched or written for them', async () => {
    const tree = copyTree(trees.get('gz') as Map<string, Buffer>);
    rewritePrimary(tree, 'gz', (x) =>
      x
        .replace('href="Packages/r/rpmfetch-hello-1.0-1.noarch.rpm"', 'href="../../../../tmp/rpmfetch-hello-1.0-1.noarch.rpm"')
        .replace('href="Packages/r/rpmfetch-data-0.9-7.noarch.rpm"', 'xml:base="file:///etc/" href="rpmfetch-data-0.9-7.noarch.rpm"')
        .replace('href="Packages/r/rpmfetch-tools-2.1-3.fc40.x86_64.rpm"', 'href="/abs/rpmfetch-tools-2.1-3.fc40.x86_64.rpm"'),
    );
    const m = await mirror(tree);
    const r = await resolvePackages(['rpmfetch-hello', 'rpmfetch-data', 'rpmfetch-tools', 'rpmfetch-hello.src'], { ...fast, mirrors: [m.url], dest: '.', arch: 'x86_64' });
    assert.deepEqual(r.items.map((i) => (i.ok ? 'ok' : i.error.code)), ['ERR_UNSAFE_LOCATION', 'ERR_UNSAFE_LOCATION', 'ERR_UNSAFE_LOCATION', 'ok']);
    assert.match((r.items[0] as { error: Error }).error.message, /"\.\." path segments/);
    assert.match((r.items[1] as { error: Error }).error.message, /scheme file:/);
    assert.match((r.items[2] as { error: Error }).error.message, /absolute path/);
    const c = await cliRepo(m, 'rpmfetch-hello', 'rpmfetch-hello.src');
    assert.equal(c.code, 1);
    assert.deepEqual(c.left, ['rpmfetch-hello-1.0-1.src.rpm']);
    assert.deepEqual(c.lines.map((l) => [l.query, l.ok]), [['rpmfetch-hello', false], ['rpmfetch-hello.src', true]]);
    assert.ok(!m.log.some((l) => l.path.includes('tmp') || l.path.includes('abs')), 'no request for refused locations');
  });

  test('xml:base (createrepo_c --baseurl): packages come from the base, checked against the metadata', async () => {
    const pkgs = await mirror(new Map(fixtures.map((f) => [`pool/${f.file}`, f.bytes])));
    const root = await tmp('rpmfetch-repo-base-');
    await mkdir(join(root, 'Packages/r'), { recursive: true });
    for (const f of fixtures) await copyFile(join(FIXTURES, f.file), join(root, 'Packages/r', f.file));
    await createrepo(root, { baseurl: `${pkgs.url}pool/` });
    const tree = await loadTree(root);
    // The base holds the packages flat: point the hrefs at the file names.
    rewritePrimary(tree, 'gz', (x) => x.replace(/href="Packages\/r\//g, 'href="'));
    for (const [k] of tree) if (k.startsWith('Packages/')) tree.delete(k);
    const m = await mirror(tree);
    const dest = await tmp('rpmfetch-dest-');
    const downloader = createDownloader({ ...fast, mirrors: [m.url], dest });
    try {
      const r = await downloader.resolve(['rpmfetch-tools']);
      const t = r.targets[0];
      assert.equal(t?.path, `${pkgs.url}pool/rpmfetch-tools-2.1-3.fc40.x86_64.rpm`);
      const result = await downloader.download(t as never);
      assert.equal(result.url, t?.path);
      assert.ok((await readFile(result.file)).equals(fixtures.find((f) => f.file === 'rpmfetch-tools-2.1-3.fc40.x86_64.rpm')?.bytes as Buffer));
    } finally {
      downloader.close();
    }
  });

  test('CLI: get --repo resolves names, downloads them, and prints one JSON line per query', async () => {
    const m = await mirror(trees.get('gz') as Map<string, Buffer>);
    const r = await cliRepo(m, '--arch', 'x86_64', 'rpmfetch-hello', 'rpmfetch-tools', 'nosuch');
    assert.equal(r.code, 1);
    assert.deepEqual(r.left.sort(), ['rpmfetch-hello-1.0-1.noarch.rpm', 'rpmfetch-tools-2.1-3.fc40.x86_64.rpm']);
    const byQuery = Object.fromEntries(r.lines.map((l) => [l.query, l]));
    assert.equal(byQuery.nosuch?.ok, false);
    assert.equal((byQuery.nosuch?.error as { code: string }).code, 'ERR_NOT_IN_REPO');
    assert.equal(byQuery['rpmfetch-tools']?.nevra, 'rpmfetch-tools-1:2.1-3.fc40.x86_64');
    assert.match(r.err, /repodata {2}repomd\.xml/);
    const ok = await cliRepo(m, '--arch', 'src', 'rpmfetch-tools');
    assert.equal(ok.code, 0);
    assert.deepEqual(ok.left, ['rpmfetch-tools-2.1-3.fc40.src.rpm']);
  });

  test('CLI: --repo with a manifest, --sha256 or no names is a usage error (exit 2)', async () => {
    assert.equal((await cli('get', '--repo', '--mirror', 'http://127.0.0.1:9/', '--manifest', 'x.jsonl')).code, 2);
    assert.equal((await cli('get', '--repo', '--mirror', 'http://127.0.0.1:9/', '--sha256', 'ab', 'x')).code, 2);
    assert.equal((await cli('get', '--repo', '--mirror', 'http://127.0.0.1:9/')).code, 2);
    assert.equal((await cli('get', '--repo', 'x')).code, 2);
    assert.equal((await cli('get', '--arch', 'x86_64', '--mirror', 'http://127.0.0.1:9/', 'x.rpm')).code, 2);
  });

  test('repoGpgcheck: repomd.xml.asc by a given key is required; unsigned, wrongly signed or tampered metadata is refused per mirror', { skip: missingRpmTools('gpg') }, async () => {
    const key = await makeSigningKey('rsa');
    const other = await makeSigningKey('eddsa');
    const sign = (k: typeof key, data: Buffer) => execFileSync('gpg', ['--batch', '--yes', '--armor', '--detach-sign', '--local-user', k.uid], { input: data, env: { ...process.env, GNUPGHOME: k.home } });
    const keys = await Keyring.load([key.publicKey]);
    const signedTree = copyTree(trees.get('gz') as Map<string, Buffer>);
    signedTree.set('repodata/repomd.xml.asc', sign(key, signedTree.get('repodata/repomd.xml') as Buffer));
    const unsigned = await mirror(trees.get('gz') as Map<string, Buffer>);
    const otherKey = copyTree(signedTree);
    otherKey.set('repodata/repomd.xml.asc', sign(other, otherKey.get('repodata/repomd.xml') as Buffer));
    const tampered = copyTree(signedTree);
    editRepomd(tampered, (x) => x.replace('<revision>', '<revision>9'));
    const good = await mirror(signedTree);
    const [u, o, t] = [unsigned, await mirror(otherKey), await mirror(tampered)];
    const r = await resolvePackages(['rpmfetch-hello'], { ...fast, retries: 0, mirrors: [u.url, o.url, t.url, good.url], dest: '.', keys, repoGpgcheck: true });
    assert.equal(r.repomd.mirror, good.url);
    assert.ok(r.items[0]?.ok);
    const codes = r.attempts.filter((a) => a.url.endsWith('.asc')).map((a) => [a.mirror, a.code]);
    assert.deepEqual(codes, [[u.url, 'ERR_NOT_FOUND'], [o.url, 'ERR_SIGNATURE_NOKEY'], [t.url, 'ERR_SIGNATURE_BAD'], [good.url, 'OK']]);
    await assert.rejects(resolvePackages(['rpmfetch-hello'], { ...fast, retries: 0, mirrors: [u.url, t.url], dest: '.', keys, repoGpgcheck: true }), (e: unknown) => e instanceof DownloadError && /no mirror serves usable metadata/.test(e.message));
    await assert.rejects(resolvePackages(['rpmfetch-hello'], { ...fast, mirrors: [good.url], dest: '.', repoGpgcheck: true }), /repoGpgcheck needs keys/);
    // The metadata checks out; the key then also applies to the package, which is not signed.
    const c = await cliRepo(good, '--repo-gpgcheck', '--key', key.publicKey, 'rpmfetch-hello');
    assert.match(c.err, /repodata {2}repomd\.xml\.asc/);
    assert.equal(c.code, 1);
    assert.equal((c.lines[0]?.error as { attempts: Array<{ code: string }> }).attempts[0]?.code, 'ERR_UNSIGNED');
    assert.equal((await cli('get', '--repo', '--repo-gpgcheck', '--mirror', good.url, 'x')).code, 2, '--repo-gpgcheck without --key');
  });

  test('nginx as the mirror: resolve and download through a real server', { skip: nginxMissing() }, async () => {
    const root = await tmp('rpmfetch-www-');
    for (const [k, v] of trees.get('gz') as Map<string, Buffer>) {
      await mkdir(dirname(join(root, k)), { recursive: true });
      await (await import('node:fs/promises')).writeFile(join(root, k), v);
    }
    const nginx = await startNginx(root);
    try {
      const dest = await tmp('rpmfetch-dest-');
      const downloader = createDownloader({ ...fast, mirrors: [nginx.url], dest });
      try {
        const r: Resolution = await downloader.resolve(['rpmfetch-hello', 'rpmfetch-tools', 'rpmfetch-data']);
        assert.equal((await downloader.downloadAll(r.targets)).failed, 0);
        assert.equal((await readdir(dest)).length, 3);
      } finally {
        downloader.close();
      }
    } finally {
      await nginx.stop();
    }
  });
});
