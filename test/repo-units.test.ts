/**
 * The parts of repository mode on their own: rpm's version order (against librpmio's own rpmvercmp),
 * dnf-style queries, location safety, repomd.xml and primary.xml parsing (any chunking, hostile
 * markup), decompression of every format and its failure on cut-off or corrupt data, the body check
 * against repomd.xml, and koji's path layout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RpmfetchError } from '../src/errors.js';
import { AttemptFailure } from '../src/fetch/attempt-failure.js';
import { resolveArches, rpmArch } from '../src/repo/arch.js';
import { BodyCheck } from '../src/repo/body-check.js';
import { decompressor, sniffCompression } from '../src/repo/decompress.js';
import { kojiBuildPath, kojiRepoPath, kojiRpmPath, kojiTarget, kojiTaskPath } from '../src/repo/koji.js';
import { locate, packageLocation } from '../src/repo/location.js';
import { PrimaryParser, type PrimaryEntry } from '../src/repo/primary-parser.js';
import { candidateNames, choosePackage, readQuery } from '../src/repo/query.js';
import { parseRepomd, primaryRecord } from '../src/repo/repomd.js';
import { compareEvr, rpmvercmp } from '../src/rpm/vercmp.js';
import { seeded } from './helpers/layout.js';
import { generatedPackages, primaryXml, type PrimaryPackage } from './helpers/primary-xml.js';
import { compressorMissing } from './helpers/repo.js';
import { missing } from './helpers/system-tools.js';

const HEX = 'ab'.repeat(32);

/** Why librpmio's rpmvercmp cannot be called here (python3's ctypes loads it), or undefined. */
function librpmioMissing(): string | undefined {
  let available = true;
  try {
    execFileSync('python3', ['-c', "import ctypes,ctypes.util; ctypes.CDLL(ctypes.util.find_library('rpmio')).rpmvercmp"], { stdio: 'ignore' });
  } catch {
    available = false;
  }
  return missing(available, "python3 and librpmio (to call rpm's own rpmvercmp)", 'packages python3, rpm');
}

/** rpm's own answers for pairs of versions. */
function librpmioVercmp(pairs: ReadonlyArray<readonly [string, string]>): number[] {
  const py = "import json,sys,ctypes,ctypes.util\nlib=ctypes.CDLL(ctypes.util.find_library('rpmio'))\nfor a,b in json.load(sys.stdin): print(lib.rpmvercmp(a.encode(),b.encode()))";
  return execFileSync('python3', ['-c', py], { input: JSON.stringify(pairs) }).toString().trim().split('\n').map(Number);
}

describe('rpmvercmp', () => {
  // Each answer checked against librpmio 4.18 (the oracle test below re-checks them wherever it runs).
  const known: Array<[string, string, number]> = [
    ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0', '1.0', 1], ['2.0', '2.0.1', -1], ['2.0.1a', '2.0.1', 1],
    ['5.5p1', '5.5p2', -1], ['5.5p10', '5.5p1', 1], ['10xyz', '10.1xyz', -1], ['xyz10', 'xyz10.1', -1],
    ['xyz.4', '8', -1], ['1b.fc17', '1.fc17', -1], ['1.0~rc1', '1.0', -1], ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~rc1~git123', '1.0~rc1', -1], ['1.0^', '1.0', 1], ['1.0^git1', '1.0', 1], ['1.0^git1', '1.01', -1],
    ['1.0^20160101', '1.0.1', -1], ['1.0^git1~pre', '1.0^git1', -1], ['a', '1', -1], ['1', 'a', 1],
    ['001', '1', 0], ['1.0', '1_0', 0], ['', '1', -1], ['a+', 'a_', 0], ['1.0a', '1.0.a', 0],
  ];
  test('answers of rpm 4.18 for the classic cases (tilde, caret, leading zeros, separators)', () => {
    for (const [a, b, want] of known) {
      assert.equal(rpmvercmp(a, b), want, `${a} vs ${b}`);
      assert.equal(rpmvercmp(b, a), -want || 0, `${b} vs ${a}`);
    }
  });

  test('agrees with librpmio rpmvercmp on 3000 generated pairs', { skip: librpmioMissing() }, () => {
    const pieces = ['0', '1', '2', '9', '00', '01', '10', 'a', 'b', 'z', 'A', 'Z', 'rc', 'alpha', '.', '-', '_', '+', '~', '^', 'é'];
    const version = fc.array(fc.constantFrom(...pieces), { maxLength: 7 }).map((a) => a.join(''));
    const pairs = [...known.map(([a, b]) => [a, b] as const), ...fc.sample(fc.tuple(version, version), { numRuns: 3000, seed: 42 })];
    const oracle = librpmioVercmp(pairs);
    const differences = pairs.filter(([a, b], i) => rpmvercmp(a, b) !== oracle[i]);
    assert.deepEqual(differences, []);
  });

  test('compareEvr: epoch first (missing is 0), then version, then release', () => {
    assert.equal(compareEvr({ epoch: 1, version: '1.0', release: '1' }, { version: '9.9', release: '9' }), 1);
    assert.equal(compareEvr({ version: '1.0', release: '1' }, { epoch: 0, version: '1.0', release: '1' }), 0);
    assert.equal(compareEvr({ version: '1.0', release: '10' }, { version: '1.0', release: '9' }), 1);
    assert.equal(compareEvr({ version: '1.0~rc1', release: '9' }, { version: '1.0', release: '1' }), -1);
  });
});

