/**
 * The committed rpmbuild-built fixtures: real packages that every machine has, whole and damaged.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyFile } from '../src/index.js';
import { verifyChunked } from './helpers/feed.js';
import { layoutOf } from './helpers/layout.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/packages');
const files = readdirSync(DIR).filter((f) => f.endsWith('.rpm'));

describe('committed rpmbuild fixtures', () => {
  test('there are binary and source packages with gzip, xz and zstd payloads', async () => {
    const verdicts = await Promise.all(files.map((f) => verifyFile(join(DIR, f))));
    assert.ok(verdicts.some((v) => v.rpm?.source) && verdicts.some((v) => !v.rpm?.source));
    assert.deepEqual(new Set(verdicts.map((v) => v.rpm?.payloadCompressor)), new Set(['gzip', 'xz', 'zstd']));
  });

  for (const file of files) {
    const bytes = readFileSync(join(DIR, file));
    const layout = layoutOf(bytes);

    test(`${file}: whole, it passes under its own name`, async () => {
      const v = await verifyFile(join(DIR, file));
      assert.equal(v.ok, true, v.error?.message);
      assert.equal(v.size, bytes.length);
      assert.equal(v.expectedSize, bytes.length);
    });

    test(`${file}: damaged, it fails with the code that names the damage`, async () => {
      const payloadByte = Buffer.from(bytes);
      const at = layout.payload[0] + Math.floor((layout.payload[1] - layout.payload[0]) / 2);
      payloadByte[at] = (payloadByte[at] as number) ^ 0x40;
      assert.equal((await verifyChunked(payloadByte)).error?.code, 'ERR_RPM_DIGEST_MISMATCH');
      assert.equal((await verifyChunked(bytes.subarray(0, bytes.length - 1000))).error?.code, 'ERR_RPM_TRUNCATED');
      assert.equal((await verifyChunked(bytes.subarray(0, layout.hdrData[0] + 5))).error?.code, 'ERR_RPM_TRUNCATED');
      assert.equal((await verifyChunked(Buffer.concat([bytes, Buffer.from('\n')]))).error?.code, 'ERR_TRAILING_DATA');
    });
  }
});
