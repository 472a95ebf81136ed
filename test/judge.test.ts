/**
 * The judge and the early checks on made-up facts: no package bytes, no hashing. Each rule of the
 * verdict is pinned here on its own; verifier.test.ts and the corpus tests check the same rules end to
 * end.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VerifyError } from '../src/errors.js';
import type { DigestItem } from '../src/rpm/digest-items.js';
import { digestsSkipped } from '../src/rpm/digest-level.js';
import { claimedSizeRefused, limitPassed, mainHeaderRefused } from '../src/rpm/early-checks.js';
import { judgeDigests } from '../src/rpm/judge-digests.js';
import { judgeExpectations, judgeFileName } from '../src/rpm/judge-expectations.js';
import { judgeSignaturePolicy, signaturesRefusedEarly } from '../src/rpm/judge-signatures.js';
import { judgeSize } from '../src/rpm/judge-size.js';
import { failureVerdict, judgePackage, type PackageFacts } from '../src/rpm/judge.js';
import type { PackageIdentity } from '../src/rpm/nevra.js';
import type { SignatureInfo } from '../src/rpm/signatures.js';
import { NO_SIZE_CLAIMS, type SizeClaims } from '../src/rpm/size-claims.js';
import { demandsOf, type Demands, type VerifyOptions } from '../src/rpm/verify-options.js';
import { Keyring } from '../src/index.js';

const HEX = { a: 'a'.repeat(64), b: 'b'.repeat(64), md5: 'c'.repeat(32), sha1: 'd'.repeat(40) };

const identity: PackageIdentity = {
  name: 'hello',
  version: '2.0',
  release: '1',
  arch: 'x86_64',
  buildArch: 'x86_64',
  source: false,
  nevra: 'hello-2.0-1.x86_64',
  payloadCompressor: 'zstd',
  format: 4,
};

function item(id: string, fields: Partial<DigestItem> & Pick<DigestItem, 'range' | 'algorithm'>): DigestItem {
  return { id, label: id, tag: 0, group: id.replace(/-alt$/, ''), alt: id.endsWith('-alt'), present: true, rpmId: 1, ...fields };
}

/** The digests an rpmbuild-built package carries. */
const ITEMS: DigestItem[] = [
  item('header-sha256', { range: 'header', algorithm: 'sha256', expected: HEX.a, rpmId: 273 << 16 }),
  item('header-sha1', { range: 'header', algorithm: 'sha1', expected: HEX.sha1, rpmId: 269 << 16 }),
  item('payload-sha256', { range: 'payload', algorithm: 'sha256', expected: HEX.b, group: 'payload-sha256', rpmId: 5092 << 16 }),
  item('md5', { range: 'header+payload', algorithm: 'md5', expected: HEX.md5, rpmId: 1004 << 16 }),
];
const COMPUTED = new Map([
  ['header:sha256', HEX.a],
  ['header:sha1', HEX.sha1],
  ['payload:sha256', HEX.b],
  ['header+payload:md5', HEX.md5],
]);
const claims = (expected: number | undefined, extra: Partial<SizeClaims> = {}): SizeClaims => ({ ...NO_SIZE_CLAIMS, expected, max: expected, ...extra });
const demands = (options: VerifyOptions = {}): Demands => demandsOf(options);
const facts = (over: Partial<PackageFacts> = {}): PackageFacts => ({ received: 1000, claims: claims(1000, { bound: 5000 }), identity, items: ITEMS, signatures: [], ...over });

function signature(status: SignatureInfo['status'], extra: Partial<SignatureInfo> = {}): SignatureInfo {
  return { tag: 268, index: 0, range: 'header', label: 'Header V4 RSA/SHA256 Signature, key ID 1964c5fc', keyId: '0123456789abcdef', status, ...extra };
}

