/**
 * Example: verify packages already on disk, as strictly as a download would be (every digest, the
 * package's own size, the name inside against the file name), and with keys, their signatures.
 *
 *   node --import tsx examples/verify-local.ts [--key RPM-GPG-KEY-fedora] FILE...
 *
 * In your project, import from 'rpmfetch' instead of '../src/index.js'.
 */
import { parseArgs } from 'node:util';
import { Keyring, verifyFile } from '../src/index.js';

const { values, positionals: files } = parseArgs({ allowPositionals: true, options: { key: { type: 'string', multiple: true, default: [] } } });
if (files.length === 0) {
  console.error('usage: verify-local.ts [--key FILE]... FILE...');
  process.exit(2);
}
const keys = values.key.length > 0 ? await Keyring.load(values.key) : undefined;
let failed = 0;
for (const file of files) {
  const verdict = await verifyFile(file, keys ? { keys } : {});
  if (verdict.ok) {
    const signed = verdict.signatures.find((s) => s.status === 'OK');
    console.log(`OK    ${file}  ${verdict.rpm?.nevra}${signed ? `  signed by ${signed.keyId}` : ''}`);
  } else {
    failed++;
    console.log(`FAIL  ${file}  ${verdict.error?.code}: ${verdict.error?.message}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
