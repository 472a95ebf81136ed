/**
 * Temporary files: a name that fits NAME_MAX for any destination name a filesystem takes, and a process
 * that can remove every one of its temporary files at once, even one whose creation or rename is in
 * flight at that moment. (Abandoning is for good in a process: it comes last here.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { abandonTempFiles, NAME_MAX, removeTempFilesSync, TEMP_SUFFIX, TempFile, tempFileName } from '../src/fetch/temp-file.js';

const bytes = (s: string) => Buffer.byteLength(s);
const dir = () => mkdtemp(join(tmpdir(), 'rpmfetch-temp-'));

describe('temporary file names', () => {
  test('fit in NAME_MAX bytes, never split a character, and stay unique', () => {
    for (const unit of ['a', 'é', '日', '😀', 'aé日😀']) {
      for (let n = 1; n <= NAME_MAX; n += 7) {
        const name = [...unit.repeat(n)].slice(0, n).join('');
        const temp = tempFileName(name);
        assert.ok(bytes(temp) <= NAME_MAX, `${bytes(temp)} bytes for a ${bytes(name)}-byte name`);
        assert.equal(Buffer.from(temp).toString(), temp, 'valid UTF-8: no half character');
        assert.ok(temp.startsWith('.') && temp.endsWith(TEMP_SUFFIX));
        assert.ok(name.startsWith(temp.slice(1).split(`.${process.pid}-`)[0] as string), 'a prefix of the name');
      }
    }
    const long = 'x'.repeat(NAME_MAX);
    assert.notEqual(tempFileName(long), tempFileName(long));
    assert.equal(tempFileName('short.rpm').startsWith(`.short.rpm.${process.pid}-`), true, 'short names kept whole');
  });

  test('a 255-byte destination name gets a temporary file that commits to it', async () => {
    const d = await dir();
    const name = '日'.repeat(85);
    const temp = await TempFile.create(d, name);
    await temp.write(Buffer.from('payload'), 0);
    await temp.commit(join(d, name));
    assert.deepEqual(await readdir(d), [name]);
    assert.equal(await readFile(join(d, name), 'utf8'), 'payload');
  });
});

describe('removing every temporary file of the process', () => {
  test('removeTempFilesSync removes open ones and leaves committed files alone', async () => {
    const d = await dir();
    const kept = await TempFile.create(d, 'kept');
    await kept.commit(join(d, 'kept'));
    await TempFile.create(d, 'one');
    await TempFile.create(d, 'two');
    assert.equal((await readdir(d)).length, 3);
    removeTempFilesSync();
    assert.deepEqual(await readdir(d), ['kept']);
  });

  test('abandonTempFiles, with a creation and a rename in flight: nothing is left, and nothing new is created', async () => {
    const d = await dir();
    const open = await TempFile.create(d, 'open');
    const renaming = await TempFile.create(d, 'renamed');
    const committing = renaming.commit(join(d, 'renamed')).catch(() => 'lost the race');
    // Its open() is on the thread pool when the sweep runs, synchronously, right after.
    const creating = TempFile.create(d, 'creating');
    const abandoned = abandonTempFiles();
    await assert.rejects(creating, /leaving/);
    await abandoned;
    await committing;
    const left = await readdir(d);
    assert.deepEqual(left.filter((f) => f.endsWith(TEMP_SUFFIX)), [], left.join(', '));
    // The rename either happened (the file is whole under its name) or never will.
    assert.ok(left.length === 0 || (left.length === 1 && left[0] === 'renamed'));
    await assert.rejects(TempFile.create(d, 'later'), /leaving/);
    await open.discard();
  });
});