describe('judge: size', () => {
  test('exact, short, long, and the second length a v6 package allows', () => {
    assert.equal(judgeSize(1000, claims(1000)).check.status, 'OK');
    assert.deepEqual(judgeSize(900, claims(1000)), {
      code: 'ERR_RPM_TRUNCATED',
      check: { id: 'size', label: 'Package size', expected: '1000', actual: '900', status: 'BAD', message: '900 of 1000 bytes: the package is cut short' },
    });
    assert.equal(judgeSize(1004, claims(1000)).code, 'ERR_TRAILING_DATA');
    assert.match(judgeSize(1004, claims(1000)).check.message ?? '', /^4 bytes after the end/);
    assert.equal(judgeSize(1200, claims(1000, { max: 1200 })).check.status, 'OK');
  });

  test('no size tag is MISSING, not a failure; beyond the main header’s bound is invalid either way', () => {
    assert.deepEqual(judgeSize(10, claims(undefined)), { check: { id: 'size', label: 'Package size', status: 'MISSING', message: 'the package carries no SIZE, LONGSIZE or PAYLOADSIZE tag' } });
    assert.equal(judgeSize(6000, claims(undefined, { bound: 5000 })).code, 'ERR_RPM_SIZE_INVALID');
    assert.equal(judgeSize(6000, claims(6000, { bound: 5000 })).code, 'ERR_RPM_SIZE_INVALID');
  });

  test('a size problem found in the headers wins', () => {
    const j = judgeSize(1000, claims(1000, { problem: 'SIZE (1) and LONGSIZE (2) disagree' }));
    assert.equal(j.code, 'ERR_RPM_SIZE_INVALID');
    assert.equal(j.check.message, 'SIZE (1) and LONGSIZE (2) disagree');
  });
});

describe('judge: stored digests', () => {
  test('every present digest gets a check, then coverage', () => {
    const judged = judgeDigests(ITEMS, COMPUTED);
    assert.deepEqual(
      judged.map((j) => `${j.check.id}:${j.check.status}`),
      ['header-sha256:OK', 'header-sha1:OK', 'payload-sha256:OK', 'md5:OK', 'digests:OK'],
    );
    assert.ok(judged.every((j) => j.code === undefined));
  });

  test('a mismatch names both values', () => {
    const judged = judgeDigests(ITEMS, new Map([...COMPUTED, ['header+payload:md5', '0'.repeat(32)]]));
    const md5 = judged.find((j) => j.check.id === 'md5');
    assert.equal(md5?.code, 'ERR_RPM_DIGEST_MISMATCH');
    assert.equal(md5?.check.message, `expected ${HEX.md5} != ${'0'.repeat(32)}`);
    // Header SHA256 and the payload digest still cover both.
    assert.equal(judged.at(-1)?.check.status, 'OK');
  });

  test("a failed payload digest is forgiven when its ALT twin matched, as rpm allows", () => {
    const items = [
      ...ITEMS.filter((i) => i.id !== 'payload-sha256'),
      item('payload-sha256', { range: 'payload', algorithm: 'sha256', expected: HEX.a, group: 'payload-sha256', rpmId: 5092 << 16 }),
      item('payload-sha256-alt', { range: 'payload', algorithm: 'sha256', expected: HEX.b, group: 'payload-sha256', alt: true, rpmId: 5097 << 16 }),
    ];
    const judged = judgeDigests(items, COMPUTED);
    assert.equal(judged.find((j) => j.check.id === 'payload-sha256')?.check.status, 'SKIPPED');
    assert.equal(judged.find((j) => j.check.id === 'payload-sha256-alt')?.check.status, 'OK');
    assert.ok(judged.every((j) => j.code === undefined));
  });

  test('malformed digests are BAD as rpm has them; absent placeholders are not listed', () => {
    const items = [...ITEMS, item('header-sha3-256', { range: 'header', algorithm: 'sha3-256', invalid: 'tag 5080: invalid hex', rpmId: 0 }), { ...ITEMS[1], id: 'x', present: false } as DigestItem];
    const judged = judgeDigests(items, COMPUTED);
    const bad = judged.find((j) => j.check.id === 'header-sha3-256');
    assert.equal(bad?.code, 'ERR_RPM_DIGEST_INVALID');
    assert.equal(bad?.check.message, 'tag 5080: invalid hex');
    assert.equal(judged.find((j) => j.check.id === 'x'), undefined);
  });

  test('no valid digest over the payload is ERR_RPM_NO_DIGEST', () => {
    const judged = judgeDigests(ITEMS.filter((i) => i.range === 'header'), COMPUTED);
    assert.deepEqual(judged.at(-1), {
      code: 'ERR_RPM_NO_DIGEST',
      check: { id: 'digests', label: 'Header and payload covered by digests', status: 'MISSING', message: 'no valid digest covers the payload' },
    });
  });
});

