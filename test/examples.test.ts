/**
 * Every program in examples/ run as a user would run it (a child process under tsx), against local
 * mirrors serving the fixture packages in koji's and a repository's layout, with faults on the first
 * mirror: each must do what its header says and exit with the right status.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from './helpers/cli.js';
import { FaultMirror, faults, refusedUrl } from './helpers/fault-mirror.js';
import { FIXTURE_DIR, fixturePackages, mirrorTree, type FixturePackage } from './helpers/fixture-repo.js';

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

function run(example: string, args: string[], options: { stdin?: string; interruptWhen?: () => boolean } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${example}`, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    // Interrupted once the example is doing what the test is about (a clock would be early on a loaded
    // machine, before the example has even set up its signal handlers).
    const when = options.interruptWhen;
    if (when) {
      const spawned = Date.now();
      // A condition that never comes does not hang the suite: the test's assertions then fail.
      const poll = setInterval(() => {
        if (!when() && Date.now() - spawned < 20_000) return;
        clearInterval(poll);
        child.kill('SIGINT');
      }, 20);
      child.on('exit', () => clearInterval(poll));
    }
    child.stdin.end(options.stdin ?? '');
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe('examples/', () => {
  let packages: FixturePackage[];
  const mirrors: FaultMirror[] = [];
  const mirror = async () => {
    const m = await new FaultMirror().start();
    for (const [k, v] of mirrorTree(packages)) m.files.set(k, v);
    mirrors.push(m);
    return m;
  };
  before(async () => {
    packages = await fixturePackages();
  });
  after(async () => {
    for (const m of mirrors) await m.close();
  });
  const srpm = () => packages.find((p) => p.arch === 'src' && p.name === 'rpmfetch-tools') as FixturePackage;

  test('demo.ts (npm run demo): every file arrives despite the faulty mirror, and each fault is shown', async () => {
    const r = await run('demo.ts', []);
    assert.equal(r.code, 0, r.out + r.err);
    for (const code of ['ERR_BODY_TRUNCATED', 'ERR_HTTP_STATUS', 'ERR_SIZE_MISMATCH', 'ERR_HEDGE_LOST', 'ERR_RPM_TRUNCATED', 'ERR_RPM_DIGEST_MISMATCH', 'ERR_TRAILING_DATA', 'ERR_NEVRA_MISMATCH']) {
      assert.match(r.out, new RegExp(code));
    }
    assert.match(r.out, /Every file arrived whole and genuine despite mirror A/);
  });

  test('koji-srpm.ts: fails over from a 503 and checks the payloadhash', async () => {
    const [a, b] = [await mirror(), await mirror()];
    const p = srpm();
    a.always(p.kojiPath, faults.status(503));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-ex-'));
    const r = await run('koji-srpm.ts', ['--mirror', a.url, '--mirror', b.url, '--dest', dest, '--payloadhash', p.payloadhash, `${p.name}-${p.version}-${p.release}`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /ERR_HTTP_STATUS/);
    assert.match(r.out, new RegExp(`${p.file}.*from ${b.url}`));
    assert.deepEqual(await readdir(dest), [p.file]);
    const wrong = await run('koji-srpm.ts', ['--mirror', b.url, '--dest', await mkdtemp(join(tmpdir(), 'rpmfetch-ex-')), '--payloadhash', '0'.repeat(32), `${p.name}-${p.version}-${p.release}`]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /ERR_SIGMD5_MISMATCH/);
  });

  test('buildroot-from-repo.ts: resolves names, downloads the batch, reports what is missing', async () => {
    const [a, b] = [await mirror(), await mirror()];
    a.always('Packages/r/rpmfetch-data-0.9-7.noarch.rpm', faults.closeEarly(0.5));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-ex-'));
    const r = await run('buildroot-from-repo.ts', ['--mirror', a.url, '--mirror', b.url, '--dest', dest, '--arch', 'x86_64', 'rpmfetch-hello', 'rpmfetch-tools', 'rpmfetch-data', 'nosuch']);
    assert.equal(r.code, 1, 'a name is missing');
    assert.match(r.err, /not found: nosuch \(ERR_NOT_IN_REPO\)/);
    assert.deepEqual((await readdir(dest)).sort(), ['rpmfetch-data-0.9-7.noarch.rpm', 'rpmfetch-hello-1.0-1.noarch.rpm', 'rpmfetch-tools-2.1-3.fc40.x86_64.rpm']);
    assert.match(r.err, /3 verified, 0 failed/);
    const ok = await run('buildroot-from-repo.ts', ['--mirror', b.url, '--dest', dest, 'rpmfetch-hello']);
    assert.equal(ok.code, 0, ok.err);
  });

  test('verify-local.ts: passes the fixtures, fails a cut-short copy', async () => {
    const good = packages.map((p) => join(FIXTURE_DIR, p.file));
    const r = await run('verify-local.ts', good);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out.trim().split('\n').filter((l) => l.startsWith('OK')).length, packages.length);
    const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-ex-'));
    const p = packages[0] as FixturePackage;
    await writeFile(join(dir, p.file), p.bytes.subarray(0, p.bytes.length - 1000));
    const bad = await run('verify-local.ts', [join(dir, p.file)]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /FAIL .*ERR_RPM_TRUNCATED/);
  });

  test('agent.ts: jobs from stdin on one Downloader; a dead first mirror is failed over and remembered', async () => {
    const b = await mirror();
    const dead = await refusedUrl();
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-ex-'));
    const jobs = `${packages[0]?.kojiPath} ${packages[1]?.kojiPath}\n\n${packages[2]?.kojiPath}\n`;
    const r = await run('agent.ts', ['--mirror', dead, '--mirror', b.url, '--dest', dest], { stdin: jobs });
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { job: number; ok: boolean });
    assert.deepEqual(lines.map((l) => [l.job, l.ok]), [[1, true], [2, true]]);
    assert.match(r.err, /ERR_CONNECT, next http:\/\/127\.0\.0\.1/);
    assert.match(r.err, new RegExp(`mirror ${dead.replace(/[/.]/g, '\\$&')}: 0 ok, [1-9]\\d* failed`));
    assert.equal((await readdir(dest)).length, 3);
  });

  test('agent.ts: SIGINT stops a job in flight and leaves nothing half-written', async () => {
    const hang = await mirror();
    hang.always(packages[0]?.kojiPath ?? '', faults.headersThenHang());
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-ex-'));
    const path = packages[0]?.kojiPath ?? '';
    let asked = 0;
    const r = await run('agent.ts', ['--mirror', hang.url, '--dest', dest], {
      stdin: `${path}\n`,
      // The job is in flight: its request has reached the mirror, which now holds it.
      interruptWhen: () => {
        if (asked === 0 && hang.requestsFor(path).length > 0) asked = Date.now();
        return asked > 0;
      },
    });
    assert.ok(Date.now() - asked < 10_000, 'stopped promptly');
    assert.equal(r.code, 1);
    assert.match(r.out, /"error":"ERR_ABORTED"/);
    assert.deepEqual(await readdir(dest), [], 'no temporary file left');
  });
});
