/**
 * Agreement with rpm on every package of the shared corpus: pass/fail as rpm 4.18's
 * `rpmkeys -K --nosignature`, each digest's status as rpm 4.18 (and rpm 6 for the digests only rpm 6
 * knows), identity as `rpm -qp`, and signature descriptions as OpenPGP.js reads them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { verifyFile, type Verdict } from '../src/index.js';
import { CORPUS, corpusMissing, nosignatureVerdict, readExpected } from './helpers/corpus.js';
import { missingRpmTools, rpmkeysCheck } from './helpers/rpm-tools.js';

const skip = corpusMissing();

/** Where we are deliberately stricter than rpm, and why. Each must fail with the given code. */
const STRICTER: Record<string, { code: string; reason: string }> = {
  'derived/syn-sig-size-plus1.rpm': {
    code: 'ERR_RPM_TRUNCATED',
    reason: 'SIZE claims one byte more than the file holds; rpm never checks SIZE, we treat the shortfall as truncation',
  },
};

const verdicts = new Map<string, Promise<Verdict>>();
function verdictOf(file: string): Promise<Verdict> {
  let v = verdicts.get(file);
  if (!v) {
    v = verifyFile(join(CORPUS, file), { fileName: false });
    verdicts.set(file, v);
  }
  return v;
}

describe('shared corpus: rpm 4.18 -K --nosignature', { skip }, () => {
  const rows = skip ? [] : readExpected('EXPECTED.tsv');

  test('the oracle table covers the whole corpus', () => {
    assert.ok(rows.length >= 100, `only ${rows.length} rows`);
  });

  for (const row of skip ? [] : readExpected('EXPECTED.tsv')) {
    const file = row.file as string;
    test(`pass/fail agrees: ${file}`, async () => {
      const v = await verdictOf(file);
      const stricter = STRICTER[file];
      if (stricter) {
        assert.equal(nosignatureVerdict(row), true, 'rpm passes it');
        assert.equal(v.ok, false, stricter.reason);
        assert.equal(v.error?.code, stricter.code, stricter.reason);
        return;
      }
      assert.equal(v.ok, nosignatureVerdict(row), `rpm says ${row.Kv_nokeys} ${row.Kv_nokeys_stderr}; we say ${v.error?.code} ${v.error?.message}`);
    });
  }
});

const RPM418_DIGESTS: Record<string, string> = {
  hdr_sha256: 'header-sha256',
  hdr_sha1: 'header-sha1',
  payload_sha256: 'payload-sha256',
  payload_sha256_alt: 'payload-sha256-alt',
  md5: 'md5',
};
const RPM6_DIGESTS: Record<string, string> = {
  hdr_sha3_256: 'header-sha3-256',
  payload_sha512: 'payload-sha512',
  payload_sha512_alt: 'payload-sha512-alt',
  payload_sha3_256: 'payload-sha3-256',
  payload_sha3_256_alt: 'payload-sha3-256-alt',
};

/** rpm's status word at the end of "Header SHA256 digest: OK" / ": BAD (…)" / ": NOTFOUND". */
function rpmStatus(cell: string): string | undefined {
  return cell === '-' ? undefined : /: (OK|BAD|NOTFOUND)/.exec(cell)?.[1];
}

function assertDigestAgreement(v: Verdict, row: Record<string, string>, columns: Record<string, string>, oracle: string): void {
  for (const [column, id] of Object.entries(columns)) {
    const theirs = rpmStatus(row[column] ?? '-');
    if (!theirs) continue;
    const ours = v.checks.find((c) => c.id === id);
    if (theirs === 'NOTFOUND') {
      assert.ok(!ours || ours.status === 'SKIPPED', `${oracle} ${column} NOTFOUND, ours ${ours?.status}`);
    } else {
      assert.equal(ours?.status, theirs, `${oracle} ${column}: ${row[column]}; ours ${JSON.stringify(ours)}`);
    }
  }
}

describe('shared corpus: each digest as rpm reports it', { skip }, () => {
  for (const row of skip ? [] : readExpected('EXPECTED.tsv')) {
    if (row.Kv_keys === '-') continue; // rpm stopped at a structural error: no digest lines
    test(`rpm 4.18 digests: ${row.file}`, async () => {
      assertDigestAgreement(await verdictOf(row.file as string), row, RPM418_DIGESTS, 'rpm 4.18');
    });
  }
  for (const row of skip ? [] : readExpected('EXPECTED-rpm6.tsv')) {
    if (row.Kv_keys === '-') continue;
    test(`rpm 6 digests: ${row.file}`, async () => {
      assertDigestAgreement(await verdictOf(row.file as string), row, RPM6_DIGESTS, 'rpm 6');
    });
  }
});

