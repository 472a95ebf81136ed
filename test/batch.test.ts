/**
 * Batches and Downloaders: limits on targets and connections, keep-alive reuse, shared mirror health
 * (cooldown, a dead mirror that comes back, hedging past a hanging mirror, politeness after 429),
 * per-target results, failFast, and running totals.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createDownloader, downloadAll, type BatchEvent, type DownloadEvent, type DownloaderOptions } from '../src/index.js';
import { blackHole, FaultMirror, faults } from './helpers/fault-mirror.js';
import { writePackage } from './helpers/rpm-writer.js';

/** `n` small real packages (the test's own writer), by path. */
function packages(n: number, payloadBytes = 20_000): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < n; i++) {
    const p = writePackage({ name: `pkg${i}`, version: '1.0', release: `${i}`, arch: 'x86_64', payload: Buffer.alloc(payloadBytes + i, i % 251) });
    out.set(`Packages/${p.fileName}`, p.bytes);
  }
  return out;
}

const FAST: Partial<DownloaderOptions> = {
  timeouts: { connect: 500, response: 1000, stall: 500, minRate: 0 },
  backoff: { min: 10, max: 50 },
  reuse: false,
};

let mirrors: FaultMirror[] = [];
async function mirror(files: Map<string, Buffer>): Promise<FaultMirror> {
  const m = await new FaultMirror().start();
  for (const [path, bytes] of files) m.files.set(path, bytes);
  mirrors.push(m);
  return m;
}
after(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
  mirrors = [];
});

async function assertAllGood(dest: string, files: Map<string, Buffer>): Promise<void> {
  const names = await readdir(dest);
  assert.equal(names.length, files.size, 'every file, and no temporary file');
  for (const [path, bytes] of files) {
    assert.ok((await readFile(join(dest, path.split('/').pop() as string))).equals(bytes), path);
  }
}

