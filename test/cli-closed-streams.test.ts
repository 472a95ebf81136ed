/**
 * A reader that goes away (`rpmfetch get --json … | head -1`) does not crash rpmfetch: a closed stdout
 * stops the work as a SIGPIPE would stop a Unix tool, but with its temporary files removed, and exits
 * 141; a closed stderr only silences the diagnostics.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnCli, tempFilesIn, type CliProcess } from './helpers/cli-process.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { HELLO, TOOLS_SRC } from './helpers/fixture-files.js';

const A = HELLO.name;
const B = TOOLS_SRC.name;
const [bytesA, bytesB] = [HELLO.bytes, TOOLS_SRC.bytes];
const SIGPIPE_STATUS = 141;

/** The read end of the child's stdout or stderr, closed before it writes anything. */
function closed(run: CliProcess, stream: 'stdout' | 'stderr'): CliProcess {
  run.child[stream]?.destroy();
  return run;
}

describe('rpmfetch with its output closed', () => {
  let m: FaultMirror;

  before(async () => {
    m = await new FaultMirror().start();
    m.files.set(`p/${A}`, bytesA);
    m.files.set(`p/${B}`, bytesB);
    // Far slower than the other target: still downloading when the first result line fails.
    m.files.set(`slow/${B}`, bytesB);
    m.always(`slow/${B}`, faults.drip(2000));
  });
  after(() => m.close());

  test('get --json, stdout closed: stops the downloads, removes its temporary files, exits 141', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-epipe-'));
    const run = closed(spawnCli(['get', '--json', '--mirror', m.url, '--dest', dest, `p/${A}`, `slow/${B}`]), 'stdout');
    const { code, signal } = await run.exited;
    assert.deepEqual([code, signal], [SIGPIPE_STATUS, null], run.stderr());
    assert.doesNotMatch(run.stderr(), /EPIPE|Unhandled|internal error/);
    assert.match(run.stderr(), /stdout closed; stopping/);
    assert.deepEqual(await tempFilesIn(dest), []);
    // The target verified before the line failed stays (it is whole); the other never arrived.
    assert.deepEqual(await readdir(dest), [A]);
  });

  test('get --json with both stdout and stderr closed: the same, silently', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-epipe-'));
    const run = closed(closed(spawnCli(['get', '--json', '--mirror', m.url, '--dest', dest, `p/${A}`, `slow/${B}`]), 'stdout'), 'stderr');
    const { code } = await run.exited;
    assert.equal(code, SIGPIPE_STATUS);
    assert.deepEqual(await readdir(dest), [A]);
  });

  test('get, stderr closed: the human lines are dropped, the downloads complete, exit 0', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-epipe-'));
    const run = closed(spawnCli(['get', '--mirror', m.url, '--dest', dest, `p/${A}`, `p/${B}`]), 'stderr');
    const { code } = await run.exited;
    assert.equal(code, 0);
    assert.deepEqual((await readdir(dest)).sort(), [A, B].sort());
    assert.ok((await readFile(join(dest, B))).equals(bytesB));
  });

  test('verify --json, stdout closed: exits 141 without a crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-epipe-'));
    const files = [A, B].map((f) => join(dir, f));
    await writeFile(files[0] as string, bytesA);
    await writeFile(files[1] as string, bytesB);
    const run = closed(spawnCli(['verify', '--json', ...files]), 'stdout');
    const { code, signal } = await run.exited;
    assert.deepEqual([code, signal], [SIGPIPE_STATUS, null], run.stderr());
    assert.doesNotMatch(run.stderr(), /EPIPE|Unhandled|internal error/);
  });

  test('verify, stderr closed (its human output): the verdict is still the exit status', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-epipe-'));
    await writeFile(join(dir, A), bytesA);
    await writeFile(join(dir, B), bytesB.subarray(0, 1000));
    const ok = closed(spawnCli(['verify', join(dir, A)]), 'stderr');
    assert.equal((await ok.exited).code, 0);
    const bad = closed(spawnCli(['verify', join(dir, A), join(dir, B)]), 'stderr');
    assert.equal((await bad.exited).code, 1);
  });
});