function entry(name: string, arch: string, version: string, release: string, epoch = 0): PrimaryEntry {
  return { name, arch, version, release, epoch, checksum: { type: 'sha256', hex: HEX }, size: 1, href: `${name}-${version}-${release}.${arch}.rpm` };
}

describe('queries', () => {
  const entries = [
    entry('gcc', 'x86_64', '14.2.1', '3.fc41'),
    entry('gcc-c++', 'x86_64', '14.2.1', '3.fc41'),
    entry('glibc', 'x86_64', '2.40', '1.fc41'),
    entry('glibc', 'i686', '2.40', '1.fc41'),
    entry('glibc', 'x86_64', '2.39', '9.fc41'),
    entry('glibc', 'src', '2.40', '1.fc41'),
    entry('bash', 'x86_64', '5.2', '1', 1),
    entry('bash', 'x86_64', '6.0', '1', 0),
    entry('python3-foo', 'noarch', '1.0~rc1', '1'),
    entry('python3-foo', 'noarch', '1.0', '1'),
    entry('twice', 'noarch', '1.0', '1'),
    entry('twice', 'x86_64', '1.0', '1'),
  ];
  const arches = ['x86_64', 'noarch'];
  const pick = (q: string, a: readonly string[] = arches) => {
    const e = choosePackage(q, entries, a);
    return e && `${e.name}-${e.epoch}:${e.version}-${e.release}.${e.arch}`;
  };

  test('a name picks the highest EVR among the allowed arches, epoch first', () => {
    assert.equal(pick('glibc'), 'glibc-0:2.40-1.fc41.x86_64');
    assert.equal(pick('bash'), 'bash-1:5.2-1.x86_64');
    assert.equal(pick('python3-foo'), 'python3-foo-0:1.0-1.noarch');
  });
  test('on an EVR tie the arch listed first wins', () => {
    assert.equal(pick('twice'), 'twice-0:1.0-1.x86_64');
    assert.equal(pick('twice', ['noarch', 'x86_64']), 'twice-0:1.0-1.noarch');
  });
  test('a name with dashes is not mistaken for name-version (gcc-c++ is not gcc at version c++)', () => {
    assert.equal(pick('gcc-c++'), 'gcc-c++-0:14.2.1-3.fc41.x86_64');
    assert.ok(candidateNames('gcc-c++').includes('gcc'));
  });
  test('NAME.ARCH, N-V-R, N-V-R.A, N-E:V-R.A and N-V readings', () => {
    assert.equal(pick('glibc.i686'), 'glibc-0:2.40-1.fc41.i686');
    assert.equal(pick('glibc-2.39-9.fc41'), 'glibc-0:2.39-9.fc41.x86_64');
    assert.equal(pick('glibc-2.40-1.fc41.i686'), 'glibc-0:2.40-1.fc41.i686');
    assert.equal(pick('bash-1:5.2-1.x86_64'), 'bash-1:5.2-1.x86_64');
    assert.equal(pick('bash-0:5.2-1.x86_64'), undefined);
    assert.equal(pick('bash-6.0'), 'bash-0:6.0-1.x86_64');
    assert.equal(pick('glibc-2.40-1.fc41.src'), 'glibc-0:2.40-1.fc41.src');
  });
  test('source packages only when asked for', () => {
    assert.equal(pick('glibc', ['src', 'nosrc']), 'glibc-0:2.40-1.fc41.src');
    assert.equal(pick('gcc', ['src', 'nosrc']), undefined);
    assert.equal(pick('glibc', ['i686', 'noarch']), 'glibc-0:2.40-1.fc41.i686');
  });
  test('unknown names and impossible readings match nothing', () => {
    assert.equal(pick('nosuch'), undefined);
    assert.equal(pick('glibc.s390x'), undefined);
    assert.deepEqual(readQuery('x').map((r) => r.name), ['x']);
  });
  test('default arches: this machine as rpm names it, and noarch', () => {
    assert.equal(rpmArch('x64'), 'x86_64');
    assert.equal(rpmArch('arm64'), 'aarch64');
    assert.equal(rpmArch('ppc64', true), 'ppc64le');
    assert.equal(rpmArch('ppc64', false), 'ppc64');
    assert.equal(rpmArch('s390x'), 's390x');
    assert.deepEqual(resolveArches(undefined), [rpmArch(), 'noarch']);
    assert.deepEqual(resolveArches(['src']), ['src', 'nosrc']);
    assert.deepEqual(resolveArches(['aarch64,i686']), ['aarch64', 'i686', 'noarch']);
  });
});

