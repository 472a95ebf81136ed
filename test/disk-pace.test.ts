/**
 * Temporary-file operations run on the main thread while the disk keeps up and through the thread pool
 * after the first slow one (src/fetch/disk-pace.ts). The switch is for good in a process, so this file
 * runs on its own and checks both forms of every operation a download uses.
 */
import assert from 'node:assert/strict';
import { openSync } from 'node:fs';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { disk, diskIsFast, onDisk, SLOW_MS } from '../src/fetch/disk-pace.js';
import { TempFile } from '../src/fetch/temp-file.js';

async function roundTrip(dir: string, name: string): Promise<void> {
  const temp = await TempFile.create(dir, name);
  await temp.write(Buffer.from('first try'), 0);
  await temp.truncate(0);
  await temp.write(Buffer.from('pay'), 0);
  await temp.write(Buffer.from('load'), 3);
  const identity = await temp.commit(join(dir, name));
  const s = await stat(join(dir, name));
  assert.deepEqual(identity, { dev: s.dev, ino: s.ino }, 'the identity is the committed file');
  assert.equal(await readFile(join(dir, name), 'utf8'), 'payload');
  // A batch larger than one system call of either pace (32 KiB and 256 KiB), at an odd position.
  const big = Buffer.alloc(600_001);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
  const large = await TempFile.create(dir, `${name}.large`);
  await large.write(Buffer.from('head'), 0);
  await large.write(big, 4);
  await large.commit(join(dir, `${name}.large`));
  assert.deepEqual(await readFile(join(dir, `${name}.large`)), Buffer.concat([Buffer.from('head'), big]), 'every byte where it belongs');
  await disk.unlink(join(dir, `${name}.large`));
  const dropped = await TempFile.create(dir, 'dropped.rpm');
  await dropped.write(Buffer.from('x'), 0);
  await dropped.discard();
  // The package store's small files: made only where nothing is, read as undefined where nothing is.
  const facts = join(dir, `${name}.facts`);
  assert.equal(await disk.readTextIfAny(facts), undefined, 'a missing file reads as undefined');
  await disk.createText(facts, '{"a":1}');
  await assert.rejects(disk.createText(facts, 'again'), { code: 'EEXIST' }, 'an existing file is never overwritten');
  assert.equal(await disk.readTextIfAny(facts), '{"a":1}');
  await assert.rejects(disk.readTextIfAny(join(facts, 'below-a-file')), { code: 'ENOTDIR' }, 'other errors still reject');
  await disk.unlink(facts);
}

test('a synchronous operation that throws rejects instead of throwing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-pace-'));
  await writeFile(join(dir, 'taken'), '');
  assert.equal(diskIsFast(), true);
  const failing = onDisk(
    () => {
      throw new Error('sync failure');
    },
    () => Promise.reject(new Error('pool failure')),
  );
  assert.ok(failing instanceof Promise);
  await assert.rejects(failing, /sync failure/);
  await assert.rejects(onDisk(() => openSync(join(dir, 'taken'), 'wx'), async () => 0), { code: 'EEXIST' });
});

test('file operations are synchronous until one is slow, then go through the thread pool for good', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-pace-'));
  await roundTrip(dir, 'fast.rpm');
  assert.equal(diskIsFast(), true, 'page-cache operations stay synchronous');

  let ran = '';
  const busy = () => {
    const until = performance.now() + SLOW_MS + 5;
    while (performance.now() < until);
    ran = 'sync';
    return 1;
  };
  assert.equal(await onDisk(busy, async () => ((ran = 'pool'), 2)), 1);
  assert.equal(ran, 'sync');
  assert.equal(diskIsFast(), false, 'one slow operation switches');
  assert.equal(await onDisk(busy, async () => ((ran = 'pool'), 2)), 2);
  assert.equal(ran, 'pool');

  await roundTrip(dir, 'slow.rpm');
  assert.deepEqual((await readdir(dir)).sort(), ['fast.rpm', 'slow.rpm'], 'no temporary file left behind');
  await assert.rejects(TempFile.create(join(dir, 'missing'), 'a.rpm'), { code: 'ENOENT' }, 'errors come back from the pool too');
});

