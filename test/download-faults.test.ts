/**
 * download() against a fault-injecting mirror: every fault with one mirror and with a healthy second
 * mirror. Each test asserts that the final file is byte-identical to the original or, where no good
 * copy exists, that the error lists every attempt and the destination holds nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, DownloadError, type DownloadEvent, type DownloadOptions, type DownloadResult } from '../src/index.js';
import { blackHole, FaultMirror, faults, refusedUrl, type Fault } from './helpers/fault-mirror.js';
import { layoutOf } from './helpers/layout.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const SRC = 'rpmfetch-tools-2.1-3.fc40.src.rpm';
const OTHER = 'rpmfetch-data-0.9-7.noarch.rpm';
const PATH = `Packages/${NAME}`;
const original = readFileSync(join(FIXTURES, NAME));
const source = readFileSync(join(FIXTURES, SRC));
const other = readFileSync(join(FIXTURES, OTHER));

/** Short limits so that every timeout fires within a fraction of a second. */
const FAST: Partial<DownloadOptions> = {
  retries: 2,
  timeouts: { connect: 500, response: 500, stall: 300, minRate: 20_000 },
  backoff: { min: 10, max: 40 },
  reuse: false,
};

let mirrors: FaultMirror[] = [];
async function mirror(): Promise<FaultMirror> {
  const m = await new FaultMirror().start();
  m.files.set(PATH, original);
  m.files.set(`SRPMS/${SRC}`, source);
  mirrors.push(m);
  return m;
}

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rpmfetch-dl-'));
}

async function get(dest: string, urls: string[], extra: Partial<DownloadOptions> = {}, path = PATH): Promise<DownloadResult> {
  return download(path, { ...FAST, ...extra, mirrors: urls, dest });
}

async function assertGood(result: DownloadResult, dest: string, expected = original, name = NAME): Promise<void> {
  assert.equal(result.file, join(dest, name));
  assert.ok((await readFile(result.file)).equals(expected), 'the file is byte-identical to the original');
  assert.deepEqual(await readdir(dest), [name], 'only the file, no temporary file');
  assert.equal(result.cached, false);
  assert.equal(result.attempts.at(-1)?.code, 'OK');
}

async function assertFailed(promise: Promise<unknown>, dest: string, check: (e: DownloadError) => void): Promise<DownloadError> {
  let caught: unknown;
  await promise.catch((e: unknown) => (caught = e));
  assert.ok(caught instanceof DownloadError, `expected a DownloadError, got ${String(caught)}`);
  const err = caught as DownloadError;
  assert.equal(err.code, 'ERR_ALL_MIRRORS_FAILED');
  for (const a of err.attempts) {
    assert.ok(a.mirror && a.url && a.attempt >= 1 && a.phase && a.code && a.cause && a.duration >= 0 && a.bytes >= 0, JSON.stringify(a));
    assert.ok(err.message.includes(a.code), 'the message lists every attempt');
  }
  assert.deepEqual(await readdir(dest), [], 'nothing at the destination, no temporary file');
  check(err);
  return err;
}

after(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
  mirrors = [];
});

/** Faults that a retry on the same mirror (or a resume) gets past. */
const transient: Array<[string, Fault, string]> = [
  ['sends headers then hangs', faults.headersThenHang(), 'ERR_STALL'],
  ['stalls mid-body', faults.stallMidBody(0.5), 'ERR_STALL'],
  ['drips below the minimum rate', faults.drip(4_000), 'ERR_STALL'],
  ['closes early with Content-Length', faults.closeEarly(0.5), 'ERR_BODY_TRUNCATED'],
  ['closes early without Content-Length', faults.closeEarlyNoLength(0.5), 'ERR_BODY_TRUNCATED'],
  ['cuts a chunked body off', faults.chunkedCutOff(0.5), 'ERR_BODY_TRUNCATED'],
  ['sends a short body behind a matching short Content-Length', faults.lyingLength(3000), 'ERR_BODY_TRUNCATED'],
  ['answers 500', faults.status(500), 'ERR_HTTP_STATUS'],
  ['answers 503', faults.status(503), 'ERR_HTTP_STATUS'],
  ['answers 429', faults.status(429), 'ERR_HTTP_STATUS'],
  ['resets the connection', faults.reset(0.3), 'ERR_CONNECTION_RESET'],
  ['accepts and never answers', faults.noAnswer(), 'ERR_RESPONSE_TIMEOUT'],
];

