/**
 * The kojipkgs shape: two nginx backends behind HAProxy, one URL for the builders. A batch runs while
 * one backend is stopped and started again; every target completes and every file is correct.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createDownloader } from '../src/index.js';
import { haproxyMissing, startHaproxy } from './helpers/haproxy.js';
import { nginxMissing, startNginx, type Nginx } from './helpers/nginx.js';
import { writePackage } from './helpers/rpm-writer.js';

const skip = nginxMissing() ?? haproxyMissing();

describe('kojipkgs: two nginx backends behind HAProxy', { skip }, () => {
  test('a batch survives a backend going down and coming back', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'rpmfetch-koji-'));
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const p = writePackage({ name: `koji${i}`, version: '2.0', release: `${i}.fc40`, arch: 'x86_64', payload: Buffer.alloc(600_000 + i * 1000, i) });
      const path = `packages/koji${i}/2.0/${i}.fc40/x86_64/${p.fileName}`;
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), p.bytes);
      files.set(path, p.bytes);
    }
    // Slow backends (about 2 s a file; nginx sends the first second's worth at once) keep the batch
    // running long enough for the outage to land in its middle.
    const limit = 'limit_rate 200k;';
    let a: Nginx = await startNginx(root, undefined, limit);
    const b = await startNginx(root, undefined, limit);
    const proxy = await startHaproxy([a.port, b.port]);
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-koji-dest-'));
    let done = 0;
    const outage: Promise<void>[] = [];
    const d = createDownloader({
      mirrors: [proxy.url],
      dest,
      reuse: false,
      retries: 5,
      timeouts: { stall: 2000, response: 3000, connect: 1000 },
      backoff: { min: 50, max: 300 },
      onEvent: (e) => {
        // Stop one backend while the second wave is mid-transfer (round robin put half of it there),
        // and bring it back a few files later.
        if (e.type === 'progress' && done >= 4 && outage.length === 0) outage.push(a.stop());
        if (e.type !== 'done') return;
        done++;
        if (done === 8) outage.push(startNginx(root, a.port, limit).then((n) => void (a = n)));
      },
    });
    try {
      const r = await d.downloadAll([...files.keys()]);
      await Promise.all(outage);
      assert.equal(r.succeeded, 12, r.items.filter((i) => !i.ok).map((i) => (i.ok ? '' : i.error.message)).join('\n'));
      const retried = r.items.filter((i) => i.ok && i.result.attempts.length > 1).length;
      assert.ok(done >= 8, 'the outage happened during the batch');
      for (const [path, bytes] of files) {
        assert.ok((await readFile(join(dest, path.split('/').pop() as string))).equals(bytes), path);
      }
      assert.equal((await readdir(dest)).length, 12, 'no temporary file left');
      assert.ok(retried > 0, 'the outage cut downloads in flight');
      t.diagnostic(`${retried} targets needed more than one attempt`);
    } finally {
      d.close();
      await proxy.stop();
      await a.stop();
      await b.stop();
    }
  });
});