describe('digest level rpm6', () => {
  test('MD5 and header SHA-1 are left out only when SHA-256 covers header and payload', () => {
    assert.deepEqual([...digestsSkipped(ITEMS, 'rpm6')].map((i) => i.id), ['header-sha1', 'md5']);
    assert.equal(digestsSkipped(ITEMS, 'all').size, 0);
    assert.equal(digestsSkipped(ITEMS.filter((i) => i.id !== 'payload-sha256'), 'rpm6').size, 0, 'MD5 is the only payload digest');
    const malformed = ITEMS.map((i) => (i.id === 'header-sha256' ? { ...i, expected: undefined, invalid: 'tag 273: invalid hex' } : i)) as DigestItem[];
    assert.equal(digestsSkipped(malformed, 'rpm6').size, 0, 'a malformed SHA-256 covers nothing');
  });

  test('skipped digests are listed SKIPPED and count for nothing', () => {
    const skipped = digestsSkipped(ITEMS, 'rpm6');
    const judged = judgeDigests(ITEMS, new Map([['header:sha256', HEX.a], ['payload:sha256', HEX.b]]), skipped);
    assert.deepEqual(judged.map((j) => `${j.check.id}:${j.check.status}`), ['header-sha256:OK', 'header-sha1:SKIPPED', 'payload-sha256:OK', 'md5:SKIPPED', 'digests:OK']);
    assert.ok(judged.every((j) => j.code === undefined));
  });
});

describe('judge: signature policy with keys', () => {
  test('unsigned, forged, NOKEY only, one valid next to NOKEY and NOTTRUSTED', () => {
    assert.equal(judgeSignaturePolicy([]).code, 'ERR_UNSIGNED');
    assert.equal(judgeSignaturePolicy([signature('OK', { verifiedBy: 'f1' }), signature('BAD', { error: 'forged' })]).code, 'ERR_SIGNATURE_BAD');
    const nokey = judgeSignaturePolicy([signature('NOKEY')]);
    assert.equal(nokey.code, 'ERR_SIGNATURE_NOKEY');
    assert.equal(nokey.check.message, 'signed by 0123456789abcdef, none of them given');
    const ok = judgeSignaturePolicy([signature('NOKEY'), signature('OK', { verifiedBy: 'f1' }), signature('NOTTRUSTED', { keyProblem: 'expired' })]);
    assert.equal(ok.code, undefined);
    assert.equal(ok.check.message, 'verified by f1');
  });

  test('a revoked key outranks an expired one, which outranks an unknown one', () => {
    const j = judgeSignaturePolicy([signature('NOKEY'), signature('NOTTRUSTED', { keyProblem: 'expired' }), signature('NOTTRUSTED', { keyProblem: 'revoked' })]);
    assert.equal(j.code, 'ERR_KEY_REVOKED');
    assert.equal(j.check.status, 'BAD');
    assert.equal(judgeSignaturePolicy([signature('UNSUPPORTED')]).check.status, 'MISSING');
  });

  test('before the payload: a forgery fails at once; otherwise only when nothing can still verify', () => {
    assert.equal(signaturesRefusedEarly([signature('OK'), signature('BAD')], true)?.code, 'ERR_SIGNATURE_BAD');
    assert.equal(signaturesRefusedEarly([signature('NOKEY')], true), undefined);
    assert.equal(signaturesRefusedEarly([signature('NOKEY'), signature('OK')], false), undefined);
    const refused = signaturesRefusedEarly([signature('NOKEY')], false);
    assert.ok(refused instanceof VerifyError);
    assert.equal(refused.check, 'signatures');
    assert.equal(refused.message, 'Signatures: Header V4 RSA/SHA256 Signature, key ID 1964c5fc: NOKEY');
    assert.equal(signaturesRefusedEarly([], false), undefined);
  });
});

