/**
 * Targets whose names are odd but not wrong work; those that are wrong are usage errors, found before
 * any request: a malformed percent-escape in a URL target, a destination name longer than a file name
 * can be. A destination name of up to 255 bytes (any UTF-8) gets a temporary file beside it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { download, downloadAll, InvalidOptionError } from '../src/index.js';
import { cli } from './helpers/cli.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { HELLO } from './helpers/fixture-files.js';

const A = HELLO.name;
const bytesA = HELLO.bytes;
const bytes = (s: string) => Buffer.byteLength(s);

/** `unit` repeated to fill exactly `n` bytes of UTF-8, topped up with ASCII. */
function nameOf(n: number, unit: string): string {
  const whole = unit.repeat(Math.floor(n / bytes(unit)));
  return whole + 'x'.repeat(n - bytes(whole));
}

const invalidOption = (pattern: RegExp) => (e: unknown) => e instanceof InvalidOptionError && e.code === 'ERR_INVALID_OPTION' && pattern.test(e.message);

describe('target names', () => {
  let m: FaultMirror;
  let dir = '';

  before(async () => {
    m = await new FaultMirror().start();
    m.files.set(`p/${A}`, bytesA);
    // Slow enough that the temporary file exists for a while under its long name.
    m.files.set(`drip/${A}`, bytesA);
    m.always(`drip/${A}`, faults.drip(200_000));
    dir = await mkdtemp(join(tmpdir(), 'rpmfetch-names-'));
  });
  after(() => m.close());

  const badUrls = ['http://127.0.0.1:9/a%ZZb.rpm', 'http://127.0.0.1:9/%E0%A4%A.rpm', 'file:///tmp/bad%C3.rpm'];

  test('a malformed percent-escape in a URL target is a usage error naming the target (exit 2), not a stack', async () => {
    for (const url of badUrls) {
      const r = await cli('get', '--mirror', m.url, '--dest', dir, url);
      assert.equal(r.code, 2, url);
      assert.equal(r.err.length, 1, r.err.join('\n'));
      assert.ok((r.err[0] ?? '').includes(url), r.err[0]);
      assert.match(r.err[0] ?? '', /malformed percent-escape/);
    }
  });

  test('… in a file:// mirror or in proxy credentials, likewise a usage error', async () => {
    for (const args of [
      ['--mirror', 'file:///srv/mirror%ZZ/'],
      ['--mirror', 'http://127.0.0.1:9/', '--proxy', 'http://user:pa%ZZss@127.0.0.1:3128/'],
    ]) {
      const r = await cli('get', ...args, '--dest', await mkdtemp(join(tmpdir(), 'rpmfetch-names-')), 'a-1-1.noarch.rpm');
      assert.equal(r.code, 2, r.err.join('\n'));
      assert.equal(r.err.filter((l) => /^\s+at /.test(l)).length, 0, 'no stack');
      assert.match(r.err.join('\n'), /malformed/i);
      assert.ok(!r.err.join('\n').includes('pa%ZZss'), 'the password is not printed');
    }
  });

  test('… in a manifest, the message names the line', async () => {
    const manifest = join(dir, 'escapes.jsonl');
    await writeFile(manifest, `${JSON.stringify({ path: `p/${A}` })}\n${JSON.stringify({ path: badUrls[1] })}\n`);
    const before = m.log.length;
    const r = await cli('get', '--mirror', m.url, '--dest', dir, '--manifest', manifest);
    assert.equal(r.code, 2);
    assert.match(r.err.join('\n'), /escapes\.jsonl line 2: .*malformed percent-escape/);
    assert.equal(m.log.length, before, 'no request');
  });

  test('… through the API, download() and downloadAll() reject with InvalidOptionError', async () => {
    for (const url of badUrls) {
      await assert.rejects(download(url, { mirrors: [m.url], dest: dir }), invalidOption(/malformed percent-escape/));
      await assert.rejects(downloadAll([`p/${A}`, url], { mirrors: [m.url], dest: dir }), invalidOption(/malformed percent-escape/));
    }
  });

  const long: Array<[string, string]> = [
    ['of 240 ASCII characters', 'a'.repeat(240)],
    ['of 255 bytes (the most a file name may have)', nameOf(255, 'b')],
    ['of 250 bytes in 3-byte characters', nameOf(250, '日')],
    ['of 250 bytes in 2-byte and 4-byte characters', nameOf(250, 'ü😀')],
  ];
  for (const [what, file] of long) {
    test(`a destination name ${what} downloads; its temporary file's name is shortened, by bytes`, async () => {
      const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-names-'));
      const manifest = join(dest, '..', `${dest.split('/').pop()}.jsonl`);
      await writeFile(manifest, JSON.stringify({ path: `drip/${A}`, file }));
      const r = await cli('get', '--json', '--mirror', m.url, '--dest', dest, '--manifest', manifest);
      assert.equal(r.code, 0, r.out.join('\n'));
      const line = JSON.parse(r.out[0] as string) as { ok: boolean; file: string };
      assert.deepEqual([line.ok, line.file], [true, join(dest, file)]);
      assert.deepEqual(await readdir(dest), [file]);
      assert.ok((await readFile(join(dest, file))).equals(bytesA));
    });
  }

  test('a destination name over 255 bytes is a usage error before any request, in the CLI and the API', async () => {
    const manifest = join(dir, 'long.jsonl');
    for (const file of [nameOf(256, 'c'), nameOf(256, 'é'), nameOf(300, '日')]) {
      await writeFile(manifest, `\n${JSON.stringify({ path: `p/${A}`, file })}\n`);
      const before = m.log.length;
      const r = await cli('get', '--mirror', m.url, '--dest', dir, '--manifest', manifest);
      assert.equal(r.code, 2);
      assert.match(r.err.join('\n'), /long\.jsonl line 2: .* bytes long; file names are limited to 255 bytes/);
      await assert.rejects(download({ path: `p/${A}`, file }, { mirrors: [m.url], dest: dir }), invalidOption(/255 bytes/));
      assert.equal(m.log.length, before, 'no request');
    }
    // A path's last segment is the default name, and is held to the same limit.
    const r = await cli('get', '--mirror', m.url, '--dest', dir, `p/${'d'.repeat(256)}.rpm`);
    assert.equal(r.code, 2);
  });
});
