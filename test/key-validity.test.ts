/**
 * Signatures by keys that expired, were revoked or were not yet valid, for packages (rpmsign-signed,
 * through verifyFile and `rpmfetch verify --key`, next to `rpmkeys -K` with the key imported) and for
 * repository metadata (repomd.xml.asc made by `gpg --detach-sign`, through resolvePackages with
 * repoGpgcheck). The rule (README, "Signatures and keys"): a package's key is judged as it stood when it
 * signed, as rpm 6 does; repomd.xml's key as it stands now, as librepo with gpgme does. Where rpm 4.18
 * (which checks neither expiry nor a primary key's revocation) says otherwise, the case names why.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DownloadError, Keyring, resolvePackages, verifyFile, type ErrorCode } from '../src/index.js';
import { checkRepomdSignature } from '../src/repo/repomd-signature.js';
import { cli } from './helpers/cli.js';
import { FaultMirror } from './helpers/fault-mirror.js';
import { FIXTURE_DIR, fixturePackages, mirrorTree } from './helpers/fixture-repo.js';
import { addSigningSubkey, detachSign, minimize, revoke, setExpiry, stopAgent } from './helpers/key-states.js';
import { copyTree } from './helpers/repo.js';
import { bin, writePackage } from './helpers/rpm-writer.js';
import { makeSigningKey, missingRpmTools, rpmdbWithKeys, rpmkeysCheck, rpmsign, type KeyOptions, type SignOptions, type SigningKey } from './helpers/rpm-tools.js';

const DAY = 86_400_000;
// Every date is days away from the test's start: a key "expired 28 days ago" stays expired however slow the run.
const START = Date.now();
const ago = (days: number) => new Date(START - days * DAY);
const ahead = (days: number) => new Date(START + days * DAY);

const made: SigningKey[] = [];

/** A test key (see makeSigningKey), whose gpg-agent the suite stops at the end. */
async function newKey(kind: 'rsa' | 'eddsa', options: KeyOptions): Promise<SigningKey> {
  const key = await makeSigningKey(kind, options);
  made.push(key);
  return key;
}

/** What rpmfetch must decide: OK, or this code with the signature's status and what its message says. */
type Expect = 'OK' | { code: ErrorCode; status: 'BAD' | 'NOTTRUSTED'; message: RegExp };

interface Case {
  name: string;
  /** Makes the key and says how it signs; `after` changes the key once it has signed (gpg will not sign with a key already expired or revoked). */
  make(): Promise<{ key: SigningKey; sign: SignOptions; after?: () => Promise<void> }>;
  /** For a package it signed: its key as it stood then. */
  pkg: Expect;
  /** For repomd.xml it signed: its key as it stands now. */
  repomd: Expect;
  /** `rpmkeys -K` of rpm 4.18 with the key imported: OK, or NOKEY when rpm refuses to import the key. */
  rpm418: 'OK' | 'NOKEY';
  /** Why rpmfetch refuses a package rpm 4.18 accepts. */
  unlike418?: string;
}

const ID = '[0-9a-f]{16}';
const WHEN = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';
const expiredNow = (who: string): Expect => ({ code: 'ERR_KEY_EXPIRED', status: 'NOTTRUSTED', message: new RegExp(`${who} expired on ${WHEN}`) });
const expiredThen = (who: string): Expect => ({ code: 'ERR_KEY_EXPIRED', status: 'NOTTRUSTED', message: new RegExp(`${who} expired on ${WHEN}, before the signature was made \\(${WHEN}\\)`) });
const revoked = (who: string, reason: string): Expect => ({ code: 'ERR_KEY_REVOKED', status: 'NOTTRUSTED', message: new RegExp(`${who} was revoked on ${WHEN}: ${reason} \\("`) });
const bad = (message: RegExp): Expect => ({ code: 'ERR_SIGNATURE_BAD', status: 'BAD', message });
const KEY = `key ${ID}`;
const SUBKEY = `subkey ${ID} of key ${ID}`;
const NO_EXPIRY_418 = 'rpm 4.18 never reads a key expiry; rpm 6 says NOTTRUSTED: the key was not alive when it signed';