describe('transient faults, one mirror: retried on the same mirror (and resumed) until whole', () => {
  for (const [what, fault, code] of transient) {
    test(what, async () => {
      const m = await mirror();
      m.fault(PATH, fault);
      const dest = await freshDir();
      const result = await get(dest, [m.url]);
      await assertGood(result, dest);
      assert.equal(result.attempts[0]?.code, code, JSON.stringify(result.attempts[0]));
      assert.equal(result.attempts.length, 2);
      assert.ok(result.attempts.every((a) => a.mirror === m.url), 'retried on the lone mirror');
    });
  }
});

describe('transient faults that persist, one mirror: every attempt used, then an error naming each', () => {
  for (const [what, fault, code] of transient) {
    test(what, async () => {
      const m = await mirror();
      m.always(PATH, fault);
      const dest = await freshDir();
      await assertFailed(get(dest, [m.url]), dest, (err) => {
        assert.equal(err.attempts.length, 3, 'three attempts per mirror by default');
        assert.deepEqual(err.attempts.map((a) => a.attempt), [1, 2, 3]);
        assert.equal(err.attempts[0]?.code, code);
      });
    });
  }
});

describe('every fault on the first mirror, a healthy second mirror: the file comes whole', () => {
  const all: Array<[string, Fault]> = [
    ...transient.map(([w, f]) => [w, f] as [string, Fault]),
    ['answers 404', faults.status(404)],
    ['answers 410', faults.status(410)],
    ['flips one byte', faults.flipByte()],
    ["serves another package's bytes", faults.otherBytes(other)],
    ['loops redirects', faults.redirectLoop()],
  ];
  for (const [what, fault] of all) {
    test(what, async () => {
      const bad = await mirror();
      const good = await mirror();
      bad.always(PATH, fault);
      const dest = await freshDir();
      const result = await get(dest, [bad.url, good.url]);
      await assertGood(result, dest);
      assert.equal(result.attempts.at(-1)?.mirror, good.url);
      assert.equal(result.attempts[0]?.mirror, bad.url);
    });
  }

  test('connection refused', async () => {
    const good = await mirror();
    const dest = await freshDir();
    const refused = await refusedUrl();
    const result = await get(dest, [refused, good.url]);
    await assertGood(result, dest);
    assert.equal(result.attempts[0]?.code, 'ERR_CONNECT');
    assert.equal(result.attempts[0]?.phase, 'connect');
  });

  test('accepts the TCP connection and never reads it', async () => {
    const hole = await blackHole();
    const good = await mirror();
    const dest = await freshDir();
    try {
      const result = await get(dest, [hole.url, good.url]);
      await assertGood(result, dest);
      assert.equal(result.attempts[0]?.code, 'ERR_RESPONSE_TIMEOUT');
    } finally {
      await hole.close();
    }
  });
});

