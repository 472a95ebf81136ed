/**
 * `rpmfetch get` as scripts use it: paths and manifests, the single-target flags, seconds on the command
 * line, --json on stdout, exit codes, and nothing left behind on failure or interruption.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, ROOT } from './helpers/cli.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';

const FIXTURES = join(ROOT, 'test/fixtures/packages');
const A = 'rpmfetch-hello-1.0-1.noarch.rpm';
const B = 'rpmfetch-tools-2.1-3.fc40.src.rpm';
const bytesA = readFileSync(join(FIXTURES, A));
const bytesB = readFileSync(join(FIXTURES, B));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('rpmfetch get', () => {
  let m: FaultMirror;
  const fast = ['--stall-timeout', '0.3', '--response-timeout', '0.5', '--connect-timeout', '0.5', '--min-rate', '0'];

  before(async () => {
    m = await new FaultMirror().start();
    m.files.set(`p/${A}`, bytesA);
    m.files.set(`p/${B}`, bytesB);
  });
  after(() => m.close());

  test('downloads paths into --dest and exits 0; one human line per file on stderr', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    const r = await cli('get', '--mirror', m.url, '--dest', dest, `p/${A}`, `p/${B}`);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual((await readdir(dest)).sort(), [A, B].sort());
    assert.ok((await readFile(join(dest, B))).equals(bytesB));
    assert.equal(r.err.length, 2);
    // One line each, in the order they finished.
    assert.ok(r.err.some((l) => /^ok .*rpmfetch-hello-1\.0-1\.noarch/.test(l)), r.err.join('\n'));
    assert.ok(r.err.some((l) => /^ok .*rpmfetch-tools-1:2\.1-3\.fc40\.src/.test(l)), r.err.join('\n'));
  });

  test('--json: one object per target on stdout with file, ok, nevra and attempts', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    const r = await cli('get', '--json', '--mirror', m.url, '--dest', dest, `p/${A}`);
    assert.equal(r.code, 0);
    const o = JSON.parse(r.out[0] as string);
    assert.deepEqual([o.ok, o.file, o.nevra, o.cached], [true, join(dest, A), 'rpmfetch-hello-1.0-1.noarch', false]);
    assert.equal(o.attempts.at(-1).code, 'OK');
    const again = await cli('get', '--json', '--mirror', m.url, '--dest', dest, `p/${A}`);
    assert.equal(JSON.parse(again.out[0] as string).cached, true);
  });

  test('a manifest with sizes and sha256 sums; a wrong sum fails that target only (exit 1)', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    const manifest = join(dest, '..', `manifest-${Date.now()}.jsonl`);
    await writeFile(
      manifest,
      [
        JSON.stringify({ path: `p/${A}`, size: bytesA.length, sha256: sha(bytesA) }),
        '',
        JSON.stringify({ path: `p/${B}`, sha256: sha(bytesA) }),
      ].join('\n'),
    );
    const r = await cli('get', '--json', '--mirror', m.url, '--dest', dest, '--manifest', manifest, ...fast);
    assert.equal(r.code, 1);
    // Lines come as targets finish: find each by its path.
    const lines = r.out.map((l) => JSON.parse(l));
    const a = lines.find((l) => l.path === `p/${A}`);
    const b = lines.find((l) => l.path === `p/${B}`);
    assert.equal(a.ok, true);
    assert.equal(b.ok, false);
    assert.equal(b.error.code, 'ERR_ALL_MIRRORS_FAILED');
    assert.equal(b.error.attempts[0].code, 'ERR_INTEGRITY_MISMATCH');
    assert.deepEqual(await readdir(dest), [A], 'nothing under the failed name, no temporary file');
  });

  test('--size / --sha256 / --integrity check the single target', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    assert.equal((await cli('get', '--mirror', m.url, '--dest', dest, '--size', String(bytesA.length), '--sha256', sha(bytesA), `p/${A}`)).code, 0);
    const bad = await cli('get', '--no-reuse', '--mirror', m.url, '--dest', dest, '--size', '5', `p/${A}`);
    assert.equal(bad.code, 1);
    assert.match(bad.err.join('\n'), /ERR_SIZE_MISMATCH/);
  });

  test('usage errors exit 2 without touching the network', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    const cases: string[][] = [
      ['get', '--mirror', m.url, '--dest', dest],
      ['get', '--mirror', m.url, '--dest', dest, '--sha256', 'ab', `p/${A}`, `p/${B}`],
      ['get', '--mirror', m.url, '--dest', dest, '--sha256', sha(bytesA), '--integrity', 'sha256-x', `p/${A}`],
      ['get', '--dest', dest, `p/${A}`],
      ['get', '--mirror', 'ftp://example.org/', '--dest', dest, `p/${A}`],
      ['get', '--mirror', m.url, '--stall-timeout', 'soon', `p/${A}`],
      ['get', '--mirror', m.url, '--dest', dest, '../escape.rpm'],
      ['get', '--mirror', m.url, '--dest', dest, '--manifest', join(dest, 'missing.jsonl')],
    ];
    const before = m.log.length;
    for (const argv of cases) assert.equal((await cli(...argv)).code, 2, argv.join(' '));
    assert.equal(m.log.length, before);
    await writeFile(join(dest, 'bad.jsonl'), '{"path": "x.rpm"}\nnot json\n');
    const r = await cli('get', '--mirror', m.url, '--dest', dest, '--manifest', join(dest, 'bad.jsonl'));
    assert.equal(r.code, 2);
    assert.match(r.err.join('\n'), /bad\.jsonl line 2/);
  });

  test('timeouts are given in seconds; a failure lists every attempt', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    m.always('p/stalls.rpm', faults.headersThenHang());
    m.files.set('p/stalls.rpm', bytesA);
    const r = await cli('get', '--json', '--retries', '1', '--mirror', m.url, '--dest', dest, ...fast, 'p/stalls.rpm');
    assert.equal(r.code, 1);
    const o = JSON.parse(r.out[0] as string);
    assert.equal(o.error.attempts.length, 2);
    assert.ok(o.error.attempts.every((a: { code: string }) => a.code === 'ERR_STALL'));
    assert.deepEqual(await readdir(dest), []);
  });

  test('two processes downloading the same target into the same directory both succeed, leaving one good file', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    const shared = `shared/${A}`;
    m.always(shared, faults.drip(100_000));
    m.files.set(shared, bytesA);
    const run = () =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'get', '--quiet', '--no-reuse', '--mirror', m.url, '--dest', dest, shared], { cwd: ROOT, stdio: 'ignore' });
        child.once('exit', (code) => resolve(code ?? -1));
      });
    const before = m.requestsFor(shared).length;
    const codes = await Promise.all([run(), run()]);
    assert.deepEqual(codes, [0, 0]);
    assert.equal(m.requestsFor(shared).length - before, 2, 'both downloaded at once');
    assert.deepEqual(await readdir(dest), [A]);
    assert.ok((await readFile(join(dest, A))).equals(bytesA));
  });

  test('the executable, interrupted mid-download, exits 1 and leaves no temporary file', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-get-'));
    m.always('p/slow.rpm', faults.drip(2000));
    m.files.set('p/slow.rpm', bytesA);
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'get', '--mirror', m.url, '--dest', dest, 'p/slow.rpm'], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until the body is flowing into a temporary file, then interrupt.
    for (let i = 0; i < 100 && (await readdir(dest)).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await readdir(dest)).length, 1, 'a temporary file while downloading');
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 1, stderr);
    assert.match(stderr, /ERR_ABORTED/);
    assert.deepEqual(await readdir(dest), []);
  });
});