/** A certify-only key whose signing subkey is made by `subkey`, signing with that subkey at `at`. */
async function withSubkey(name: string, subkey: { created: Date; expires?: Date }, at: Date): Promise<{ key: SigningKey; sign: SignOptions; sub: string }> {
  const key = await newKey('eddsa', { name, created: ago(30), usage: 'cert' });
  const sub = await addSigningSubkey(key, subkey);
  return { key, sign: { signer: `${sub}!`, at }, sub };
}

const CASES: Case[] = [
  {
    name: 'a valid key (control)',
    make: async () => ({ key: await newKey('rsa', { name: 'control' }), sign: {} }),
    pkg: 'OK',
    repomd: 'OK',
    rpm418: 'OK',
  },
  {
    name: 'a key that expired after it signed',
    make: async () => ({ key: await newKey('eddsa', { name: 'expired-since', created: ago(30), expires: ago(28) }), sign: { at: ago(29) } }),
    pkg: 'OK',
    repomd: expiredNow(KEY),
    rpm418: 'OK',
  },
  {
    name: 'a key that had expired when it signed',
    make: async () => {
      const key = await newKey('eddsa', { name: 'expired-then', created: ago(30) });
      // Sign first, then date an expiry before the signature.
      return { key, sign: { at: ago(25) }, after: () => setExpiry(key, { at: ago(29), expires: ago(28) }) };
    },
    pkg: expiredThen(KEY),
    repomd: expiredNow(KEY),
    rpm418: 'OK',
    unlike418: NO_EXPIRY_418,
  },
  {
    name: 'a signing subkey that expired after it signed',
    make: () => withSubkey('subkey-expired-since', { created: ago(30), expires: ago(28) }, ago(29)),
    pkg: 'OK',
    repomd: expiredNow(SUBKEY),
    rpm418: 'OK',
  },
  {
    name: 'a signing subkey that had expired when it signed',
    make: async () => {
      const made = await withSubkey('subkey-expired-then', { created: ago(30) }, ago(25));
      return { ...made, after: () => setExpiry(made.key, { at: ago(29), expires: ago(28), subkey: made.sub }) };
    },
    pkg: expiredThen(SUBKEY),
    repomd: expiredNow(SUBKEY),
    rpm418: 'OK',
    unlike418: NO_EXPIRY_418,
  },
  {
    name: 'a key refreshed after it signed, shipped with only its newest self-signature',
    make: async () => {
      const key = await newKey('eddsa', { name: 'refreshed', created: ago(30) });
      const after = async () => {
        await setExpiry(key, { at: ago(20), expires: ahead(365) });
        await minimize(key);
      };
      // No self-signature is as old as the signature: judged as of now, as rpm-sequoia does.
      return { key, sign: { at: ago(29) }, after };
    },
    pkg: 'OK',
    repomd: 'OK',
    rpm418: 'OK',
  },
  {
    name: 'a key revoked as compromised after it signed',
    make: async () => {
      const key = await newKey('eddsa', { name: 'compromised', created: ago(30) });
      return { key, sign: { at: ago(29) }, after: () => revoke(key, { reason: 'compromised' }) };
    },
    pkg: revoked(KEY, 'key compromised'),
    repomd: revoked(KEY, 'key compromised'),
    rpm418: 'OK',
    unlike418: 'rpm 4.18 ignores revocations of a primary key; a compromised key vouches for nothing, whenever it signed (rpm 6: NOTTRUSTED)',
  },
  {
    name: 'a key superseded after it signed',
    make: async () => {
      const key = await newKey('eddsa', { name: 'superseded-since', created: ago(30) });
      return { key, sign: { at: ago(29) }, after: () => revoke(key, { reason: 'superseded' }) };
    },
    pkg: 'OK',
    repomd: revoked(KEY, 'key superseded'),
    rpm418: 'OK',
  },
  {
    name: 'a key superseded before it signed',
    make: async () => {
      const key = await newKey('eddsa', { name: 'superseded-then', created: ago(30) });
      return { key, sign: { at: ago(25) }, after: () => revoke(key, { reason: 'superseded', at: ago(29) }) };
    },
    pkg: revoked(KEY, 'key superseded'),
    repomd: revoked(KEY, 'key superseded'),
    rpm418: 'OK',
    unlike418: 'rpm 4.18 ignores revocations of a primary key; rpm 6 says NOTTRUSTED for a key revoked when it signed',
  },
  {
    name: 'a signing subkey revoked as compromised',
    make: async () => {
      const made = await withSubkey('subkey-compromised', { created: ago(30) }, ago(29));
      return { ...made, after: () => revoke(made.key, { reason: 'compromised', subkey: true }) };
    },
    pkg: revoked(SUBKEY, 'key compromised'),
    repomd: revoked(SUBKEY, 'key compromised'),
    // rpm 4.18 wants a binding signature right after a subkey; gpg puts the revocation there.
    rpm418: 'NOKEY',
  },
  {
    name: 'a signature older than its key (a key not yet valid when it claims to have signed)',
    make: async () => ({ key: await newKey('eddsa', { name: 'not-yet-valid', created: ago(30) }), sign: { at: ago(31), gpgArgs: ['--ignore-time-conflict'] } }),
    pkg: bad(new RegExp(`the signature \\(${WHEN}\\) is older than ${KEY} \\(created ${WHEN}\\)`)),
    repomd: bad(new RegExp(`is older than ${KEY}`)),
    rpm418: 'OK',
    unlike418: 'rpm 4.18 never compares the dates; rpm 6 with sequoia ("signature predates key") and gpg (time conflict) refuse it',
  },
  {
    name: 'a key made in the future, signing in the future',
    make: async () => ({ key: await newKey('eddsa', { name: 'future', created: ahead(10) }), sign: { at: ahead(11) } }),
    pkg: bad(/in the future/),
    repomd: bad(/in the future/),
    rpm418: 'OK',
    unlike418: 'rpm 4.18 never looks at the dates; rpm 6 refuses a signature made in the future (sequoia allows five minutes of clock skew, as we do), gpg a key made in the future',
  },
];

