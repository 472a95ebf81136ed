/**
 * The store's download locks on their own: one holder at a time, a dead or silent holder's lock stolen,
 * and several waiters noticing one dead holder at once letting exactly one of them take its place.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LockOwner, STALE_AFTER, lockPath } from '../src/cache/key-lock.js';
import { LOCKS_DIR } from '../src/cache/layout.js';

/** A pid no process of this host has (Linux pids stay below 2^22). */
const NO_SUCH_PID = 2 ** 31 - 1;

async function store(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-lock-'));
  await mkdir(join(dir, LOCKS_DIR));
  return dir;
}

async function plantLock(dir: string, key: string, pid: number, ageMs = 0, suffix = ''): Promise<void> {
  const path = lockPath(dir, key) + suffix;
  await writeFile(path, JSON.stringify({ pid, host: hostname() }));
  if (ageMs) {
    const then = new Date(Date.now() - ageMs);
    await utimes(path, then, then);
  }
}

describe('download locks', () => {
  test('one holder at a time; released, the next one takes it', async () => {
    const dir = await store();
    const [a, b] = [new LockOwner(dir), new LockOwner(dir)];
    const held = await a.tryTake('k');
    assert.ok(held);
    assert.equal(await b.tryTake('k'), undefined);
    await held.release();
    const next = await b.tryTake('k');
    assert.ok(next);
    await next.release();
    a.close();
    b.close();
    assert.deepEqual(await readdir(join(dir, LOCKS_DIR)), [], 'no lock and no owner file left');
  });

  test('a lock whose holder no longer runs, or whose heartbeat stopped, is taken over', async () => {
    const dir = await store();
    const owner = new LockOwner(dir);
    await plantLock(dir, 'dead', NO_SUCH_PID);
    await plantLock(dir, 'silent', process.pid, STALE_AFTER + 1000);
    await plantLock(dir, 'alive', process.pid);
    const dead = await owner.tryTake('dead');
    const silent = await owner.tryTake('silent');
    assert.ok(dead && silent);
    assert.equal(await owner.tryTake('alive'), undefined, 'a fresh lock of a running process is respected');
    await Promise.all([dead.release(), silent.release()]);
    owner.close();
  });

  test('many waiters noticing one dead holder at once: exactly one takes the lock', async () => {
    for (let round = 0; round < 40; round++) {
      const dir = await store();
      await plantLock(dir, 'k', NO_SUCH_PID);
      const owners = Array.from({ length: 6 }, () => new LockOwner(dir));
      const taken = (await Promise.all(owners.map((o) => o.tryTake('k')))).filter((l) => l !== undefined);
      assert.equal(taken.length, 1, `round ${round}: ${taken.length} holders`);
      await Promise.all(taken.map((l) => l.release()));
      for (const o of owners) o.close();
    }
  });

  test('one owner asked twice at once for the same key gives one lock', async () => {
    const dir = await store();
    const owner = new LockOwner(dir);
    const taken = (await Promise.all([owner.tryTake('k'), owner.tryTake('k')])).filter((l) => l !== undefined);
    assert.equal(taken.length, 1);
    await Promise.all(taken.map((l) => l.release()));
    owner.close();
  });

  test('a thief that died in the middle of a steal holds no one up', async () => {
    const dir = await store();
    await plantLock(dir, 'k', NO_SUCH_PID);
    await plantLock(dir, 'k', NO_SUCH_PID, 0, '.steal');
    const owner = new LockOwner(dir);
    let lock;
    for (let i = 0; i < 3 && !lock; i++) lock = await owner.tryTake('k');
    assert.ok(lock, 'taken once the dead thief\'s mark is moved aside');
    await lock.release();
    owner.close();
    assert.deepEqual(await readdir(join(dir, LOCKS_DIR)), []);
  });
});