describe('locations', () => {
  const unsafe = [
    '', '/etc/passwd.rpm', '../x.rpm', 'Packages/../../x.rpm', 'Packages/./x.rpm', 'Packages//x.rpm', 'a\\b.rpm',
    'http://evil.example/x.rpm', 'file:///etc/x.rpm', 'Packages/x\n.rpm', 'Packages/x\0.rpm', 'Packages/x y.rpm',
    'Packages/%2e%2e/x.rpm', 'Packages/a%2Fb.rpm', 'Packages/%zz.rpm', 'Packages/x%00.rpm', 'Packages/x.rpm/', '.hidden.rpm', '-rf.rpm', 'Packages/x.deb', 'Packages/x.rpm?',
  ];
  test('refuses locations that could escape or are odd', () => {
    for (const href of unsafe) {
      assert.throws(() => packageLocation('q', href, undefined, false), (e: unknown) => e instanceof RpmfetchError && e.code === 'ERR_UNSAFE_LOCATION', JSON.stringify(href));
    }
  });
  test('accepts real package trees', () => {
    for (const href of ['Packages/b/bash-5.2.26-3.fc40.x86_64.rpm', 'libstdc++-14.2.1-3.fc41.x86_64.rpm', 'Packages/p/perl-Text-Tabs+Wrap-2024.001-1.fc41.noarch.rpm', 'x/foo-1.0^git1~rc1-1.noarch.rpm']) {
      assert.deepEqual(packageLocation('q', href, undefined, false), { path: href, fileName: href.split('/').pop() });
    }
  });
  test('percent-encoded locations are decoded, then held to the same rules', () => {
    assert.deepEqual(packageLocation('q', 'Packages/l/libstdc%2B%2B-14.2.1-3.fc41.x86_64.rpm', undefined, false), { path: 'Packages/l/libstdc++-14.2.1-3.fc41.x86_64.rpm', fileName: 'libstdc++-14.2.1-3.fc41.x86_64.rpm' });
  });
  test('xml:base: http(s) joined with the encoded href; file: only for file mirrors; no credentials', () => {
    assert.equal(locate('Packages/libstdc++-1-1.x86_64.rpm', 'https://cdn.example/repo', false, true).path, 'https://cdn.example/repo/Packages/libstdc%2B%2B-1-1.x86_64.rpm');
    assert.throws(() => locate('a.rpm', 'file:///etc/', false, true), /scheme file:/);
    assert.equal(locate('a.rpm', 'file:///srv/repo/', true, true).path, 'file:///srv/repo/a.rpm');
    assert.throws(() => locate('a.rpm', 'ftp://x/', false, true), /scheme ftp:/);
    assert.throws(() => locate('a.rpm', 'https://u:p@x/', false, true), /credentials/);
    assert.throws(() => locate('a.rpm', 'not a url', false, true), /not a URL/);
  });
});

