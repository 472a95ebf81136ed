/**
 * One package store shared by several processes at once: each package is downloaded once, whoever wants
 * it too waits and takes it from the store, and a process killed while downloading holds no one up.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startBuild } from './helpers/cache-child.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { writePackage } from './helpers/rpm-writer.js';


const mirrors: FaultMirror[] = [];
after(async () => Promise.all(mirrors.map((m) => m.close())));

function packages(n: number, prefix: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < n; i++) {
    const p = writePackage({ name: `${prefix}${i}`, payload: randomBytes(1000 + i * 37) });
    out.set(`Packages/${p.fileName}`, p.bytes);
  }
  return out;
}

/** Every content file of the store holds the bytes its SHA-256 address names. */
async function assertStoreWhole(cache: string): Promise<number> {
  let n = 0;
  const root = join(cache, 'content');
  for (const name of await readdir(root)) {
    const hex = createHash('sha256').update(await readFile(join(root, name))).digest('hex');
    assert.equal(hex, name, 'a content file holds the bytes its name says');
    n++;
  }
  return n;
}

describe('a store shared by processes', () => {
  test('8 processes placing the same 100 packages and 5 of their own each: every file right, each package served once', async () => {
    const pkgs = packages(100, 'shared');
    const own = Array.from({ length: 8 }, (_, i) => packages(5, `own${i}x`));
    const m = await new FaultMirror().start();
    mirrors.push(m);
    for (const [path, bytes] of [...pkgs, ...own.flatMap((o) => [...o])]) m.files.set(path, bytes);
    const root = await mkdtemp(join(tmpdir(), 'rpmfetch-cache-procs-'));
    const cache = join(root, 'cache');
    const shared = [...pkgs.keys()];
    // Each process in its own order, so that they collide on packages in flight.
    const runs = Array.from({ length: 8 }, (_, i) => startBuild({ mirror: m.url, dest: join(root, `dest${i}`), cache, paths: [...shared.slice(i * 12), ...(own[i] as Map<string, Buffer>).keys(), ...shared.slice(0, i * 12)] }));
    const counts = await Promise.all(runs.map((r) => r.done));
    for (const c of counts) assert.equal(c.failed, 0, c.errors.join('\n'));
    assert.equal(counts.reduce((s, c) => s + c.downloaded, 0), 100 + 8 * 5, 'each package downloaded by one process');
    for (let i = 0; i < 8; i++) {
      for (const [path, bytes] of [...pkgs, ...(own[i] as Map<string, Buffer>)]) assert.ok((await readFile(join(root, `dest${i}`, path.slice('Packages/'.length)))).equals(bytes));
    }
    const paths = [...shared, ...own.flatMap((o) => [...o.keys()])];
    for (const path of paths) assert.equal(m.requestsFor(path).length, 1, `${path} served once`);
    assert.equal(await assertStoreWhole(cache), 140);
    assert.deepEqual(await readdir(join(cache, 'locks')), [], 'no lock left');
  });

  test('a process killed mid-download: the others finish, nothing partial in the store, no lock left', async () => {
    const pkgs = packages(6, 'killed');
    const m = await new FaultMirror().start();
    mirrors.push(m);
    for (const [path, bytes] of pkgs) m.files.set(path, bytes);
    const paths = [...pkgs.keys()];
    const slow = paths[0] as string;
    // The first request for it drips for seconds: its process is killed while it holds the lock.
    m.fault(slow, faults.drip(1000));
    const root = await mkdtemp(join(tmpdir(), 'rpmfetch-cache-kill-'));
    const cache = join(root, 'cache');
    const victim = startBuild({ mirror: m.url, dest: join(root, 'victim'), cache, paths: [slow] });
    victim.done.catch(() => undefined);
    while (m.requestsFor(slow).length === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const others = Array.from({ length: 3 }, (_, i) => startBuild({ mirror: m.url, dest: join(root, `dest${i}`), cache, paths }));
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const counts = await Promise.all(others.map((r) => r.done));
    assert.ok(Date.now() - killedAt < 8000, 'the dead holder held no one up for long');
    for (const c of counts) assert.equal(c.failed, 0, c.errors.join('\n'));
    for (let i = 0; i < 3; i++) {
      for (const [path, bytes] of pkgs) assert.ok((await readFile(join(root, `dest${i}`, path.slice('Packages/'.length)))).equals(bytes));
    }
    assert.equal(m.requestsFor(slow).length, 2, 'the killed one, then one other');
    assert.equal(await assertStoreWhole(cache), 6);
    assert.deepEqual(await readdir(join(cache, 'locks')), [], 'no stale lock left');
  });
});
