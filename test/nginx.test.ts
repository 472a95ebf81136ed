/**
 * Integration against a real nginx (started by the test) serving rpmbuild-built packages in koji's
 * layout: with and without checksums, a .src.rpm, a resume that nginx answers with 206, and nginx's 404.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ssri from 'ssri';
import { download, DownloadError, verifyFile, type DownloadOptions } from '../src/index.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { nginxMissing, startNginx, type Nginx } from './helpers/nginx.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const skip = nginxMissing();

/** koji's layout: packages/N/V/R/ARCH/NVRA.rpm (ARCH is "src" for source packages). */
function kojiPath(file: string, rpm: { name: string; version: string; release: string; arch: string; source: boolean }): string {
  return `packages/${rpm.name}/${rpm.version}/${rpm.release}/${rpm.source ? 'src' : rpm.arch}/${file}`;
}

describe('against nginx', { skip }, () => {
  let nginx: Nginx;
  let root = '';
  const packages: Array<{ file: string; path: string; bytes: Buffer; source: boolean }> = [];
  const options: Partial<DownloadOptions> = { timeouts: { stall: 2000, response: 2000, connect: 1000 }, backoff: { min: 10, max: 50 }, reuse: false };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'rpmfetch-www-'));
    for (const file of (await readdir(FIXTURES)).filter((f) => f.endsWith('.rpm'))) {
      const v = await verifyFile(join(FIXTURES, file));
      assert.ok(v.rpm);
      const path = kojiPath(file, v.rpm);
      await mkdir(dirname(join(root, path)), { recursive: true });
      await copyFile(join(FIXTURES, file), join(root, path));
      packages.push({ file, path, bytes: await readFile(join(FIXTURES, file)), source: v.rpm.source });
    }
    nginx = await startNginx(root);
  });
  after(async () => nginx?.stop());

  test('every package, by path only (no size, no checksum), binary and source', async () => {
    assert.ok(packages.some((p) => p.source) && packages.some((p) => !p.source));
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    for (const p of packages) {
      const r = await download(p.path, { ...options, mirrors: [nginx.url], dest });
      assert.ok((await readFile(r.file)).equals(p.bytes), p.file);
      assert.equal(r.rpm.source, p.source);
      assert.equal(r.attempts.length, 1);
      assert.equal(r.attempts[0]?.status, 200);
    }
    assert.deepEqual((await readdir(dest)).sort(), packages.map((p) => p.file).sort());
  });

  test('with size, sha256 and SRI integrity', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    for (const p of packages) {
      const hex = createHash('sha256').update(p.bytes).digest('hex');
      const integrity = ssri.fromData(p.bytes, { algorithms: ['sha512'] }).toString();
      const r = await download({ path: p.path, size: p.bytes.length, checksum: { type: 'sha256', hex }, integrity }, { ...options, mirrors: [nginx.url], dest });
      assert.equal(r.digests['file:sha256'], hex);
      assert.ok(r.digests['file:sha512']);
    }
  });

  test('a checksum that does not match what nginx serves fails, leaving nothing', async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
    const p = packages[0] as (typeof packages)[number];
    const err = await download({ path: p.path, checksum: { type: 'sha256', hex: '0'.repeat(64) } }, { ...options, mirrors: [nginx.url], dest }).catch((e: unknown) => e);
    assert.ok(err instanceof DownloadError);
    assert.equal(err.attempts[0]?.code, 'ERR_INTEGRITY_MISMATCH');
    assert.deepEqual(await readdir(dest), []);
  });

  test('a body cut short on the first mirror is resumed from nginx with Range (206)', async () => {
    const cut = await new FaultMirror().start();
    try {
      const p = packages.find((x) => x.source) as (typeof packages)[number];
      cut.files.set(p.path, p.bytes);
      cut.always(p.path, faults.closeEarly(0.6));
      const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
      const r = await download(p.path, { ...options, mirrors: [cut.url, nginx.url], dest });
      assert.ok((await readFile(r.file)).equals(p.bytes));
      const last = r.attempts.at(-1);
      assert.equal(last?.mirror, nginx.url);
      if ((last?.offset ?? 0) > 0) assert.equal(last?.status, 206);
      assert.ok(r.attempts.some((a) => a.offset > 0), `resumed: ${JSON.stringify(r.attempts)}`);
    } finally {
      await cut.close();
    }
  });

  test("nginx's 404 moves on to the next mirror at once", async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rpmfetch-www-empty-'));
    const other = await startNginx(empty);
    try {
      const p = packages[0] as (typeof packages)[number];
      const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-dest-'));
      const r = await download(p.path, { ...options, mirrors: [other.url, nginx.url], dest });
      assert.deepEqual(r.attempts.map((a) => [a.mirror, a.status]), [[other.url, 404], [nginx.url, 200]]);
    } finally {
      await other.stop();
    }
  });
});