const enc = (s: string) => Buffer.from(s);
const repomdXml = (data: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">${extra}<revision>17</revision>${data}</repomd>`;
const dataXml = (type: string, opts: { href?: string; checksum?: string; type?: string; size?: string; base?: string } = {}) =>
  `<data type="${type}"><checksum type="${opts.type ?? 'sha256'}">${opts.checksum ?? HEX}</checksum><open-checksum type="sha256">${HEX}</open-checksum>` +
  `<location${opts.base ? ` xml:base="${opts.base}"` : ''} href="${opts.href ?? `repodata/${type}.xml.gz`}"/><timestamp>1</timestamp><size>${opts.size ?? '100'}</size><open-size>400</open-size></data>`;

describe('repomd.xml', () => {
  test('reads the primary record: location, checksum, sizes, revision', () => {
    const r = parseRepomd(enc(repomdXml(dataXml('primary') + dataXml('filelists') + dataXml('primary_db', { type: 'sha', checksum: 'cd'.repeat(20) }))));
    assert.equal(r.revision, '17');
    assert.deepEqual(primaryRecord(r), { type: 'primary', href: 'repodata/primary.xml.gz', checksum: { type: 'sha256', hex: HEX }, size: 100, openSize: 400 });
    assert.equal(r.records.length, 3);
  });
  const bad: Array<[string, string, RegExp]> = [
    ['a DOCTYPE', `<?xml version="1.0"?><!DOCTYPE repomd [<!ENTITY x "y">]>${repomdXml(dataXml('primary')).replace(/^<\?xml[^>]*>/, '')}`, /DOCTYPE/],
    ['another root', '<metadata/>', /root element/],
    ['an unknown checksum type', repomdXml(dataXml('primary', { type: 'crc32' })), /unknown type/],
    ['a short checksum', repomdXml(dataXml('primary', { checksum: 'abcd' })), /64 hex digits/],
    ['a size that is not a number', repomdXml(dataXml('primary', { size: '12kB' })), /not a size/],
    ['broken markup', repomdXml(dataXml('primary')).replace('</repomd>', '</repo>'), /repomd\.xml/],
    ['a cut-off document', repomdXml(dataXml('primary')).slice(0, -20), /repomd\.xml/],
    ['another encoding', repomdXml(dataXml('primary')).replace('UTF-8', 'ISO-8859-1'), /encoding ISO-8859-1/],
  ];
  for (const [what, xml, message] of bad) {
    test(`refuses ${what}`, () => {
      assert.throws(() => parseRepomd(enc(xml)), (e: unknown) => e instanceof RpmfetchError && e.code === 'ERR_REPO_METADATA' && message.test(e.message));
    });
  }
  test('refuses invalid UTF-8, and a repomd without exactly one primary', () => {
    assert.throws(() => parseRepomd(Buffer.concat([enc('<repomd><revision>'), Buffer.from([0xff, 0xfe]), enc('</revision></repomd>')])), /UTF-8/);
    assert.throws(() => primaryRecord(parseRepomd(enc(repomdXml(dataXml('filelists'))))), /no primary/);
    assert.throws(() => primaryRecord(parseRepomd(enc(repomdXml(dataXml('primary') + dataXml('primary'))))), /2 primary/);
  });
});

function parsePrimary(bytes: Uint8Array, wanted: (n: string) => boolean, cuts: number[] = []): PrimaryParser {
  const p = new PrimaryParser(wanted);
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    p.write(bytes.subarray(at, cut));
    at = cut;
  }
  p.end();
  return p;
}