describe("judge: the caller's expectations and the file name", () => {
  test('each expectation given is one check, in a fixed order', () => {
    const d = demands({ size: 1000, maxSize: 999, checksum: { type: 'sha256', hex: HEX.a }, sigmd5: HEX.md5, nevra: 'hello-2.0-1.x86_64' });
    const judged = judgeExpectations({ received: 1000, claims: claims(1000), identity, items: ITEMS, digests: new Map([['file:sha256', HEX.b]]) }, d);
    assert.deepEqual(
      judged.map((j) => `${j.check.id}:${j.check.status}:${j.code ?? ''}`),
      ['expected-size:OK:', 'max-size:BAD:ERR_TOO_LARGE', 'checksum:BAD:ERR_INTEGRITY_MISMATCH', 'sigmd5:OK:', 'nevra:OK:'],
    );
  });

  test('sigmd5 against a package without a valid MD5 is MISSING', () => {
    const j = judgeExpectations({ received: 1, claims: claims(1), identity, items: [], digests: new Map() }, demands({ sigmd5: HEX.md5 }));
    assert.equal(j[0]?.code, 'ERR_SIGMD5_MISMATCH');
    assert.equal(j[0]?.check.status, 'MISSING');
  });

  test('file name: OK, BAD, or SKIPPED when none was given', () => {
    assert.equal(judgeFileName('hello-2.0-1.x86_64.rpm', identity).check.status, 'OK');
    assert.equal(judgeFileName('hello-2.0-1.noarch.rpm', identity).code, 'ERR_NEVRA_MISMATCH');
    assert.equal(judgeFileName(undefined, identity).check.status, 'SKIPPED');
  });
});

describe('judge: the verdict', () => {
  test("checks in rpmkeys's order; a short file is the news, not the digests it breaks", () => {
    const short = facts({ received: 900 });
    const v = judgePackage(short, new Map([...COMPUTED, ['header+payload:md5', '0'.repeat(32)]]), demands({ fileName: 'hello-2.0-1.x86_64.rpm' }));
    assert.equal(v.ok, false);
    assert.deepEqual(v.checks.map((c) => c.id), ['structure', 'header-sha256', 'header-sha1', 'payload-sha256', 'md5', 'digests', 'size', 'file-name']);
    assert.deepEqual(v.error, { code: 'ERR_RPM_TRUNCATED', message: 'Package size: 900 of 1000 bytes: the package is cut short', check: 'size' });
    assert.equal(v.size, 900);
    assert.equal(v.expectedSize, 1000);
    assert.equal(v.rpm, identity);
  });

  test('a whole package passes and reports its digests', () => {
    const v = judgePackage(facts(), COMPUTED, demands());
    assert.equal(v.ok, true);
    assert.equal(v.error, undefined);
    assert.deepEqual(v.digests, Object.fromEntries(COMPUTED));
  });

  test('the signature policy is a check only when keys were given', async () => {
    const keys = await Keyring.read([]);
    const withoutKeys = judgePackage(facts({ signatures: [signature('SKIPPED')] }), COMPUTED, demands());
    assert.equal(withoutKeys.checks.some((c) => c.id === 'signatures'), false);
    const withKeys = judgePackage(facts({ signatures: [signature('NOKEY')] }), COMPUTED, { ...demands(), keys });
    assert.equal(withKeys.error?.code, 'ERR_SIGNATURE_NOKEY');
    assert.equal(withKeys.checks.at(-2)?.id, 'signatures');
  });

  test('a failure that decided early: structure OK first unless the structure itself broke', () => {
    const partial = { received: 5, claims: claims(1000), identity: undefined, signatures: [] };
    const structural = failureVerdict(new VerifyError('ERR_RPM_BAD_MAGIC', 'not an rpm package', 'structure'), partial);
    assert.deepEqual(structural.checks, [{ id: 'structure', label: 'Package structure', status: 'BAD', message: 'not an rpm package' }]);
    assert.equal(structural.rpm, undefined);
    const size = failureVerdict(new VerifyError('ERR_RPM_SIZE_INVALID', 'too big', 'size'), partial);
    assert.deepEqual(size.checks.map((c) => `${c.label}:${c.status}`), ['Package structure:OK', 'Package size:BAD']);
    assert.deepEqual(size.error, { code: 'ERR_RPM_SIZE_INVALID', message: 'too big', check: 'size' });
  });
});

