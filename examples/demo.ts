/**
 * `npm run demo`: what rpmfetch's verifier makes of real packages (built by rpmbuild, shipped in
 * test/fixtures) and of the ways a download goes wrong: cut short, one flipped byte, junk appended, and
 * another package served under the requested name. Works offline, needs nothing but Node.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyFile, type Verdict } from '../src/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/packages');
const work = await mkdtemp(join(tmpdir(), 'rpmfetch-demo-'));

function line(name: string, v: Verdict): string {
  return v.ok ? `  ok    ${name}  (${v.rpm?.nevra}, ${v.size} bytes, ${v.checks.filter((c) => c.status === 'OK').length} checks)` : `  FAIL  ${name}  ${v.error?.code}: ${v.error?.message}`;
}

console.log('Whole packages, as rpmbuild wrote them:');
for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.rpm')).sort()) {
  console.log(line(name, await verifyFile(join(fixtures, name))));
}

const original = readFileSync(join(fixtures, 'rpmfetch-hello-1.0-1.noarch.rpm'));
const flipped = Buffer.from(original);
flipped[flipped.length - 500] = (flipped[flipped.length - 500] as number) ^ 1;
const damaged: Array<[string, Buffer, string]> = [
  ['cut short (the kojipkgs failure)', original.subarray(0, original.length - 4096), 'rpmfetch-hello-1.0-1.noarch.rpm'],
  ['one flipped byte in the payload', flipped, 'rpmfetch-hello-1.0-1.noarch.rpm'],
  ['junk after the end', Buffer.concat([original, Buffer.from('<html>proxy error</html>')]), 'rpmfetch-hello-1.0-1.noarch.rpm'],
  ['another package under this name', readFileSync(join(fixtures, 'rpmfetch-data-0.9-7.noarch.rpm')), 'rpmfetch-hello-1.0-1.noarch.rpm'],
];
console.log('\nThe same package, damaged the ways downloads go wrong:');
for (const [what, bytes, name] of damaged) {
  const path = join(work, name);
  await writeFile(path, bytes);
  console.log(line(`${name} — ${what}`, await verifyFile(path)));
}
await rm(work, { recursive: true, force: true });
console.log('\nOnly packages proven whole and genuine pass. Try: npx tsx src/cli/bin.ts verify test/fixtures/packages/*.rpm');
