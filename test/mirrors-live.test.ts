/**
 * Mirrors are values a Downloader learns and drops while it runs (a metalink read mid-batch, a mirror
 * an operator takes out), and targets may carry their own.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDownloader, InvalidOptionError, type DownloaderOptions } from '../src/index.js';
import { faults } from './helpers/fault-mirror.js';
import { mirrorPool } from './helpers/mirror-pool.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const original = readFileSync(join(FIXTURES, NAME));
/** Thirty copies of the package under their own directories: thirty targets with one name each. */
const PATHS = Array.from({ length: 30 }, (_, i) => `p${i}/${NAME}`);

const mirror = mirrorPool(PATHS.map((p) => [p, original] as const));

const FAST: Partial<DownloaderOptions> = { retries: 1, backoff: { min: 20, max: 50 }, timeouts: { connect: 1000, response: 1000, stall: 1000 }, hedge: false, reuse: false, concurrency: 3 };
/** The thirty targets, each to its own destination name, checked by NEVRA. */
const TARGETS = PATHS.map((path, i) => ({ path, file: `copy${i}.rpm`, nevra: 'rpmfetch-hello-1.0-1.noarch' }));

describe('mirrors learned and dropped while a batch runs', () => {
  test('a mirror added mid-batch serves the rest of it, running downloads included', async () => {
    const dead = await mirror();
    for (const p of PATHS) dead.always(p, faults.status(503, '5'));
    const good = await mirror();
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-live-'));
    const d = createDownloader({ ...FAST, mirrors: [dead.url], dest, maxRetryAfter: 60_000 });
    try {
      // Every target waits on the dead mirror's Retry-After; the good mirror arrives meanwhile.
      const batch = d.downloadAll(TARGETS);
      await new Promise((r) => setTimeout(r, 200));
      d.addMirror(good.url);
      const result = await batch;
      assert.equal(result.failed, 0, JSON.stringify(result.items.filter((i) => !i.ok)));
      for (const item of result.items) {
        assert.ok(item.ok);
        assert.equal(item.result.mirror, good.url);
        assert.ok((await readFile(item.result.file)).equals(original));
      }
      assert.deepEqual(d.mirrors().map((m) => m.label), [dead.url, good.url]);
    } finally {
      d.close();
    }
  });

  test('a dropped mirror gets no new attempt; the requests it had finish', async () => {
    const a = await mirror();
    const b = await mirror();
    for (const p of PATHS) a.always(p, faults.drip(400_000));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-live-'));
    const d = createDownloader({ ...FAST, mirrors: [a.url, b.url], dest });
    try {
      let dropped = false;
      let requestsAtDrop = 0;
      const batch = d.downloadAll(
        TARGETS,
        {
          onEvent: (e) => {
            if (e.type === 'done' && !dropped) {
              dropped = true;
              requestsAtDrop = a.log.length;
              assert.equal(d.dropMirror(a.url), true);
            }
          },
        },
      );
      const result = await batch;
      assert.equal(result.failed, 0);
      assert.ok(dropped);
      assert.equal(a.log.length, requestsAtDrop, 'no request went to the dropped mirror after the drop');
      assert.ok(result.items.filter((i) => i.ok && i.result.mirror === b.url).length >= 20, 'the rest came from the other mirror');
      assert.deepEqual(d.mirrors().map((m) => m.label), [b.url]);
      assert.equal(d.dropMirror(a.url), false, 'dropping it again changes nothing');
    } finally {
      d.close();
    }
  });

  test('a target with its own mirrors uses them, not the Downloader\'s', async () => {
    const shared = await mirror();
    const own = await mirror();
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-live-'));
    const d = createDownloader({ ...FAST, mirrors: [shared.url], dest });
    try {
      const r = await d.download({ path: PATHS[0] as string, mirrors: [own.url] });
      assert.equal(r.mirror, own.url);
      assert.equal(shared.log.length, 0);
      await d.download({ path: PATHS[1] as string });
      assert.equal(shared.log.length, 1);
      assert.throws(() => d.addMirror('ftp://nope/'), InvalidOptionError);
    } finally {
      d.close();
    }
  });
});
