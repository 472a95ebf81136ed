/**
 * Live differential test: packages built here by rpmbuild (binary and source; gzip, xz, zstd and
 * uncompressed payloads; signed by rpmsign and unsigned) and mutants of them (a flipped bit in every
 * region, truncation at every boundary and at random points, appended bytes, a spliced signature
 * header), each judged by `rpmkeys -K --nosignature` and by us. Zero disagreements, except where we are
 * stricter on purpose: a SIZE tag that no longer matches the file.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Keyring, verifyFile, type Verdict } from '../src/index.js';
import { layoutOf, seeded, type Layout } from './helpers/layout.js';
import { makeSigningKey, missingRpmTools, rpmbuild, rpmdbWithKeys, rpmkeysCheck, rpmsign, type PayloadKind, type SigningKey } from './helpers/rpm-tools.js';

const skip = missingRpmTools('rpmbuild', 'rpmkeys', 'rpmsign', 'gpg');

interface Mutant {
  name: string;
  bytes: Buffer;
}

/** Every mutant of one package, deterministic for a given seed. */
function mutantsOf(name: string, bytes: Buffer, other: Buffer, seed: number): Mutant[] {
  const random = seeded(seed);
  const layout = layoutOf(bytes);
  const out: Mutant[] = [];
  const pick = ([from, to]: [number, number]) => from + Math.floor(random() * (to - from));
  const flipAt = (label: string, at: number) => {
    const copy = Buffer.from(bytes);
    copy[at] = (copy[at] as number) ^ (1 << Math.floor(random() * 8));
    out.push({ name: `${name}~flip-${label}@${at}`, bytes: copy });
  };
  const regions: Array<keyof Layout> = ['lead', 'sigIntro', 'sigIndex', 'sigData', 'hdrIntro', 'hdrIndex', 'hdrData', 'payload'];
  for (const region of regions) {
    const range = layout[region];
    if (range[1] <= range[0]) continue;
    for (let i = 0; i < 3; i++) flipAt(region, pick(range));
  }
  flipAt('last-byte', bytes.length - 1);
  const boundaries = new Set<number>([
    1, 95, 96, 100, 112, layout.sigIndex[1], layout.sigData[1] - 1, layout.sigData[1], layout.pad[1], layout.hdrIntro[1],
    layout.hdrIndex[1], layout.hdrData[1] - 1, layout.hdrData[1], layout.hdrData[1] + 1, bytes.length - 1,
  ]);
  for (let i = 0; i < 6; i++) boundaries.add(1 + Math.floor(random() * (bytes.length - 1)));
  for (const at of boundaries) {
    if (at > 0 && at < bytes.length) out.push({ name: `${name}~cut@${at}`, bytes: bytes.subarray(0, at) });
  }
  for (const n of [1, 16, 4096]) out.push({ name: `${name}~append-${n}`, bytes: Buffer.concat([bytes, Buffer.alloc(n, 0x5a)]) });
  // The signature header (and its padding) of another package in front of this package's header.
  const o = layoutOf(other);
  out.push({
    name: `${name}~spliced-signature`,
    bytes: Buffer.concat([bytes.subarray(0, 96), other.subarray(96, o.pad[1]), bytes.subarray(layout.hdrIntro[0])]),
  });
  return out;
}

/** The one kind of disagreement we accept: rpm never checks SIZE; we refuse a file SIZE does not describe. */
function deliberatelyStricter(rpmOk: boolean, ours: Verdict): boolean {
  return rpmOk && !ours.ok && ours.error?.check === 'size';
}

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

