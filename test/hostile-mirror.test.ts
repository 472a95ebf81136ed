/**
 * What a hostile or broken mirror must not be able to do to a download: make it delete a file it did
 * not write, accept a package under another name, stream bytes already known to be bad, poison a
 * resume with another package's bytes, or hang on a response that is not plain HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { download, DownloadError, Keyring, verifyFile, type DownloadEvent, type DownloadOptions, type Target } from '../src/index.js';
import { FaultMirror, faults } from './helpers/fault-mirror.js';
import { endless, rawServer, rewriteSignatureTag, type Meter } from './helpers/hostile.js';
import { layoutOf } from './helpers/layout.js';
import { int64, writePackage } from './helpers/rpm-writer.js';
import { makeSigningKey, missingRpmTools, rpmsign } from './helpers/rpm-tools.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const NAME = 'rpmfetch-hello-1.0-1.noarch.rpm';
const OTHER_NAME = 'rpmfetch-data-0.9-7.noarch.rpm';
const SRC = 'rpmfetch-tools-2.1-3.fc40.src.rpm';
const PATH = `Packages/${NAME}`;
const original = readFileSync(join(FIXTURES, NAME));
const other = readFileSync(join(FIXTURES, OTHER_NAME));
const source = readFileSync(join(FIXTURES, SRC));
/** Far below the gigabytes a hostile mirror streamed, far above what socket buffers hold. */
const STREAM_BOUND = 32 * 1024 * 1024;

const FAST: Partial<DownloadOptions> = {
  retries: 1,
  timeouts: { connect: 1000, response: 1000, stall: 1000, minRate: 1 },
  backoff: { min: 10, max: 40 },
  hedge: false,
  reuse: false,
};

const started: FaultMirror[] = [];
async function mirror(files: Record<string, Buffer> = { [PATH]: original }): Promise<FaultMirror> {
  const m = await new FaultMirror().start();
  for (const [path, body] of Object.entries(files)) m.files.set(path, body);
  started.push(m);
  return m;
}
after(async () => {
  await Promise.all(started.map((m) => m.close()));
});

const freshDir = () => mkdtemp(join(tmpdir(), 'rpmfetch-hostile-'));