describe('primary.xml', () => {
  const tricky: PrimaryPackage[] = [
    { name: 'a&b', arch: 'noarch', version: '1', release: '1', checksum: { type: 'sha256', hex: HEX }, size: 10, href: 'a&b-1-1.noarch.rpm' },
    { name: 'ünïcödé', arch: 'x86_64', epoch: 3, version: '1.0^git1', release: '2.fc41', checksum: { type: 'sha', hex: 'cd'.repeat(20) }, size: 20, href: 'Packages/u/x.rpm', base: 'https://cdn.example/x/' },
    ...generatedPackages(200, 7),
  ];
  const xml = enc(primaryXml(tricky));
  const wantedNames = new Set(['a&b', 'ünïcödé', 'pkg-00042', 'pkg-00199']);

  test('keeps only the wanted packages, with every field, and counts them all', () => {
    const p = parsePrimary(xml, (n) => wantedNames.has(n));
    assert.equal(p.count, 202);
    assert.deepEqual(p.entries.map((e) => e.name), ['a&b', 'ünïcödé', 'pkg-00042', 'pkg-00199']);
    const u = p.entries[1] as PrimaryEntry;
    assert.deepEqual(u, { name: 'ünïcödé', arch: 'x86_64', epoch: 3, version: '1.0^git1', release: '2.fc41', checksum: { type: 'sha', hex: 'cd'.repeat(20) }, size: 20, href: 'Packages/u/x.rpm', base: 'https://cdn.example/x/' });
  });

  test('the same result however the bytes are chunked (cuts inside tags, entities and UTF-8 sequences)', () => {
    const whole = parsePrimary(xml, (n) => wantedNames.has(n)).entries;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: xml.length - 1 }), { maxLength: 40 }), (cuts) => {
        assert.deepEqual(parsePrimary(xml, (n) => wantedNames.has(n), cuts).entries, whole);
      }),
      { numRuns: 60 },
    );
    // Every cut in the first two packages (entities, a multi-byte name, xml:base).
    const small = enc(primaryXml(tricky.slice(0, 2)));
    const smallWhole = parsePrimary(small, (n) => wantedNames.has(n)).entries;
    for (let cut = 1; cut < small.length; cut++) assert.deepEqual(parsePrimary(small, (n) => wantedNames.has(n), [cut]).entries, smallWhole);
  });

  test('CDATA names, unprefixed format elements and other prefixes read the same', () => {
    const doc = `<?xml version="1.0"?><metadata packages="1" xmlns="http://linux.duke.edu/metadata/common"><package type="rpm"><name><![CDATA[cd&ata]]></name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/><checksum type="sha256" pkgid="YES">${HEX.toUpperCase()}</checksum><size package="5"/><location href="c.rpm"/><format><name>not-this</name></format></package></metadata>`;
    const p = parsePrimary(enc(doc), () => true);
    assert.deepEqual(p.entries, [{ name: 'cd&ata', arch: 'noarch', epoch: 0, version: '1', release: '1', checksum: { type: 'sha256', hex: HEX }, size: 5, href: 'c.rpm' }]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a package count that does not match', primaryXml(tricky.slice(0, 3)).replace('packages="3"', 'packages="4"'), /packages="4"> but 3 packages/],
    ['a DOCTYPE (entity expansion)', primaryXml(tricky.slice(0, 1)).replace('<metadata', '<!DOCTYPE metadata [<!ENTITY big "x">]><metadata'), /DOCTYPE/],
    ['a cut-off document', primaryXml(tricky.slice(0, 3)).slice(0, -30), /primary\.xml/],
    ['a wanted package without a location', primaryXml(tricky.slice(0, 1)).replace(/<location[^>]*\/>/, ''), /a&b lacks href/],
    ['a wanted package with a bad size', primaryXml(tricky.slice(0, 1)).replace('package="10"', 'package="-1"'), /size "-1"/],
    ['another root', '<repomd/>', /root element/],
    ['an undefined entity', primaryXml(tricky.slice(0, 1)).replace('a&amp;b', 'a&xx;b'), /primary\.xml/],
  ];
  for (const [what, doc, message] of bad) {
    test(`refuses ${what}`, () => {
      assert.throws(() => parsePrimary(enc(doc), (n) => n === 'a&b'), (e: unknown) => e instanceof RpmfetchError && e.code === 'ERR_REPO_METADATA' && message.test(e.message));
    });
  }
  test('an unwanted package may lack fields (it is never used)', () => {
    const doc = primaryXml(tricky.slice(0, 2)).replace(/<location[^>]*href="a&amp;b[^>]*\/>/, '');
    assert.equal(parsePrimary(enc(doc), (n) => n === 'ünïcödé').entries.length, 1);
  });
});

describe('primary.xml: the fast scanner against a full XML parser', () => {
  const base = [...generatedPackages(12, 11)];
  const wanted = (n: string) => ['pkg-00001', 'pkg-00004', 'pkg-00007', 'a<b>&c', 'pkg-00011'].includes(n);
  const both = (xml: string) => {
    const run = (reader: 'scan' | 'sax') => {
      try {
        const p = new PrimaryParser(wanted, 'primary.xml', reader);
        p.write(enc(xml));
        p.end();
        return { entries: p.entries, count: p.count };
      } catch (e) {
        return { error: (e as RpmfetchError).code };
      }
    };
    return { scan: run('scan'), sax: run('sax') };
  };

  /** Rewrites that keep the document well-formed and its meaning the same for a conforming parser. */
  const sameMeaning: Array<(x: string, r: () => number) => string> = [
    (x, r) => x.replace(/<\/size>|<size /g, (m) => (r() < 0.5 ? `<!-- </package><name>evil</name> -->${m}` : m)),
    (x) => x.replace(/<arch>/g, '<?pi </package> <name>evil</name> ?><arch>'),
    (x) => x.replace(/<name>(pkg-\d+)<\/name>/g, (_, n: string) => `<name><![CDATA[${n.slice(0, 3)}]]>${n.slice(3)}</name>`),
    (x) => x.replace(/<name>pkg-/g, '<name>&#x70;&#107;g&#45;'),
    (x) => x.replace(/ver="([^"]+)"/g, "ver = '$1'"),
    (x) => x.replace(/<version ([^>]*)\/>/g, '<version $1></version>'),
    (x) => x.replace(/<\/name>/g, '</name  \n>'),
    (x) => x.replace(/\n/g, '\r\n'),
    (x) => x.replace(/<location href/g, '<location\n\txml:base="https://cdn.example/a&amp;b/" href'),
    (x) => x.replace(/<rpm:entry name="([^"]+)"/g, '<rpm:entry name="$1>x"'),
    (x) => x.replace(/<package type="rpm">/g, '<package type="rpm"><!---->'),
    (x) => x.replace(/<(\/?)name>/g, '<$1c:name>').replace('<metadata ', '<metadata xmlns:c="http://linux.duke.edu/metadata/common" '),
    (x) => x.replace(/<description>[^<]*<\/description>/g, '<description><![CDATA[ <package> & </package> ]]></description>'),
    (x) => x.replace('<name>pkg-00001</name>', '<name>a&lt;b&gt;&amp;c</name>'),
  ];
  test('every rewrite that keeps the meaning gives the same packages, alone and combined', () => {
    const original = primaryXml(base);
    const reference = both(original);
    assert.ok('entries' in reference.sax && reference.sax.entries.length === 4, JSON.stringify(reference.sax));
    for (const [i, rewrite] of sameMeaning.entries()) {
      const r = both(rewrite(original, () => 0.3));
      assert.deepEqual(r.scan, r.sax, `rewrite ${i}`);
      assert.ok('entries' in r.scan, `rewrite ${i} parses`);
    }
    fc.assert(
      fc.property(fc.subarray(sameMeaning.map((_, i) => i), { minLength: 2 }), fc.integer(), (picked, seed) => {
        const r = seeded(seed);
        const xml = picked.reduce((x, i) => (sameMeaning[i] as (x: string, r: () => number) => string)(x, r), original);
        const out = both(xml);
        assert.deepEqual(out.scan, out.sax);
      }),
      { numRuns: 150 },
    );
  });

  /** Breakage both must refuse: structure, markup, entities in the fields read, encodings. */
  const broken: Array<[string, (x: string) => string]> = [
    ['a mismatched end tag', (x) => x.replace('</arch>', '</arc>')],
    ['an unclosed element', (x) => x.replace('</format>', '')],
    ['a truncated document', (x) => x.slice(0, x.length - 40)],
    ['a DOCTYPE', (x) => x.replace('<metadata', '<!DOCTYPE metadata><metadata')],
    ['a < in an attribute value', (x) => x.replace('ver="', 'ver="<')],
    ['a duplicate attribute in a wanted package', (x) => x.replace('<location href="Packages/p/pkg-00001', '<location href="a.rpm" href="Packages/p/pkg-00001')],
    ['a bare & in a wanted name', (x) => x.replace('<name>pkg-00004</name>', '<name>pkg&00004</name>')],
    ['an unknown entity in a location', (x) => x.replace('href="Packages/p/pkg-00007', 'href="Packages/&foo;/pkg-00007')],
    ['a second root element', (x) => `${x}<metadata/>`],
    ['text after the root', (x) => `${x}junk`],
    ['an unterminated comment', (x) => x.replace('</metadata>', '<!-- </metadata>')],
    ['a non-UTF-8 encoding', (x) => x.replace('encoding="UTF-8"', 'encoding="latin1"')],
  ];
  for (const [what, breakIt] of broken) {
    test(`both refuse ${what}`, () => {
      const r = both(breakIt(primaryXml(base)));
      assert.deepEqual(r.sax, { error: 'ERR_REPO_METADATA' }, 'the full parser refuses it');
      assert.deepEqual(r.scan, { error: 'ERR_REPO_METADATA' });
    });
  }

  test('named difference: character-level faults in what nobody reads fail the full parser, not the scanner', () => {
    // The scanner decodes only the fields it keeps (a stray & in a description, a duplicate attribute
    // of a package not asked for); the checksum in repomd.xml binds the rest of the bytes.
    for (const xml of [primaryXml(base).replace('does things &amp; more', 'does things & more'), primaryXml(base).replace('<location href="', '<location href="a.rpm" href="')]) {
      const r = both(xml);
      assert.deepEqual(r.sax, { error: 'ERR_REPO_METADATA' });
      assert.ok('entries' in r.scan && r.scan.entries.length === 4);
    }
  });
});