describe('rpmbuild-built packages and their mutants against rpmkeys -K --nosignature', { skip }, () => {
  let dir = '';
  const packages: string[] = [];
  const signingKeys: SigningKey[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rpmfetch-differential-'));
    const unsigned = join(dir, 'unsigned');
    const signedRsa = join(dir, 'signed-rsa');
    const signedEd = join(dir, 'signed-eddsa');
    await Promise.all([unsigned, signedRsa, signedEd].map((d) => mkdir(d)));
    const payloads: PayloadKind[] = ['gzip', 'xz', 'zstd', 'none'];
    const builds = await Promise.all(
      payloads.map((payload, i) =>
        rpmbuild(unsigned, {
          name: `rpmfetch-diff-${payload}`,
          version: `1.${i}`,
          release: `${i + 1}.test`,
          ...(i === 1 ? { epoch: 3 } : {}),
          payload,
          noarch: i !== 2,
          files: { [`/usr/share/rpmfetch-diff-${payload}/random.bin`]: 30_000 + i * 7_000, [`/usr/share/rpmfetch-diff-${payload}/README`]: `payload ${payload}\n`.repeat(50) },
        }),
      ),
    );
    for (const b of builds) packages.push(b.binary, b.source);
    const [rsa, eddsa] = await Promise.all([makeSigningKey('rsa'), makeSigningKey('eddsa')]);
    signingKeys.push(rsa, eddsa);
    const toSign = async (key: typeof rsa, target: string, files: string[]) => {
      const copies = files.map((f) => join(target, basename(f)));
      await Promise.all(files.map((f, i) => copyFile(f, copies[i] as string)));
      await rpmsign(copies, key);
      packages.push(...copies);
    };
    await toSign(rsa, signedRsa, [builds[0]?.binary as string, builds[0]?.source as string, builds[3]?.binary as string]);
    await toSign(eddsa, signedEd, [builds[2]?.binary as string, builds[1]?.source as string]);
  });

  test('rpmkeys and rpmfetch both accept every built package, under its canonical name', async () => {
    assert.equal(packages.length, 13);
    for (const file of packages) {
      const [theirs, ours] = await Promise.all([rpmkeysCheck(file), verifyFile(file)]);
      assert.equal(theirs.ok, true, theirs.output);
      assert.equal(ours.ok, true, `${file}: ${ours.error?.code} ${ours.error?.message}`);
      assert.equal(ours.rpm?.source, file.endsWith('.src.rpm'));
    }
  });

  test('signed packages report their signatures', async () => {
    const signed = packages.filter((p) => p.includes('/signed-'));
    for (const file of signed) {
      const v = await verifyFile(file);
      assert.ok(v.signatures.length > 0, `${file} has no signature reported`);
      const algo = file.includes('signed-rsa') ? 'RSA' : 'EdDSA';
      assert.ok(v.signatures.every((s) => s.publicKeyAlgorithm === algo && s.keyId?.length === 16 && !s.error), JSON.stringify(v.signatures));
    }
  });

  test('every mutant: rpmfetch agrees with rpmkeys', async (t) => {
    const mutantDir = join(dir, 'mutants');
    await mkdir(mutantDir);
    const mutants: Mutant[] = [];
    for (const [i, file] of packages.entries()) {
      const other = packages[(i + 1) % packages.length] as string;
      mutants.push(...mutantsOf(basename(file), await readFile(file), await readFile(other), 1000 + i));
    }
    const results = await inBatches(mutants, 8, async (m) => {
      const path = join(mutantDir, m.name.replace(/[^\w.@~-]/g, '_'));
      await writeFile(path, m.bytes);
      const [theirs, ours] = await Promise.all([rpmkeysCheck(path), verifyFile(path, { fileName: false })]);
      return { m, theirs, ours };
    });
    const disagreements: string[] = [];
    const stricter: string[] = [];
    for (const { m, theirs, ours } of results) {
      if (theirs.ok === ours.ok) continue;
      if (deliberatelyStricter(theirs.ok, ours)) stricter.push(`${m.name}: ${ours.error?.message}`);
      else disagreements.push(`${m.name}: rpmkeys ${theirs.ok ? 'OK' : 'NOT OK'} (${theirs.output.trim().split('\n').pop()}), rpmfetch ${ours.ok ? 'OK' : `${ours.error?.code} ${ours.error?.message}`}`);
    }
    assert.ok(results.length > 400, `only ${results.length} mutants`);
    assert.ok(results.some((r) => r.theirs.ok) && results.some((r) => !r.theirs.ok), 'mutants of both verdicts');
    assert.deepEqual(disagreements, [], `${disagreements.length} of ${results.length} mutants judged differently`);
    for (const s of stricter) assert.match(s, /size|SIZE|cut short|after the end/);
    const refused = results.filter((r) => !r.theirs.ok).length;
    t.diagnostic(`${results.length} mutants of ${packages.length} packages: rpmkeys refused ${refused}, accepted ${results.length - refused}; rpmfetch agreed on all but ${stricter.length} (stricter on SIZE)`);
    for (const s of stricter) t.diagnostic(`stricter: ${s}`);
  });

  test('signed packages and their mutants: rpmfetch with the keys agrees with rpmkeys -K with the keys imported', async (t) => {
    const dbpath = await rpmdbWithKeys(signingKeys.map((k) => k.publicKey));
    const keys = await Keyring.load(signingKeys.map((k) => k.publicKey));
    const signed = packages.filter((p) => p.includes('/signed-'));
    const mutantDir = join(dir, 'signed-mutants');
    await mkdir(mutantDir);
    const mutants: Mutant[] = signed.map((p) => ({ name: basename(p), bytes: Buffer.alloc(0) }));
    for (const [i, file] of signed.entries()) {
      mutants[i] = { name: basename(file), bytes: await readFile(file) };
      mutants.push(...mutantsOf(basename(file), await readFile(file), await readFile(signed[(i + 1) % signed.length] as string), 7000 + i));
    }
    const results = await inBatches(mutants, 8, async (m) => {
      const path = join(mutantDir, m.name.replace(/[^\w.@~-]/g, '_'));
      await writeFile(path, m.bytes);
      const [theirs, ours] = await Promise.all([rpmkeysCheck(path, [], dbpath), verifyFile(path, { fileName: false, keys })]);
      return { m, theirs, ours };
    });
    const disagreements: string[] = [];
    const named: string[] = [];
    for (const { m, theirs, ours } of results) {
      if (theirs.ok === ours.ok) continue;
      // rpm 4.18 checks signatures at its "digest" level: a package whose signature tag was mutated away
      // passes there as unsigned; with keys given we require a signature (rpm's level "all").
      if (theirs.ok && ours.error?.code === 'ERR_UNSIGNED') named.push(`${m.name}: unsigned after the mutation`);
      else if (deliberatelyStricter(theirs.ok, ours)) named.push(`${m.name}: ${ours.error?.message}`);
      else disagreements.push(`${m.name}: rpmkeys ${theirs.ok ? 'OK' : 'NOT OK'} (${theirs.output.trim().split('\n').join(' / ').slice(0, 300)}), rpmfetch ${ours.ok ? 'OK' : `${ours.error?.code} ${ours.error?.message}`}`);
    }
    assert.ok(results.length > 150, `${results.length} packages and mutants`);
    assert.ok(results.slice(0, signed.length).every((r) => r.theirs.ok && r.ours.ok), 'the signed packages themselves pass both');
    assert.deepEqual(disagreements, []);
    const refused = results.filter((r) => !r.theirs.ok).length;
    t.diagnostic(`${results.length} signed packages and mutants: rpmkeys refused ${refused}; rpmfetch agreed on all but ${named.length} named cases`);
    for (const n of named) t.diagnostic(`named: ${n}`);
  });

  test('signed by a key that was not given: NOKEY; a tampered signature: BAD', async () => {
    const rsaOnly = await Keyring.load([signingKeys[0]?.publicKey as string]);
    const edSigned = packages.find((p) => p.includes('/signed-eddsa/')) as string;
    const v = await verifyFile(edSigned, { keys: rsaOnly });
    assert.equal(v.error?.code, 'ERR_SIGNATURE_NOKEY');
    const rsaSigned = packages.find((p) => p.includes('/signed-rsa/') && !p.endsWith('.src.rpm')) as string;
    const bytes = await readFile(rsaSigned);
    const layout = layoutOf(bytes);
    assert.equal((await verifyFile(rsaSigned, { keys: rsaOnly })).ok, true);
    // Somewhere in the signature header's data is the signature value: a flipped bit there makes it BAD.
    let found = false;
    for (let at = layout.sigData[0]; at < layout.sigData[1] && !found; at++) {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ 0x01;
      const path = join(dir, `tampered-${basename(rsaSigned)}`);
      await writeFile(path, copy);
      const r = await verifyFile(path, { keys: rsaOnly, fileName: false });
      if (r.error?.code === 'ERR_SIGNATURE_BAD') found = true;
    }
    assert.ok(found, 'some flipped bit in the signature data makes the signature BAD');
  });
});
