/**
 * `rpmfetch verify` as scripts use it: exit codes, the --json shape, rpmkeys-like human output, and a
 * missing file that does not stop the others.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { cli, ROOT } from './helpers/cli.js';
import { writePackage } from './helpers/rpm-writer.js';


describe('rpmfetch verify', () => {
  let dir = '';
  let good = '';
  let good2 = '';
  let bad = '';
  let renamed = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rpmfetch-cli-'));
    const a = writePackage({ name: 'alpha', arch: 'x86_64' });
    const b = writePackage({ name: 'beta', source: true, arch: 'x86_64' });
    const c = writePackage({ name: 'gamma' });
    good = join(dir, a.fileName);
    good2 = join(dir, b.fileName);
    bad = join(dir, c.fileName);
    renamed = join(dir, 'renamed.rpm');
    await writeFile(good, a.bytes);
    await writeFile(good2, b.bytes);
    await writeFile(bad, c.bytes.subarray(0, c.bytes.length - 10));
    await writeFile(renamed, a.bytes);
  });

  test('exit 0 when every file passes; human output on stderr lists the checks', async () => {
    const r = await cli('verify', good, good2);
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, []);
    const text = r.err.join('\n');
    assert.match(text, /Header SHA256 digest: OK/);
    assert.match(text, /Payload SHA256 digest: OK/);
    assert.match(text, /MD5 digest: OK/);
    assert.match(text, new RegExp(`${good}: OK alpha-1.0-1.x86_64`));
    assert.match(text, /2 of 2 packages verified/);
  });

  test('exit 1 when any file fails; the others are still checked', async () => {
    const r = await cli('verify', bad, join(dir, 'missing.rpm'), good);
    assert.equal(r.code, 1);
    const text = r.err.join('\n');
    assert.match(text, /gamma-1\.0-1\.noarch\.rpm: NOT OK ERR_RPM_TRUNCATED/);
    assert.match(text, /missing\.rpm: NOT OK ERR_FILE_UNREADABLE .*ENOENT/);
    assert.match(text, /alpha-1\.0-1\.x86_64\.rpm: OK/);
    assert.match(text, /1 of 3 packages verified, 2 failed/);
  });

  test('--json prints one object per file on stdout with file, ok, nevra, checks and error', async () => {
    const r = await cli('verify', '--json', good, bad, join(dir, 'missing.rpm'));
    assert.equal(r.code, 1);
    assert.equal(r.out.length, 3);
    const [a, b, c] = r.out.map((l) => JSON.parse(l));
    assert.equal(a.file, good);
    assert.equal(a.ok, true);
    assert.equal(a.nevra, 'alpha-1.0-1.x86_64');
    assert.ok(Array.isArray(a.checks) && a.checks.every((k: { id: string; status: string }) => k.id && k.status));
    assert.equal(a.error, undefined);
    assert.equal(b.ok, false);
    assert.equal(b.error.code, 'ERR_RPM_TRUNCATED');
    assert.equal(typeof b.error.message, 'string');
    assert.deepEqual([c.ok, c.nevra, c.error.code], [false, null, 'ERR_FILE_UNREADABLE']);
  });

  test('a file name that does not match its header fails, unless --no-name-check', async () => {
    const strict = await cli('verify', '--json', renamed);
    assert.equal(strict.code, 1);
    assert.equal(JSON.parse(strict.out[0] as string).error.code, 'ERR_NEVRA_MISMATCH');
    assert.equal((await cli('verify', '--no-name-check', renamed)).code, 0);
  });

  test('usage errors exit 2', async () => {
    assert.equal((await cli('verify')).code, 2);
    assert.equal((await cli('verify', '--bogus', good)).code, 2);
    assert.equal((await cli('frobnicate')).code, 2);
    assert.equal((await cli('--help')).code, 0);
  });

  test('--version prints the version of package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      assert.equal(r.code, 0);
      assert.deepEqual(r.out, [version]);
    }
  });

  test('the real executable exits with the same codes', async () => {
    const run = promisify(execFile);
    const bin = join(ROOT, 'src/cli/bin.ts');
    const ok = await run(process.execPath, ['--import', 'tsx', bin, 'verify', '--json', good], { cwd: ROOT });
    assert.equal(JSON.parse(ok.stdout.trim()).ok, true);
    await assert.rejects(run(process.execPath, ['--import', 'tsx', bin, 'verify', bad], { cwd: ROOT }), (e: { code?: number }) => e.code === 1);
    await assert.rejects(run(process.execPath, ['--import', 'tsx', bin, 'verify'], { cwd: ROOT }), (e: { code?: number }) => e.code === 2);
  });
});
