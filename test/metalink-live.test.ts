/**
 * Metalinks and mirrorlists end to end, served by the test's own mirrors: repomd.xml checked against
 * the metalink (an out-of-date mirror skipped, an alternate's repomd.xml accepted, a mismatch
 * everywhere refused with nothing downloaded), a mirrorlist answering with a metalink, the CLI's
 * `get --metalink` / `--mirrorlist`, and a differential against librepo's own metalink parser.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createDownloader, DownloadError, MetalinkError, parseMetalink, type DownloaderOptions } from '../src/index.js';
import { cli } from './helpers/cli.js';
import { FaultMirror } from './helpers/fault-mirror.js';
import { fixturePackages, mirrorTree } from './helpers/fixture-repo.js';
import { metalinkXml, type MetalinkUrl } from './helpers/metalink.js';

const fast: Partial<DownloaderOptions> = { timeouts: { stall: 2000, response: 2000, connect: 1000 }, backoff: { min: 5, max: 20 }, hedge: false, retries: 0 };
const NAME = 'rpmfetch-hello';

describe('metalink and mirrorlist against live mirrors', () => {
  const servers: FaultMirror[] = [];
  let current: Map<string, Buffer>;
  let stale: Map<string, Buffer>;
  let good: FaultMirror;
  let old: FaultMirror;
  let lists: FaultMirror;
  const serve = async (files: Map<string, Buffer>) => {
    const m = await new FaultMirror().start();
    for (const [k, v] of files) m.files.set(k, v);
    servers.push(m);
    return m;
  };
  const repomdOf = (files: Map<string, Buffer>) => files.get('repodata/repomd.xml') as Buffer;
  const entry = (m: FaultMirror, preference = 100): MetalinkUrl => ({ url: `${m.url}repodata/repomd.xml`, preference });

  before(async () => {
    current = mirrorTree(await fixturePackages());
    // The same packages under an older repomd.xml: what a mirror that has not synced yet serves.
    stale = new Map(current);
    stale.set('repodata/repomd.xml', Buffer.from(repomdOf(current).toString().replace('<revision>1</revision>', '<revision>0</revision>')));
    good = await serve(current);
    old = await serve(stale);
    lists = await serve(new Map());
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  const publish = (path: string, body: string) => {
    lists.files.set(path, Buffer.from(body));
    return `${lists.url}${path}?repo=fedora-41&arch=x86_64`;
  };

  test('an out-of-date mirror is skipped for repomd.xml, in preference order, and packages come from the metalink\'s mirrors', async () => {
    const url = publish('metalink-1', metalinkXml({ bytes: repomdOf(current) }, [entry(good, 50), { url: 'rsync://r.example/f/repodata/repomd.xml' }, entry(old, 100)]));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-metalink-'));
    const d = createDownloader({ mirrors: [], dest, ...fast });
    try {
      const r = await d.resolve([NAME], { metalink: url, arch: 'noarch' });
      assert.equal(r.repomd.mirror, good.url);
      assert.deepEqual(d.mirrors().map((m) => m.label), [old.url, good.url]);
      const codes = r.attempts.map((a) => `${a.mirror === old.url ? 'old' : a.mirror === good.url ? 'good' : 'list'}:${a.code}`);
      assert.deepEqual(codes.slice(0, 3), ['list:OK', 'old:ERR_REPOMD_MISMATCH', 'good:OK']);
      assert.match(r.attempts[1]?.cause ?? '', /out of date against the metalink .*metalink-1\?repo=fedora-41/);
      const batch = await d.downloadAll(r.targets);
      assert.equal(batch.failed, 0);
    } finally {
      d.close();
    }
  });

  test("a mirror serving an alternate's repomd.xml is used", async () => {
    const url = publish('metalink-2', metalinkXml({ bytes: repomdOf(current) }, [entry(old)], [{ bytes: repomdOf(stale), timestamp: 1740000000 }]));
    const d = createDownloader({ mirrors: [], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-metalink-')), ...fast });
    try {
      const r = await d.resolve([NAME], { metalink: url, arch: 'noarch' });
      assert.equal(r.repomd.mirror, old.url);
      assert.equal(r.revision, '0');
    } finally {
      d.close();
    }
  });

  test('a mismatch on every mirror: a clear error naming the metalink, every attempt listed, nothing downloaded', async () => {
    const url = publish('metalink-3', metalinkXml({ bytes: Buffer.from('<repomd>newer than any mirror</repomd>') }, [entry(good), entry(old)]));
    const d = createDownloader({ mirrors: [], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-metalink-')), ...fast });
    try {
      await assert.rejects(d.resolve([NAME], { metalink: url, arch: 'noarch' }), (err: unknown) => {
        assert.ok(err instanceof DownloadError);
        assert.match(err.message, /no mirror serves a repomd.xml that matches the metalink .*metalink-3/);
        assert.deepEqual(err.attempts.map((a) => a.code), ['OK', 'ERR_REPOMD_MISMATCH', 'ERR_REPOMD_MISMATCH']);
        return true;
      });
    } finally {
      d.close();
    }
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-metalink-cli-'));
    const run = await cli('get', '--metalink', url, '--arch', 'noarch', '--dest', dest, '--json', '--retries', '0', NAME);
    assert.equal(run.code, 1);
    const line = JSON.parse(run.out[0] ?? '{}') as { ok: boolean; error: { message: string } };
    assert.equal(line.ok, false);
    assert.match(line.error.message, /matches the metalink/);
    assert.deepEqual(await readdir(dest), []);
  });

  test('an HTML answer and a metalink without a usable mirror are MetalinkErrors naming the URL', async () => {
    const html = publish('metalink-4', '<!DOCTYPE html><html><body>503</body></html>');
    const none = publish('metalink-5', metalinkXml({ bytes: repomdOf(current) }, [{ url: 'rsync://r.example/f/repodata/repomd.xml' }]));
    const d = createDownloader({ mirrors: [], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-metalink-')), ...fast });
    try {
      await assert.rejects(d.resolve([NAME], { metalink: html }), (err: unknown) => err instanceof MetalinkError && err.code === 'ERR_METALINK' && err.target.includes('metalink-4') && /HTML/.test(err.message));
      await assert.rejects(d.resolve([NAME], { metalink: none }), (err: unknown) => err instanceof MetalinkError && /no http\/https\/file mirror in metalink/.test(err.message));
      assert.equal(lists.requestsFor('metalink-4').length, 1, 'a content failure is not asked again');
    } finally {
      d.close();
    }
  });

  test('the metalink itself is fetched with retries', async () => {
    const url = publish('metalink-6', metalinkXml({ bytes: repomdOf(current) }, [entry(good)]));
    lists.fault('metalink-6', ({ res }) => void res.writeHead(503, { 'content-length': '0' }).end());
    const d = createDownloader({ mirrors: [], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-metalink-')), ...fast, retries: 2 });
    try {
      const r = await d.resolve([NAME], { metalink: url, arch: 'noarch' });
      assert.deepEqual(r.attempts.slice(0, 2).map((a) => a.status), [503, 200]);
    } finally {
      d.close();
    }
  });

  test('CLI: --metalink and --mirrorlist (junk lines; one answering with a metalink) download the names, JSON lines as for --repo', async () => {
    const metalink = publish('metalink-7', metalinkXml({ bytes: repomdOf(current) }, [entry(old, 100), entry(good, 10)]));
    const mirrorlist = publish('mirrorlist-1', `# a mirrorlist\nnot a url\n${old.url}\n\n${good.url}\n`);
    const answersMetalink = publish('mirrorlist-2', metalinkXml({ bytes: repomdOf(current) }, [entry(good)]));
    for (const [flag, url] of [['--metalink', metalink], ['--mirrorlist', mirrorlist], ['--mirrorlist', answersMetalink]] as const) {
      const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-metalink-cli-'));
      const run = await cli('get', flag, url, '--arch', 'noarch', '--dest', dest, '--json', NAME);
      assert.equal(run.code, 0, run.err.join('\n'));
      const line = JSON.parse(run.out[0] ?? '{}') as { ok: boolean; query: string };
      assert.equal(line.ok, true);
      assert.equal(line.query, NAME);
      assert.deepEqual(await readdir(dest), ['rpmfetch-hello-1.0-1.noarch.rpm']);
    }
    const bad = await cli('get', '--mirrorlist', publish('mirrorlist-3', 'junk\n<html>\n'), '--json', NAME);
    assert.equal(bad.code, 1);
    assert.match(bad.out[0] ?? '', /ERR_MIRRORLIST/);
  });
});

/** librepo's python binding, when Debian's python3-librepo is installed. */
function librepoMissing(): string | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import librepo'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'python3-librepo is not installed (import librepo failed)';
}

