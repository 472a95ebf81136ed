/**
 * A package through the package store (the `cache` option): taken from the store when it holds one the
 * target matches (hit-check.ts decides), otherwise downloaded by one process while the others wanting
 * the same package wait on its lock (key-lock.ts) and then take it from the store. A store that cannot
 * be read or written costs the download nothing: the package is downloaded as without one.
 */
import { pathToFileURL } from 'node:url';
import createDebug from 'debug';
import { checkHit } from '../cache/hit-check.js';
import { KeyLock } from '../cache/key-lock.js';
import { lockKey, lookupKeys, type TargetKnowledge } from '../cache/keys.js';
import { place } from '../cache/placement.js';
import { NotCachedError } from '../errors.js';
import type { PackageStore } from '../cache/store.js';
import type { NormalizedTarget } from '../fetch/target.js';
import type { FileIdentity } from '../fetch/temp-file.js';
import type { Verdict } from '../rpm/verdict.js';
import type { VerifyOptions } from '../rpm/verifier.js';
import type { HashWorkers } from '../workers/hash-workers.js';
import type { DownloadResult } from './result.js';

const debug = createDebug('rpmfetch:cache');

/** A package downloaded into its destination, and which file that is (see `PackageStore.insert`). */
export interface Downloaded {
  readonly result: DownloadResult;
  readonly identity?: FileIdentity | undefined;
}

/** What a download through the store needs besides the store. */
export interface StoreUse {
  readonly target: NormalizedTarget;
  readonly destination: string;
  readonly verify: VerifyOptions;
  readonly hashWorkers: HashWorkers;
  /** Builds the result of a package placed from the store. */
  readonly resultOf: (file: string, url: string, verdict: Verdict) => DownloadResult;
  /** Downloads the package into the destination (the download without a store). */
  readonly download: () => Promise<Downloaded>;
  readonly signal: AbortSignal | undefined;
  /** `cacheOnly`: a package the store lacks fails with ERR_NOT_CACHED instead of being downloaded. */
  readonly cacheOnly?: boolean;
  /** The store was just asked and had nothing usable: the first lookup is skipped. */
  readonly knownMiss?: boolean;
  /** Told when the download is done, before the package is stored. */
  readonly downloaded?: () => void;
}

/**
 * The package placed from the store, without waiting for anything (no lock, no slot): a hit is file
 * operations only. Undefined when the store has nothing usable for it.
 */
export function storeHit(store: PackageStore, use: Omit<StoreUse, 'download'>): Promise<DownloadResult | undefined> {
  return lookQuietly(store, use, knowledgeOf(use.target));
}

function knowledgeOf(target: NormalizedTarget): TargetKnowledge {
  const e = target.expectations;
  return {
    path: target.path,
    ...(e.size !== undefined && { size: e.size }),
    ...(e.integrity !== undefined && { integrity: e.integrity }),
    ...(e.checksum !== undefined && { checksum: e.checksum }),
    ...(e.sigmd5 !== undefined && { sigmd5: e.sigmd5 }),
  };
}

/** The package from the store, placed at the destination; undefined when the store has none usable. */
async function fromStore(store: PackageStore, use: Omit<StoreUse, 'download'>, knowledge: TargetKnowledge): Promise<DownloadResult | undefined> {
  const hit = await store.find(lookupKeys(knowledge));
  if (!hit) return undefined;
  const outcome = await checkHit(hit, { verify: use.verify, digestLevel: 'all' }, { hashWorkers: use.hashWorkers });
  if (!outcome.use) {
    debug('%s: stored %s not used: %s', use.target.path, hit.integrity, outcome.reason);
    if (outcome.damaged) await store.evict(hit);
    return undefined;
  }
  const placement = await place(hit.file, use.destination);
  await store.recordUse(hit);
  debug('%s: placed from the store by %s%s', use.target.path, placement, outcome.reverified ? ' (verified again)' : '');
  return { ...use.resultOf(use.destination, pathToFileURL(hit.file).href, outcome.verdict), placement };
}

/** Looks in the store, without letting a broken store fail the download. */
async function lookQuietly(store: PackageStore, use: Omit<StoreUse, 'download'>, knowledge: TargetKnowledge): Promise<DownloadResult | undefined> {
  try {
    return await fromStore(store, use, knowledge);
  } catch (err) {
    debug('%s: the store could not be used: %s', use.target.path, (err as Error).message);
    return undefined;
  }
}

/** Downloads a target through the store; see the module comment. */
export async function throughStore(store: PackageStore, use: StoreUse): Promise<DownloadResult> {
  const knowledge = knowledgeOf(use.target);
  const key = lockKey(knowledge);
  let lock: KeyLock | undefined;
  try {
    for (let first = true; ; first = false) {
      const stored = first && use.knownMiss ? undefined : await lookQuietly(store, use, knowledge);
      if (stored) return stored;
      if (use.cacheOnly) throw new NotCachedError(use.target.path, `not in the cache ${store.dir} (or its copy there did not verify), and cacheOnly forbids downloading it`);
      // Looked again after taking the lock: its last holder may have stored the package just before.
      if (lock) break;
      try {
        lock = await store.locks.tryTake(key);
      } catch (err) {
        debug('%s: no lock in the store (%s); downloading', use.target.path, (err as Error).message);
        break;
      }
      if (!lock) await KeyLock.waitFor(store.dir, key, use.signal);
    }
    const { result, identity } = await use.download();
    use.downloaded?.();
    try {
      await store.insert(result.file, result.verdict, use.target.path, 'all', identity);
    } catch (err) {
      debug('%s: not stored: %s', use.target.path, (err as Error).message);
    }
    // The size limit (issue 12): a prune that fails costs the download nothing either.
    await store.afterInsert(result.size).catch((err: Error) => debug('%s: prune after insert failed: %s', use.target.path, err.message));
    return result;
  } finally {
    await lock?.release();
  }
}
