/**
 * Properties of the verifier over generated inputs: the verdict does not depend on how the bytes are
 * cut; no input of any length or content makes it throw, hang, or refuse with anything but its own
 * error codes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Verdict } from '../src/index.js';
import { HashWorkers } from '../src/workers/hash-workers.js';
import { CORPUS, corpusMissing } from './helpers/corpus.js';
import { verifyBytewise, verifyChunked } from './helpers/feed.js';
import { int32, str, strArray, writeHeader, writePackage } from './helpers/rpm-writer.js';

const VERDICT_CODES = new Set([
  'ERR_RPM_TRUNCATED', 'ERR_RPM_BAD_MAGIC', 'ERR_RPM_LEAD_INVALID', 'ERR_RPM_HEADER_TOO_LARGE', 'ERR_RPM_HEADER_INVALID',
  'ERR_RPM_DIGEST_MISMATCH', 'ERR_RPM_DIGEST_INVALID', 'ERR_RPM_NO_DIGEST', 'ERR_TRAILING_DATA', 'ERR_RPM_SIZE_INVALID',
  'ERR_NEVRA_MISMATCH',
]);

const canonical = (v: Verdict): string => JSON.stringify(v);

const samples: Array<{ name: string; bytes: Buffer }> = [
  { name: 'synthetic', bytes: writePackage().bytes },
  { name: 'synthetic source', bytes: writePackage({ source: true, arch: 'x86_64', epoch: 2 }).bytes },
  { name: 'synthetic v3', bytes: writePackage({ legacy: true }).bytes },
  { name: 'synthetic truncated', bytes: writePackage().bytes.subarray(0, 700) },
  { name: 'synthetic trailing', bytes: Buffer.concat([writePackage().bytes, Buffer.from('junk')]) },
];
if (!corpusMissing()) {
  for (const file of [
    'rpm/tests/data/RPMS/hello-2.0-1.x86_64-signed.rpm',
    'rpm-rs/tests/assets/RPMS/v6/signed/rpm-basic-multiple-signatures-2.3.4-5.el9.noarch.rpm',
    'derived/sigdig-corrupted-unsigned-3-payload.rpm',
    'derived/syn-sig-il-33.rpm',
  ]) {
    samples.push({ name: file, bytes: readFileSync(join(CORPUS, file)) });
  }
}

describe('chunking does not change the verdict', () => {
  for (const sample of samples) {
    test(`any cut points: ${sample.name}`, async () => {
      const whole = canonical(await verifyChunked(sample.bytes));
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat({ max: sample.bytes.length }), { maxLength: 40 }), async (cuts) => {
          assert.equal(canonical(await verifyChunked(sample.bytes, cuts)), whole);
        }),
        { numRuns: 60 },
      );
    });
  }

  for (const sample of samples.slice(0, 3)) {
    test(`one byte at a time: ${sample.name}`, async () => {
      assert.equal(canonical(await verifyBytewise(sample.bytes)), canonical(await verifyChunked(sample.bytes)));
    });
  }

  test('hashing on worker threads gives the same verdict in any chunking', async () => {
    const big = writePackage({ payload: Buffer.alloc(3 * 1024 * 1024 + 12345, 7) }).bytes;
    const inline = canonical(await verifyChunked(big, [], { offload: false }));
    assert.equal(JSON.parse(inline).ok, true);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: big.length }), { maxLength: 30 }), async (cuts) => {
        assert.equal(canonical(await verifyChunked(big, cuts, { offload: true })), inline);
      }),
      { numRuns: 15 },
    );
  });

  test('many verifications sharing the workers at once keep their verdicts apart', async () => {
    const packages = Array.from({ length: 8 }, (_, i) => writePackage({ name: `p${i}`, payload: Buffer.alloc(512 * 1024 + i, i) }));
    const broken = packages.map((p, i) => {
      if (i % 2 === 0) return p.bytes;
      const copy = Buffer.from(p.bytes);
      copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0xff;
      return copy;
    });
    const hashWorkers = new HashWorkers({ threads: 2 });
    try {
      const verdicts = await Promise.all(broken.map((b) => verifyChunked(b, [1000, 70000, 300000], { offload: true }, { hashWorkers })));
      verdicts.forEach((v, i) => assert.equal(v.ok, i % 2 === 0, `package ${i}: ${v.error?.message}`));
    } finally {
      await hashWorkers.close();
    }
  });
});

async function assertSettlesWithOwnCode(bytes: Uint8Array, cuts: number[] = []): Promise<void> {
  const v = await verifyChunked(bytes, cuts);
  if (!v.ok) assert.ok(VERDICT_CODES.has(v.error?.code ?? ''), `unexpected code ${v.error?.code}`);
}

describe('no input breaks the verifier', () => {
  test('arbitrary bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => assertSettlesWithOwnCode(bytes)), { numRuns: 1000 });
  });

  const valid = writePackage({ payload: Buffer.from('payload '.repeat(64)) }).bytes;

  test('a valid lead followed by anything', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (tail) => assertSettlesWithOwnCode(Buffer.concat([valid.subarray(0, 96), tail]))),
      { numRuns: 300 },
    );
  });

  test('a valid package with bytes overwritten, cut or appended', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat({ max: valid.length })),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.nat({ max: valid.length + 64 }), { maxLength: 6 }),
        async (writes, cut, appended, cuts) => {
          const bytes = Buffer.from(valid);
          for (const [at, value] of writes) bytes[at] = value;
          const mutated = Buffer.concat([bytes.subarray(0, cut ?? bytes.length), appended]);
          await assertSettlesWithOwnCode(mutated, cuts);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('headers with arbitrary index entries', async () => {
    const entry = fc.record({
      tag: fc.oneof(fc.constantFrom(62, 63, 100, 269, 273, 1000, 1004, 5092, 5097), fc.integer({ min: -5, max: 6000 })),
      type: fc.integer({ min: 0, max: 12 }),
      offset: fc.integer({ min: -40, max: 300 }),
      count: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(0xffffffff)),
    });
    const lead = valid.subarray(0, 96);
    const good = writeHeader([str(1000, 'n'), str(1001, '1'), str(1002, '1'), str(1022, 'noarch'), strArray(5092, ['ab'.repeat(32)]), int32(1003, [1])], 63);
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 0, maxLength: 6 }), fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (entries, data, asSignature) => {
        const header = Buffer.alloc(16 + 16 * entries.length);
        Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]).copy(header);
        header.writeUInt32BE(entries.length, 8);
        header.writeUInt32BE(data.length, 12);
        entries.forEach((e, i) => {
          header.writeInt32BE(e.tag, 16 + 16 * i);
          header.writeUInt32BE(e.type, 20 + 16 * i);
          header.writeInt32BE(e.offset, 24 + 16 * i);
          header.writeUInt32BE(e.count, 28 + 16 * i);
        });
        const random = Buffer.concat([header, data]);
        const bytes = asSignature
          ? Buffer.concat([lead, random, Buffer.alloc((8 - (random.length % 8)) % 8), good, Buffer.from('x')])
          : Buffer.concat([lead, writeHeader([], 62), random, Buffer.from('x')]);
        await assertSettlesWithOwnCode(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