/** Each case's key, made once (after its signatures, when the case changes the key afterwards). */
interface Made {
  key: SigningKey;
  sign: SignOptions;
  keys: Keyring;
}

function checkRefusal(exp: Exclude<Expect, 'OK'>, code: string | undefined, status: string | undefined, message: string | undefined): void {
  assert.equal(code, exp.code);
  assert.equal(status, exp.status);
  assert.match(message ?? '', exp.message);
}

describe('keys that expired, were revoked or were not yet valid', () => {
  let dir = '';
  const packageTree = fixturePackages().then(mirrorTree);
  const mirrors: FaultMirror[] = [];
  /** Per case: the signed package and repomd.xml.asc, and the key as it ends up. */
  const signed = new Map<string, Promise<Made & { pkg?: string; asc: Buffer; repomd: Buffer }>>();
  const withRpm = missingRpmTools('rpmsign', 'rpmkeys', 'gpg');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rpmfetch-key-validity-'));
  });
  after(async () => {
    for (const m of mirrors) await m.close();
    for (const key of made) stopAgent(key);
  });

  /** Makes the case's key, signs a package (when rpmsign is here) and repomd.xml with it, then lets the key change. */
  function signedBy(c: Case, index: number) {
    let p = signed.get(c.name);
    if (!p) {
      p = (async () => {
        const made = await c.make();
        let pkg: string | undefined;
        if (!withRpm) {
          pkg = join(dir, String(index), 'rpmfetch-hello-1.0-1.noarch.rpm');
          await mkdir(join(dir, String(index)));
          await copyFile(join(FIXTURE_DIR, 'rpmfetch-hello-1.0-1.noarch.rpm'), pkg);
          await rpmsign([pkg], made.key, made.sign);
        }
        const repomd = (await packageTree).get('repodata/repomd.xml') as Buffer;
        const asc = detachSign(made.key, repomd, { ...made.sign, armor: true });
        await made.after?.();
        return { key: made.key, sign: made.sign, keys: await Keyring.load([made.key.publicKey]), repomd, asc, ...(pkg !== undefined && { pkg }) };
      })();
      signed.set(c.name, p);
    }
    return p;
  }

  describe('packages: the key as it stood when it signed (rpm 6)', { skip: withRpm }, () => {
    for (const [i, c] of CASES.entries()) {
      test(`${c.name}: ${c.pkg === 'OK' ? 'OK' : c.pkg.code}; rpm 4.18 says ${c.rpm418}`, async () => {
        const s = await signedBy(c, i);
        const file = s.pkg as string;
        const v = await verifyFile(file, { keys: s.keys });
        const sig = v.signatures[0];
        assert.equal(v.signatures.length, 1);
        if (c.pkg === 'OK') {
          assert.equal(v.ok, true, `${v.error?.code}: ${v.error?.message}`);
          assert.equal(sig?.status, 'OK');
        } else {
          assert.equal(v.ok, false);
          checkRefusal(c.pkg, v.error?.code, sig?.status, sig?.error);
          assert.equal(v.checks.find((k) => k.id === 'signatures')?.status, 'BAD');
          if (c.pkg.status === 'NOTTRUSTED') {
            assert.equal(sig?.keyProblem, c.pkg.code === 'ERR_KEY_EXPIRED' ? 'expired' : 'revoked');
            assert.ok(sig?.verifiedBy, 'the key that made it is named');
          }
        }
        // The CLI says the same, in JSON and with its exit status.
        const r = await cli('verify', '--json', '--key', s.key.publicKey, file);
        const line = JSON.parse(r.out[0] as string);
        assert.equal(r.code, v.ok ? 0 : 1);
        assert.deepEqual([line.ok, line.error?.code, line.signatures[0].status], [v.ok, v.error?.code, sig?.status]);
        // rpm 4.18 as the oracle: any verdict unlike its own is one this case explains.
        const refused: string[] = [];
        const theirs = await rpmkeysCheck(file, [], await rpmdbWithKeys([s.key.publicKey], refused));
        const word = theirs.ok ? 'OK' : /: NOKEY/.test(theirs.output) ? 'NOKEY' : `refused: ${theirs.output}`;
        assert.equal(word, c.rpm418, theirs.output);
        assert.equal(refused.length > 0, c.rpm418 === 'NOKEY', 'rpm 4.18 refuses to import the key exactly when it says NOKEY');
        if (theirs.ok !== v.ok) assert.ok(c.unlike418, `an unexplained difference from rpm 4.18: ${v.error?.message}`);
        else assert.equal(c.unlike418, undefined, 'a difference is claimed where there is none');
      });
    }

    test('a signature by a key that had expired next to a valid one: OK, as rpm 6 accepts (only a BAD signature fails a package)', async () => {
      const expired = await newKey('rsa', { name: 'rotated-out', created: ago(30) });
      const current = await newKey('eddsa', { name: 'rotated-in', created: ago(30) });
      // Header-only signatures sign the main header: one in the RSA tag, one in the DSA/EdDSA tag.
      const header = writePackage({ name: 'two-signatures' }).header;
      const pkg = writePackage({
        name: 'two-signatures',
        extraSig: [bin(268, detachSign(expired, header, { at: ago(25) })), bin(267, detachSign(current, header))],
      });
      await setExpiry(expired, { at: ago(29), expires: ago(28) });
      const file = join(dir, pkg.fileName);
      await writeFile(file, pkg.bytes);
      const v = await verifyFile(file, { keys: await Keyring.load([expired.publicKey, current.publicKey]) });
      assert.equal(v.ok, true, v.error?.message);
      assert.deepEqual(v.signatures.map((s) => [s.tag, s.status, s.keyProblem]), [[268, 'NOTTRUSTED', 'expired'], [267, 'OK', undefined]]);
      const alone = await verifyFile(file, { keys: await Keyring.load([expired.publicKey]) });
      assert.equal(alone.error?.code, 'ERR_KEY_EXPIRED', 'without the valid key, the expired one decides');
      const theirs = await rpmkeysCheck(file, [], await rpmdbWithKeys([expired.publicKey, current.publicKey]));
      assert.equal(theirs.ok, true, theirs.output);
    });
  });

  describe('repository metadata: the key as it stands now (librepo with gpgme)', { skip: missingRpmTools('gpg') }, () => {
    for (const [i, c] of CASES.entries()) {
      test(`${c.name}: repomd.xml ${c.repomd === 'OK' ? 'OK' : c.repomd.code}`, async () => {
        const s = await signedBy(c, i);
        const tree = copyTree(await packageTree);
        tree.set('repodata/repomd.xml.asc', s.asc);
        const m = await new FaultMirror().start();
        mirrors.push(m);
        for (const [k, v] of tree) m.files.set(k, v);
        const resolve = () => resolvePackages(['rpmfetch-hello'], { mirrors: [m.url], dest: dir, keys: s.keys, repoGpgcheck: true, retries: 0 });
        const problem = await checkRepomdSignature(s.repomd, s.asc, s.keys);
        if (c.repomd === 'OK') {
          assert.equal(problem, undefined);
          assert.ok((await resolve()).items[0]?.ok);
          return;
        }
        const exp = c.repomd;
        checkRefusal(exp, problem?.code, /signature is (\w+):/.exec(problem?.message ?? '')?.[1], problem?.message);
        await assert.rejects(resolve(), (e: unknown) => e instanceof DownloadError && /no mirror serves usable metadata/.test(e.message) && exp.message.test(e.message));
      });
    }

    test('a text-mode signature (gpg --textmode, over CR LF line ends) verifies too', async () => {
      const key = await newKey('eddsa', { name: 'textmode' });
      const repomd = (await packageTree).get('repodata/repomd.xml') as Buffer;
      const asc = detachSign(key, repomd, { armor: true, gpgArgs: ['--textmode'] });
      assert.equal(await checkRepomdSignature(repomd, asc, await Keyring.load([key.publicKey])), undefined);
      const edited = Buffer.from(repomd.toString().replace('<revision>', '<revision>9'));
      assert.equal((await checkRepomdSignature(edited, asc, await Keyring.load([key.publicKey])))?.code, 'ERR_SIGNATURE_BAD');
    });

    test('signed by a key that expired and by a valid one: one valid signature suffices, as in librepo', async () => {
      const expired = await newKey('eddsa', { name: 'repo-rotated-out', created: ago(30), expires: ago(28) });
      const current = await newKey('eddsa', { name: 'repo-rotated-in' });
      const repomd = (await packageTree).get('repodata/repomd.xml') as Buffer;
      const asc = Buffer.concat([detachSign(expired, repomd, { at: ago(29) }), detachSign(current, repomd)]);
      const both = await Keyring.load([expired.publicKey, current.publicKey]);
      assert.equal(await checkRepomdSignature(repomd, asc, both), undefined);
      assert.equal((await checkRepomdSignature(repomd, asc, await Keyring.load([expired.publicKey])))?.code, 'ERR_KEY_EXPIRED');
    });
  });
});