describe('content that is wrong: the mirror is done for the target at once', () => {
  for (const [what, fault, code] of [
    ['one flipped byte', faults.flipByte(), 'ERR_RPM_DIGEST_MISMATCH'],
    ["another package's bytes under the name", faults.otherBytes(other), 'ERR_NEVRA_MISMATCH'],
    ['an HTML error page with 200', (ctx: Parameters<Fault>[0]) => ctx.serve(Buffer.from('<html>proxy error</html>')), 'ERR_RPM_BAD_MAGIC'],
    ['404', faults.status(404), 'ERR_NOT_FOUND'],
    ['410', faults.status(410), 'ERR_NOT_FOUND'],
    ['a redirect loop', faults.redirectLoop(), 'ERR_REDIRECT_LOOP'],
    ['a redirect to another scheme', faults.redirect('ftp://127.0.0.1/x.rpm'), 'ERR_REDIRECT_REFUSED'],
  ] as Array<[string, Fault, string]>) {
    test(`${what}: one attempt, then the error`, async () => {
      const m = await mirror();
      m.always(PATH, fault);
      const dest = await freshDir();
      await assertFailed(get(dest, [m.url]), dest, (err) => {
        assert.equal(err.attempts.length, 1, `only one attempt: ${JSON.stringify(err.attempts)}`);
        assert.equal(err.attempts[0]?.code, code);
      });
    });
  }
});

describe('resume', () => {
  test('after a cut-off body the next attempt asks for the rest, and hashing goes on where it stopped', async () => {
    const m = await mirror();
    m.fault(PATH, faults.stallMidBody(0.6));
    const dest = await freshDir();
    const result = await get(dest, [m.url]);
    await assertGood(result, dest);
    const [first, second] = m.requestsFor(PATH);
    assert.equal(first?.range, undefined);
    assert.match(second?.range ?? '', /^bytes=\d+-$/);
    assert.equal(result.attempts[1]?.offset, Number(/\d+/.exec(second?.range ?? '')?.[0]));
    assert.ok((result.attempts[1]?.offset ?? 0) > 0);
  });

  test('after a dropped connection too: the bytes that arrived are kept', async () => {
    const m = await mirror();
    m.fault(PATH, faults.closeEarly(0.6));
    const dest = await freshDir();
    const result = await get(dest, [m.url]);
    await assertGood(result, dest);
    assert.match(m.requestsFor(PATH)[1]?.range ?? '', /^bytes=\d+-$/);
    assert.equal(result.attempts[0]?.bytes, result.attempts[1]?.offset);
  });

  test('resumes across mirrors: the second mirror serves only the rest', async () => {
    const a = await mirror();
    const b = await mirror();
    a.always(PATH, faults.stallMidBody(0.7));
    const dest = await freshDir();
    const result = await get(dest, [a.url, b.url]);
    await assertGood(result, dest);
    assert.match(b.requestsFor(PATH)[0]?.range ?? '', /^bytes=\d+-$/);
  });

  test('a 200 to a Range request restarts from zero', async () => {
    const m = await mirror();
    m.fault(PATH, faults.closeEarly(0.5), faults.ignoreRange());
    const dest = await freshDir();
    const result = await get(dest, [m.url]);
    await assertGood(result, dest);
    assert.equal(m.requestsFor(PATH)[1]?.status, 200);
  });

  test('a wrong Content-Range is refused; the held bytes stay good for the next attempt', async () => {
    const m = await mirror();
    m.fault(PATH, faults.stallMidBody(0.5), faults.wrongContentRange());
    const dest = await freshDir();
    const result = await get(dest, [m.url]);
    await assertGood(result, dest);
    assert.deepEqual(result.attempts.map((a) => a.code), ['ERR_STALL', 'ERR_BAD_CONTENT_RANGE', 'OK']);
    assert.ok((result.attempts[2]?.offset ?? 0) > 0, 'the third attempt resumed');
  });

  test('a resumed file that fails verification is fetched once more from zero before the mirror is given up', async () => {
    const m = await mirror();
    // The first half is served flipped and the rest is resumed: only a fetch from zero can succeed.
    m.fault(PATH, (ctx) => {
      const flipped = Buffer.from(original);
      const at = layoutOf(original).payload[0] + 100;
      flipped[at] = (flipped[at] as number) ^ 1;
      faults.stallMidBody(0.5)({ ...ctx, body: flipped });
    });
    const dest = await freshDir();
    const result = await get(dest, [m.url], { retries: 1 });
    await assertGood(result, dest);
    assert.deepEqual(result.attempts.map((a) => a.code), ['ERR_STALL', 'ERR_RPM_DIGEST_MISMATCH', 'OK']);
    assert.equal(result.attempts[2]?.offset, 0);
    assert.equal(m.requestsFor(PATH)[2]?.range, undefined);
  });
});

