/**
 * Which digests a package needs over which bytes. Over the main header alone, they are computed at once
 * from the buffered header (its digests, and what header-only signatures sign); everything that runs
 * into the payload becomes a {@link HashJob} over the stream: the whole file for the caller's
 * integrity or checksum, header + payload for MD5 and legacy signatures, the payload for its digests.
 */
import { createHash } from 'node:crypto';
import type { HashJob } from '../workers/hash-job.js';
import type { DigestItem } from './digest-items.js';
import { nodeHashName } from './openpgp-packet.js';
import type { FoundSignature } from './signatures.js';

/** What to hash, given the headers. */
export interface HashPlanInput {
  /** The main header's bytes, intro included. */
  readonly header: Buffer;
  /** Where the main header starts in the file. */
  readonly headerStart: number;
  /** The package's digests. */
  readonly items: readonly DigestItem[];
  /** Algorithms the caller wants over the whole file. */
  readonly fileAlgorithms: readonly string[];
  /** Signatures whose digests are wanted (they are judged); empty when they are only reported. */
  readonly signatures: readonly FoundSignature[];
}

/** Digests known from the headers, and jobs for the rest. */
export interface HashPlan {
  /** Jobs over the stream, keyed `file:<alg>`, `header+payload:<alg>`, `payload:<alg>`, `signature:<index>`. */
  readonly jobs: readonly HashJob[];
  /** Hex digests of the main header, keyed `header:<alg>`. */
  readonly headerDigests: ReadonlyMap<string, string>;
  /**
   * What each header-only signature signs (its salt, the header, its trailer), by index; undefined when
   * Node lacks its algorithm. Legacy signatures over header and payload are jobs instead.
   */
  readonly signatureDigests: ReadonlyMap<number, Buffer | undefined>;
}

/** Plans the hashing of a package whose headers are read. */
export function planHashes(input: HashPlanInput): HashPlan {
  const payloadStart = input.headerStart + input.header.length;
  const jobs: HashJob[] = [];
  const addJob = (job: HashJob): void => {
    if (!jobs.some((j) => j.key === job.key)) jobs.push(job);
  };
  const headerDigests = new Map<string, string>();
  for (const algorithm of input.fileAlgorithms) addJob({ key: `file:${algorithm}`, algorithm, start: 0 });
  for (const item of input.items) {
    if (!item.present || item.invalid) continue;
    const key = `${item.range}:${item.algorithm}`;
    if (item.range === 'header') {
      if (!headerDigests.has(key)) headerDigests.set(key, createHash(item.algorithm).update(input.header).digest('hex'));
    } else {
      addJob({ key, algorithm: item.algorithm, start: item.range === 'payload' ? payloadStart : input.headerStart });
    }
  }
  const signatureDigests = new Map<number, Buffer | undefined>();
  input.signatures.forEach((s, i) => {
    if (typeof s.parsed === 'string') return;
    const algorithm = nodeHashName(s.parsed.hashAlgorithm);
    if (!algorithm) {
      signatureDigests.set(i, undefined);
    } else if (s.info.range === 'header') {
      signatureDigests.set(i, createHash(algorithm).update(s.parsed.prefix).update(input.header).update(s.parsed.suffix).digest());
    } else {
      addJob({ key: `signature:${i}`, algorithm, start: input.headerStart, prefix: s.parsed.prefix, suffix: s.parsed.suffix });
    }
  });
  return { jobs, headerDigests, signatureDigests };
}