async function failure(p: Promise<unknown>): Promise<DownloadError> {
  const err = await p.then(
    () => assert.fail('the download should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DownloadError, `a DownloadError, got ${String(err)}`);
  return err;
}

describe('a failed download leaves a file it did not write exactly as it was', () => {
  const cases: Array<[string, Buffer]> = [
    ["a user's own file", Buffer.from('my notes, not a package\n')],
    ['a package that does not verify', original.subarray(0, original.length - 100)],
    ['a package of another name', other],
  ];
  for (const [what, bytes] of cases) {
    for (const reuse of [true, false]) {
      test(`${what} (reuse ${reuse})`, async () => {
        const m = await mirror();
        const dest = await freshDir();
        const mine = join(dest, 'mine.rpm');
        await writeFile(mine, bytes);
        const before = await stat(mine);
        const err = await failure(download({ path: 'Packages/missing-1-1.noarch.rpm', file: 'mine.rpm' }, { ...FAST, reuse, mirrors: [m.url], dest }));
        const now = await stat(mine);
        assert.ok((await readFile(mine)).equals(bytes), 'the bytes are as they were');
        assert.equal(now.ino, before.ino);
        assert.equal(now.mtimeMs, before.mtimeMs);
        assert.deepEqual(await readdir(dest), ['mine.rpm'], 'no temporary file either');
        assert.equal(err.existing?.file, mine, 'the error names the file left in place');
        assert.equal(err.existing?.verdict.ok, false, "and carries the existing file's verdict");
        assert.match(err.message, /mine\.rpm.*left as it was/);
      });
    }
  }

  test('a verified existing file replaced by a wrong copy? never: it stays when every mirror serves junk', async () => {
    const m = await mirror();
    m.always(PATH, faults.flipByte());
    const dest = await freshDir();
    const mine = join(dest, NAME);
    const stale = original.subarray(0, 5000);
    await writeFile(mine, stale);
    const err = await failure(download(PATH, { ...FAST, reuse: true, mirrors: [m.url], dest }));
    assert.ok((await readFile(mine)).equals(stale));
    assert.equal(err.existing?.verdict.error?.code, 'ERR_RPM_TRUNCATED');
  });
});

describe('the name check compares the package with the destination name', () => {
  test('a destination name ending in .rpm must name the package inside', async () => {
    const m = await mirror();
    const dest = await freshDir();
    const err = await failure(download({ path: PATH, file: 'pkg-1-1.x86_64.rpm' }, { ...FAST, mirrors: [m.url], dest }));
    assert.equal(err.attempts[0]?.code, 'ERR_NEVRA_MISMATCH');
    assert.deepEqual(await readdir(dest), []);
  });

  test('a destination name that is not an RPM name leaves the check to the path', async () => {
    const m = await mirror({ [PATH]: original, 'Packages/renamed-9-9.noarch.rpm': original });
    const dest = await freshDir();
    const ok = await download({ path: PATH, file: 'hello.bin' }, { ...FAST, mirrors: [m.url], dest });
    assert.equal(ok.file, join(dest, 'hello.bin'));
    const err = await failure(download({ path: 'Packages/renamed-9-9.noarch.rpm', file: 'hello2.bin' }, { ...FAST, mirrors: [m.url], dest }));
    assert.equal(err.attempts[0]?.code, 'ERR_NEVRA_MISMATCH');
  });
});

describe('progress and identity', () => {
  test('the last progress event reports every byte of the total before done', async () => {
    const m = await mirror();
    m.always(PATH, faults.drip(200_000));
    const dest = await freshDir();
    const events: DownloadEvent[] = [];
    await download(PATH, { ...FAST, mirrors: [m.url], dest, onEvent: (e) => events.push(e) });
    const doneAt = events.findIndex((e) => e.type === 'done');
    const last = events.slice(0, doneAt).filter((e) => e.type === 'progress').at(-1);
    assert.ok(last?.type === 'progress');
    assert.equal(last.bytes, original.length);
    assert.equal(last.total, original.length);
  });

  test('a source package reports arch src in its result, its NEVRA and its events', async () => {
    const m = await mirror({ [`SRPMS/${SRC}`]: source });
    const dest = await freshDir();
    const events: DownloadEvent[] = [];
    const r = await download(`SRPMS/${SRC}`, { ...FAST, mirrors: [m.url], dest, onEvent: (e) => events.push(e) });
    assert.equal(r.rpm.arch, 'src');
    assert.equal(r.rpm.nevra, 'rpmfetch-tools-1:2.1-3.fc40.src');
    assert.equal(r.rpm.buildArch, 'x86_64');
    assert.equal(r.rpm.source, true);
    const done = events.find((e) => e.type === 'done');
    assert.ok(done?.type === 'done');
    assert.equal(done.result.rpm.nevra, 'rpmfetch-tools-1:2.1-3.fc40.src');
    const verdict = await verifyFile(join(FIXTURES, SRC));
    assert.equal(verdict.rpm?.arch, 'src');
    assert.equal(verdict.rpm?.nevra, 'rpmfetch-tools-1:2.1-3.fc40.src');
  });
});

describe('bytes already known to be bad stop the transfer', () => {
  /** A package whose payload takes a while to stream, so that stopping early shows in the byte count. */
  const big = writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', payload: Buffer.alloc(8 * 1024 * 1024, 5) });

  async function bounded(body: Buffer, target: Partial<Target> = {}, extra: Partial<DownloadOptions> = {}): Promise<{ err: DownloadError; meter: Meter }> {
    const meter: Meter = { bytes: 0 };
    const m = await mirror();
    m.always(PATH, endless(body, meter));
    const dest = await freshDir();
    const err = await failure(download({ path: PATH, ...target }, { ...FAST, retries: 0, mirrors: [m.url], dest, ...extra }));
    assert.ok(meter.bytes < STREAM_BOUND, `the mirror streamed ${meter.bytes} bytes`);
    assert.deepEqual(await readdir(dest), []);
    return { err, meter };
  }

  test('SIZE rewritten to 4 GiB: refused from the headers, not after 4 GiB', async () => {
    const { err } = await bounded(rewriteSignatureTag(original, 1000, 0xffff_fff0));
    assert.equal(err.attempts[0]?.code, 'ERR_RPM_SIZE_INVALID', err.message);
  });

  test('LONGSIZE of 2^50: refused from the headers', async () => {
    const pkg = writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', digests: { size: false }, extraSig: [int64(270, [2 ** 50])] });
    const { err } = await bounded(pkg.bytes);
    // Past the 16 GiB default limit, that is what it says first.
    assert.equal(err.attempts[0]?.code, 'ERR_TOO_LARGE', err.message);
    const { err: bounded2 } = await bounded(pkg.bytes, {}, { maxSize: 2 ** 52 });
    assert.equal(bounded2.attempts[0]?.code, 'ERR_RPM_SIZE_INVALID', bounded2.message);
  });

  test('SIZE and LONGSIZE that disagree: refused from the headers', async () => {
    const pkg = writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', extraSig: [int64(270, [2 ** 40])] });
    const { err } = await bounded(pkg.bytes);
    assert.equal(err.attempts[0]?.code, 'ERR_RPM_SIZE_INVALID', err.message);
  });

  test("the caller's size: a package that says it is longer is refused from its headers", async () => {
    const pkg = writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', payload: Buffer.alloc(8 * 1024 * 1024, 3) });
    const { err } = await bounded(pkg.bytes, { size: pkg.bytes.length - 10 });
    assert.equal(err.attempts[0]?.code, 'ERR_SIZE_MISMATCH', err.message);
    assert.ok((err.attempts[0]?.bytes ?? Infinity) < pkg.bytes.length / 2, `stopped long before the payload ended: ${err.attempts[0]?.bytes}`);
  });

  test("the caller's size with a package that states none: never more bytes than the caller said", async () => {
    const pkg = writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', digests: { size: false } });
    const { err } = await bounded(pkg.bytes, { size: pkg.bytes.length });
    assert.equal(err.attempts[0]?.code, 'ERR_SIZE_MISMATCH', err.message);
  });

  test('a sha256 alone, with SIZE rewritten: refused from the headers', async () => {
    const { err } = await bounded(rewriteSignatureTag(original, 1000, 0x7fff_0000), { checksum: { type: 'sha256', hex: 'a'.repeat(64) } });
    assert.equal(err.attempts[0]?.code, 'ERR_RPM_SIZE_INVALID', err.message);
  });

  test('a header digest that does not match: refused before the payload', async () => {
    const bytes = Buffer.from(original);
    const at = layoutOf(bytes).hdrData[0] + 40;
    bytes[at] = (bytes[at] as number) ^ 1;
    const { err } = await bounded(bytes);
    assert.match(err.attempts[0]?.code ?? '', /ERR_RPM_(DIGEST_MISMATCH|HEADER_INVALID)/, err.message);
  });

  test('another package under the name: refused from its header', async () => {
    const { err } = await bounded(other);
    assert.equal(err.attempts[0]?.code, 'ERR_NEVRA_MISMATCH');
  });

  test("koji's payloadhash that the package's MD5 contradicts: refused from the signature header", async () => {
    const { err } = await bounded(original, { sigmd5: '0'.repeat(32) });
    assert.equal(err.attempts[0]?.code, 'ERR_SIGMD5_MISMATCH');
  });

  test('with keys, an unsigned package: refused from its signature header', async () => {
    const { generateKey } = await import('openpgp');
    const { publicKey } = await generateKey({ userIDs: [{ name: 'test' }], type: 'ecc', curve: 'ed25519Legacy', format: 'armored' });
    const keys = await Keyring.read([publicKey]);
    const { err } = await bounded(big.bytes, {}, { keys });
    assert.equal(err.attempts[0]?.code, 'ERR_UNSIGNED');
    assert.ok((err.attempts[0]?.bytes ?? Infinity) < big.bytes.length / 2, `stopped long before the payload ended: ${err.attempts[0]?.bytes}`);
  });

  test('with keys, a package signed by another key: refused from its signature header', { skip: missingRpmTools('rpmsign', 'gpg') }, async () => {
    const dir = await freshDir();
    const signed = join(dir, NAME);
    await writeFile(signed, big.bytes);
    const [signer, trusted] = await Promise.all([makeSigningKey('eddsa', { name: 'foreign' }), makeSigningKey('eddsa', { name: 'trusted' })]);
    await rpmsign([signed], signer);
    const keys = await Keyring.load([trusted.publicKey]);
    const bytes = await readFile(signed);
    const { err } = await bounded(bytes, {}, { keys });
    assert.equal(err.attempts[0]?.code, 'ERR_SIGNATURE_NOKEY');
    assert.ok((err.attempts[0]?.bytes ?? Infinity) < bytes.length / 2, `stopped long before the payload ended: ${err.attempts[0]?.bytes}`);
  });

  test('maxSize bounds a package that nobody else bounds', async () => {
    const pkg = writePackage({ name: 'rpmfetch-hello', version: '1.0', release: '1', digests: { size: false }, payload: Buffer.alloc(3 * 1024 * 1024, 7) });
    const { err } = await bounded(pkg.bytes.subarray(0, pkg.bytes.length - 100), {}, { maxSize: 1024 * 1024 });
    assert.equal(err.attempts[0]?.code, 'ERR_TOO_LARGE', err.message);
  });
});

describe("a resume never mixes two packages' bytes", () => {
  const cuts: Array<[string, (b: Buffer) => number]> = [
    ['inside the lead', () => 50],
    ['inside the signature header', (b) => layoutOf(b).sigIndex[0] + 20],
    ['inside the main header', (b) => layoutOf(b).hdrIndex[0] + 40],
    ['inside the payload', (b) => layoutOf(b).payload[0] + 2000],
  ];
  for (const [where, cut] of cuts) {
    test(`a mirror sends another package cut ${where}; the healthy mirror serves it whole`, async () => {
      const bad = await mirror();
      const good = await mirror();
      bad.always(PATH, (ctx) => {
        const part = other.subarray(0, cut(other));
        ctx.res.writeHead(200, { 'content-length': String(original.length) });
        ctx.res.write(part, () => setTimeout(() => ctx.res.socket?.destroy(), 20));
      });
      const dest = await freshDir();
      const r = await download(PATH, { ...FAST, retries: 2, mirrors: [bad.url, good.url], dest });
      assert.ok((await readFile(r.file)).equals(original));
      assert.deepEqual(await readdir(dest), [NAME]);
    });
  }

  test('with no name to check, the part of another package is dropped once a healthy mirror disagrees with it', async () => {
    const bad = await mirror({ 'blobs/package': original });
    const good = await mirror({ 'blobs/package': original });
    bad.always('blobs/package', (ctx) => {
      ctx.res.writeHead(200, { 'content-length': String(other.length) });
      ctx.res.write(other.subarray(0, layoutOf(other).payload[0] + 3000), () => setTimeout(() => ctx.res.socket?.destroy(), 20));
    });
    const dest = await freshDir();
    const r = await download('blobs/package', { ...FAST, retries: 2, mirrors: [bad.url, good.url], dest });
    assert.ok((await readFile(r.file)).equals(original));
    const restarts = r.attempts.filter((a) => a.mirror === good.url && a.code === 'ERR_BAD_CONTENT_RANGE');
    assert.equal(restarts.length, 1, JSON.stringify(r.attempts, null, 1));
    assert.equal(r.attempts.at(-1)?.offset, 0);
    assert.equal(r.attempts.at(-1)?.attempt, 1, "the restart did not cost the healthy mirror an attempt");
  });

  test('a mirror whose copy is another length: the held bytes are dropped, not every other mirror refused', async () => {
    const a = await mirror();
    const b = await mirror();
    const c = await mirror();
    // a sends half of the right package and drops; b's copy is a different length (stale); c is good.
    a.always(PATH, faults.closeEarly(0.5));
    b.files.set(PATH, other);
    const dest = await freshDir();
    const r = await download(PATH, { ...FAST, retries: 2, mirrors: [a.url, b.url, c.url], dest });
    assert.ok((await readFile(r.file)).equals(original));
  });
});

describe('a response that is not plain HTTP ends the attempt', () => {
  const replies: Array<[string, string]> = [
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['101 with bytes after it', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\nthen anything at all'],
    ['endless 103 Early Hints', 'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n'.repeat(50)],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['no status line', 'hello\r\n\r\n'],
  ];
  for (const [what, reply] of replies) {
    test(what, async () => {
      const server = await rawServer((s) => s.write(reply));
      const good = await mirror();
      const dest = await freshDir();
      try {
        const err = await failure(download(PATH, { ...FAST, retries: 0, mirrors: [server.url], dest }));
        assert.ok(err.attempts.length === 1 && err.attempts[0]?.code !== 'OK', JSON.stringify(err.attempts));
        const r = await download(PATH, { ...FAST, retries: 0, mirrors: [server.url, good.url], dest });
        assert.equal(r.mirror, good.url);
      } finally {
        await server.close();
      }
    });
  }
});
