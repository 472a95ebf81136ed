/**
 * The judge: facts about a package and the digests computed over it in, a {@link Verdict} out. Pure;
 * it reads no bytes, so every rule can be tested with made-up facts.
 */
import type { VerifyError } from '../errors.js';
import type { DigestItem } from './digest-items.js';
import { judgeDigests } from './judge-digests.js';
import { judgeExpectations, judgeFileName } from './judge-expectations.js';
import { judgeSignaturePolicy } from './judge-signatures.js';
import { judgeSize } from './judge-size.js';
import type { Judged } from './judged.js';
import type { PackageIdentity } from './nevra.js';
import type { SignatureInfo } from './signatures.js';
import type { SizeClaims } from './size-claims.js';
import type { Check, Verdict } from './verdict.js';
import type { Demands } from './verify-options.js';
import { extend } from '../extend.js';

/** What is known of a package however far its bytes got. */
export interface PartialFacts {
  /** Bytes received. */
  readonly received: number;
  /** The package's size claims. */
  readonly claims: SizeClaims;
  /** Who the package says it is, once the main header was read. */
  readonly identity: PackageIdentity | undefined;
  /** Its signatures: as found, or as judged with keys. */
  readonly signatures: readonly SignatureInfo[];
}

/** What is known of a package whose structure was whole. */
export interface PackageFacts extends PartialFacts {
  /** Who the package says it is. */
  readonly identity: PackageIdentity;
  /** The digests it carries. */
  readonly items: readonly DigestItem[];
  /** Those of them the digest level left unchecked. */
  readonly skipped?: ReadonlySet<DigestItem>;
}

function verdictBase(facts: PartialFacts): Omit<Verdict, 'ok' | 'checks'> {
  return {
    signatures: facts.signatures,
    size: facts.received,
    digests: {},
    ...(facts.identity !== undefined && { rpm: facts.identity }),
    ...(facts.claims.expected !== undefined && { expectedSize: facts.claims.expected }),
  };
}

/**
 * Every check of a package whose structure was whole, and the first failure. `digests` are the hex
 * digests computed, keyed `range:algorithm`.
 */
export function judgePackage(facts: PackageFacts, digests: ReadonlyMap<string, string>, demands: Demands): Verdict {
  const size = judgeSize(facts.received, facts.claims);
  const stored = judgeDigests(facts.items, digests, facts.skipped);
  const signatures = demands.keys ? [judgeSignaturePolicy(facts.signatures)] : [];
  const expected = judgeExpectations(extend(facts, { digests }), demands);
  const fileName = judgeFileName(demands.fileName, facts.identity);
  const structure: Judged = { check: { id: 'structure', label: 'Package structure', status: 'OK' } };
  // Listed in rpmkeys's order, but a short or overlong file is the news, not the digests it breaks.
  const listed = [structure, ...stored, size, ...signatures, ...expected, fileName];
  const first = [size, ...stored, ...signatures, ...expected, fileName].find((j) => j.code !== undefined);
  return extend(verdictBase(facts), {
    ok: first === undefined,
    checks: listed.map((j) => j.check),
    digests: Object.fromEntries(digests),
    ...(first?.code && {
      error: { code: first.code, message: `${first.check.label}: ${first.check.message ?? first.check.status}`, check: first.check.id },
    }),
  });
}

/** The verdict on a package a failure decided before its checks could all run (a broken structure). */
export function failureVerdict(err: VerifyError, facts: PartialFacts): Verdict {
  const check = err.check ?? 'structure';
  const checks: Check[] = [];
  if (check !== 'structure') checks.push({ id: 'structure', label: 'Package structure', status: 'OK' });
  checks.push({ id: check, label: check === 'structure' ? 'Package structure' : labelFor(check), status: 'BAD', message: err.message });
  return extend(verdictBase(facts), { ok: false, error: { code: err.code, message: err.message, check }, checks });
}

function labelFor(check: string): string {
  return check === 'size' ? 'Package size' : check;
}