const LIBREPO_READ = `
import json, sys, librepo
h = librepo.Handle()
h.repotype = librepo.YUMREPO
h.metalinkurl = sys.argv[1]
h.fetchmirrors = True
h.destdir = sys.argv[2]
h.perform(librepo.Result())
ml = h.metalink
print(json.dumps({"mirrors": h.mirrors, "hashes": ml["hashes"], "alternates": [a["hashes"] for a in ml.get("alternates", [])], "urls": [u["url"] for u in ml["urls"]]}))
`;

describe("differential: librepo's metalink parser", { skip: librepoMissing() }, () => {
  test('the same mirrors in the same order and the same repomd.xml hashes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-librepo-'));
    const repomd = Buffer.from('<repomd>x</repomd>\n');
    const older = Buffer.from('<repomd>older</repomd>\n');
    // MirrorManager writes URLs by preference, highest first: on such files both read the same order.
    const cases: Record<string, string> = {
      fedora: metalinkXml({ bytes: repomd }, [
        { url: 'https://a.example/pub/fedora/linux/releases/41/Everything/x86_64/os/repodata/repomd.xml', preference: 100 },
        { url: 'http://b.example/fedora/releases/41/Everything/x86_64/os/repodata/repomd.xml', preference: 100 },
        { url: 'rsync://c.example/fedora/releases/41/Everything/x86_64/os/repodata/repomd.xml', preference: 99 },
        { url: 'https://d.example/fedora/41/', preference: 98 },
        { url: 'http://e.example/f/repodata/repomd.xml', preference: 7 },
      ], [{ bytes: older }, { bytes: Buffer.from('<repomd>oldest</repomd>\n'), types: ['sha256'] }]),
      'sha256 only': metalinkXml({ bytes: repomd, types: ['sha256'] }, [{ url: 'https://a.example/r/repodata/repomd.xml', preference: 50 }, { url: 'https://b.example/r/repodata/repomd.xml', preference: 50 }]),
      'md5 and sha1': metalinkXml({ bytes: repomd, types: ['md5', 'sha1'] }, [{ url: 'http://a.example/r/repodata/repomd.xml' }]),
    };
    const http = (u: string) => /^https?:/.test(u);
    for (const [name, xml] of Object.entries(cases)) {
      const file = join(dir, `${name.replace(/\W/g, '-')}.xml`);
      await writeFile(file, xml);
      const theirs = JSON.parse(execFileSync('/usr/bin/python3', ['-c', LIBREPO_READ, pathToFileURL(file).href, dir], { encoding: 'utf8' })) as { mirrors: string[]; hashes: [string, string][]; alternates: [string, string][][] };
      const ours = parseMetalink(Buffer.from(xml), pathToFileURL(file).href, true);
      // librepo's list keeps every URL (rsync too) and uses it at download time only when it can.
      const norm = (u: string) => (u.endsWith('/') ? u : `${u}/`);
      assert.deepEqual(ours.mirrors.map((m) => m.base), theirs.mirrors.filter(http).map(norm), name);
      assert.deepEqual(ours.repomd.hashes, Object.fromEntries(theirs.hashes.map(([t, v]) => [t, v.trim().toLowerCase()])), name);
      assert.deepEqual(ours.alternates.map((a) => a.hashes), theirs.alternates.map((hs) => Object.fromEntries(hs.map(([t, v]) => [t, v.trim().toLowerCase()]))), name);
    }
  });
});
