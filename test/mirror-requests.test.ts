/**
 * What every request to a mirror carries, and when a mirror is given up for good, against the
 * project's own mirrors: signed/token bases (the path goes before the query), extra headers and
 * Basic credentials (the mirror's own origin only), and `maxMirrorFailures`.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDownloader, download, downloadAll, DownloadError, InvalidOptionError, resolvePackages, type DownloadEvent } from '../src/index.js';
import { FaultMirror, faults, refusedUrl } from './helpers/fault-mirror.js';
import { fixturePackages, mirrorTree, type FixturePackage } from './helpers/fixture-repo.js';
import { scriptedServer, type ScriptedServer } from './helpers/scripted-server.js';

let packages: FixturePackage[];
let good: FaultMirror;
let other: FaultMirror;
const mirrors: FaultMirror[] = [];
const dest = () => mkdtemp(join(tmpdir(), 'rpmfetch-requests-'));
const quick = { retries: 0, backoff: { min: 1, max: 2 }, hedge: false } as const;

async function mirror(): Promise<FaultMirror> {
  const m = await new FaultMirror().start();
  for (const [path, bytes] of mirrorTree(packages)) m.files.set(path, bytes);
  mirrors.push(m);
  return m;
}

before(async () => {
  packages = (await fixturePackages()).filter((p) => p.arch !== 'src');
  good = await mirror();
  other = await mirror();
});
after(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
});

describe('mirror bases with a query (signed or token URLs)', () => {
  test('packages and repository metadata are asked for with the path before the query', async () => {
    const base = `${good.url}?token=Tok3n&expires=1700000000#ignored`;
    const before = good.log.length;
    const events: DownloadEvent[] = [];
    const headers = { 'X-Api-Key': 'k-0' };
    const resolution = await resolvePackages([packages[0]?.name ?? ''], { mirrors: [base], dest: await dest(), headers, onEvent: (e) => events.push(e) });
    assert.equal(resolution.targets.length, 1);
    const batch = await downloadAll(resolution.targets, { mirrors: [base], dest: await dest(), headers, onEvent: (e) => events.push(e) });
    assert.equal(batch.succeeded, 1);
    const asked = good.log.slice(before);
    assert.ok(asked.some((r) => r.path === 'repodata/repomd.xml') && asked.some((r) => r.path === packages[0]?.repoPath), asked.map((r) => r.path).join(' '));
    for (const r of asked) {
      assert.equal(r.search, '?token=Tok3n&expires=1700000000', r.path);
      assert.equal(r.headers['x-api-key'], 'k-0', `the headers go with ${r.path} too`);
    }
    const item = batch.items[0];
    assert.ok(item?.ok);
    assert.equal(item.result.mirror, `${good.url}?token=***&expires=1700000000`);
    assert.ok(!JSON.stringify(events).includes('Tok3n'));
  });
});

describe('extra headers', () => {
  const headers = { 'X-Api-Key': 'k-1', Authorization: 'Bearer b-2' };

  test('sent with every request to the mirror; not after a redirect to another origin', async () => {
    const redirecting = await mirror();
    const pkg = packages[0] as FixturePackage;
    const before = other.log.length;
    // Same server, another origin: 127.0.0.1 → localhost.
    redirecting.always(pkg.repoPath, faults.redirect(`${other.url.replace('127.0.0.1', 'localhost')}${pkg.repoPath}`));
    const r = await download(pkg.repoPath, { mirrors: [redirecting.url], dest: await dest(), headers, ...quick });
    assert.equal(r.rpm.name, pkg.name);
    const first = redirecting.requestsFor(pkg.repoPath)[0];
    assert.equal(first?.headers['x-api-key'], 'k-1');
    assert.equal(first?.headers.authorization, 'Bearer b-2');
    const followed = other.log.slice(before).find((e) => e.path === pkg.repoPath);
    assert.ok(followed, 'the redirect was followed');
    assert.equal(followed.headers['x-api-key'], undefined);
    assert.equal(followed.headers.authorization, undefined);
  });

  test('kept on a redirect within the origin, and with Range on a resume', async () => {
    const m = await mirror();
    const pkg = packages[0] as FixturePackage;
    m.fault(pkg.repoPath, faults.redirect(`/${pkg.repoPath}`), faults.closeEarly(0.5));
    await download(pkg.repoPath, { mirrors: [m.url], dest: await dest(), headers, retries: 2, backoff: { min: 1, max: 2 }, hedge: false });
    const asked = m.requestsFor(pkg.repoPath);
    // The redirect, the body cut short, the resume.
    assert.equal(asked.length, 3);
    for (const r of asked) assert.equal(r.headers['x-api-key'], 'k-1');
    assert.match(asked[2]?.range ?? '', /^bytes=\d+-$/);
  });

  test('sent from download lanes too, with the credentials', async () => {
    const pkg = packages[1] as FixturePackage;
    await download(pkg.repoPath, { mirrors: [good.url], dest: await dest(), headers, lanes: 1, reuse: false, ...quick });
    assert.equal(good.requestsFor(pkg.repoPath).at(-1)?.headers['x-api-key'], 'k-1');
    await download(pkg.repoPath, { mirrors: [good.url], dest: await dest(), username: 'me', password: 'pw', lanes: 1, reuse: false, ...quick });
    assert.equal(good.requestsFor(pkg.repoPath).at(-1)?.headers.authorization, `Basic ${Buffer.from('me:pw').toString('base64')}`);
  });

  test('never in a proxy CONNECT', async () => {
    let proxy: ScriptedServer | undefined;
    try {
      proxy = await scriptedServer((req) => req.socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'));
      const err = await download('Packages/a-1-1.noarch.rpm', { mirrors: ['https://mirror.example/'], proxy: proxy.url, dest: await dest(), headers: { 'X-Api-Key': 'k-1' }, username: 'me', password: 'pw', ...quick }).catch((e: unknown) => e);
      assert.ok(err instanceof DownloadError);
      const head = proxy.requests[0]?.head ?? '';
      assert.match(head, /^CONNECT mirror\.example:443 /);
      assert.doesNotMatch(head, /x-api-key|authorization/i);
    } finally {
      await proxy?.close();
    }
  });

  test('refused when they could break the request or are rpmfetch’s own; messages never quote the value', () => {
    for (const bad of ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Range', 'TE', 'Upgrade', 'Proxy-Authorization', 'If-None-Match', 'User-Agent', 'Accept-Encoding', 'bad name', '']) {
      assert.throws(() => createDownloader({ mirrors: [good.url], headers: { [bad]: 'v4lue' } }), (e: unknown) => e instanceof InvalidOptionError && !e.message.includes('v4lue'), bad);
    }
    for (const value of ['a\r\nX: 1', 'a\nb', 'a\0b', 'ünï€']) {
      assert.throws(() => createDownloader({ mirrors: [good.url], headers: { 'X-A': value } }), (e: unknown) => e instanceof InvalidOptionError && !e.message.includes(value));
    }
    assert.throws(() => createDownloader({ mirrors: [good.url], headers: { 'X-A': '1', 'x-a': '2' } }), InvalidOptionError);
    createDownloader({ mirrors: [good.url], headers: { 'X-Empty': '', Cookie: 'a=b' } }).close();
  });
});

describe('credentials as options', () => {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  test('Basic to every mirror’s own origin; a URL’s own userinfo wins; nothing after a redirect elsewhere', async () => {
    const pkg = packages[0] as FixturePackage;
    const redirecting = await mirror();
    redirecting.always(pkg.repoPath, faults.redirect(`${other.url.replace('127.0.0.1', 'localhost')}${pkg.repoPath}`));
    const start = other.log.length;
    const options = { dest: await dest(), username: 'me', password: 'p@ss:wörd', reuse: false, ...quick };
    await download(pkg.repoPath, { mirrors: [good.url], ...options });
    assert.equal(good.requestsFor(pkg.repoPath).at(-1)?.headers.authorization, basic('me', 'p@ss:wörd'));
    await download(pkg.repoPath, { mirrors: [good.url.replace('//', '//own:pw@')], ...options });
    assert.equal(good.requestsFor(pkg.repoPath).at(-1)?.headers.authorization, basic('own', 'pw'));
    await download(pkg.repoPath, { mirrors: [redirecting.url], ...options });
    assert.equal(redirecting.requestsFor(pkg.repoPath)[0]?.headers.authorization, basic('me', 'p@ss:wörd'));
    const followed = other.log.slice(start).find((e) => e.path === pkg.repoPath);
    assert.ok(followed);
    assert.equal(followed.headers.authorization, undefined);
  });

  test('checked: a password needs a user name, no ":" in it, no control characters, no Authorization header besides', () => {
    for (const bad of [{ password: 'x' }, { username: 'a:b', password: 'x' }, { username: 'a\nb' }, { username: 'a', password: 'x\r' }, { username: '' }, { username: 'a', headers: { authorization: 'Bearer t' } }]) {
      assert.throws(() => createDownloader({ mirrors: [good.url], ...bad }), InvalidOptionError, JSON.stringify(bad));
    }
    createDownloader({ mirrors: [good.url], username: 'only' }).close();
  });
});

describe('maxMirrorFailures', () => {
  const targets = () => packages.slice(0, 3).map((p) => p.repoPath);

  test('a mirror that keeps failing and has served nothing is dropped for the rest of the batch', async () => {
    const dead = await refusedUrl();
    const events: DownloadEvent[] = [];
    const d = createDownloader({ mirrors: [dead, good.url], dest: await dest(), maxMirrorFailures: 2, concurrency: 1, onEvent: (e) => events.push(e), ...quick });
    try {
      const batch = await d.downloadAll(targets());
      assert.equal(batch.succeeded, 3);
      const onDead = events.filter((e) => e.type === 'started' && e.mirror === dead);
      assert.equal(onDead.length, 2, 'two failures, then no more requests');
      const dropped = events.filter((e) => e.type === 'mirror-dropped');
      assert.equal(dropped.length, 1);
      assert.deepEqual(dropped[0] && { mirror: dropped[0].mirror, failures: dropped[0].failures }, { mirror: dead, failures: 2 });
      assert.deepEqual(d.mirrors().map((m) => m.label), [good.url]);
    } finally {
      d.close();
    }
  });

  test('what counts: corrupt bytes and 5xx do; 404 and 503 do not; a mirror that has served a file is kept', async () => {
    const [a, b, c] = packages.slice(0, 3) as [FixturePackage, FixturePackage, FixturePackage];
    const run = async (setup: (m: FaultMirror) => void, expectDropped: boolean) => {
      const m = await mirror();
      setup(m);
      const events: DownloadEvent[] = [];
      await downloadAll(targets(), { mirrors: [m.url, good.url], dest: await dest(), maxMirrorFailures: 2, concurrency: 1, onEvent: (e) => events.push(e), ...quick });
      assert.equal(events.some((e) => e.type === 'mirror-dropped'), expectDropped);
    };
    await run((m) => {
      for (const p of [a, b, c]) m.always(p.repoPath, faults.flipByte());
    }, true);
    await run((m) => {
      for (const p of [a, b, c]) m.always(p.repoPath, faults.status(500));
    }, true);
    await run((m) => {
      for (const p of [a, b, c]) m.files.delete(p.repoPath);
    }, false);
    await run((m) => {
      for (const p of [a, b, c]) m.always(p.repoPath, faults.status(503));
    }, false);
    // Served the first, then broke: librepo keeps such a mirror too (its cooldown covers the rest).
    await run((m) => {
      for (const p of [b, c]) m.always(p.repoPath, faults.status(500));
    }, false);
  });

  test('off by default; when every mirror is dropped the error says why', async () => {
    const dead = await refusedUrl();
    const paths = targets();
    const events: DownloadEvent[] = [];
    const off = await downloadAll(paths, { mirrors: [dead], dest: await dest(), concurrency: 1, onEvent: (e) => events.push(e), ...quick });
    assert.equal(events.filter((e) => e.type === 'started').length, 3, 'every target asks the mirror');
    assert.equal(off.failed, 3);
    const d = createDownloader({ mirrors: [dead], dest: await dest(), maxMirrorFailures: 1, concurrency: 1, ...quick });
    try {
      const batch = await d.downloadAll(paths);
      const errors = batch.items.map((i) => (i.ok ? undefined : i.error));
      assert.ok(errors.every((e) => e instanceof DownloadError && e.code === 'ERR_ALL_MIRRORS_FAILED'));
      assert.match(errors[0]?.message ?? '', /every mirror failed \(1 attempt\); .* dropped after 1 failed attempt without serving a file/);
      assert.match(errors[2]?.message ?? '', /no mirror to ask; .* dropped after 1 failed attempt/);
      assert.deepEqual(d.mirrors(), []);
    } finally {
      d.close();
    }
  });

  test('checked', () => {
    for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => createDownloader({ mirrors: [good.url], maxMirrorFailures: bad }), InvalidOptionError);
  });
});
