/**
 * Download lanes (the `lanes` option): the same guarantees as transfers on the Downloader's thread,
 * with the transfers held by worker threads: failover over faults, early stops from the headers,
 * events through to the end, nothing left behind on abort, and the worker module found from src/
 * under tsx (the package check runs it from dist/ and from the packed tarball).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDownloader, download, DownloadError, InvalidOptionError, type DownloadEvent, type DownloaderOptions } from '../src/index.js';
import { faults } from './helpers/fault-mirror.js';
import { mirrorPool } from './helpers/mirror-pool.js';
import { endless, rewriteSignatureTag, type Meter } from './helpers/hostile.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const original = readFileSync(join(FIXTURES, NAME));
const PATHS = Array.from({ length: 12 }, (_, i) => `p${i}/${NAME}`);

const mirror = mirrorPool(PATHS.map((p) => [p, original] as const));

const FAST: Partial<DownloaderOptions> = { lanes: 2, retries: 1, backoff: { min: 20, max: 50 }, timeouts: { connect: 1000, response: 1000, stall: 1000 }, hedge: false, reuse: false, concurrency: 4 };
const fresh = () => mkdtemp(join(tmpdir(), 'rpmfetch-lanes-'));

describe('download lanes', () => {
  test('a batch over a mirror with every kind of fault lands whole, each file verified', async () => {
    const bad = await mirror();
    const good = await mirror();
    const kinds = [faults.closeEarly(0.5), faults.flipByte(), faults.lyingLength(), faults.status(503), faults.chunkedCutOff(0.3), faults.stallMidBody(0.4)];
    PATHS.forEach((p, i) => bad.always(p, kinds[i % kinds.length] as ReturnType<typeof faults.flipByte>));
    const dest = await fresh();
    const d = createDownloader({ ...FAST, mirrors: [bad.url, good.url], dest });
    try {
      const result = await d.downloadAll(PATHS.map((path, i) => ({ path, file: `c${i}.rpm`, nevra: 'rpmfetch-hello-1.0-1.noarch' })));
      assert.equal(result.failed, 0, JSON.stringify(result.items.filter((i) => !i.ok)));
      for (const item of result.items) {
        assert.ok(item.ok);
        assert.equal(item.result.mirror, good.url);
        assert.ok((await readFile(item.result.file)).equals(original));
      }
      assert.deepEqual((await readdir(dest)).filter((n) => n.endsWith('.rpmfetch-part')), []);
    } finally {
      d.close();
    }
  });

  test('progress reaches the total before done, as on the main thread', async () => {
    const m = await mirror();
    const events: DownloadEvent[] = [];
    const r = await download(PATHS[0] as string, { ...FAST, mirrors: [m.url], dest: await fresh(), onEvent: (e) => events.push(e) });
    const progress = events.filter((e) => e.type === 'progress');
    const last = progress.at(-1);
    assert.ok(last?.type === 'progress');
    assert.equal(last.bytes, original.length);
    assert.equal(events.at(-1)?.type, 'done');
    assert.equal(r.rpm.nevra, 'rpmfetch-hello-1.0-1.noarch');
  });

  test('a SIZE rewritten to 4 GiB is refused from the headers inside a lane', async () => {
    const meter: Meter = { bytes: 0 };
    const m = await mirror();
    m.always('big.rpm', endless(rewriteSignatureTag(original, 1000, 0xffff_fff0), meter));
    const dest = await fresh();
    const err = await download('big.rpm', { ...FAST, retries: 0, mirrors: [m.url], dest }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DownloadError);
    assert.equal(err.attempts[0]?.code, 'ERR_RPM_SIZE_INVALID', err.message);
    assert.ok(meter.bytes < 16 * 1024 * 1024, `the mirror streamed ${meter.bytes} bytes`);
    assert.deepEqual(await readdir(dest), []);
  });

  test('a failed target leaves the file already at its destination as it was', async () => {
    const m = await mirror();
    m.always(PATHS[1] as string, faults.flipByte());
    const dest = await fresh();
    await writeFile(join(dest, 'mine.rpm'), 'my own bytes');
    const err = await download({ path: PATHS[1] as string, file: 'mine.rpm' }, { ...FAST, mirrors: [m.url], dest }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DownloadError);
    assert.equal(await readFile(join(dest, 'mine.rpm'), 'utf8'), 'my own bytes');
    assert.deepEqual((await readdir(dest)).sort(), ['mine.rpm']);
  });

  test('an abort mid-batch rejects every target and leaves no temporary file', async () => {
    const m = await mirror();
    for (const p of PATHS) m.always(p, faults.drip(20_000));
    const dest = await fresh();
    const controller = new AbortController();
    const d = createDownloader({ ...FAST, mirrors: [m.url], dest, signal: controller.signal });
    try {
      const batch = d.downloadAll(PATHS.map((path, i) => ({ path, file: `c${i}.rpm`, nevra: 'rpmfetch-hello-1.0-1.noarch' })));
      setTimeout(() => controller.abort(), 300);
      const result = await batch;
      assert.equal(result.succeeded, 0);
      for (const item of result.items) assert.ok(!item.ok && item.error.code === 'ERR_ABORTED', JSON.stringify(item));
      assert.deepEqual(await readdir(dest), []);
    } finally {
      d.close();
    }
  });

  test('a package verified in a lane enters the cache, and a later download is placed from it', async () => {
    const m = await mirror();
    const root = await fresh();
    const cache = join(root, 'cache');
    const first = await download(PATHS[2] as string, { ...FAST, mirrors: [m.url], dest: join(root, 'a'), cache });
    assert.equal(first.cached, false);
    const second = await download(PATHS[2] as string, { ...FAST, mirrors: [m.url], dest: join(root, 'b'), cache });
    assert.equal(second.cached, 'store');
    assert.ok((await readFile(second.file)).equals(original));
    assert.equal(m.requestsFor(PATHS[2] as string).length, 1);
  });

  test('lanes is a whole number of at most 16', () => {
    for (const lanes of [-1, 1.5, 17]) assert.throws(() => createDownloader({ mirrors: [], dest: '.', lanes }), InvalidOptionError);
  });
});