describe('batches', () => {
  test('at most `concurrency` targets in flight, every file verified, results in order', async () => {
    const files = packages(12);
    const m = await mirror(files);
    m.always('*', faults.drip(400_000));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const r = await downloadAll([...files.keys()], { ...FAST, mirrors: [m.url], dest, concurrency: 3 });
    assert.equal(r.succeeded, 12);
    assert.equal(r.failed, 0);
    assert.deepEqual(r.items.map((i) => i.target), [...files.keys()]);
    assert.ok(m.maxActive <= 3, `${m.maxActive} requests at once`);
    assert.equal(m.maxActive, 3);
    await assertAllGood(dest, files);
  });

  test('at most `connectionsPerMirror` requests per mirror; the rest go to the next mirror', async () => {
    const files = packages(12);
    const a = await mirror(files);
    const b = await mirror(files);
    a.always('*', faults.drip(400_000));
    b.always('*', faults.drip(400_000));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const r = await downloadAll([...files.keys()], { ...FAST, mirrors: [a.url, b.url], dest, concurrency: 6, connectionsPerMirror: 3 });
    assert.equal(r.succeeded, 12);
    assert.ok(a.maxActive <= 3 && b.maxActive <= 3, `${a.maxActive} and ${b.maxActive} at once`);
    assert.ok(b.log.length > 0, 'the second mirror took the overflow');
  });

  test('keep-alive connections are reused across targets', async () => {
    const files = packages(10);
    const m = await mirror(files);
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const d = createDownloader({ ...FAST, mirrors: [m.url], dest, concurrency: 1 });
    try {
      for (const path of files.keys()) await d.download(path);
    } finally {
      d.close();
    }
    assert.equal(m.log.length, 10);
    assert.equal(m.connections, 1, `${m.connections} TCP connections for 10 requests`);
  });

  test('one failing target does not stop the rest; each item says what happened', async () => {
    const files = packages(6);
    const m = await mirror(files);
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const targets = [...files.keys()];
    targets.splice(2, 0, 'Packages/missing-1.0-1.x86_64.rpm');
    const r = await downloadAll(targets, { ...FAST, mirrors: [m.url], dest });
    assert.equal(r.succeeded, 6);
    assert.equal(r.failed, 1);
    const bad = r.items[2];
    assert.ok(bad && !bad.ok);
    assert.equal(bad.error.code, 'ERR_ALL_MIRRORS_FAILED');
    await assertAllGood(dest, files);
  });

  test('failFast stops the rest at the first failure', async () => {
    const files = packages(8);
    const m = await mirror(files);
    m.always('*', faults.drip(50_000));
    m.files.delete([...files.keys()][0] as string);
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const r = await downloadAll([...files.keys()], { ...FAST, mirrors: [m.url], dest, concurrency: 2, failFast: true });
    assert.ok(r.failed >= 2, `${r.failed} failed`);
    assert.ok(r.items.some((i) => !i.ok && i.error.code === 'ERR_ABORTED'));
    const leftovers = (await readdir(dest)).filter((n) => n.endsWith('.rpmfetch-part'));
    assert.deepEqual(leftovers, []);
  });

  test('with every size known the largest packages start first (one slot from the small end when there are two or more); otherwise the order given; results keep the order given', async () => {
    const files = new Map<string, Buffer>();
    const payloads = [5_000, 90_000, 20_000, 60_000, 1_000, 120_000];
    payloads.forEach((n, i) => {
      const p = writePackage({ name: `sized${i}`, version: '1.0', release: '1', arch: 'x86_64', payload: Buffer.alloc(n, i + 1) });
      files.set(`Packages/${p.fileName}`, p.bytes);
    });
    const m = await mirror(files);
    const paths = [...files.keys()];
    const bySize = [...paths].sort((a, b) => (files.get(b)?.length ?? 0) - (files.get(a)?.length ?? 0));
    // One slot: the mirror's log is the start order.
    const sized = paths.map((path) => ({ path, size: files.get(path)?.length ?? 0 }));
    const r = await downloadAll(sized, { ...FAST, mirrors: [m.url], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-batch-')), concurrency: 1 });
    assert.equal(r.succeeded, 6);
    assert.deepEqual(r.items.map((i) => i.target), paths);
    assert.deepEqual(m.log.map((e) => e.path.replace(/^\//, '')), bySize);

    m.log.length = 0;
    // Two slots: one starts the largest, the other works from the small end; the rest meet in the middle.
    const r3 = await downloadAll(sized, { ...FAST, mirrors: [m.url], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-batch-')), concurrency: 2 });
    assert.equal(r3.succeeded, 6);
    assert.deepEqual(r3.items.map((i) => i.target), paths);
    const started = m.log.map((e) => e.path.replace(/^\//, ''));
    assert.deepEqual(new Set(started.slice(0, 2)), new Set([bySize[0], bySize.at(-1)]));
    assert.deepEqual(new Set(started), new Set(paths));

    m.log.length = 0;
    // One target without a size: the caller's order stands.
    const mixed = sized.map((t, i) => (i === 4 ? t.path : t));
    const r2 = await downloadAll(mixed, { ...FAST, mirrors: [m.url], dest: await mkdtemp(join(tmpdir(), 'rpmfetch-batch-')), concurrency: 1 });
    assert.equal(r2.succeeded, 6);
    assert.deepEqual(r2.items.map((i) => i.target), paths);
    assert.deepEqual(m.log.map((e) => e.path.replace(/^\//, '')), paths);
  });

  test('running totals: batch events count every target and byte', async () => {
    const files = packages(8);
    const m = await mirror(files);
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const events: DownloadEvent[] = [];
    const r = await downloadAll([...files.keys()], { ...FAST, mirrors: [m.url], dest, onEvent: (e) => events.push(e) });
    const last = events.filter((e): e is BatchEvent => e.type === 'batch').at(-1);
    assert.ok(last);
    assert.deepEqual([last.total, last.done, last.failed, last.inFlight], [8, 8, 0, 0]);
    assert.equal(last.bytes, r.bytes);
    assert.equal(events.filter((e) => e.type === 'queued').length, 8);
    assert.equal(events.filter((e) => e.type === 'done').length, 8);
  });
});

describe('shared mirror health', () => {
  test('a mirror that dies mid-batch cools down instead of being asked once per target, and serves again when back', async () => {
    const files = packages(60, 5_000);
    const a = await mirror(files);
    const b = await mirror(files);
    a.always('*', faults.drip(50_000));
    b.always('*', faults.drip(50_000));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const port = a.port;
    let finished = 0;
    let diedAt = 0;
    const d = createDownloader({ ...FAST, mirrors: [a.url, b.url], dest, concurrency: 2, cooldown: 800 });
    const result = await d.downloadAll([...files.keys()], {
      onEvent: (e) => {
        if (e.type !== 'done') return;
        finished++;
        if (finished === 10) {
          diedAt = finished;
          void a.stop();
        }
        if (finished === 25) void a.start(port);
      },
    });
    d.close();
    assert.ok(diedAt > 0);
    assert.equal(result.succeeded, 60);
    const attempts = result.items.flatMap((i) => (i.ok ? i.result.attempts : []));
    const failedOnA = attempts.filter((at) => at.mirror === a.url && at.code !== 'OK');
    // 50 targets remained when it died: it is tried by the targets in flight and until its cooldown,
    // then left alone.
    assert.ok(failedOnA.length <= 3 + 2 + 2, `the dead mirror failed ${failedOnA.length} attempts`);
    const servedByA = result.items.filter((i) => i.ok && i.result.mirror === a.url).map((i) => result.items.indexOf(i));
    assert.ok(servedByA.some((i) => i >= 25), 'back and out of cooldown, it serves again');
    await assertAllGood(dest, files);
  });

  test('every mirror cooling: the least bad still serves, no dead end', async () => {
    const files = packages(6);
    const a = await mirror(files);
    const b = await mirror(files);
    a.fault('*', faults.status(500), faults.status(500), faults.status(500));
    b.fault('*', faults.status(500), faults.status(500), faults.status(500));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const r = await downloadAll([...files.keys()], { ...FAST, mirrors: [a.url, b.url], dest, concurrency: 1, cooldownAfter: 1, cooldown: 60_000, retries: 3 });
    assert.equal(r.succeeded, 6);
  });

  test('a mirror that accepts and never answers costs the batch one hedge delay, not one timeout per target', async () => {
    const hole = await blackHole();
    const files = packages(20);
    const good = await mirror(files);
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    try {
      const t0 = performance.now();
      const r = await downloadAll([...files.keys()], { mirrors: [hole.url, good.url], dest, reuse: false, hedge: 300 });
      const took = performance.now() - t0;
      assert.equal(r.succeeded, 20);
      assert.ok(hole.accepted() <= 4, `${hole.accepted()} connections to the hanging mirror`);
      assert.ok(took < 30_000, 'far less than the 30 s response timeout');
      const lost = r.items.flatMap((i) => (i.ok ? i.result.attempts : [])).filter((a) => a.code === 'ERR_HEDGE_LOST');
      assert.ok(lost.length >= 1 && lost.length <= 4, `${lost.length} hedges lost`);
    } finally {
      await hole.close();
    }
  });

  test('429 with Retry-After: fewer connections to that mirror and no new request before the time it gave', async () => {
    const files = packages(8);
    const m = await mirror(files);
    m.fault('*', faults.status(429, '1'));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const d = createDownloader({ ...FAST, mirrors: [m.url], dest, concurrency: 4, connectionsPerMirror: 4 });
    try {
      const t0 = Date.now();
      const r = await d.downloadAll([...files.keys()]);
      assert.equal(r.succeeded, 8);
      assert.ok(Date.now() - t0 >= 950, 'waited for Retry-After');
      assert.ok((d.mirrors()[0]?.limit ?? 4) < 4, 'its concurrency was lowered');
    } finally {
      d.close();
    }
  });

  test('a Downloader used from many places keeps one limit on targets in flight', async () => {
    const files = packages(9);
    const m = await mirror(files);
    m.always('*', faults.drip(400_000));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const d = createDownloader({ ...FAST, mirrors: [m.url], dest, concurrency: 2 });
    try {
      const paths = [...files.keys()];
      await Promise.all([d.downloadAll(paths.slice(0, 3)), d.downloadAll(paths.slice(3, 6)), ...paths.slice(6).map((p) => d.download(p))]);
    } finally {
      d.close();
    }
    assert.equal(m.maxActive, 2);
    await assertAllGood(dest, files);
  });
});

describe('process lifetime', () => {
  test('a script that ran a batch exits by itself (idle hash workers and connections hold nothing)', async () => {
    const { spawn } = await import('node:child_process');
    const files = packages(3);
    const m = await mirror(files);
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-batch-'));
    const script = `
      import { downloadAll } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
      const r = await downloadAll(${JSON.stringify([...files.keys()])}, { mirrors: [${JSON.stringify(m.url)}], dest: ${JSON.stringify(dest)}, offload: true });
      console.log(r.succeeded); for (const i of r.items) if (!i.ok) console.error(i.error.message);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve(null);
      }, 15_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, 'exited on its own');
    assert.equal(out.trim(), '3');
  });
});
