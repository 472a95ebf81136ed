/**
 * The download engine's small parts on their own: attempt order, backoff, Retry-After, redirect
 * policy, targets and mirrors, the manifest format, and stall detection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidOptionError } from '../src/index.js';
import { parseManifest } from '../src/cli/manifest.js';
import { AttemptSchedule } from '../src/fetch/attempt-schedule.js';
import { backoffDelay, parseRetryAfter } from '../src/fetch/backoff.js';
import { Mirror, parseMirrorBase } from '../src/fetch/mirror.js';
import { MirrorSet } from '../src/fetch/mirror-set.js';
import { redirectRefusal } from '../src/transport/index.js';
import { StallMonitor } from '../src/fetch/stall-monitor.js';
import { normalizeTarget } from '../src/fetch/target.js';
import { resolveTimeouts } from '../src/fetch/timeouts.js';

describe('attempt order', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };
  const policy = { connectionsPerMirror: 4, cooldownAfter: 3, cooldown: 30_000 };
  const mirrors = (n: number): Mirror[] => Array.from({ length: n }, (_, i) => new Mirror(new URL(`http://m${i}/`), policy));

  test('a failure on the first mirror moves on to the next at once; the first comes back after its backoff', () => {
    const c = clock();
    const [a, b] = mirrors(2) as [Mirror, Mirror];
    const order = [a, b];
    const s = new AttemptSchedule(3, { min: 100, max: 1000 }, c.now, () => 1);
    assert.deepEqual(s.next(order), { mirror: a, wait: 0, attempt: 1 });
    s.begin(a);
    s.failed(a);
    assert.deepEqual(s.next(order), { mirror: b, wait: 0, attempt: 1 });
    s.begin(b);
    s.failed(b);
    assert.deepEqual(s.next(order), { mirror: a, wait: 100, attempt: 2 }, 'both resting: the one ready first');
    c.advance(100);
    assert.deepEqual(s.next(order), { mirror: a, wait: 0, attempt: 2 });
  });

  test('a lone mirror is retried with growing backoff until its budget is spent', () => {
    const c = clock();
    const order = mirrors(1);
    const [m] = order as [Mirror];
    const s = new AttemptSchedule(3, { min: 100, max: 250 }, c.now, () => 1);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const n = s.next(order);
      assert.ok(n);
      waits.push(n.wait);
      c.advance(n.wait);
      s.begin(m);
      s.failed(m);
    }
    assert.deepEqual(waits, [0, 100, 200]);
    assert.equal(s.next(order), undefined);
  });

  test('a finished mirror is skipped; Retry-After stretches the rest; from-zero grants one more', () => {
    const c = clock();
    const [a, b] = mirrors(2) as [Mirror, Mirror];
    const order = [a, b];
    const s = new AttemptSchedule(1, { min: 10, max: 10 }, c.now, () => 1);
    s.begin(a);
    s.finish(a, '404');
    assert.equal(s.next(order)?.mirror, b);
    s.begin(b);
    assert.equal(s.failed(b, 5000), 5000);
    assert.equal(s.next(order), undefined, 'budget spent');
    s.grantFromZero(b);
    assert.deepEqual(s.next(order), { mirror: b, wait: 0, attempt: 2 });
  });

  test('mirrors are values: one learned later joins with a full budget, a dropped one is passed over', () => {
    const c = clock();
    const set = new MirrorSet(policy, ['http://a/', 'http://b/']);
    const s = new AttemptSchedule(1, { min: 10, max: 10 }, c.now, () => 1);
    const [a, b] = set.mirrors as [Mirror, Mirror];
    s.begin(a);
    s.failed(a);
    assert.equal(s.next(set.mirrors)?.mirror, b);
    set.drop(b);
    assert.equal(s.next(set.mirrors), undefined, 'a has spent its budget, b is gone');
    const late = set.add('http://c/');
    assert.deepEqual(s.next(set.mirrors), { mirror: late, wait: 0, attempt: 1 });
    assert.equal(set.add('http://c'), late, 'the same base is the same mirror');
    assert.deepEqual(set.snapshot().map((m) => m.label), ['http://a/', 'http://c/']);
  });
});

describe('backoff and Retry-After', () => {
  test('exponential with equal jitter, capped', () => {
    const o = { min: 500, max: 10_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, o, () => 1)), [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert.deepEqual([1, 5].map((n) => backoffDelay(n, o, () => 0)), [250, 4000]);
  });
  test('seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    assert.equal(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1)), 30_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});

describe('redirect policy', () => {
  const u = (s: string) => new URL(s);
  test('https to http only when allowed; never to another scheme', () => {
    assert.match(redirectRefusal(u('https://a/x'), u('http://b/x'), false) ?? '', /https to http/);
    assert.equal(redirectRefusal(u('https://a/x'), u('http://b/x'), true), undefined);
    assert.equal(redirectRefusal(u('http://a/x'), u('https://b/x'), false), undefined);
    assert.match(redirectRefusal(u('http://a/x'), u('ftp://b/x'), true) ?? '', /another scheme/);
    assert.match(redirectRefusal(u('http://a/x'), u('file:///etc/passwd'), true) ?? '', /another scheme/);
  });
});

describe('targets and mirrors', () => {
  test('paths join every mirror base, segments percent-encoded as the server will decode them', () => {
    const m = new MirrorSet({ connectionsPerMirror: 1, cooldownAfter: 1, cooldown: 1 }, ['http://h/repo']).mirrors[0];
    assert.ok(m);
    const t = normalizeTarget('Packages/l/libstdc++-13 x.rpm');
    assert.equal(m.urlOf(t.segments).href, 'http://h/repo/Packages/l/libstdc++-13%20x.rpm');
    assert.equal(t.fileName, 'libstdc++-13 x.rpm');
  });
  test('a signed or token base keeps its query after the joined path; a fragment is dropped', () => {
    const set = new MirrorSet({ connectionsPerMirror: 1, cooldownAfter: 1, cooldown: 1 }, ['https://cdn.example/repo/?token=abc&expires=1700000000#frag', 'https://cdn.example/repo?sig=s%2Fx', 'https://h/r/?']);
    const [signed, noSlash, empty] = set.mirrors;
    assert.ok(signed && noSlash && empty);
    assert.equal(signed.urlOf(['Packages', 'a.rpm']).href, 'https://cdn.example/repo/Packages/a.rpm?token=abc&expires=1700000000');
    assert.equal(signed.urlOf(['repodata', 'repomd.xml']).href, 'https://cdn.example/repo/repodata/repomd.xml?token=abc&expires=1700000000');
    assert.equal(noSlash.urlOf(['Packages', 'a b.rpm']).href, 'https://cdn.example/repo/Packages/a%20b.rpm?sig=s%2Fx', 'the query exactly as given');
    assert.equal(empty.urlOf(['a.rpm']).href, 'https://h/r/a.rpm');
    assert.equal(signed.label, 'https://cdn.example/repo/?token=***&expires=1700000000');
    assert.throws(() => parseMirrorBase('file:///srv/repo/?x=1'), InvalidOptionError);
    assert.equal(set.add('https://cdn.example/repo/?token=abc&expires=1700000000'), signed, 'the same base is the same mirror');
    assert.notEqual(set.add('https://cdn.example/repo/?token=other'), signed, 'another token is another mirror');
  });
  test('a path that could escape the destination or the mirror is refused', () => {
    for (const bad of ['../x.rpm', 'a/../../x.rpm', '/etc/x.rpm', 'a//x.rpm', 'a/./x.rpm', '', 'dir/']) {
      assert.throws(() => normalizeTarget(bad), InvalidOptionError, bad);
    }
    assert.throws(() => normalizeTarget({ path: 'x.rpm', file: '../y.rpm' }), InvalidOptionError);
    assert.throws(() => parseMirrorBase('ftp://h/'), InvalidOptionError);
    assert.throws(() => parseMirrorBase('not a url'), InvalidOptionError);
  });
  test('an absolute URL target is its own source; its name comes from its path', () => {
    const t = normalizeTarget('https://kojipkgs.example/packages/a/1/1/src/a-1-1.src.rpm');
    assert.equal(t.url?.host, 'kojipkgs.example');
    assert.equal(t.fileName, 'a-1-1.src.rpm');
  });
  test('timeouts: defaults, and bad values refused', () => {
    assert.deepEqual(resolveTimeouts(), { connect: 10_000, response: 30_000, stall: 30_000, minRate: 1000, total: undefined });
    assert.equal(resolveTimeouts({ minRate: 0 }).minRate, 0);
    for (const bad of [{ connect: 0 }, { stall: -1 }, { total: Number.NaN }]) assert.throws(() => resolveTimeouts(bad), InvalidOptionError);
  });
});

describe('manifest', () => {
  test('JSON lines with optional size, sha256, integrity', () => {
    const t = parseManifest('{"path": "a.rpm", "size": 3, "sha256": "ab"}\n\n{"path": "b.rpm", "integrity": "sha512-x"}\n');
    assert.deepEqual(t, [
      { path: 'a.rpm', size: 3, checksum: { type: 'sha256', hex: 'ab' } },
      { path: 'b.rpm', integrity: 'sha512-x' },
    ]);
  });
  test('errors name the line', () => {
    for (const [text, pattern] of [
      ['{"path": 1}', /line 1: "path"/],
      ['{"path": "a"}\n[1]', /line 2: expected an object/],
      ['{"path": "a", "sha1": "x"}', /unknown field sha1/],
      ['{"path": "a", "sha256": "x", "integrity": "y"}', /not both/],
    ] as const) {
      assert.throws(() => parseManifest(text), (e: unknown) => e instanceof InvalidOptionError && pattern.test(e.message), text);
    }
  });
});

describe('stall detection', () => {
  const watch = (stall: number, minRate: number, heldUp?: () => boolean) => {
    let settle!: (e: Error | undefined) => void;
    const error = new Promise<Error | undefined>((resolve) => (settle = resolve));
    const monitor = new StallMonitor(stall, minRate, settle, heldUp);
    const body = { destroyed: false, write: (b: Buffer) => monitor.bytes(b.length), destroy: () => settle(undefined) };
    return { body, monitor, error };
  };

  test('no byte for the window: stalled', async () => {
    const { error } = watch(100, 0);
    const err = await error;
    assert.equal((err as Error & { code: string }).code, 'ERR_STALL');
    assert.match(err?.message ?? '', /no data/);
  });

  test('bytes below the minimum rate over the window: stalled; above it: never', async () => {
    const run = async (bytesPer20ms: number): Promise<Error | undefined> => {
      const { body, monitor, error } = watch(200, 10_000);
      let failed: Error | undefined;
      void error.then((e) => (failed = e));
      for (let i = 0; i < 30 && !failed && !body.destroyed; i++) {
        body.write(Buffer.alloc(bytesPer20ms));
        await new Promise((r) => setTimeout(r, 20));
      }
      monitor.stop();
      body.destroy();
      return error;
    };
    const slow = await run(20); // ~1 kB/s
    assert.match(slow?.message ?? '', /below the minimum of 10000 B\/s/);
    assert.equal(await run(2000), undefined); // ~100 kB/s
  });

  test('bytes held up on our side (slow disk) are not the mirror stalling', async () => {
    const { body, monitor, error } = watch(100, 0, () => true);
    let failed: Error | undefined;
    void error.then((e) => (failed = e));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(failed, undefined);
    monitor.stop();
    body.destroy();
  });
});
