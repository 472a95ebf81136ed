/**
 * Koji's layout end to end: the fixtures placed where koji puts them (the build's copy, and a copy
 * signed by rpmsign under data/signed/KEYID/), downloaded through `kojiTarget` with koji's RPM info.
 * payloadhash (sigmd5) must match both copies; a wrong one fails on every mirror; the signed copy's
 * signature is judged with its key.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, DownloadError, kojiRpmPath, kojiTarget, Keyring, verifyFile, type KojiRpmInfo } from '../src/index.js';
import { FaultMirror } from './helpers/fault-mirror.js';
import { makeSigningKey, missingRpmTools, rpmsign } from './helpers/rpm-tools.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const fast = { timeouts: { stall: 2000, response: 2000, connect: 1000 }, backoff: { min: 5, max: 20 }, hedge: false, reuse: false } as const;

/** Koji's RPM info for a package file, as getRPM would return it. */
async function rpmInfo(path: string): Promise<KojiRpmInfo> {
  const v = await verifyFile(path);
  assert.ok(v.rpm && v.ok);
  const payloadhash = v.digests['header+payload:md5'];
  assert.ok(payloadhash, JSON.stringify(v.digests));
  return { name: v.rpm.name, version: v.rpm.version, release: v.rpm.release, arch: v.rpm.source ? 'src' : v.rpm.arch, epoch: v.rpm.epoch ?? null, payloadhash, size: v.size };
}

describe('koji layout', () => {
  const mirror = new FaultMirror();
  const infos: Array<{ info: KojiRpmInfo; bytes: Buffer }> = [];
  before(async () => {
    await mirror.start();
    for (const file of (await readdir(FIXTURES)).filter((f) => f.endsWith('.rpm'))) {
      const info = await rpmInfo(join(FIXTURES, file));
      const bytes = await readFile(join(FIXTURES, file));
      mirror.files.set(kojiRpmPath(info), bytes);
      infos.push({ info, bytes });
    }
  });
  after(() => mirror.close());

  test("every fixture by koji's RPM info: path, NEVRA, payloadhash and size all checked", async () => {
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-koji-'));
    for (const { info, bytes } of infos) {
      const r = await download(kojiTarget(info), { ...fast, mirrors: [mirror.url], dest });
      assert.ok((await readFile(r.file)).equals(bytes));
      for (const id of ['sigmd5', 'nevra', 'expected-size']) assert.equal(r.verdict.checks.find((c) => c.id === id)?.status, 'OK', `${info.name}.${info.arch}: ${id}`);
    }
  });

  test('a payloadhash that does not match fails with ERR_SIGMD5_MISMATCH on the mirror', async () => {
    const { info } = infos[0] as { info: KojiRpmInfo };
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-koji-'));
    await assert.rejects(download(kojiTarget({ ...info, payloadhash: '0'.repeat(32) }), { ...fast, mirrors: [mirror.url], dest }), (e: unknown) => {
      assert.ok(e instanceof DownloadError);
      assert.deepEqual(e.attempts.map((a) => a.code), ['ERR_SIGMD5_MISMATCH']);
      return true;
    });
    assert.deepEqual(await readdir(dest), []);
  });

  test('the copy signed by rpmsign under data/signed/KEYID: same payloadhash, signature valid by the key', { skip: missingRpmTools('rpmsign', 'gpg') }, async () => {
    const key = await makeSigningKey('rsa');
    const keyId = key.fingerprint.slice(-8).toLowerCase();
    const work = await mkdtemp(join(tmpdir(), 'rpmfetch-koji-sign-'));
    const { info, bytes } = infos.find((i) => i.info.arch !== 'src') as { info: KojiRpmInfo; bytes: Buffer };
    const signedPath = join(work, 'signed.rpm');
    await copyFile(join(FIXTURES, `${info.name}-${info.version}-${info.release}.${info.arch}.rpm`), signedPath);
    await rpmsign([signedPath], key);
    const signed = await readFile(signedPath);
    // rpm 4.14+ signs into reserved space, so the size often stays; older signers and large
    // signatures change it, which is why kojiTarget leaves the size to the package itself.
    assert.ok(!signed.equals(bytes), 'signing changed the file');
    mirror.files.set(kojiRpmPath(info, { sigkey: keyId.toUpperCase() }), signed);
    const target = kojiTarget(info, { sigkey: keyId });
    assert.equal(target.size, undefined, 'the unsigned size does not apply to a signed copy');
    const dest = await mkdtemp(join(tmpdir(), 'rpmfetch-koji-'));
    const keys = await Keyring.load([key.publicKey]);
    const r = await download(target, { ...fast, mirrors: [mirror.url], dest, keys });
    assert.ok((await readFile(r.file)).equals(signed));
    assert.equal(r.verdict.checks.find((c) => c.id === 'sigmd5')?.status, 'OK', 'signing keeps the payloadhash');
    assert.ok(r.signatures.some((s) => s.status === 'OK'), JSON.stringify(r.signatures));
    assert.ok(r.url.includes(`/data/signed/${keyId}/${info.arch}/`));
  });
});