/** Compresses with a command-line tool (the formats Node cannot write). */
function compressWith(tool: string, args: string[], data: Buffer): Buffer {
  return execFileSync(tool, args, { input: data, maxBuffer: 1 << 28 });
}

async function decompressAll(bytes: Buffer, chunk = 4096): Promise<Buffer> {
  const out: Buffer[] = [];
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
  await pipeline(Readable.from(chunks), decompressor('primary.xml'), async (src: AsyncIterable<Uint8Array>) => {
    for await (const c of src) out.push(Buffer.from(c));
  });
  return Buffer.concat(out);
}

describe('decompression', () => {
  const plain = enc(primaryXml([...generatedPackages(400, 3)]));
  const formats: Array<[string, () => Buffer, string | undefined]> = [
    ['gzip', () => gzipSync(plain), compressorMissing('gz')],
    ['xz', () => compressWith('xz', ['-c'], plain), compressorMissing('xz')],
    ['zstd', () => compressWith('zstd', ['-c', '-q'], plain), compressorMissing('zstd')],
    ['bzip2', () => compressWith('bzip2', ['-c'], plain), compressorMissing('bz2')],
    ['none', () => plain, compressorMissing('none')],
  ];
  for (const [format, make, skip] of formats) {
    test(`${format}: sniffed, decoded whole, and a cut-off or corrupted stream fails`, { skip }, async () => {
      const packed = make();
      assert.equal(sniffCompression(packed), format);
      assert.ok((await decompressAll(packed)).equals(plain));
      assert.ok((await decompressAll(packed, 7)).equals(plain), 'tiny chunks');
      if (format === 'none') return;
      const cut = packed.subarray(0, Math.floor(packed.length * 0.6));
      await assert.rejects(decompressAll(cut), (e: unknown) => e instanceof RpmfetchError && e.code === 'ERR_REPO_METADATA' && new RegExp(format).test(e.message));
      const corrupt = Buffer.from(packed);
      for (let i = 200; i < corrupt.length - 64; i += 997) corrupt[i] = (corrupt[i] as number) ^ 0x5a;
      // Corruption shows as a decoder error, or as output that is not the document (the checksum
      // against repomd.xml catches that one in real use).
      const result = await decompressAll(corrupt).catch((e: unknown) => e);
      assert.ok(result instanceof RpmfetchError || !(result as Buffer).equals(plain), 'corruption noticed');
    });
  }
  test('zchunk is refused with a clear reason', async () => {
    await assert.rejects(decompressAll(Buffer.from([0x00, 0x5a, 0x43, 0x4b, 0x31, 0, 0, 0])), /zchunk/);
  });
});