describe('timeouts and rates', () => {
  test('a slow transfer that keeps above the minimum rate is never killed', async () => {
    const m = await mirror();
    m.always(PATH, faults.drip(60_000));
    const dest = await freshDir();
    const result = await get(dest, [m.url]);
    await assertGood(result, dest);
    assert.equal(result.attempts.length, 1);
    assert.ok((result.attempts[0]?.duration ?? 0) > 300, 'longer than the stall window');
  });

  test('fails the first K requests, then succeeds on the same mirror', async () => {
    const m = await mirror();
    m.fault(PATH, faults.status(503), faults.status(500));
    const dest = await freshDir();
    const result = await get(dest, [m.url]);
    await assertGood(result, dest);
    assert.deepEqual(result.attempts.map((a) => a.status), [503, 500, 200]);
  });

  for (const status of [429, 503]) {
    test(`${status} with Retry-After: the mirror is not asked again before the time it gave`, async () => {
      const m = await mirror();
      m.fault(PATH, faults.status(status, '1'));
      const dest = await freshDir();
      const t0 = Date.now();
      const result = await get(dest, [m.url]);
      await assertGood(result, dest);
      assert.equal(result.attempts[0]?.retryAfter, 1000);
      assert.equal(result.attempts[0]?.status, status);
      assert.ok(Date.now() - t0 >= 950, 'waited for Retry-After');
    });
  }

  test('a Retry-After beyond the limit gives the mirror up for the target; the next one serves', async () => {
    const a = await mirror();
    const b = await mirror();
    a.always(PATH, faults.status(503, '3600'));
    const dest = await freshDir();
    const result = await get(dest, [a.url, b.url]);
    await assertGood(result, dest);
    assert.equal(a.requestsFor(PATH).length, 1);
  });

  test('the total limit stops the download with ERR_TOTAL_TIMEOUT and leaves nothing', async () => {
    const m = await mirror();
    m.always(PATH, faults.drip(60_000));
    const dest = await freshDir();
    const err = await get(dest, [m.url], { timeouts: { ...FAST.timeouts, total: 150 } }).catch((e: unknown) => e);
    assert.ok(err instanceof DownloadError);
    assert.equal(err.code, 'ERR_TOTAL_TIMEOUT');
    assert.deepEqual(await readdir(dest), []);
  });
});

describe('cancellation', () => {
  test('an AbortSignal stops the download within 100 ms and leaves no temporary file', async () => {
    const m = await mirror();
    m.always(PATH, faults.drip(20_000));
    const dest = await freshDir();
    const controller = new AbortController();
    let abortedAt = 0;
    const events: DownloadEvent[] = [];
    const promise = get(dest, [m.url], {
      signal: controller.signal,
      timeouts: { minRate: 0, stall: 5000 },
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress' && !abortedAt) {
          abortedAt = performance.now();
          controller.abort();
        }
      },
    });
    const err = await promise.catch((e: unknown) => e);
    const took = performance.now() - abortedAt;
    assert.ok(err instanceof DownloadError);
    assert.equal(err.code, 'ERR_ABORTED');
    assert.ok(took < 100, `stopped ${took.toFixed(0)} ms after the abort`);
    assert.deepEqual(await readdir(dest), []);
  });
});