describe('early checks (before the payload)', () => {
  test("limits: the caller's size and maxSize at once, the package's own only in the payload", () => {
    const d = demands({ size: 100, maxSize: 200 });
    assert.equal(limitPassed(101, false, NO_SIZE_CLAIMS, d)?.code, 'ERR_SIZE_MISMATCH');
    assert.equal(limitPassed(201, false, NO_SIZE_CLAIMS, demands({ maxSize: 200 }))?.code, 'ERR_TOO_LARGE');
    const own = claims(1000, { bound: 2000 });
    assert.equal(limitPassed(1001, false, own, demands()), undefined);
    assert.equal(limitPassed(1001, true, own, demands())?.code, 'ERR_TRAILING_DATA');
    assert.equal(limitPassed(2001, true, { ...own, max: undefined }, demands())?.code, 'ERR_RPM_SIZE_INVALID');
  });

  test("size claims against the caller's size and maxSize", () => {
    assert.equal(claimedSizeRefused(claims(1000), demands({ size: 1000 })), undefined);
    assert.equal(claimedSizeRefused(claims(1000, { max: 1200 }), demands({ size: 1200 })), undefined);
    assert.equal(claimedSizeRefused(claims(1000), demands({ size: 999 }))?.message, 'the package says it is 1000 bytes, 999 expected');
    assert.equal(claimedSizeRefused(claims(1000), demands({ maxSize: 999 }))?.code, 'ERR_TOO_LARGE');
    assert.equal(claimedSizeRefused(claims(undefined, { problem: 'bad SIZE' }), demands())?.code, 'ERR_RPM_SIZE_INVALID');
  });

  test('the main header: header digests, then a malformed one without a twin, then size, NEVRA, file name', () => {
    const header = new Map([['header:sha256', HEX.a], ['header:sha1', HEX.sha1]]);
    assert.equal(mainHeaderRefused(ITEMS, header, identity, claims(1000), demands()), undefined);
    const mismatch = mainHeaderRefused(ITEMS, new Map([['header:sha256', HEX.b], ['header:sha1', HEX.sha1]]), identity, claims(1000), demands());
    assert.equal(mismatch?.code, 'ERR_RPM_DIGEST_MISMATCH');
    assert.equal(mismatch?.check, 'header-sha256');
    const invalid = [...ITEMS, item('header-sha3-256', { range: 'header', algorithm: 'sha3-256', invalid: 'tag 5080: invalid hex', rpmId: 0 })];
    assert.equal(mainHeaderRefused(invalid, header, identity, claims(1000), demands())?.code, 'ERR_RPM_DIGEST_INVALID');
    assert.equal(mainHeaderRefused(ITEMS, header, identity, claims(1000), demands({ nevra: 'hello-2.0-2.x86_64' }))?.check, 'nevra');
    assert.equal(mainHeaderRefused(ITEMS, header, identity, claims(1000), demands({ fileName: 'other-2.0-1.x86_64.rpm' }))?.check, 'file-name');
  });
});