describe('body check against repomd.xml', () => {
  const data = Buffer.alloc(10_000, 7);
  const sha = createHash('sha256').update(data).digest('hex');
  const run = (bytes: Buffer, expect: ConstructorParameters<typeof BodyCheck>[1]) => pipeline(Readable.from([bytes.subarray(0, 4000), bytes.subarray(4000)]), new BodyCheck('primary', expect, () => {}), async (src: AsyncIterable<Buffer>) => {
    for await (const _ of src);
  });
  test('passes the right bytes', async () => {
    await run(data, { size: data.length, checksum: { type: 'sha256', hex: sha }, maxBytes: 1e9 });
  });
  test('a byte past the stated size fails at once, as metadata lying about its size', async () => {
    await assert.rejects(run(Buffer.concat([data, Buffer.alloc(1)]), { size: data.length, maxBytes: 1e9 }), (e: unknown) => e instanceof RpmfetchError && e.code === 'ERR_REPO_METADATA' && /larger than the 10000 bytes/.test(e.message));
  });
  test('a short body is a truncation (retried), a wrong one a checksum mismatch', async () => {
    await assert.rejects(run(data.subarray(0, 9000), { size: data.length, checksum: { type: 'sha256', hex: sha }, maxBytes: 1e9 }), (e: unknown) => e instanceof AttemptFailure && e.code === 'ERR_BODY_TRUNCATED');
    const wrong = Buffer.from(data);
    wrong[5] = 0;
    await assert.rejects(run(wrong, { size: data.length, checksum: { type: 'sha256', hex: sha }, maxBytes: 1e9 }), (e: unknown) => e instanceof RpmfetchError && e.code === 'ERR_REPO_METADATA' && /does not match repomd/.test(e.message));
  });
});

