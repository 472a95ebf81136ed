/**
 * The verifier's checks one by one, on packages written by the test's own RPM writer, so that every
 * rule and every error code is exercised without rpmbuild or the shared corpus.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import ssri from 'ssri';
import { createVerifier, InvalidOptionError, RpmfetchError, verifyFile, type Verdict, type VerifyError } from '../src/index.js';
import { verifyChunked } from './helpers/feed.js';
import { bin, int32, int64, str, strArray, T, writeHeader, writePackage } from './helpers/rpm-writer.js';

const check = (v: Verdict, id: string) => v.checks.find((c) => c.id === id);

function assertFails(v: Verdict, code: string, pattern?: RegExp): void {
  assert.equal(v.ok, false, `expected ${code}, got ok`);
  assert.equal(v.error?.code, code, `${v.error?.code}: ${v.error?.message}`);
  if (pattern) assert.match(v.error?.message ?? '', pattern);
}

function flip(bytes: Buffer, at: number, mask = 0x01): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ mask;
  return copy;
}

describe('a whole package', () => {
  const pkg = writePackage({ name: 'hello', version: '2.0', release: '1', arch: 'x86_64', epoch: 0 });

  test('passes every check and reports who it is', async () => {
    const v = await verifyChunked(pkg.bytes, [], { fileName: pkg.fileName });
    assert.equal(v.ok, true, v.error?.message);
    assert.deepEqual(
      v.checks.map((c) => `${c.id}:${c.status}`),
      ['structure:OK', 'header-sha256:OK', 'header-sha1:OK', 'payload-sha256:OK', 'md5:OK', 'digests:OK', 'size:OK', 'file-name:OK'],
    );
    assert.equal(v.rpm?.nevra, 'hello-0:2.0-1.x86_64');
    assert.equal(v.rpm?.source, false);
    assert.equal(v.rpm?.payloadCompressor, 'gzip');
    assert.equal(v.rpm?.format, 4);
    assert.equal(v.size, pkg.bytes.length);
    assert.equal(v.expectedSize, pkg.bytes.length);
    assert.equal(v.digests['payload:sha256'], createHash('sha256').update(pkg.payload).digest('hex'));
    assert.equal(v.digests['header+payload:md5'], createHash('md5').update(pkg.header).update(pkg.payload).digest('hex'));
  });

  test('expectations that hold pass: size, integrity, checksum, sigmd5, nevra', async () => {
    const sha256 = createHash('sha256').update(pkg.bytes).digest('hex');
    const md5 = createHash('md5').update(pkg.header).update(pkg.payload).digest('hex');
    const v = await verifyChunked(pkg.bytes, [100, 1000], {
      size: pkg.bytes.length,
      integrity: ssri.fromData(pkg.bytes, { algorithms: ['sha512'] }).toString(),
      checksum: { type: 'sha256', hex: sha256.toUpperCase() },
      sigmd5: md5,
      nevra: 'hello-2.0-1.x86_64',
    });
    assert.equal(v.ok, true, v.error?.message);
    for (const id of ['expected-size', 'integrity', 'checksum', 'sigmd5', 'nevra']) assert.equal(check(v, id)?.status, 'OK', id);
    assert.equal(v.digests['file:sha256'], sha256);
  });

  test('an epoch in the expected NEVRA must match (absent epoch counts as 0)', async () => {
    assert.equal((await verifyChunked(pkg.bytes, [], { nevra: 'hello-0:2.0-1.x86_64' })).ok, true);
    assertFails(await verifyChunked(pkg.bytes, [], { nevra: 'hello-1:2.0-1.x86_64' }), 'ERR_NEVRA_MISMATCH');
  });

  test('legacy checksum type "sha" means SHA-1', async () => {
    const hex = createHash('sha1').update(pkg.bytes).digest('hex');
    assert.equal((await verifyChunked(pkg.bytes, [], { checksum: { type: 'sha', hex } })).ok, true);
  });
});

describe("caller's expectations that do not hold", () => {
  const pkg = writePackage({ name: 'hello', arch: 'x86_64' });

  test('size', async () => {
    assertFails(await verifyChunked(pkg.bytes, [], { size: pkg.bytes.length + 1 }), 'ERR_SIZE_MISMATCH', /expected \d+ bytes/);
  });
  test('SRI integrity', async () => {
    const other = ssri.fromData(Buffer.from('other'), { algorithms: ['sha256'] }).toString();
    assertFails(await verifyChunked(pkg.bytes, [], { integrity: other }), 'ERR_INTEGRITY_MISMATCH');
  });
  test('checksum', async () => {
    assertFails(await verifyChunked(pkg.bytes, [], { checksum: { type: 'md5', hex: '0'.repeat(32) } }), 'ERR_INTEGRITY_MISMATCH');
  });
  test('sigmd5 that differs, and a package without MD5', async () => {
    assertFails(await verifyChunked(pkg.bytes, [], { sigmd5: 'f'.repeat(32) }), 'ERR_SIGMD5_MISMATCH');
    const noMd5 = writePackage({ digests: { md5: false } });
    const v = await verifyChunked(noMd5.bytes, [], { sigmd5: 'f'.repeat(32) });
    assertFails(v, 'ERR_SIGMD5_MISMATCH');
    assert.equal(check(v, 'sigmd5')?.status, 'MISSING');
  });
  test('NEVRA: name, arch, source flag', async () => {
    assertFails(await verifyChunked(pkg.bytes, [], { nevra: 'other-1.0-1.x86_64' }), 'ERR_NEVRA_MISMATCH');
    assertFails(await verifyChunked(pkg.bytes, [], { nevra: 'hello-1.0-1.noarch' }), 'ERR_NEVRA_MISMATCH');
    assertFails(await verifyChunked(pkg.bytes, [], { nevra: 'hello-1.0-1.src' }), 'ERR_NEVRA_MISMATCH');
  });
  test('malformed expectations are refused before any byte', () => {
    for (const bad of [{ size: -1 }, { size: 1.5 }, { integrity: 'not-sri' }, { checksum: { type: 'crc32', hex: '00' } }, { checksum: { type: 'sha256', hex: 'abc' } }, { sigmd5: 'xyz' }, { nevra: 'nodashes' }]) {
      assert.throws(() => createVerifier(bad), (err: unknown) => err instanceof InvalidOptionError && err.code === 'ERR_INVALID_OPTION', JSON.stringify(bad));
    }
  });
});

describe('file names', () => {
  test('a binary package must be N-V-R.A.rpm', async () => {
    const pkg = writePackage({ name: 'bash', version: '5.2', release: '3.fc40', arch: 'x86_64', epoch: 1 });
    assert.equal((await verifyChunked(pkg.bytes, [], { fileName: 'bash-5.2-3.fc40.x86_64.rpm' })).ok, true);
    for (const name of ['bash-5.2-3.fc40.noarch.rpm', 'bash-5.2-4.fc40.x86_64.rpm', 'zsh-5.2-3.fc40.x86_64.rpm', 'bash-5.2-3.fc40.src.rpm', 'bash.rpm']) {
      const v = await verifyChunked(pkg.bytes, [], { fileName: name });
      assertFails(v, 'ERR_NEVRA_MISMATCH', /expected bash-5\.2-3\.fc40\.x86_64\.rpm/);
      assert.equal(v.error?.check, 'file-name');
    }
  });
  test('a source package carries its build arch in the header but is named .src.rpm', async () => {
    const pkg = writePackage({ name: 'bash', version: '5.2', release: '3', arch: 'x86_64', source: true });
    const v = await verifyChunked(pkg.bytes, [], { fileName: 'bash-5.2-3.src.rpm', nevra: 'bash-5.2-3.src' });
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(v.rpm?.arch, 'src');
    assert.equal(v.rpm?.buildArch, 'x86_64');
    assert.equal(v.rpm?.nevra, 'bash-5.2-3.src');
    assert.equal(v.rpm?.source, true);
    assertFails(await verifyChunked(pkg.bytes, [], { fileName: 'bash-5.2-3.x86_64.rpm' }), 'ERR_NEVRA_MISMATCH');
  });
  test("rpm's heuristic: no SOURCERPM and one empty directory name means source", async () => {
    // writePackage adds SOURCERPM for binaries; build one without it by hand.
    const header = writeHeader([str(1000, 'old'), str(1001, '1'), str(1002, '1'), str(1022, 'noarch'), strArray(1118, [''])], 63);
    const sig = writeHeader([str(273, createHash('sha256').update(header).digest('hex')), int32(1000, [header.length + 3]), bin(1004, createHash('md5').update(header).update('abc').digest())], 62);
    const lead = Buffer.from(writePackage().lead);
    const bytes = Buffer.concat([lead, sig, Buffer.alloc((8 - (sig.length % 8)) % 8), header, Buffer.from('abc')]);
    const v = await verifyChunked(bytes);
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(v.rpm?.source, true);
  });
  test('verifyFile checks the file name unless told not to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rpmfetch-verify-'));
    const pkg = writePackage({ name: 'hello', arch: 'x86_64' });
    await writeFile(join(dir, pkg.fileName), pkg.bytes);
    await writeFile(join(dir, 'renamed.rpm'), pkg.bytes);
    assert.equal((await verifyFile(join(dir, pkg.fileName))).ok, true);
    assertFails(await verifyFile(join(dir, 'renamed.rpm')), 'ERR_NEVRA_MISMATCH');
    assert.equal((await verifyFile(join(dir, 'renamed.rpm'), { fileName: false })).ok, true);
    await assert.rejects(verifyFile(join(dir, 'missing.rpm')), (err: unknown) => err instanceof RpmfetchError && err.code === 'ERR_FILE_UNREADABLE');
  });
});

describe('structure', () => {
  const pkg = writePackage();
  const sigStart = 96;
  const hdrStart = 96 + pkg.signature.length + pkg.pad.length;

  test('truncation inside every part is ERR_RPM_TRUNCATED', async () => {
    const payloadStart = hdrStart + pkg.header.length;
    for (const at of [0, 50, 95, 96, 100, 112, sigStart + 20, hdrStart - 1, hdrStart, hdrStart + 10, hdrStart + 30, payloadStart - 1, payloadStart, pkg.bytes.length - 1]) {
      const v = await verifyChunked(pkg.bytes.subarray(0, at));
      assertFails(v, 'ERR_RPM_TRUNCATED');
    }
  });

  test('bad magic in the lead and in either header', async () => {
    assertFails(await verifyChunked(flip(pkg.bytes, 0)), 'ERR_RPM_BAD_MAGIC', /not an rpm package/);
    assertFails(await verifyChunked(flip(pkg.bytes, sigStart + 2)), 'ERR_RPM_BAD_MAGIC', /signature header/);
    assertFails(await verifyChunked(flip(pkg.bytes, sigStart + 7)), 'ERR_RPM_BAD_MAGIC', /reserved|bad magic/);
    assertFails(await verifyChunked(flip(pkg.bytes, hdrStart + 3)), 'ERR_RPM_BAD_MAGIC', /main header/);
  });

  test('lead: signature type and major version as rpm 4.18.0 checks them', async () => {
    assertFails(await verifyChunked(flip(pkg.bytes, 79, 0x04)), 'ERR_RPM_LEAD_INVALID', /signature type/);
    const major5 = Buffer.from(pkg.bytes);
    major5[4] = 5;
    assertFails(await verifyChunked(major5), 'ERR_RPM_LEAD_INVALID', /version 5/);
    // The lead's name, type and arch are cosmetic.
    const cosmetic = Buffer.from(pkg.bytes);
    cosmetic.write('garbage', 10);
    cosmetic[7] = 1;
    assert.equal((await verifyChunked(cosmetic)).ok, true);
  });

  function withIntro(il: number, dl: number, at: number): Buffer {
    const b = Buffer.from(pkg.bytes);
    b.writeUInt32BE(il, at + 8);
    b.writeUInt32BE(dl, at + 12);
    return b;
  }

  test("rpm's header limits are refused right after the intro, before the rest arrives", async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [withIntro(33, 100, sigStart), /33 index entries/],
      [withIntro(1, 64 * 1024 * 1024 + 1, sigStart), /67108865 bytes/],
      [withIntro(0x10000, 100, hdrStart), /65536 index entries/],
      [withIntro(1, 0x10000000, hdrStart), /268435456 bytes/],
      [withIntro(0xffff, 0x0fffffff, hdrStart), /256 MiB/],
    ];
    for (const [bytes, pattern] of cases) {
      const verifier = createVerifier();
      const failure = once(verifier, 'failure') as Promise<[VerifyError]>;
      const introEnd = bytes === cases[0]?.[0] || bytes === cases[1]?.[0] ? sigStart + 16 : hdrStart + 16;
      verifier.write(bytes.subarray(0, introEnd));
      const [err] = await failure;
      assert.equal(err.code, 'ERR_RPM_HEADER_TOO_LARGE');
      assert.match(err.message, pattern);
      verifier.end(bytes.subarray(introEnd));
      assert.equal((await verifier.verdict()).error?.code, 'ERR_RPM_HEADER_TOO_LARGE');
    }
  });

  test('a header that claims much and sends little costs only what it sent', async () => {
    const verifier = createVerifier();
    const before = process.memoryUsage().arrayBuffers;
    verifier.write(withIntro(0xffff, 0x0fffffff - 16 * 0xffff - 64, hdrStart).subarray(0, hdrStart + 16));
    verifier.write(Buffer.alloc(1024 * 1024));
    const grown = process.memoryUsage().arrayBuffers - before;
    verifier.end();
    // The package's SIZE cannot hold such a header: known from its intro, before any of it is read.
    assertFails(await verifier.verdict(), 'ERR_RPM_SIZE_INVALID', /main header/);
    assert.ok(grown < 16 * 1024 * 1024, `buffered ${grown} bytes for 1 MiB received`);
  });

  test('index rules: overlapping data, bad type, misaligned offset, tag below 100', async () => {
    const hdrIndex = hdrStart + 16;
    const entry = (i: number) => hdrIndex + 16 * i;
    // Entry 1 is the first after the region entry: I18NTABLE (100) STRING_ARRAY at offset 0.
    const badType = Buffer.from(pkg.bytes);
    badType.writeUInt32BE(0, entry(1) + 4);
    assertFails(await verifyChunked(badType), 'ERR_RPM_HEADER_INVALID', /tag\[0\]: BAD/);
    const lowTag = Buffer.from(pkg.bytes);
    lowTag.writeInt32BE(99, entry(1));
    assertFails(await verifyChunked(lowTag), 'ERR_RPM_HEADER_INVALID');
    const overlap = Buffer.from(pkg.bytes);
    overlap.writeInt32BE(0, entry(2) + 8); // NAME's data moved on top of I18NTABLE's
    assertFails(await verifyChunked(overlap), 'ERR_RPM_HEADER_INVALID');
    const wrongType = Buffer.from(pkg.bytes);
    wrongType.writeUInt32BE(T.BIN, entry(2) + 4); // NAME is registered as STRING
    assertFails(await verifyChunked(wrongType), 'ERR_RPM_HEADER_INVALID');
  });

  test('region rules: trailer, size, and the main header must be one region', async () => {
    const mainEntries = [str(1000, 'x'), str(1001, '1'), str(1002, '1'), str(1022, 'noarch')];
    const header = writeHeader(mainEntries, 63);
    const broken = Buffer.from(header);
    broken.writeInt32BE(62, header.length - 16); // trailer tag of the wrong region
    const sig = writeHeader([str(273, createHash('sha256').update(broken).digest('hex')), bin(1004, createHash('md5').update(broken).digest())], 62);
    const bytes = Buffer.concat([pkg.lead, sig, Buffer.alloc((8 - (sig.length % 8)) % 8), broken]);
    assertFails(await verifyChunked(bytes), 'ERR_RPM_HEADER_INVALID', /region trailer: BAD/);
  });

  test('a legacy (v3) header without regions is read as rpm reads it', async () => {
    const v3 = writePackage({ legacy: true, name: 'legacy' });
    const v = await verifyChunked(v3.bytes, [], { fileName: v3.fileName });
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(v.rpm?.format, 3);
    assert.equal(check(v, 'md5')?.status, 'OK');
  });
});

describe('digests', () => {
  test('a flipped payload byte fails the payload digest and MD5', async () => {
    const pkg = writePackage();
    const v = await verifyChunked(flip(pkg.bytes, pkg.bytes.length - 5));
    assertFails(v, 'ERR_RPM_DIGEST_MISMATCH', /Payload SHA256 digest/);
    assert.equal(check(v, 'md5')?.status, 'BAD');
    assert.equal(check(v, 'header-sha256')?.status, 'OK');
  });

  test('a flipped header data byte fails the header digests', async () => {
    const pkg = writePackage();
    const at = pkg.bytes.length - pkg.payload.length - 20; // inside the header's data, before the trailer
    const v = await verifyChunked(flip(pkg.bytes, at, 0x20));
    assert.equal(v.ok, false);
    assert.equal(check(v, 'header-sha256')?.status, 'BAD');
  });

  test('digests compare case-insensitively, and malformed digests are BAD as in rpm', async () => {
    const payload = Buffer.from('x'.repeat(100));
    const good = createHash('sha256').update(writePackage({ payload }).header).digest('hex');
    const make = (value: string) =>
      writePackage({ payload, digests: { sha256: false }, extraSig: [str(273, value)] });
    assert.equal((await verifyChunked(make(good.toUpperCase()).bytes)).ok, true);
    assertFails(await verifyChunked(make(`${good.slice(0, 63)}g`).bytes), 'ERR_RPM_DIGEST_INVALID', /invalid hex/);
    assertFails(await verifyChunked(make(good.slice(0, 62)).bytes), 'ERR_RPM_DIGEST_INVALID', /invalid size/);
  });

  test('a digest tag of an integer type counts as absent, like rpm', async () => {
    const pkg = writePackage({ digests: { sha1: false }, extraSig: [int32(269, [1])] });
    const v = await verifyChunked(pkg.bytes);
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(check(v, 'header-sha1'), undefined);
  });

  test('MD5 with 15 bytes is invalid data', async () => {
    const pkg = writePackage({ digests: { md5: false }, extraSig: [bin(1004, Buffer.alloc(15))] });
    assertFails(await verifyChunked(pkg.bytes), 'ERR_RPM_DIGEST_INVALID', /invalid data \(15\)/);
  });

  test('no digest over the payload: ERR_RPM_NO_DIGEST', async () => {
    const pkg = writePackage({ digests: { md5: false, payloadSha256: false } });
    const v = await verifyChunked(pkg.bytes);
    assertFails(v, 'ERR_RPM_NO_DIGEST', /payload/);
    assert.equal(check(v, 'digests')?.status, 'MISSING');
  });

  test('no digest at all: ERR_RPM_NO_DIGEST', async () => {
    const pkg = writePackage({ digests: { md5: false, payloadSha256: false, sha1: false, sha256: false } });
    assertFails(await verifyChunked(pkg.bytes), 'ERR_RPM_NO_DIGEST', /header or the payload/);
  });

  test('MD5 alone covers header and payload (v3 packages)', async () => {
    const pkg = writePackage({ digests: { payloadSha256: false, sha1: false, sha256: false } });
    assert.equal((await verifyChunked(pkg.bytes)).ok, true);
  });

  test('a payload that matches only its ALT digest passes, as rpm allows, with the primary SKIPPED', async () => {
    const stored = Buffer.from('uncompressed payload'.repeat(10));
    const pkg = writePackage({
      payload: stored,
      digests: { payloadSha256: false, md5: false },
      extraMain: [strArray(5092, ['ab'.repeat(32)]), strArray(5097, [createHash('sha256').update(stored).digest('hex')])],
    });
    const v = await verifyChunked(pkg.bytes);
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(check(v, 'payload-sha256')?.status, 'SKIPPED');
    assert.equal(check(v, 'payload-sha256-alt')?.status, 'OK');
  });

  test("rpm 6's SHA3-256 header and SHA-512 / SHA3-256 payload digests are checked", async () => {
    const payload = Buffer.from('v6 payload'.repeat(30));
    const sha512 = createHash('sha512').update(payload).digest('hex');
    const sha3 = createHash('sha3-256').update(payload).digest('hex');
    const ok = writePackage({ payload, extraMain: [str(5121, sha512), str(5123, sha3)] });
    const v = await verifyChunked(ok.bytes);
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(check(v, 'payload-sha512')?.status, 'OK');
    assert.equal(check(v, 'payload-sha3-256')?.status, 'OK');
    const bad = writePackage({ payload, extraMain: [str(5121, sha512.replace(/^./, (c) => (c === '0' ? '1' : '0')))] });
    assertFails(await verifyChunked(bad.bytes), 'ERR_RPM_DIGEST_MISMATCH', /SHA512/);
  });
});

describe('digest level', () => {
  test("rpm6 leaves MD5 and header SHA-1 unchecked where SHA-256 covers header and payload", async () => {
    const pkg = writePackage();
    const broken = Buffer.from(pkg.bytes);
    // The stored MD5 (the last 16 bytes of the signature header's data) no longer matches.
    const md5At = 96 + pkg.signature.length - 16 - 16;
    broken[md5At] = (broken[md5At] as number) ^ 0xff;
    assertFails(await verifyChunked(broken), 'ERR_RPM_DIGEST_MISMATCH', /MD5 digest/);
    const v = await verifyChunked(broken, [], { digestLevel: 'rpm6' });
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(check(v, 'md5')?.status, 'SKIPPED');
    assert.equal(check(v, 'header-sha1')?.status, 'SKIPPED');
    assert.equal(v.digests['header+payload:md5'], undefined, 'not computed');
  });

  test('rpm6 still checks MD5 where it is the only payload digest', async () => {
    const pkg = writePackage({ digests: { payloadSha256: false } });
    const v = await verifyChunked(flip(pkg.bytes, pkg.bytes.length - 1), [], { digestLevel: 'rpm6' });
    assertFails(v, 'ERR_RPM_DIGEST_MISMATCH', /MD5/);
  });

  test('an unknown level is refused before any byte', () => {
    assert.throws(() => createVerifier({ digestLevel: 'none' as 'all' }), (err: unknown) => err instanceof InvalidOptionError);
  });
});

describe('size', () => {
  test('appended bytes are ERR_TRAILING_DATA, signalled as soon as they arrive', async () => {
    const pkg = writePackage();
    const verifier = createVerifier();
    const failure = once(verifier, 'failure') as Promise<[VerifyError]>;
    verifier.write(pkg.bytes);
    verifier.write(Buffer.from('junk'));
    assert.equal((await failure)[0].code, 'ERR_TRAILING_DATA');
    verifier.end();
    const v = await verifier.verdict();
    assertFails(v, 'ERR_TRAILING_DATA');
    // The digests are still reported: hashing went on.
    assert.equal(check(v, 'payload-sha256')?.status, 'BAD');
  });

  test('a body cut short at a payload boundary is truncation, not a digest mismatch', async () => {
    const pkg = writePackage();
    const v = await verifyChunked(pkg.bytes.subarray(0, pkg.bytes.length - 7));
    assertFails(v, 'ERR_RPM_TRUNCATED', /cut short/);
    assert.equal(check(v, 'size')?.status, 'BAD');
  });

  test('SIZE and LONGSIZE: malformed or disagreeing tags are ERR_RPM_SIZE_INVALID', async () => {
    const pkg = writePackage({ digests: { size: false }, extraSig: [int64(1000, [1])] });
    assertFails(await verifyChunked(pkg.bytes), 'ERR_RPM_SIZE_INVALID', /SIZE tag/);
    const long = writePackage();
    const withLong = writePackage({ extraSig: [int64(270, [long.header.length + long.payload.length + 1])] });
    assertFails(await verifyChunked(withLong.bytes), 'ERR_RPM_SIZE_INVALID', /disagree/);
  });

  test('LONGSIZE alone is used like SIZE', async () => {
    const base = writePackage();
    const pkg = writePackage({ digests: { size: false }, extraSig: [int64(270, [base.header.length + base.payload.length])] });
    const v = await verifyChunked(pkg.bytes);
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(v.expectedSize, pkg.bytes.length);
  });

  test('v6: PAYLOADSIZE in the main header gives the length', async () => {
    const payload = Buffer.from('payload'.repeat(100));
    const pkg = writePackage({ payload, digests: { size: false }, extraMain: [int64(5112, [payload.length])] });
    const v = await verifyChunked(pkg.bytes);
    assert.equal(v.ok, true, v.error?.message);
    assert.equal(check(v, 'size')?.status, 'OK');
    assertFails(await verifyChunked(pkg.bytes.subarray(0, pkg.bytes.length - 1)), 'ERR_RPM_TRUNCATED');
  });

  test('a package without any size tag still verifies, with the size check MISSING', async () => {
    const pkg = writePackage({ digests: { size: false } });
    const v = await verifyChunked(pkg.bytes);
    assert.equal(v.ok, true);
    assert.equal(check(v, 'size')?.status, 'MISSING');
  });
});

describe('stream behaviour', () => {
  test('destroying the verifier rejects its verdict with ERR_ABORTED', async () => {
    const pkg = writePackage();
    const verifier = createVerifier();
    verifier.write(pkg.bytes.subarray(0, 500));
    verifier.destroy();
    await assert.rejects(verifier.verdict(), (err: unknown) => err instanceof RpmfetchError && err.code === 'ERR_ABORTED');
  });

  test('a bad package never makes the stream emit error', async () => {
    const verifier = createVerifier();
    let errored = false;
    verifier.on('error', () => {
      errored = true;
    });
    verifier.end(Buffer.from('this is not an rpm at all, just text'.repeat(10)));
    const v = await verifier.verdict();
    assertFails(v, 'ERR_RPM_BAD_MAGIC');
    assert.equal(errored, false);
  });

  test('expectedSize and identity are known before the payload ends', async () => {
    const pkg = writePackage({ name: 'early' });
    const verifier = createVerifier();
    verifier.write(pkg.bytes.subarray(0, pkg.bytes.length - pkg.payload.length + 1));
    await new Promise((r) => setImmediate(r));
    assert.equal(verifier.expectedSize, pkg.bytes.length);
    assert.equal(verifier.identity?.name, 'early');
    verifier.end(pkg.bytes.subarray(pkg.bytes.length - pkg.payload.length + 1));
    assert.equal((await verifier.verdict()).ok, true);
  });
});