describe('shared corpus: identity as rpm -qp reads it', { skip }, () => {
  for (const row of skip ? [] : readExpected('EXPECTED.tsv')) {
    if (row.nevra === '-' || row.qp_rc !== '0') continue;
    test(`NEVRA and kind: ${row.file}`, async () => {
      const v = await verdictOf(row.file as string);
      const nevra = row.nevra as string;
      const dot = nevra.lastIndexOf('.');
      // rpm's %{NEVRA} carries a source package's build arch; we name sources .src (or .nosrc).
      if (row.pkgkind === 'source') {
        assert.match(v.rpm?.nevra ?? '', new RegExp(`^${nevra.slice(0, dot).replace(/[.+^]/g, '\\$&')}\\.(src|nosrc)$`));
      } else {
        assert.equal(v.rpm?.nevra, nevra);
      }
      assert.equal(v.rpm?.buildArch, nevra.slice(dot + 1));
      assert.equal(v.rpm?.source, row.pkgkind === 'source');
    });
  }
});

describe('shared corpus: file names against headers', { skip }, () => {
  // The expectation is computed from rpm's own NEVRA output, not from our parser.
  for (const row of skip ? [] : readExpected('EXPECTED.tsv')) {
    if (row.nevra === '-' || !nosignatureVerdict(row) || STRICTER[row.file as string]) continue;
    const file = row.file as string;
    const nevra = (row.nevra as string).replace(/-\d+:/, '-');
    const arch = nevra.slice(nevra.lastIndexOf('.') + 1);
    const nvr = nevra.slice(0, nevra.lastIndexOf('.'));
    const canonical = row.pkgkind === 'source' ? `${nvr}.src.rpm` : `${nvr}.${arch}.rpm`;
    const matches = basename(file) === canonical;
    test(`${matches ? 'accepted' : 'refused'}: ${file}`, async () => {
      const v = await verifyFile(join(CORPUS, file));
      if (matches) {
        assert.equal(v.ok, true, v.error?.message);
      } else {
        // Renamed test fixtures (…-signed.rpm, .rpm-v3, imatest for "test", nfpm's name without release).
        assert.equal(v.error?.code, 'ERR_NEVRA_MISMATCH', `${basename(file)} holds ${canonical}`);
        assert.equal(v.error?.check, 'file-name');
      }
    });
  }
});

describe('shared corpus: signatures described as OpenPGP.js reads them', { skip }, () => {
  const lines = skip ? [] : readFileSync(join(CORPUS, 'EXPECTED-openpgpjs-signatures.tsv'), 'utf8').split('\n');
  const rows = lines.filter((l) => l && !l.startsWith('#') && !l.startsWith('file\t')).map((l) => l.split('\t'));
  for (const [file, tag, index, version, , hash, issuer] of rows) {
    if (version !== '4' && version !== '6') continue;
    test(`tag ${tag}[${index}] of ${file}`, async () => {
      const v = await verdictOf(file as string);
      const sig = v.signatures.find((s) => s.tag === Number(tag) && s.index === Number(index));
      assert.ok(sig, `no signature ${tag}[${index}] reported`);
      assert.equal(sig.version, Number(version));
      assert.equal(sig.hashAlgorithm, (hash as string).toUpperCase());
      const keyId = version === '6' ? (issuer as string).slice(0, 16) : (issuer as string).slice(-16);
      assert.equal(sig.keyId, keyId);
      if ((issuer as string).length > 16) assert.equal(sig.fingerprint, issuer);
    });
  }
});

const noRpmkeys = skip ?? missingRpmTools('rpmkeys');
describe('shared corpus: live rpmkeys -K --nosignature', { skip: noRpmkeys }, () => {
  test('every package: our pass/fail equals rpmkeys run now', async () => {
    const disagreements: string[] = [];
    for (const row of readExpected('EXPECTED.tsv')) {
      const file = row.file as string;
      const [theirs, ours] = await Promise.all([rpmkeysCheck(join(CORPUS, file)), verdictOf(file)]);
      if (theirs.ok !== ours.ok && !STRICTER[file]) disagreements.push(`${file}: rpmkeys ${theirs.ok}, ours ${ours.ok} ${ours.error?.code}`);
    }
    assert.deepEqual(disagreements, []);
  });
});