describe('with only a path (koji .src.rpm): the package itself refuses short, corrupt and wrong files', () => {
  const path = `SRPMS/${SRC}`;
  test('short body behind a matching Content-Length: resumed to the whole', async () => {
    const m = await mirror();
    m.fault(path, faults.lyingLength(5000));
    const dest = await freshDir();
    const result = await get(dest, [m.url], {}, path);
    await assertGood(result, dest, source, SRC);
    assert.equal(result.rpm.source, true);
  });
  test('short body on every request: refused', async () => {
    const m = await mirror();
    m.always(path, faults.lyingLength(5000));
    const dest = await freshDir();
    await assertFailed(get(dest, [m.url], {}, path), dest, (err) => assert.ok(err.attempts.every((a) => a.code !== 'OK')));
  });
  test('a flipped byte and a wrong package: refused', async () => {
    for (const fault of [faults.flipByte(), faults.otherBytes(other)]) {
      const m = await mirror();
      m.always(path, fault);
      const dest = await freshDir();
      await assertFailed(get(dest, [m.url], {}, path), dest, () => {});
    }
  });
});

describe('placement', () => {
  test('an existing file that verifies is used as is (cached)', async () => {
    const m = await mirror();
    const dest = await freshDir();
    await writeFile(join(dest, NAME), original);
    const result = await get(dest, [m.url], { reuse: true });
    assert.equal(result.cached, true);
    assert.equal(result.attempts.length, 0);
    assert.equal(m.log.length, 0, 'no request made');
  });

  test('an existing bad file is replaced by a verified copy', async () => {
    const m = await mirror();
    const dest = await freshDir();
    await writeFile(join(dest, NAME), original.subarray(0, 1000));
    const result = await get(dest, [m.url], { reuse: true });
    await assertGood(result, dest);
  });

  test('an existing bad file stays as it was when no good copy arrives, and the error says so', async () => {
    const m = await mirror();
    m.always(PATH, faults.status(404));
    const dest = await freshDir();
    await writeFile(join(dest, NAME), original.subarray(0, 1000));
    const err = await get(dest, [m.url], { reuse: true }).catch((e: unknown) => e);
    assert.ok(err instanceof DownloadError);
    assert.deepEqual(await readdir(dest), [NAME]);
    assert.equal((await readFile(join(dest, NAME))).length, 1000);
    assert.equal(err.existing?.verdict.error?.code, 'ERR_RPM_TRUNCATED');
  });

  test('the destination name comes from the target, never from a redirect', async () => {
    const a = await mirror();
    const b = await mirror();
    b.files.set('elsewhere/renamed.rpm', original);
    a.always(PATH, faults.redirect(`${b.url}elsewhere/renamed.rpm`));
    const dest = await freshDir();
    const result = await get(dest, [a.url]);
    await assertGood(result, dest);
    assert.equal(result.url, `${b.url}elsewhere/renamed.rpm`);
  });

  test('file:// mirrors, missing file then a resumable one', async () => {
    const good = await freshDir();
    const empty = await freshDir();
    await writeFile(join(good, NAME), original);
    const dest = await freshDir();
    const result = await download(NAME, { ...FAST, mirrors: [`file://${empty}`, `file://${good}/`], dest });
    await assertGood(result, dest);
    assert.equal(result.attempts[0]?.code, 'ERR_NOT_FOUND');
  });
});

describe('API edges', () => {
  test('a listener that throws does not break the download', async () => {
    const m = await mirror();
    m.fault(PATH, faults.status(503));
    const dest = await freshDir();
    const result = await get(dest, [m.url], {
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    await assertGood(result, dest);
  });

  test('malformed options reject (never throw synchronously) before any request', async () => {
    const m = await mirror();
    const dest = await freshDir();
    const bad = [
      () => download(PATH, { mirrors: ['gopher://x/'], dest }),
      () => download('../x.rpm', { mirrors: [m.url], dest }),
      () => download(PATH, { mirrors: [m.url], dest, retries: -1 }),
      () => download({ path: PATH, integrity: 'nonsense' }, { mirrors: [m.url], dest }),
    ];
    for (const call of bad) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = call();
      });
      await assert.rejects(promise as Promise<unknown>, (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'ERR_INVALID_OPTION');
    }
    assert.equal(m.log.length, 0);
  });
});
