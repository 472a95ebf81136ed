/**
 * The caller's expectations (size, size limit, SRI integrity, checksum, koji's sigmd5, NEVRA) and the
 * file name, against what the package turned out to be.
 */
import { integrityMatches } from './expectations.js';
import type { DigestItem } from './digest-items.js';
import { passOrFail, type Judged } from './judged.js';
import { matchFileName, matchNevra, type PackageIdentity } from './nevra.js';
import type { SizeClaims } from './size-claims.js';
import type { Demands } from './verify-options.js';
import { extend } from '../extend.js';

/** What the expectations are judged against. */
export interface ExpectationFacts {
  /** Bytes received. */
  readonly received: number;
  /** The package's size claims. */
  readonly claims: SizeClaims;
  /** Who the package says it is. */
  readonly identity: PackageIdentity;
  /** The package's digests (for the MD5 koji's sigmd5 names). */
  readonly items: readonly DigestItem[];
  /** Computed digests, keyed `range:algorithm` (`file:sha256` for the whole file). */
  readonly digests: ReadonlyMap<string, string>;
}

/** One check per expectation given, in a fixed order. */
export function judgeExpectations(facts: ExpectationFacts, demands: Demands): Judged[] {
  const e = demands.expect;
  const { received, identity } = facts;
  const out: Judged[] = [];
  if (e.size !== undefined) {
    out.push(passOrFail('ERR_SIZE_MISMATCH', received === e.size, { id: 'expected-size', label: 'Expected size', expected: String(e.size), actual: String(received) }, `expected ${e.size} bytes, received ${received}`));
  }
  if (demands.maxSize !== undefined) {
    const claimed = Math.max(received, facts.claims.expected ?? 0);
    out.push(passOrFail('ERR_TOO_LARGE', claimed <= demands.maxSize, { id: 'max-size', label: 'Size limit', expected: `<= ${demands.maxSize}`, actual: String(claimed) }, `${claimed} bytes, more than the ${demands.maxSize} allowed (maxSize)`));
  }
  if (e.integrity) {
    const actual = facts.digests.get(`file:${e.integrity.algorithm}`) ?? '';
    out.push(
      passOrFail(
        'ERR_INTEGRITY_MISMATCH',
        integrityMatches(e.integrity, actual),
        { id: 'integrity', label: `Integrity (${e.integrity.algorithm})`, expected: e.integrity.text, actual: `${e.integrity.algorithm}-${Buffer.from(actual, 'hex').toString('base64')}` },
        `the file's ${e.integrity.algorithm} does not match ${e.integrity.text}`,
      ),
    );
  }
  if (e.checksum) {
    const actual = facts.digests.get(`file:${e.checksum.algorithm}`) ?? '';
    out.push(passOrFail('ERR_INTEGRITY_MISMATCH', actual === e.checksum.hex, { id: 'checksum', label: `Checksum (${e.checksum.type})`, expected: e.checksum.hex, actual }, `expected ${e.checksum.hex} != ${actual}`));
  }
  if (e.sigmd5 !== undefined) {
    const md5 = facts.items.find((i) => i.id === 'md5');
    const check = { id: 'sigmd5', label: 'Signature MD5 (koji payloadhash)', expected: e.sigmd5, ...(md5?.expected !== undefined && { actual: md5.expected }) };
    out.push(
      md5?.expected === undefined
        ? { code: 'ERR_SIGMD5_MISMATCH', check: extend(check, { status: 'MISSING', message: 'the package carries no valid MD5 (tag 1004) to compare with' }) }
        : passOrFail('ERR_SIGMD5_MISMATCH', md5.expected === e.sigmd5, check, `expected ${e.sigmd5} != ${md5.expected}`),
    );
  }
  if (e.nevra !== undefined) {
    const problem = matchNevra(e.nevra, identity);
    out.push(passOrFail('ERR_NEVRA_MISMATCH', problem === undefined, { id: 'nevra', label: 'NEVRA', expected: e.nevra, actual: identity.nevra }, problem ?? ''));
  }
  return out;
}

/** The file name against the header's N-V-R.A; SKIPPED when no name was given. */
export function judgeFileName(fileName: string | undefined, identity: PackageIdentity): Judged {
  const base = { id: 'file-name', label: 'File name' };
  if (fileName === undefined) return { check: extend(base, { status: 'SKIPPED', message: 'no file name given' }) };
  const problem = matchFileName(fileName, identity);
  return problem ? { code: 'ERR_NEVRA_MISMATCH', check: extend(base, { status: 'BAD', actual: fileName, message: problem }) } : { check: extend(base, { status: 'OK', actual: fileName }) };
}
