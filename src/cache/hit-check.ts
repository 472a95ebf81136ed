/**
 * Whether a stored package may be placed for a target. A hit is trusted from what the index recorded
 * only while the content file is the one that was stored (same device, inode, size and mtime) and the
 * target's expectations can all be answered from the recorded verdict; otherwise the file is verified
 * again in full. Bytes whose SHA-256 is no longer their content address are damage, and the entry is
 * evicted; a package that is intact but not the one the target wants is simply not used.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { disk } from '../fetch/disk-pace.js';
import type { DigestLevel } from '../rpm/digest-level.js';
import { matchFileName, matchNevra } from '../rpm/nevra.js';
import type { Verdict } from '../rpm/verdict.js';
import type { VerifierTuning } from '../rpm/verifier.js';
import type { VerifyOptions } from '../rpm/verify-options.js';
import { verifyFileWith } from '../rpm/verify-file.js';
import { sigmd5Of, sriDigests } from './keys.js';
import { recordOf, type RecordedStat, type StoreHit } from './store.js';

/** The outcome of checking a hit. */
export type HitOutcome =
  | { readonly use: true; readonly verdict: Verdict; readonly reverified: boolean }
  | { readonly use: false; readonly damaged: boolean; readonly reason: string };

/** What the target demands, as a download verifies it. */
export interface HitDemands {
  readonly verify: VerifyOptions;
  readonly digestLevel: DigestLevel;
}

function sameStat(a: RecordedStat, b: RecordedStat): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * The target's expectations against the recorded verdict: `true` all hold, `false` one fails (another
 * package), `undefined` one cannot be answered from the record (signature keys, a digest not recorded).
 */
function factsAnswer(hit: StoreHit, demands: HitDemands): boolean | undefined {
  const { verify } = demands;
  const { verdict, size } = hit.facts;
  const rpm = verdict.rpm;
  if (!rpm || verify.keys) return undefined;
  if (hit.facts.digestLevel !== 'all' && demands.digestLevel === 'all') return undefined;
  if (verify.size !== undefined && verify.size !== size) return false;
  if (verify.maxSize !== undefined && size > verify.maxSize) return false;
  if (verify.integrity !== undefined) {
    const known = sriDigests(verify.integrity).filter(([alg]) => verdict.digests[`file:${alg}`] !== undefined);
    if (known.length === 0) return undefined;
    if (!known.some(([alg, hex]) => verdict.digests[`file:${alg}`] === hex)) return false;
  }
  if (verify.checksum !== undefined) {
    const type = verify.checksum.type.toLowerCase();
    const recorded = verdict.digests[`file:${type === 'sha' ? 'sha1' : type}`];
    if (recorded === undefined) return undefined;
    if (recorded !== verify.checksum.hex.toLowerCase()) return false;
  }
  if (verify.sigmd5 !== undefined && sigmd5Of(verdict) !== verify.sigmd5.toLowerCase()) return false;
  if (verify.nevra !== undefined && matchNevra(verify.nevra, rpm) !== undefined) return false;
  if (typeof verify.fileName === 'string' && matchFileName(verify.fileName, rpm) !== undefined) return false;
  return true;
}

/** Checks a hit for a target; see the module comment. */
export async function checkHit(hit: StoreHit, demands: HitDemands, tuning: VerifierTuning): Promise<HitOutcome> {
  const now = await disk.stat(hit.file).catch(() => undefined);
  if (!now?.isFile()) return { use: false, damaged: false, reason: 'the content file is gone' };
  const unchanged = sameStat(recordOf(now), hit.facts.stat);
  // A path names no particular bytes (a repository may reuse it), so a hit by path is verified in full.
  const answer = unchanged && hit.key.kind !== 'path' ? factsAnswer(hit, demands) : undefined;
  if (answer === false) return { use: false, damaged: false, reason: 'the stored package is not the one the target wants' };
  if (answer === true) return { use: true, verdict: hit.facts.verdict, reverified: false };
  const verdict = await verifyFileWith(hit.file, { ...demands.verify, fileDigests: ['sha256'] }, tuning).catch(() => undefined);
  // A verdict that failed early may not have hashed the whole file: then hash it here, so that an
  // intact package that is merely not this target's is not evicted.
  const sha256 = verdict?.digests['file:sha256'] ?? (await sha256Of(hit.file).catch(() => undefined));
  const intact = verdict !== undefined && sha256 === hit.facts.sha256;
  if (!intact) return { use: false, damaged: true, reason: unchanged ? 'its bytes no longer match their SHA-256' : 'the content file changed since it was stored' };
  if (!verdict.ok) return { use: false, damaged: false, reason: `the stored package does not verify for this target (${verdict.error?.code ?? 'unknown'})` };
  return { use: true, verdict, reverified: true };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