describe('koji layout', () => {
  const rpm = { name: 'bash', version: '5.2.26', release: '3.fc40', arch: 'x86_64', epoch: null, payloadhash: 'A'.repeat(32), size: 1234 };
  test('paths as koji PathInfo builds them', () => {
    assert.equal(kojiBuildPath(rpm), 'packages/bash/5.2.26/3.fc40');
    assert.equal(kojiBuildPath(rpm, 'archive'), 'vol/archive/packages/bash/5.2.26/3.fc40');
    assert.equal(kojiRpmPath(rpm), 'packages/bash/5.2.26/3.fc40/x86_64/bash-5.2.26-3.fc40.x86_64.rpm');
    assert.equal(kojiRpmPath({ ...rpm, arch: 'src' }), 'packages/bash/5.2.26/3.fc40/src/bash-5.2.26-3.fc40.src.rpm');
    assert.equal(kojiRpmPath(rpm, { sigkey: 'A15B79CC' }), 'packages/bash/5.2.26/3.fc40/data/signed/a15b79cc/x86_64/bash-5.2.26-3.fc40.x86_64.rpm');
    assert.equal(kojiRpmPath(rpm, { volume: 'DEFAULT' }), 'packages/bash/5.2.26/3.fc40/x86_64/bash-5.2.26-3.fc40.x86_64.rpm');
    assert.equal(kojiTaskPath(123456789), 'work/tasks/6789/123456789');
    assert.equal(kojiTaskPath(5, 'x.src.rpm'), 'work/tasks/5/5/x.src.rpm');
    assert.equal(kojiRepoPath('f41-build', 'latest', 'x86_64'), 'repos/f41-build/latest/x86_64');
  });
  test('targets carry payloadhash as sigmd5, and the size only for the unsigned copy', () => {
    assert.deepEqual(kojiTarget(rpm), { path: kojiRpmPath(rpm), nevra: 'bash-5.2.26-3.fc40.x86_64', sigmd5: 'a'.repeat(32), size: 1234 });
    assert.deepEqual(kojiTarget({ ...rpm, epoch: 2 }, { sigkey: 'a15b79cc' }), { path: kojiRpmPath(rpm, { sigkey: 'a15b79cc' }), nevra: 'bash-2:5.2.26-3.fc40.x86_64', sigmd5: 'a'.repeat(32) });
  });
  test('refuses components that would change the path, and malformed keys and hashes', () => {
    assert.throws(() => kojiRpmPath({ ...rpm, name: '../x' }), /path component/);
    assert.throws(() => kojiRpmPath({ ...rpm, release: '..' }), /path component/);
    assert.throws(() => kojiRpmPath(rpm, { sigkey: 'xyz' }), /sigkey/);
    assert.throws(() => kojiRpmPath(rpm, { volume: 'a/b' }), /volume/);
    assert.throws(() => kojiTarget({ ...rpm, payloadhash: 'abc' }), /payloadhash/);
    assert.throws(() => kojiTaskPath(0), /task id/);
    assert.throws(() => kojiRepoPath('t', -1, 'x86_64'), /repo id/);
  });
});


